"""What Python reports out of band while a kata test runs, attributed to that test.

A coroutine never awaited, a task whose exception nobody retrieved, a task destroyed
while pending, an unclosed aiohttp session: Python reports these from ``__del__``, as a
warning, an "Exception ignored" (``sys.unraisablehook``) or a log record of the
``asyncio`` logger — often after the test, and then after pytest's summary. While a
kata test runs, :class:`Aftermath` takes all three (public hooks only), collects the
garbage before the test ends, and turns each into one :class:`Finding`, so the report
names it once, as part of the test that caused it. asyncio's other log records (debug
mode's slow callbacks) go on to the handlers they would reach, but pytest's capture.
"""

from __future__ import annotations

import gc
import logging
import re
import sys
import traceback
import warnings
from dataclasses import dataclass, field
from typing import Any

import pytest

from harness.judge.frames import LearnerFile
from harness.judge.report import Diagnosis

NEVER_AWAITED = r"coroutine .* was never awaited"
_ORIGIN = re.compile(r'File "(?P<file>[^"]+)", line (?P<line>\d+), in (?P<func>\S+)')
_CORO = re.compile(r"coro=<(?P<name>[\w.<>]+)\(\) (?:running|done), (?:defined )?at (?P<file>.+?):(?P<line>\d+)>")


@dataclass(frozen=True)
class Finding:
    """One thing left behind. ``cause`` findings explain a failure on their own."""

    kind: str  # never_awaited | task_exception | task_pending | unclosed | ignored
    diagnosis: Diagnosis

    @property
    def line(self) -> str:
        return self.diagnosis.what


@dataclass
class Aftermath:
    learner: LearnerFile
    findings: list[Finding] = field(default_factory=list)

    _caught: list[warnings.WarningMessage] = field(default_factory=list)
    _undo: list[Any] = field(default_factory=list)
    _others: list[warnings.WarningMessage] = field(default_factory=list)

    def start(self) -> None:
        """Take warnings, unraisables and asyncio's log records until :meth:`stop`."""
        asyncio_log = logging.getLogger("asyncio")
        # A logger's filter sees each record before any handler, pytest's capture included:
        # taking it there keeps asyncio's reports (with their library tracebacks) out of
        # the "Captured log" sections; what they say is in the diagnosis instead. First in
        # line: a filter that drops a record (LateReports drops those naming a kata's
        # files) stops the filters after it from seeing it at all.
        asyncio_log.filters.insert(0, self._take)
        previous_hook = sys.unraisablehook
        sys.unraisablehook = self._unraisable
        catching = warnings.catch_warnings(record=True)
        self._caught = catching.__enter__()
        warnings.filterwarnings("always", message=NEVER_AWAITED, category=RuntimeWarning)
        # Sockets left open when a blocking call was interrupted are consequences.
        warnings.filterwarnings("always", category=ResourceWarning)

        def undo() -> None:
            catching.__exit__(None, None, None)
            sys.unraisablehook = previous_hook
            asyncio_log.removeFilter(self._take)

        self._undo.append(undo)

    def collect(self) -> list[Finding]:
        """Finalise what the test dropped, while it is still this test's; the new findings."""
        before = len(self.findings)
        gc.collect()
        caught, self._caught[:] = list(self._caught), []
        for warning in caught:
            self._warning(warning)
        return self.findings[before:]

    def stop(self) -> None:
        while self._undo:
            self._undo.pop()()
        others, self._others = self._others, []
        for warning in others:
            warnings.warn_explicit(warning.message, warning.category, warning.filename, warning.lineno)

    def of_kind(self, *kinds: str) -> list[Finding]:
        return [f for f in self.findings if f.kind in kinds]

    def _add(self, kind: str, diagnosis: Diagnosis) -> None:
        if all(f.diagnosis.what != diagnosis.what for f in self.findings):
            self.findings.append(Finding(kind, diagnosis))

    # --- the three channels -------------------------------------------------------------
    def _warning(self, warning: warnings.WarningMessage) -> None:
        text = str(warning.message)
        if re.match(NEVER_AWAITED, text):
            self._add("never_awaited", self._never_awaited(text, warning))
        elif warning.category is ResourceWarning and "ClientSession" not in text:
            return  # an unclosed socket or file: a consequence, named by what caused it
        elif warning.category is ResourceWarning:
            self._add("unclosed", _unclosed_session())
        else:
            self._others.append(warning)  # not ours to explain: given back to pytest at stop

    def _unraisable(self, unraisable: Any) -> None:
        value = unraisable.exc_value
        text = f"{type(value).__name__}: {value}" if value is not None else "an error"
        if isinstance(value, RuntimeWarning) and re.match(NEVER_AWAITED, str(value)):
            self._add("never_awaited", self._never_awaited(str(value), None))
            return
        if isinstance(value, ResourceWarning):
            if "ClientSession" in str(value):
                self._add("unclosed", _unclosed_session())
            return
        where = self.learner.traceback(unraisable.exc_traceback)
        owner = unraisable.object
        described = getattr(owner, "__qualname__", None) or type(owner).__name__
        self._add(
            "ignored",
            Diagnosis(f"Python ignored {text}, raised while cleaning up {described}.", where=where),
        )

    def _take(self, record: logging.LogRecord) -> bool:
        try:
            if not self.record(record):
                _pass_on(record)
        except Exception:  # noqa: BLE001 - a report about a report must never break the test
            traceback.print_exc()
        return False

    def record(self, record: logging.LogRecord) -> bool:
        """Turn a report of asyncio's into a finding; whether the judge explains it."""
        message = record.getMessage()
        if message.startswith("Task exception was never retrieved"):
            self._add("task_exception", self._task_exception(message, record.exc_info))
        elif message.startswith("Task was destroyed but it is pending"):
            self._add("task_pending", self._task_pending(message))
        elif message.startswith(("Unclosed client session", "Unclosed connector")):
            self._add("unclosed", _unclosed_session())
        else:
            if record.levelno >= logging.ERROR:
                first = message.splitlines()[0] if message else "an error"
                self._add("ignored", Diagnosis(f"asyncio reported: {first}"))
            return False
        return True

    # --- what each one says -------------------------------------------------------------------
    def _never_awaited(self, text: str, warning: warnings.WarningMessage | None) -> Diagnosis:
        name = text.split("'")[1] if "'" in text else "?"
        created = [m for m in _ORIGIN.finditer(text) if m["file"] == self.learner.path]
        if created:
            where = tuple(self.learner.at(int(m["line"]), m["func"]) for m in created[-3:])
        else:
            where = ()
        short = name.rsplit(".", 1)[-1]
        at = f" at {where[-1].file}:{where[-1].line}" if where else ""
        return Diagnosis(
            f"coroutine {short}() was created{at} but never awaited, so it never ran.",
            fix=f"write `await {short}(...)` (or hand it to asyncio.create_task or a TaskGroup).",
            where=where,
        )

    def _task_exception(self, message: str, exc_info: Any) -> Diagnosis:
        error = exc_info[1] if exc_info else None
        name = self._coroutine_name(message)
        where = self.learner.traceback(error.__traceback__) if error is not None else ()
        failed = f"{type(error).__name__}: {error}" if error is not None else "an error"
        return Diagnosis(
            f"a task running {name} failed with {failed}, and nothing awaited it, so the "
            "error went unseen.",
            fix="keep the task and await it (or start it in a TaskGroup) so its error reaches you.",
            where=where,
        )

    def _task_pending(self, message: str) -> Diagnosis:
        name = self._coroutine_name(message)
        found = _CORO.search(message)
        where = ()
        if found and found["file"] == self.learner.path:
            where = (self.learner.at(int(found["line"]), found["name"]),)
        return Diagnosis(
            f"a task running {name} was still pending when the event loop closed: nothing "
            "awaited or cancelled it.",
            fix="keep a reference to the task and await it before returning (or cancel it and await it).",
            where=where,
        )

    @staticmethod
    def _coroutine_name(message: str) -> str:
        found = _CORO.search(message)
        return f"{found['name'].rsplit('.', 1)[-1]}()" if found else "a coroutine"


