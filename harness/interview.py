"""`interview`: a timed kata the person has not solved, with the hints hidden.

The tests run each time kata.py is saved (as in `watch`), with pytest's `--interview`
option: each diagnosis says what went wrong and where, never what to try. A countdown
is announced, and at the end comes a report for the interviewer: every failing test
(what went wrong, where), the run history (time, tests passing), time to green, the
efficiency ratio of the workload when green (as `bench` measures it), and whether the
tests were changed (integrity.py). It is printed and saved as Markdown and JSON under
``.harness/interviews/``. While the interview runs, `hint` refuses to reveal hints for
that kata and `status` hides them.
"""

from __future__ import annotations

import json
import random
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness import bench, integrity, progress, runner
from harness import state as state_module
from harness.catalog import LEVELS, Kata
from harness.catalog import load as load_catalog
from harness.progress import KataStatus
from harness.run import pytest_args
from harness.terminal import Console, minutes_seconds
from harness.watch import DEFAULT_POLL, QUIT_WORDS, FileWatch, wait_for

# pytest's option (the judge's plugin) that leaves "what to try" out of every diagnosis.
INTERVIEW_PYTEST_ARGS = ("--interview",)
DEFAULT_MINUTES = 30.0
ANNOUNCE_EVERY = 5 * 60.0  # a "time left" line every five minutes, and one at the last minute
FINISH_WORDS = (*QUIT_WORDS, "done")

NO_CANDIDATE = "There is no unsolved kata{level} to interview on. Levels: {levels}."
INTRO = (
    "Interview: {name} — {title} ({level}). You have {minutes}.\n"
    "Read {lesson}; write your code in {stub}. The tests run each time you save it.\n"
    "No hints during the interview. Type done then Enter to finish early."
)
TIME_LEFT = "{left} left."
AFTER_RUN = "{elapsed} elapsed, {left} left — {verdict}"
GREEN_AT = (
    "Green at {elapsed}. Type done then Enter to finish, or keep improving until the time is up."
)
TIME_UP = "Time is up."
REPORT_HEADER = "Interview report — {name}: {title} ({level})"
REPORT_TESTS = "  tests passing   {passed} of {total}"
REPORT_GREEN = "  time to green   {elapsed} (of {budget})"
REPORT_NOT_GREEN = "  time to green   not green within {budget}"
REPORT_EFFICIENCY = "  efficiency      {efficiency}"
REPORT_CHANGED = "  tests changed   {changed}"
REPORT_RUNS = "  runs            {count}: {history}"
REPORT_NO_RUNS = "  runs            none (kata.py was never saved)"
REPORT_FAILING = "  failing tests   {count}"
REPORT_FAILING_TEST = "    {name}: {what}"
REPORT_SAVED = "  Saved for the interviewer: {markdown} (and {json} for tools)."
REPORT_NOT_SAVED = "  The report could not be saved in {folder}: {error}"
NOT_MEASURED = "not measured: {why}"
REPORTS = "interviews"  # .harness/interviews/


def candidates(statuses: list[KataStatus], level: str | None) -> list[Kata]:
    return [
        s.kata
        for s in statuses
        if s.ready and s.state != "passed" and (level is None or s.kata.level == level)
    ]


