"""`interview`: a timed kata the person has not solved, with the hints hidden.

The tests run each time kata.py is saved (as in `watch`), a countdown is announced,
and at the end comes a report: tests passing, time to green, and the efficiency
ratio of the workload (as `bench` measures it). While the interview runs, `hint`
refuses to reveal hints for that kata and `status` hides them.
"""

from __future__ import annotations

import random
from pathlib import Path

from harness import bench, progress, run
from harness import state as state_module
from harness.catalog import LEVELS, Kata
from harness.progress import KataStatus
from harness.terminal import Console, minutes_seconds
from harness.watch import DEFAULT_POLL, QUIT_WORDS, FileWatch, wait_for

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
NOT_MEASURED = "not measured: {why}"


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
    _remember(root, kata, console.now(), budget)
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
    green_at: float | None = None
    marks = announcement_marks(budget)

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
            status = run.run_once(root, kata, console)
            elapsed = console.clock() - started
            console.print()
            console.print(
                AFTER_RUN.format(
                    elapsed=minutes_seconds(elapsed),
                    left=minutes_seconds(deadline - console.clock()),
                    verdict=verdict(status),
                )
            )
            if status.state == "passed" and green_at is None:
                green_at = elapsed
                console.print(
                    console.style.paint(GREEN_AT.format(elapsed=minutes_seconds(elapsed)), "green")
                )
    except KeyboardInterrupt:
        console.print()
    final = progress.refresh(root, [kata]).statuses[0]  # cached if unchanged since the last run
    if final.state == "passed" and green_at is None:
        green_at = min(console.clock() - started, budget)
    _forget(root)
    report(root, kata, final, green_at, budget, console)
    return 0 if final.state == "passed" else 1


def report(
    root: Path,
    kata: Kata,
    final: KataStatus,
    green_at: float | None,
    budget: float,
    console: Console,
) -> None:
    style = console.style
    console.print()
    console.print(
        style.paint(
            REPORT_HEADER.format(name=kata.name, title=kata.title, level=kata.level), "bold"
        )
    )
    console.print(REPORT_TESTS.format(passed=final.passed, total=final.total))
    if green_at is None:
        console.print(REPORT_NOT_GREEN.format(budget=minutes_seconds(budget)))
    else:
        console.print(
            REPORT_GREEN.format(elapsed=minutes_seconds(green_at), budget=minutes_seconds(budget))
        )
    console.print(REPORT_EFFICIENCY.format(efficiency=efficiency(root, kata, final)))


def efficiency(root: Path, kata: Kata, final: KataStatus) -> str:
    if final.state != "passed":
        return NOT_MEASURED.format(why="the tests do not pass")
    timing = bench.time_workloads(root, [kata], repeat=1)[0]
    if timing.seconds is None:
        return NOT_MEASURED.format(why=timing.note)
    return timing.describe()


def _remember(root: Path, kata: Kata, now: float, budget: float) -> None:
    interview = {"kata": kata.name, "started_at": now, "ends_at": now + budget}
    state_module.update(root, lambda state: state.data.update(interview=interview))


def _forget(root: Path) -> None:
    state_module.update(root, lambda state: state.data.pop("interview", None))