def _pass_on(record: logging.LogRecord) -> None:
    """A record the judge does not explain — a slow callback that debug mode reports, say —
    still reaches the handlers it would reach without the judge (the learner's own, on
    the asyncio logger or the root logger: kata 24 asks for one), never pytest's capture."""
    logger: logging.Logger | None = logging.getLogger("asyncio")
    while logger is not None:
        for handler in logger.handlers:
            if type(handler).__module__.startswith("_pytest"):
                continue  # pytest's capture: the report says what matters, once
            if record.levelno >= handler.level:
                handler.handle(record)
        logger = logger.parent if logger.propagate else None


def _unclosed_session() -> Diagnosis:
    return Diagnosis(
        "an aiohttp.ClientSession was never closed.",
        fix="open it with `async with aiohttp.ClientSession() as session:` so it closes on every path.",
    )


class LateReports:
    """What kata tests leave for the very end of the run, dropped instead of printed.

    A test stopped in the middle of a hang can leave a task pending on a loop that is
    gone; it is destroyed when the interpreter exits, and asyncio would then print
    "Task was destroyed but it is pending!" after pytest's summary. Such a test was
    already reported as failed, with its diagnosis. Only reports that name a kata's
    files are dropped (the repository's own tests keep theirs).
    """

    def __init__(self, kata_paths: tuple[str, ...]) -> None:
        self.kata_paths = kata_paths
        logging.getLogger("asyncio").addFilter(self._drop)

    def _drop(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken record is not ours to judge
            return True
        return not any(path in message for path in self.kata_paths)

    @pytest.hookimpl(tryfirst=True)
    def pytest_unconfigure(self) -> None:
        """Before pytest's own last collection: finalise what kata tests left, quietly."""
        previous = sys.unraisablehook
        sys.unraisablehook = self._ignore
        try:
            gc.collect()
        finally:
            sys.unraisablehook = previous

    def _ignore(self, unraisable: Any) -> None:
        if isinstance(unraisable.exc_value, ResourceWarning):
            return  # an unclosed socket or transport of a test that is over: a consequence
        text = f"{unraisable.object!r} {unraisable.exc_value!r}"
        if not any(path in text for path in self.kata_paths):
            sys.__stderr__.write(f"Exception ignored in: {unraisable.object!r}: {unraisable.exc_value!r}\n")
