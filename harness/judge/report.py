"""A diagnosis as data — what went wrong, where, what to try — and its one rendering.

Everything the judge says to a learner is a :class:`Diagnosis`: the evidence helpers
raise :class:`Mistake` with one, the plugin turns blocking calls, forgotten awaits,
hangs and plain Python errors into one. It is rendered once, as a few lines:

    your 8 requests ran one at a time: 0.82 s (together they take ≈ 0.10 s)
        GET /dishes/coffee |████          | 0.00–0.10 s
        ...
      katas/02_gather/kata.py:24 in make_breakfast()
          return [await fetch_dish(session, kitchen_url, dish) for dish in menu]
    Try: start them all, then await them together (asyncio.gather or a TaskGroup).

Interview mode renders without the "Try:" line (``hints=False``).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

TRY = "Try: "
MAX_FRAMES = 3  # the learner's frames shown, innermost last
MAX_ALSO = 2  # extra one-line findings (a task that failed unseen, ...)


@dataclass(frozen=True)
class Where:
    """A line of the learner's file, as the learner types its path."""

    file: str
    line: int
    function: str | None = None
    source: str | None = None

    def __str__(self) -> str:
        at = f"{self.file}:{self.line}"
        return f"{at} in {self.function}()" if self.function else at


@dataclass(frozen=True)
class Diagnosis:
    """One failure, in the learner's terms.

    ``what``      what went wrong (one or two sentences, no advice)
    ``fix``       what to try (left out in interview mode)
    ``where``     the learner's frames, outermost first, ending at their line
    ``evidence``  a timeline or chart, drawn as is
    ``also``      further one-line findings that may explain it
    ``kind``      mistake | error | load | timeout (the CLI colours load errors amber)
    """

    what: str
    fix: str | None = None
    where: tuple[Where, ...] = ()
    evidence: str | None = None
    also: tuple[str, ...] = ()
    kind: str = "mistake"

    def with_also(self, *lines: str) -> Diagnosis:
        new = tuple(line for line in lines if line not in self.also and line != self.what)
        return replace(self, also=self.also + new)

    def render(self, *, hints: bool = True) -> str:
        lines = [self.what.rstrip()]
        if self.evidence:
            lines.append(self.evidence.rstrip("\n"))
        frames = self.where[-MAX_FRAMES:]
        for index, place in enumerate(frames):
            lines.append(f"  {place}")
            if index == len(frames) - 1 and place.source:
                lines.append(f"      {place.source.strip()}")
        shown = self.also[:MAX_ALSO]
        lines += [f"Also: {line.rstrip(':')}" for line in shown]
        if len(self.also) > MAX_ALSO:
            lines.append(f"Also: {len(self.also) - MAX_ALSO} more like these.")
        if hints and self.fix:
            lines.append(TRY + self.fix.strip())
        return "\n".join(lines)

    def as_dict(self, *, hints: bool = True) -> dict[str, object]:
        """For the harness CLI (events): the parts, and the rendering (the fix left out
        in interview mode, where ``fix`` itself is None too)."""
        return {
            "what": self.what,
            "where": str(self.where[-1]) if self.where else None,
            "fix": self.fix if hints else None,
            "evidence": self.evidence,
            "also": list(self.also),
            "kind": self.kind,
            "text": self.render(hints=hints),
        }


class Mistake(AssertionError):
    """A failed check whose message is a :class:`Diagnosis`."""

    def __init__(self, diagnosis: Diagnosis) -> None:
        super().__init__(diagnosis.render())
        self.diagnosis = diagnosis


def fail(
    what: str,
    *,
    fix: str | None = None,
    evidence: str | None = None,
    where: tuple[Where, ...] = (),
) -> None:
    """Fail the test with a learner's message: ``fail("...", fix="await it")``."""
    __tracebackhide__ = True
    raise Mistake(Diagnosis(what, fix=fix, evidence=evidence, where=where))


def expect(condition: object, what: str, *, fix: str | None = None, evidence: str | None = None) -> None:
    """``fail(...)`` unless ``condition`` holds: the test's ``assert`` with a split message."""
    __tracebackhide__ = True
    if not condition:
        fail(what, fix=fix, evidence=evidence)


@dataclass
class Findings:
    """What a test left behind that may explain it: one line each, in order, no repeats."""

    lines: list[str] = field(default_factory=list)

    def add(self, line: str) -> None:
        if line not in self.lines:
            self.lines.append(line)
