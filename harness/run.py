"""`run`: one kata's tests with pytest's own output (it carries the learner messages),
then what to do next: ✓, where the reference solution is, and the next kata.
"""

from __future__ import annotations

from pathlib import Path

from harness import progress, runner
from harness.catalog import Kata
from harness.catalog import load as load_catalog
from harness.progress import KataStatus
from harness.terminal import Console

PASSED = "{tick} {name} passes: {total} of {total} {unit} are green."
SOLUTION_AT = (
    "  The reference solution is in {solution}: compare (python -m harness solution {name})."
)
NEXT_KATA = "  Next: {folder} — run `python -m harness run {name}` (or `pytest {folder}`)."
LAST_ONE = "  That was the last kata left: every kata passes. Time them: python -m harness bench"
FAILED = "{cross} {name}: {passed} of {total} {unit} pass. Edit {stub} and run again."
FAILED_HINT = "  Stuck? `python -m harness hint {name}` reveals the next hint."
NOT_STARTED = "{cross} {name} is not started yet: read {lesson}, then fill in the TODOs in {stub}."
BROKEN = "{cross} {name} {state}: {message}"
NOT_READY = "{name} cannot run yet: {why}."


def pytest_args(console: Console, show_output: bool) -> list[str]:
    if show_output:
        return [f"--color={'yes' if console.style.colour else 'no'}"]
    return ["-q", "--tb=no"]


def prepare(root: Path, kata: Kata, console: Console) -> runner.PendingSession | None:
    """A warm pytest process for the next :func:`run_once` of ``kata`` (see runner)."""
    if progress.missing_files(kata):
        return None
    return runner.prepare(root, [kata], pytest_args(console, True), echo=console.out)


def run_once(
    root: Path,
    kata: Kata,
    console: Console,
    *,
    show_output: bool = True,
    prepared: runner.PendingSession | None = None,
) -> KataStatus:
    """Run the kata's tests (showing pytest's output), cache and return its status."""
    missing = progress.missing_files(kata)
    if missing:
        if prepared is not None:
            prepared.cancel()
        return KataStatus(kata, "missing", message=missing)
    key = progress.kata_key(kata, progress.environment_key(root))
    runs, _ = runner.run_katas(
        root,
        load_catalog(root),
        [kata],
        pytest_args(console, show_output),
        echo=console.out if show_output else None,
        prepared=prepared,
    )
    return progress.remember(root, runs[kata.name], key)


def report(root: Path, status: KataStatus, console: Console) -> int:
    """What the run means for the learner; 0 when the kata passes."""
    style = console.style
    kata = status.kata
    console.print()
    if status.state == "missing":
        console.print(NOT_READY.format(name=kata.name, why=status.message))
        return 1
    cross = style.paint(style.symbol("failing"), "red")
    if status.state == "passed":
        tick = style.paint(style.symbol("passed"), "green")
        console.print(
            style.paint(
                PASSED.format(tick=tick, name=kata.name, total=status.total, unit=unit_of(kata)),
                "bold",
            )
        )
        if kata.solution.is_file():
            console.print(SOLUTION_AT.format(solution=kata.relative(kata.solution), name=kata.name))
        upcoming = progress.next_kata(progress.cached(root), after=kata)
        if upcoming is None:
            console.print(LAST_ONE)
        else:
            folder = upcoming.kata.relative(upcoming.kata.dir)
            console.print(NEXT_KATA.format(folder=folder, name=upcoming.name))
        return 0
    stub = kata.relative(kata.stub)
    if status.state == "not_started":
        lesson = kata.relative(kata.lesson) if kata.lesson.is_file() else kata.relative(kata.dir)
        console.print(NOT_STARTED.format(cross=cross, name=kata.name, lesson=lesson, stub=stub))
    elif status.state == "failing":
        console.print(
            FAILED.format(
                unit=unit_of(kata),
                cross=cross, name=kata.name, passed=status.passed, total=status.total, stub=stub
            )
        )
    else:
        word = progress.STATE_WORDS[status.state]
        console.print(
            BROKEN.format(
                cross=cross,
                name=kata.name,
                state=word,
                message=progress.first_line(status.message, 300),
            )
        )
    if kata.hints:
        console.print(FAILED_HINT.format(name=kata.name))
    return 1


def run_command(root: Path, kata: Kata, console: Console) -> int:
    return report(root, run_once(root, kata, console), console)


def unit_of(kata: Kata) -> str:
    """What a kata's tests are called: steps for a capstone, tests otherwise."""
    return "steps" if kata.steps else "tests"