def announcement_marks(budget: float) -> list[float]:
    """Seconds left at which to say so: every five minutes, and the last minute."""
    marks = {ANNOUNCE_EVERY * k for k in range(1, int(budget // ANNOUNCE_EVERY) + 1)} | {60.0}
    return sorted((mark for mark in marks if mark < budget), reverse=True)


def verdict(status: KataStatus) -> str:
    if status.state == "passed":
        return f"GREEN, {status.total} of {status.total} tests pass"
    return f"RED, {status.passed} of {status.total} tests pass"


@dataclass
class Attempt:
    """What the interviewer reads: each run, and where the kata stands at the end."""

    kata: Kata
    budget: float
    started_at: float  # wall time
    runs: list[dict[str, Any]] = field(default_factory=list)  # at, passed, total, state
    green_at: float | None = None
    seconds: float = 0.0
    final: KataStatus | None = None
    failing: list[dict[str, Any]] = field(default_factory=list)
    efficiency: bench.Timing | None = None
    tests: integrity.Integrity | None = None


def run_tests(root: Path, kata: Kata, console: Console, *, show: bool) -> runner.KataRun:
    """The kata's tests in interview mode; the result is cached for `status` too."""
    args = [*(pytest_args(console, True) if show else ["-q", "--tb=no"]), *INTERVIEW_PYTEST_ARGS]
    runs, _ = runner.run_katas(
        root, load_catalog(root), [kata], args, echo=console.out if show else None
    )
    return runs[kata.name]


def failing_tests(kata_run: runner.KataRun) -> list[dict[str, Any]]:
    """Each test that did not pass: the judge's "what" and "where" (else its message)."""
    found = []
    if kata_run.collect_error:
        found.append(
            {
                "name": "(collection)",
                "outcome": "error",
                "what": kata_run.collect_error,
                "where": None,
            }
        )
    for test in kata_run.tests:
        if test.outcome == "passed":
            continue
        diagnosis = test.diagnosis or {}
        what = diagnosis.get("what") or progress.first_line(test.message, 300) or test.outcome
        found.append(
            {
                "name": test.name,
                "outcome": test.outcome,
                "what": what,
                "where": diagnosis.get("where"),
            }
        )
    return found


def interview_command(
    root: Path,
    console: Console,
    *,
    level: str | None = None,
    minutes: float = DEFAULT_MINUTES,
    kata: Kata | None = None,
    rng: random.Random | None = None,
    poll: float = DEFAULT_POLL,
) -> int:
    if kata is None:
        choices = candidates(progress.refresh(root).statuses, level)
        if not choices:
            console.print(
                NO_CANDIDATE.format(
                    level=f" at level {level}" if level else "", levels=", ".join(LEVELS)
                )
            )
            return 1
        kata = (rng or random.Random()).choice(choices)
    budget = minutes * 60
    attempt = Attempt(kata, budget, started_at=console.now())
    recorded = _remember(root, kata, attempt.started_at, budget)
    lesson = kata.relative(kata.lesson) if kata.lesson.is_file() else kata.relative(kata.dir)
    console.print(
        console.style.paint(
            INTRO.format(
                name=kata.name,
                title=kata.title,
                level=kata.level,
                minutes=minutes_seconds(budget),
                lesson=lesson,
                stub=kata.relative(kata.stub),
            ),
            "bold",
        )
    )
    started = console.clock()
    deadline = started + budget
    marks = announcement_marks(budget)
    last: runner.KataRun | None = None
    last_key = ""

    def announce(now: float) -> None:
        left = deadline - now
        if marks and left <= marks[0]:
            while marks and left <= marks[0]:
                marks.pop(0)
            console.print(TIME_LEFT.format(left=minutes_seconds(left)))

    watch = FileWatch(kata.stub)
    try:
        while True:
            event = wait_for(
                console, watch, poll, deadline=deadline, on_tick=announce, quit_words=FINISH_WORDS
            )
            if event == "deadline":
                console.print(console.style.paint(TIME_UP, "bold"))
                break
            if event == "quit":
                break
            console.clear()
            last_key = progress.kata_key(kata, progress.environment_key(root))
            last = run_tests(root, kata, console, show=True)
            status = _record(root, attempt, last, last_key, console.clock() - started)
            console.print()
            console.print(
                AFTER_RUN.format(
                    elapsed=minutes_seconds(attempt.runs[-1]["at"]),
                    left=minutes_seconds(deadline - console.clock()),
                    verdict=verdict(status),
                )
            )
            if status.state == "passed" and attempt.green_at == attempt.runs[-1]["at"]:
                console.print(
                    console.style.paint(
                        GREEN_AT.format(elapsed=minutes_seconds(attempt.green_at)), "green"
                    )
                )
    except KeyboardInterrupt:
        console.print()
    attempt.seconds = min(console.clock() - started, budget)
    key = progress.kata_key(kata, progress.environment_key(root))
    if last is None or key != last_key:  # never run, or a file changed since the last run
        last = run_tests(root, kata, console, show=False)
    attempt.final = progress.remember(root, last, key)
    attempt.failing = failing_tests(last)
    if attempt.final.state == "passed" and attempt.green_at is None:
        attempt.green_at = attempt.seconds
    attempt.tests = integrity.check(root, kata, recorded)
    _forget(root)
    attempt.efficiency = efficiency(root, kata, attempt.final)
    report(root, attempt, console)
    return 0 if attempt.final.state == "passed" else 1


def _record(
    root: Path, attempt: Attempt, kata_run: runner.KataRun, key: str, at: float
) -> KataStatus:
    """Cache the run under the key of the files it ran (taken before it), and log it."""
    status = progress.remember(root, kata_run, key)
    attempt.runs.append(
        {"at": round(at, 3), "passed": status.passed, "total": status.total, "state": status.state}
    )
    if status.state == "passed" and attempt.green_at is None:
        attempt.green_at = round(at, 3)
    return status


def efficiency(root: Path, kata: Kata, final: KataStatus) -> bench.Timing:
    if final.state != "passed":
        return bench.Timing(kata, note=NOT_MEASURED.format(why="the tests do not pass"))
    timing = bench.time_workloads(root, [kata], repeat=1)[0]
    if timing.seconds is None:
        timing.note = NOT_MEASURED.format(why=timing.note)
    return timing


def history_text(runs: list[dict[str, Any]]) -> str:
    return " · ".join(f"{minutes_seconds(r['at'])} {r['passed']} of {r['total']}" for r in runs)


def report(root: Path, attempt: Attempt, console: Console) -> None:
    """The report on the screen, then saved for the interviewer."""
    kata, final = attempt.kata, attempt.final
    assert final is not None and attempt.tests is not None and attempt.efficiency is not None
    style = console.style
    console.print()
    console.print(
        style.paint(
            REPORT_HEADER.format(name=kata.name, title=kata.title, level=kata.level), "bold"
        )
    )
    console.print(REPORT_TESTS.format(passed=final.passed, total=final.total))
    console.print(_green_line(attempt))
    console.print(REPORT_EFFICIENCY.format(efficiency=attempt.efficiency.describe()))
    changed = attempt.tests.describe()
    console.print(
        style.paint(REPORT_CHANGED.format(changed=changed), "red")
        if attempt.tests.changed
        else REPORT_CHANGED.format(changed=changed)
    )
    if attempt.runs:
        console.print(
            REPORT_RUNS.format(count=len(attempt.runs), history=history_text(attempt.runs))
        )
    else:
        console.print(REPORT_NO_RUNS)
    console.print(REPORT_FAILING.format(count=len(attempt.failing) or "none"))
    for test in attempt.failing:
        console.print(REPORT_FAILING_TEST.format(name=test["name"], what=_what_where(test)))
    _save(root, attempt, console)


def _green_line(attempt: Attempt) -> str:
    budget = minutes_seconds(attempt.budget)
    if attempt.green_at is None:
        return REPORT_NOT_GREEN.format(budget=budget)
    return REPORT_GREEN.format(elapsed=minutes_seconds(attempt.green_at), budget=budget)


def _what_where(test: dict[str, Any]) -> str:
    what = progress.first_line(test["what"], 300)
    return f"{what} ({test['where']})" if test.get("where") else what


def markdown(attempt: Attempt) -> str:
    kata, final = attempt.kata, attempt.final
    assert final is not None and attempt.tests is not None and attempt.efficiency is not None
    started = time.strftime("%Y-%m-%d %H:%M", time.localtime(attempt.started_at))
    lines = [
        f"# {REPORT_HEADER.format(name=kata.name, title=kata.title, level=kata.level)}",
        "",
        f"Started {started}; {minutes_seconds(attempt.budget)} allowed.",
        "",
        "| | |",
        "|---|---|",
        f"| tests passing | {final.passed} of {final.total} |",
        f"| time to green | {_green_line(attempt).split('time to green', 1)[1].strip()} |",
        f"| efficiency | {attempt.efficiency.describe()} |",
        f"| tests changed | {attempt.tests.describe()} |",
        "",
        "## Failing tests",
        "",
    ]
    lines += [f"- `{t['name']}`: {_what_where(t)}" for t in attempt.failing] or ["None."]
    lines += ["", "## Runs", "", "| time | tests passing | state |", "|---|---|---|"]
    lines += [
        f"| {minutes_seconds(r['at'])} | {r['passed']} of {r['total']} | {r['state']} |"
        for r in attempt.runs
    ]
    return "\n".join(lines) + "\n"


def document(attempt: Attempt) -> dict[str, Any]:
    kata, final = attempt.kata, attempt.final
    assert final is not None and attempt.tests is not None and attempt.efficiency is not None
    return {
        "kata": kata.name,
        "title": kata.title,
        "level": kata.level,
        "started_at": attempt.started_at,
        "budget": attempt.budget,
        "seconds": round(attempt.seconds, 3),
        "state": final.state,
        "passed": final.passed,
        "total": final.total,
        "green_after": attempt.green_at,
        "efficiency": attempt.efficiency.to_json(),
        "tests_changed": {**attempt.tests.to_json(), "verdict": attempt.tests.describe()},
        "failing": attempt.failing,
        "runs": attempt.runs,
    }


def _save(root: Path, attempt: Attempt, console: Console) -> None:
    folder = state_module.harness_dir(root) / REPORTS
    stem = (
        time.strftime("%Y%m%d-%H%M%S", time.localtime(attempt.started_at)) + f"-{attempt.kata.name}"
    )
    markdown_path, json_path = folder / f"{stem}.md", folder / f"{stem}.json"
    try:
        state_module.write_atomically(markdown_path, markdown(attempt))
        state_module.write_atomically(json_path, json.dumps(document(attempt), indent=1) + "\n")
    except OSError as error:
        console.print(REPORT_NOT_SAVED.format(folder=folder, error=error))
        return
    shown = [path.relative_to(root).as_posix() for path in (markdown_path, json_path)]
    console.print(REPORT_SAVED.format(markdown=shown[0], json=shown[1]))


def _remember(root: Path, kata: Kata, now: float, budget: float) -> dict[str, str]:
    """Record the interview (hints hide) and the tests' fingerprints at its start."""
    fingerprint = integrity.fingerprint(root, kata)
    interview = {"kata": kata.name, "started_at": now, "ends_at": now + budget, "tests": fingerprint}
    state_module.update(root, lambda state: state.data.update(interview=interview))
    return fingerprint


def _forget(root: Path) -> None:
    state_module.update(root, lambda state: state.data.pop("interview", None))
