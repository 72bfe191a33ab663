"""What the harness reveals, and when: hints one level per call (they go from a nudge to
nearly the answer, so they are never shown all at once), and the reference solution
only once the learner's kata passes.
"""

from __future__ import annotations

from pathlib import Path

from harness import progress
from harness import state as state_module
from harness.catalog import Kata
from harness.terminal import Console

HINT_HEADER = "Hint {level} of {count} for {name}:"
HINT_EARLIER = "Earlier hints:"
HINTS_LEFT = "{left} more: run `python -m harness hint {name}` again."
HINTS_DONE = (
    "That was the last hint. Still stuck? Read {lesson} again, or run the tests and read "
    "the first failure slowly: it says what was expected."
)
NO_HINTS = "{name} has no hints. Read {lesson} and the first failing test's message."
HINTS_HIDDEN = (
    "Hints are hidden during the interview on {name}: they come back when it ends, in {left}."
)

SOLUTION_LOCKED = (
    "The reference solution of {name} opens once your kata passes ({state} now).\n"
    "Keep going: python -m harness run {name}   Stuck? python -m harness hint {name}\n"
    "To see it anyway: python -m harness solution {name} --force"
)
SOLUTION_WARNING = (
    "Warning: {name} does not pass yet. Reading the answer first skips the part that "
    "teaches; try the next hint before you read on."
)
SOLUTION_HEADER = "The reference solution of {name}: {path}"
SOLUTION_MISSING = "{name} has no reference solution yet ({path} is missing)."
SOLUTION_OTHERS = "Known wrong versions, with the mistake each one teaches: {files}"


def revealed(root: Path, kata: Kata) -> int:
    hints = state_module.load(root).section("hints")  # checked: whole numbers from 0
    return min(hints.get(kata.name, 0), len(kata.hints))


def hint_command(root: Path, kata: Kata, console: Console) -> int:
    """Reveal one more hint of ``kata`` (or the last one again) and show the earlier ones."""
    style = console.style
    lesson = kata.relative(kata.lesson)
    interview = progress.interview_in_progress(root, console.now())
    if interview is not None and interview.get("kata") == kata.name:
        left = interview["ends_at"] - console.now()
        minutes = f"{int(left // 60)} min {int(left % 60)} s"
        console.print(HINTS_HIDDEN.format(name=kata.name, left=minutes))
        return 1
    if not kata.hints:
        console.print(NO_HINTS.format(name=kata.name, lesson=lesson))
        return 0
    level = min(revealed(root, kata) + 1, len(kata.hints))

    def reveal(state: state_module.State) -> None:  # the count on disk now: never lower it
        hints = state.section("hints")
        hints[kata.name] = max(level, hints.get(kata.name, 0))

    state_module.update(root, reveal)
    if level > 1:
        console.print(style.paint(HINT_EARLIER, "dim"))
        for number, text in enumerate(kata.hints[: level - 1], 1):
            console.print(style.paint(f"  {number}. {text}", "dim"))
        console.print()
    header = HINT_HEADER.format(level=level, count=len(kata.hints), name=kata.name)
    console.print(style.paint(header, "bold"))
    console.print(f"  {kata.hints[level - 1]}")
    console.print()
    left = len(kata.hints) - level
    console.print(
        HINTS_LEFT.format(left=left, name=kata.name) if left else HINTS_DONE.format(lesson=lesson)
    )
    return 0


def solution_command(root: Path, kata: Kata, console: Console, *, force: bool = False) -> int:
    """Print the reference solution, but only once the kata passes (or with ``force``)."""
    style = console.style
    if not kata.solution.is_file():
        console.print(SOLUTION_MISSING.format(name=kata.name, path=kata.relative(kata.solution)))
        return 1
    status = progress.refresh(root, [kata]).statuses[0]
    if status.state != "passed":
        if not force:
            phrase = progress.state_phrase(status)
            console.print(SOLUTION_LOCKED.format(name=kata.name, state=phrase))
            return 1
        console.print(style.paint(SOLUTION_WARNING.format(name=kata.name), "yellow"))
        console.print()
    console.print(
        style.paint(
            SOLUTION_HEADER.format(name=kata.name, path=kata.relative(kata.solution)), "bold"
        )
    )
    console.print()
    console.print(kata.solution.read_text(encoding="utf-8").rstrip())
    if kata.wrong_variants:
        console.print()
        files = ", ".join(kata.relative(path) for path in kata.wrong_variants)
        console.print(style.paint(SOLUTION_OTHERS.format(files=files), "dim"))
    return 0
