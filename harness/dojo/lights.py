"""One traffic light per test run, as cyber-dojo shows them: red, amber or green.

- amber: the tests could not judge the code — test_kata.py could not be collected,
  there are no tests, or every test failed because kata.py could not be loaded (a
  syntax error, an import that fails: the judge's diagnosis is of kind "load"; without
  a diagnosis, no test reached its call phase);
- red: the tests ran and at least one failed (a hang and a crash count as failures);
- green: every test passed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from harness.runner import KataRun, TestRun

RED, AMBER, GREEN = "red", "amber", "green"
WORDS = {RED: "RED", AMBER: "AMBER", GREEN: "GREEN"}


def colour_of(run: KataRun) -> str:
    if run.collect_error or not run.tests:
        return AMBER
    if all(test.outcome == "passed" for test in run.tests) and not run.crashed:
        return GREEN
    if all(could_not_load(test) for test in run.tests):
        return AMBER
    return RED


def could_not_load(test: TestRun) -> bool:
    if test.outcome != "failed":
        return False
    if test.diagnosis is not None and "kind" in test.diagnosis:
        return test.diagnosis["kind"] == "load"
    return test.call_seconds is None  # its setup (the `kata` fixture) failed


def failing_tests(run: KataRun) -> list[str]:
    return [test.name for test in run.tests if test.outcome != "passed"]


@dataclass
class Light:
    """One test run of a team: when, why, and what the tests said."""

    colour: str
    passed: int
    total: int
    at: float  # seconds since the dojo started
    wall: float  # epoch seconds
    trigger: str  # start | save | enter | rotation | end
    turn: int
    failing: list[str] = field(default_factory=list)

    @classmethod
    def of(cls, run: KataRun, *, at: float, wall: float, trigger: str, turn: int) -> Light:
        return cls(
            colour_of(run),
            run.passed,
            run.total,
            at=at,
            wall=wall,
            trigger=trigger,
            turn=turn,
            failing=failing_tests(run),
        )

    @property
    def green(self) -> bool:
        return self.colour == GREEN

    def to_json(self) -> dict[str, Any]:
        return {
            "colour": self.colour,
            "passed": self.passed,
            "total": self.total,
            "at": round(self.at, 3),
            "wall": self.wall,
            "trigger": self.trigger,
            "turn": self.turn,
            "failing": self.failing,
        }
