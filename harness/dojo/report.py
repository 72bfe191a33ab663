"""The dojo's report: per turn, who drove and navigated, the test runs, the verdict when
the keyboard changed hands, and when the kata went green. Printed at the end and saved
as Markdown (for the retrospective) and JSON (for tools) under ``.harness/dojo/``.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from harness.dojo.lights import Light
from harness.state import harness_dir, write_atomically
from harness.terminal import Console, minutes_seconds

if TYPE_CHECKING:
    from harness.dojo.local import Dojo, Turn

FOLDER = "dojo"
LETTERS = {"red": "R", "amber": "A", "green": "G"}
OUTCOMES = {
    "green": "green after {elapsed}, in turn {turn}",
    "turns": "not green after the {turns} turn(s) asked for ({elapsed})",
    "quit": "ended by the group after {elapsed}, not green",
    "interrupted": "interrupted (Ctrl-C) after {elapsed}, not green",
}
HEADER = "Dojo report — {name}: {title}"
STARTED = "started {verdict} ({passed} of {total} tests pass)"
COLUMNS = ("turn", "driver", "navigator", "runs", "lights", "at the rotation", "green at")
SAVED = "Report saved: {markdown} (and {json} for tools)."
NOT_SAVED = "The report could not be saved in {folder}: {error}"
NOBODY = "—"


def outcome(dojo: Dojo) -> str:
    elapsed = minutes_seconds(dojo.seconds)
    if dojo.outcome == "green":
        return OUTCOMES["green"].format(
            elapsed=minutes_seconds(dojo.green_after or 0), turn=len(dojo.turns)
        )
    text = OUTCOMES.get(dojo.outcome, "{elapsed}").format(elapsed=elapsed, turns=len(dojo.turns))
    if dojo.green_after is not None:
        text += f" (it was green at {minutes_seconds(dojo.green_after)})"
    return text


def rotation_text(light: Light | None) -> str:
    if light is None:
        return "not run"
    return f"{light.colour} {light.passed} of {light.total}"


def rows(dojo: Dojo) -> list[tuple[str, ...]]:
    found = []
    for turn in dojo.turns:
        found.append(
            (
                str(turn.number),
                turn.driver or NOBODY,
                turn.navigator or NOBODY,
                str(len(turn.lights)),
                " ".join(LETTERS[light.colour] for light in turn.lights) or NOBODY,
                rotation_text(turn.at_rotation),
                minutes_seconds(turn.green_at) if turn.green_at is not None else NOBODY,
            )
        )
    return found


def summary(dojo: Dojo) -> list[str]:
    lines = [outcome(dojo)]
    if dojo.before is not None:
        before = dojo.before
        lines.append(
            STARTED.format(verdict=before.colour, passed=before.passed, total=before.total)
        )
    if dojo.people:
        lines.append("people: " + ", ".join(dojo.people))
    lines.append(
        f"turns of {dojo.minutes:g} min; {sum(len(t.lights) for t in dojo.turns)} test runs"
    )
    return lines


def show(dojo: Dojo, console: Console) -> None:
    """The report on the screen: a summary and a table with a row per turn."""
    kata = dojo.kata
    console.print()
    console.print(console.style.paint(HEADER.format(name=kata.name, title=kata.title), "bold"))
    for line in summary(dojo):
        console.print(f"  {line}")
    table = [COLUMNS, *rows(dojo)]
    if len(table) == 1:
        return
    widths = [max(len(row[i]) for row in table) for i in range(len(COLUMNS))]
    console.print()
    for row in table:
        console.print(
            "  " + "  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip()
        )


def markdown(dojo: Dojo) -> str:
    kata = dojo.kata
    started = time.strftime("%Y-%m-%d %H:%M", time.localtime(dojo.started_at))
    lines = [f"# {HEADER.format(name=kata.name, title=kata.title)}", "", f"Started {started}."]
    lines += [f"- {line}" for line in summary(dojo)]
    lines += ["", "## Turns", "", "| " + " | ".join(COLUMNS) + " |"]
    lines.append("|" + "---|" * len(COLUMNS))
    lines += ["| " + " | ".join(row) + " |" for row in rows(dojo)]
    lines += [
        "",
        "## Test runs",
        "",
        "| time | turn | by | result | failing tests |",
        "|---|---|---|---|---|",
    ]
    for light in all_lights(dojo):
        failing = ", ".join(f"`{name}`" for name in light.failing) or NOBODY
        result = f"{light.colour} {light.passed} of {light.total}"
        lines.append(
            f"| {minutes_seconds(light.at)} | {light.turn or 'start'} | {light.trigger} "
            f"| {result} | {failing} |"
        )
    lines += [
        "",
        "## Retrospective",
        "",
        "- What went well?",
        "- What would we do differently?",
        "",
    ]
    return "\n".join(lines)


def all_lights(dojo: Dojo) -> list[Light]:
    found = [dojo.before] if dojo.before is not None else []
    for turn in dojo.turns:
        found += turn.lights
    return found


def turn_json(turn: Turn) -> dict[str, Any]:
    return {
        "number": turn.number,
        "driver": turn.driver,
        "navigator": turn.navigator,
        "started": round(turn.started, 3),
        "ended": None if turn.ended is None else round(turn.ended, 3),
        "runs": [light.to_json() for light in turn.lights],
        "at_rotation": turn.at_rotation.to_json() if turn.at_rotation else None,
        "green_at": None if turn.green_at is None else round(turn.green_at, 3),
    }


def document(dojo: Dojo) -> dict[str, Any]:
    return {
        "kata": dojo.kata.name,
        "title": dojo.kata.title,
        "started_at": dojo.started_at,
        "seconds": round(dojo.seconds, 3),
        "minutes_per_turn": dojo.minutes,
        "people": dojo.people,
        "outcome": dojo.outcome,
        "green_after": None if dojo.green_after is None else round(dojo.green_after, 3),
        "before": dojo.before.to_json() if dojo.before else None,
        "turns": [turn_json(turn) for turn in dojo.turns],
    }


def save(root: Path, dojo: Dojo, console: Console) -> tuple[Path, Path] | None:
    """Write the Markdown and JSON reports; say where (or why not)."""
    folder = harness_dir(root) / FOLDER
    stem = time.strftime("%Y%m%d-%H%M%S", time.localtime(dojo.started_at)) + f"-{dojo.kata.name}"
    paths = unused(folder, stem)
    try:
        write_atomically(paths[0], markdown(dojo))
        write_atomically(paths[1], json.dumps(document(dojo), indent=1) + "\n")
    except OSError as error:
        console.print(NOT_SAVED.format(folder=folder, error=error))
        return None
    shown = [path.relative_to(root).as_posix() for path in paths]
    console.print(SAVED.format(markdown=shown[0], json=shown[1]))
    return paths


def unused(folder: Path, stem: str) -> tuple[Path, Path]:
    """``stem.md`` and ``stem.json``, or ``stem-2...`` when a report of that second exists."""
    candidate, number = stem, 1
    while (folder / f"{candidate}.md").exists() or (folder / f"{candidate}.json").exists():
        number += 1
        candidate = f"{stem}-{number}"
    return folder / f"{candidate}.md", folder / f"{candidate}.json"
