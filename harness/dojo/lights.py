"""One traffic light per test run, as cyber-dojo shows them: red, amber or green.

- amber: the tests could not judge the code — test_kata.py could not be collected, or
  no test reached its call phase (kata.py has a syntax error or fails while loading:
  the ``kata`` fixture fails in every test's setup), or there are no tests;
- red: the tests ran and at least one failed (a hang and a crash count as failures);
- green: every test passed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from harness.runner import KataRun

RED, AMBER, GREEN = "red", "amber", "green"
WORDS = {RED: "RED", AMBER: "AMBER", GREEN: "GREEN"}


def colour_of(run: KataRun) -> str:
    if run.collect_error or not run.tests:
        return AMBER
    if all(test.outcome == "passed" for test in run.tests) and not run.crashed:
        return GREEN
    failed = [test for test in run.tests if test.outcome != "passed"]
    # A test whose setup failed never reached its call: call_seconds stays None.
    if all(test.call_seconds is None and test.outcome == "failed" for test in failed) and (
        len(failed) == len(run.tests)
    ):
        return AMBER
    return RED


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
