"""`dojo`: a group, one kata, one keyboard. A timer announces each driver/navigator
rotation and runs the tests at each one (or reuses their result when kata.py has not
changed since), so the group sees red or green as the keyboard changes hands. It ends
when the kata is green (or on q / Ctrl-C).

Enter runs the tests in the middle of a turn; q then Enter ends the dojo.
"""

from __future__ import annotations

from pathlib import Path

from harness import progress
from harness.catalog import Kata
from harness.progress import KataStatus
from harness.terminal import Console, minutes_seconds
from harness.watch import QUIT_WORDS

WARN_BEFORE = 60.0  # seconds before a rotation when the driver is told to wrap up
TICK = 0.5  # seconds between two looks at the keyboard and the clock

WELCOME = "Dojo on {name}: {title}. Turns of {minutes} min. Read {lesson}; the code goes in {stub}."
KEYS = "Enter runs the tests now; q then Enter ends the dojo."
TURN = "Turn {turn}: {driver} drives, {navigator} navigates — {minutes} min."
TURN_ALONE = "Turn {turn}: {driver} drives — {minutes} min."
TURN_NOBODY = (
    "Turn {turn}: the navigator takes the keyboard, the next person navigates — {minutes} min."
)
WRAP_UP = "1 minute left in this turn: {driver}, finish the step you are on."
ROTATE = "Time! Rotate the keyboard."
RED = "RED   {passed} of {total} tests pass{why}"
GREEN = "GREEN all {total} tests pass"
DONE = "{name} is green after {elapsed} and {turns} turn(s). Well done, everyone."
ENDED = "Dojo ended after {elapsed}, {turns} turn(s); {name} is {state}."


def people_of(text: str | None) -> list[str]:
    return [name.strip() for name in (text or "").split(",") if name.strip()]


def announce_turn(console: Console, turn: int, people: list[str], minutes: float) -> None:
    shown = f"{minutes:g}"
    if not people:
        line = TURN_NOBODY.format(turn=turn, minutes=shown)
    elif len(people) == 1:
        line = TURN_ALONE.format(turn=turn, driver=people[0], minutes=shown)
    else:
        driver = people[(turn - 1) % len(people)]
        navigator = people[turn % len(people)]
        line = TURN.format(turn=turn, driver=driver, navigator=navigator, minutes=shown)
    console.bell()
    console.print(console.style.paint(line, "bold"))


def show_colour(console: Console, status: KataStatus) -> bool:
    """One line, red or green; True when green."""
    style = console.style
    if status.state == "passed":
        console.print(style.paint(GREEN.format(total=status.total), "green", "bold"))
        return True
    why = f" — {status.message.splitlines()[0][:120]}" if status.message.strip() else ""
    console.print(
        style.paint(RED.format(passed=status.passed, total=status.total, why=why), "red", "bold")
    )
    return False


def test_now(root: Path, kata: Kata, console: Console) -> bool:
    """The tests' verdict on kata.py as it is now (the cached one if it has not changed)."""
    return show_colour(console, progress.refresh(root, [kata]).statuses[0])


def dojo_command(
    root: Path,
    kata: Kata,
    console: Console,
    *,
    minutes: float,
    people: list[str],
    turns: int | None = None,
) -> int:
    """Run the dojo; ``turns`` limits how many rotations (None: until green or q)."""
    lesson = kata.relative(kata.lesson) if kata.lesson.is_file() else kata.relative(kata.dir)
    console.print(
        WELCOME.format(
            name=kata.name,
            title=kata.title,
            minutes=f"{minutes:g}",
            lesson=lesson,
            stub=kata.relative(kata.stub),
        )
    )
    console.print(KEYS)
    started = console.clock()
    turn = 0
    turn_seconds = minutes * 60
    green = test_now(root, kata, console)
    try:
        while not green and (turns is None or turn < turns):
            turn += 1
            announce_turn(console, turn, people, minutes)
            ends = console.clock() + turn_seconds
            warned = turn_seconds <= WARN_BEFORE
            while True:
                now = console.clock()
                if now >= ends:
                    break
                if not warned and ends - now <= WARN_BEFORE:
                    warned = True
                    driver = people[(turn - 1) % len(people)] if people else "driver"
                    console.print(console.style.paint(WRAP_UP.format(driver=driver), "yellow"))
                line = console.read_line()
                if line is not None:
                    if line.strip().lower() in QUIT_WORDS:
                        return _ended(kata, console, started, turn, test_now(root, kata, console))
                    if test_now(root, kata, console):
                        green = True
                        break
                    continue
                console.sleep(min(TICK, ends - now))
            if green:
                break
            console.print(ROTATE)
            green = test_now(root, kata, console)
    except KeyboardInterrupt:
        console.print()
        return _ended(kata, console, started, turn, green=False)
    if green:
        elapsed = minutes_seconds(console.clock() - started)
        console.print(
            console.style.paint(DONE.format(name=kata.name, elapsed=elapsed, turns=turn), "green")
        )
        return 0
    return _ended(kata, console, started, turn, green=False)


def _ended(kata: Kata, console: Console, started: float, turn: int, green: bool) -> int:
    elapsed = minutes_seconds(console.clock() - started)
    state = "green" if green else "red"
    console.print(ENDED.format(elapsed=elapsed, turns=turn, name=kata.name, state=state))
    return 0 if green else 1
