"""What the harness writes to the learner's terminal, and what it reads back.

Colour only on a terminal that understands escape sequences (on Windows, a console
with virtual terminal processing; see harness.portable) and never with ``NO_COLOR``
(https://no-color.org); symbols fall back to ASCII where the terminal's encoding
cannot show them. Notes (a damaged state file set aside) go to standard error, so
``--json`` output stays a JSON document. The interactive
commands (watch, dojo, interview) take a :class:`Console`, so their clock, sleep and
keyboard can be replaced in tests and nothing waits for real.
"""

from __future__ import annotations

import os
import queue
import sys
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TextIO

from harness import portable

COLOURS = {"red": "31", "green": "32", "yellow": "33", "blue": "34", "bold": "1", "dim": "2"}
CLEAR_SCREEN = "\x1b[H\x1b[2J\x1b[3J"

SYMBOLS = {
    "passed": ("✓", "ok"),
    "failing": ("✗", "x"),
    "not_started": ("·", "."),
    "timeout": ("⏱", "T"),
    "crashed": ("!", "!"),
    "error": ("!", "!"),
    "missing": ("?", "?"),
}
BAR_FULL = ("█", "#")
BAR_EMPTY = ("░", "-")


def wants_colour(stream: TextIO, env: Mapping[str, str], escapes: bool | None = None) -> bool:
    """Colour where the terminal shows it, unless NO_COLOR is set to anything but ""."""
    if env.get("NO_COLOR"):
        return False
    return portable.understands_escapes(stream, env) if escapes is None else escapes


def can_show(stream: TextIO, text: str) -> bool:
    encoding = getattr(stream, "encoding", None) or "utf-8"
    try:
        text.encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return False
    return True


class Style:
    def __init__(self, stream: TextIO, env: Mapping[str, str] | None = None) -> None:
        env = os.environ if env is None else env
        self.escapes = portable.understands_escapes(stream, env)  # colour, clearing the screen
        self.colour = wants_colour(stream, env, self.escapes)
        self.unicode = can_show(stream, "✓✗·⏱█░—×")

    def paint(self, text: str, *colours: str) -> str:
        if not self.colour or not colours:
            return text
        codes = ";".join(COLOURS[c] for c in colours)
        return f"\x1b[{codes}m{text}\x1b[0m"

    def symbol(self, state: str) -> str:
        fancy, plain = SYMBOLS.get(state, ("?", "?"))
        return fancy if self.unicode else plain

    def text(self, fancy: str, plain: str) -> str:
        """``fancy`` where the terminal can show it, else ``plain`` (✓ or ok, — or -)."""
        return fancy if self.unicode else plain

    def bar(self, done: int, total: int, width: int = 30) -> str:
        filled = round(width * done / total) if total else 0
        full = BAR_FULL[0] if self.unicode else BAR_FULL[1]
        empty = BAR_EMPTY[0] if self.unicode else BAR_EMPTY[1]
        percent = round(100 * done / total) if total else 0
        bar = self.paint(full * filled, "green") + empty * (width - filled)
        return f"[{bar}] {done}/{total} {percent}%"


class LineReader:
    """Lines typed on stdin, read by a background thread so that waiting never blocks.

    At end of input (stdin closed or not a terminal) it simply has no more lines; the
    commands go on watching files.
    """

    def __init__(self, stream: TextIO | None = None) -> None:
        self._stream = stream or sys.stdin
        self._lines: queue.Queue[str] = queue.Queue()
        self._thread: threading.Thread | None = None

    def _read(self) -> None:
        try:
            for line in self._stream:
                self._lines.put(line.rstrip("\r\n"))
        except (OSError, ValueError):  # stdin closed under us
            return

    def __call__(self) -> str | None:
        if self._thread is None:
            self._thread = threading.Thread(target=self._read, name="stdin-lines", daemon=True)
            self._thread.start()
        try:
            return self._lines.get_nowait()
        except queue.Empty:
            return None


def ask_yes_no(question: str, read: Callable[[str], str] = input) -> bool:
    """True only for an explicit yes; end of input counts as no."""
    try:
        answer = read(f"{question} [y/N] ")
    except EOFError:
        return False
    return answer.strip().lower() in ("y", "yes")


@dataclass
class Console:
    """Where a command writes and how it waits. Tests pass fakes for every field."""

    out: TextIO = field(default_factory=lambda: sys.stdout)
    err: TextIO = field(default_factory=lambda: sys.stderr)
    env: Mapping[str, str] = field(default_factory=lambda: os.environ)
    clock: Callable[[], float] = time.monotonic  # for intervals
    now: Callable[[], float] = time.time  # wall time, for what outlives the process
    sleep: Callable[[float], None] = time.sleep
    read_line: Callable[[], str | None] = field(default_factory=LineReader)  # non-blocking
    ask: Callable[[str], str] = input  # a blocking question (reset's confirmation)

    def __post_init__(self) -> None:
        self.style = Style(self.out, self.env)
        isatty = getattr(self.out, "isatty", None)
        self.tty = bool(isatty and isatty())

    def print(self, text: str = "") -> None:
        try:
            self.out.write(text + "\n")
        except UnicodeEncodeError:  # a terminal that cannot show "—" or "×": show "?"
            encoding = getattr(self.out, "encoding", None) or "ascii"
            self.out.write(text.encode(encoding, "replace").decode(encoding) + "\n")
        self.out.flush()

    def note(self, text: str) -> None:
        """A line about the harness itself (not the katas), on standard error."""
        try:
            self.err.write(text + "\n")
            self.err.flush()
        except (OSError, UnicodeEncodeError, ValueError):
            pass  # nowhere to say it: the note is not worth failing the command over

    def clear(self) -> None:
        """Clear the screen between runs on a terminal; elsewhere, a separator line."""
        if self.style.escapes:
            self.out.write(CLEAR_SCREEN)
        else:
            self.out.write("\n" + "-" * 72 + "\n")
        self.out.flush()

    def bell(self) -> None:
        if self.tty:
            self.out.write("\a")
            self.out.flush()


def minutes_seconds(seconds: float) -> str:
    seconds = max(0, round(seconds))
    return f"{seconds // 60}:{seconds % 60:02d}"
