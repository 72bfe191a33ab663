"""Where the learner stands: each kata's state, cached by the content of its files.

States, in the words `status` uses:

- ``passed``       every test passes
- ``failing``      k of n tests pass
- ``not_started``  kata.py is still the pristine stub (see harness.stubs)
- ``timeout``      a test hung and was stopped; the other katas still report
- ``crashed``      the test process died during this kata
- ``error``        the tests could not be collected (or there are none)
- ``missing``      the kata's folder or one of its files does not exist yet

A result is cached under a key made of the kata's kata.py and test_kata.py (and any
other .py file in its folder), plus an environment key (Python's version, the
harness's own modules, conftest.py and the pytest configuration), so an unchanged
kata is not run again and a changed harness re-runs everything. `status` runs every
stale kata in one pytest session (harness.runner isolates them from each other's
crashes, exits and hangs). Only results that say something about the kata are cached:
not those of a session that was interrupted or killed from outside.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import harness
from harness import runner, stubs
from harness import state as state_module
from harness.catalog import Kata
from harness.catalog import load as load_catalog
from harness.terminal import Console

STATE_WORDS = {
    "passed": "passed",
    "failing": "failing",
    "not_started": "not started",
    "timeout": "hangs",
    "crashed": "crashed",
    "error": "error",
    "missing": "missing",
}
STATE_COLOURS = {
    "passed": "green",
    "failing": "red",
    "not_started": "dim",
    "timeout": "yellow",
    "crashed": "red",
    "error": "red",
    "missing": "yellow",
}
CONFIG_FILES = ("conftest.py", "tox.ini", "pytest.ini", "setup.cfg", "pyproject.toml")

HEADLINE = "asyncio katas — {passed} of {total} pass"
NEXT = "Next: {folder} — run `pytest {folder}`"
NEXT_LESSON = "  Read {lesson}, edit {stub} until the tests pass."
NEXT_HINT = "  Hint: {hint}"
NEXT_MORE_HINTS = "  Stuck? `python -m harness hint {name}` reveals the next hint, one at a time."
NEXT_FIX = "  First fix what stops it: {message}"
ALL_DONE = "Every kata passes. Well done! Time them with `python -m harness bench`."
NOTHING_TO_DO = "No kata is ready to work on: the ones left are missing files."
MISSING_FOLDER = "{folder} does not exist yet"
MISSING_FILE = "{file} is missing"
NO_TESTS = "no tests were found in {file}"
TIMED_OUT = "{test}: {message}"
HINTS_HIDDEN = "  (Hints are hidden until the interview ends.)"


@dataclass
class KataStatus:
    kata: Kata
    state: str
    passed: int = 0
    total: int = 0
    message: str = ""
    tests: list[dict[str, Any]] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.kata.name

    @property
    def ready(self) -> bool:
        """Can the learner work on it? (Its files exist.)"""
        return self.state != "missing"

    def to_json(self) -> dict[str, Any]:
        return {
            "number": self.kata.number,
            "slug": self.kata.slug,
            "name": self.kata.name,
            "title": self.kata.title,
            "level": self.kata.level,
            "state": self.state,
            "passed": self.passed,
            "total": self.total,
            "message": self.message,
        }

    def to_cache(self, key: str) -> dict[str, Any]:
        return {
            "key": key,
            "state": self.state,
            "passed": self.passed,
            "total": self.total,
            "message": self.message,
            "tests": self.tests,
        }

    @classmethod
    def from_cache(cls, kata: Kata, entry: dict[str, Any]) -> KataStatus:
        """From an entry of the state file, which harness.state has already checked."""
        return cls(
            kata, entry["state"], entry["passed"], entry["total"], entry["message"], entry["tests"]
        )


# --- cache keys ------------------------------------------------------------------------------
def missing_files(kata: Kata) -> str:
    """Why the kata cannot run yet, or "" when its files are there."""
    if not kata.dir.is_dir():
        return MISSING_FOLDER.format(folder=kata.relative(kata.dir))
    for path in (kata.tests, kata.stub):
        if not path.is_file():
            return MISSING_FILE.format(file=kata.relative(path))
    return ""


def environment_key(root: Path) -> str:
    digest = hashlib.sha256(sys.version.encode())
    package = Path(harness.__file__).resolve().parent
    for path in sorted(package.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    for name in CONFIG_FILES:
        path = root / name
        if path.is_file():
            digest.update(name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def kata_key(kata: Kata, environment: str) -> str:
    """The content of the kata's Python files, and the environment they run in.

    kata.py and test_kata.py, and any helper module beside them; not editor files such
    as ``.#kata.py`` (a lock that may point nowhere).
    """
    digest = hashlib.sha256(environment.encode())
    for path in sorted(kata.dir.glob("*.py")):
        if path.name.startswith("."):
            continue
        try:
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
        except OSError:
            digest.update(path.name.encode() + b"\0unreadable")
    return digest.hexdigest()


# --- from a run to a state ---------------------------------------------------------------------
def status_of(run: runner.KataRun, untouched: bool) -> KataStatus:
    kata = run.kata
    tests = [
        {
            "name": t.name,
            "outcome": t.outcome,
            "seconds": round(t.seconds, 4),
            "call_seconds": None if t.call_seconds is None else round(t.call_seconds, 4),
            "workload": t.workload,
            "message": t.message,
        }
        for t in run.tests
    ]
    status = KataStatus(kata, "failing", run.passed, run.total, tests=tests)
    timeouts = [t for t in run.tests if t.outcome == "timeout"]
    failures = [t for t in run.tests if t.outcome not in ("passed",)]
    if run.collect_error:
        status.state, status.message = "error", run.collect_error
    elif run.crashed and not run.hung:
        status.state, status.message = "crashed", run.crashed
    elif timeouts or run.hung:
        status.state = "timeout"
        status.message = (
            run.crashed
            if not timeouts
            else TIMED_OUT.format(test=timeouts[0].name, message=timeouts[0].message)
        )
    elif run.total == 0:
        status.state, status.message = "error", NO_TESTS.format(file=kata.relative(kata.tests))
    elif run.passed == run.total:
        status.state = "passed"
    elif untouched:
        status.state = "not_started"
    elif failures:
        status.message = failures[0].message
    return status


# --- refresh -----------------------------------------------------------------------------------
@dataclass
class Progress:
    """The statuses of the katas asked about, and how they were obtained."""

    statuses: list[KataStatus]
    ran: list[str] = field(default_factory=list)  # the katas whose tests ran now
    sessions: list[runner.Session] = field(default_factory=list)

    def get(self, name: str) -> KataStatus | None:
        return next((s for s in self.statuses if s.name == name), None)


def refresh(
    root: Path,
    katas: Iterable[Kata] | None = None,
    *,
    fresh: bool = False,
    idle_limit: float | None = None,
) -> Progress:
    """The status of ``katas`` (all by default): cached where unchanged, else run now."""
    catalog = load_catalog(root)
    wanted = list(catalog if katas is None else katas)
    cache = state_module.load(root).section("results")
    environment = environment_key(root)
    statuses: dict[str, KataStatus] = {}
    stale: list[Kata] = []
    keys: dict[str, str] = {}
    for kata in wanted:
        missing = missing_files(kata)
        if missing:
            statuses[kata.name] = KataStatus(kata, "missing", message=missing)
            continue
        keys[kata.name] = key = kata_key(kata, environment)
        entry = cache.get(kata.name)
        if not fresh and entry is not None and entry["key"] == key:
            statuses[kata.name] = KataStatus.from_cache(kata, entry)
            continue
        stale.append(kata)
    progress = Progress([], ran=[k.name for k in stale])
    if stale:
        pristine = stubs.pristine(root, stale)
        untouched = {k.name for k in stale if stubs.is_untouched(k, pristine.get(k.name))}
        runs, progress.sessions = runner.run_katas(
            root, catalog, stale, ["-q", "--tb=no"], idle_limit=idle_limit, untouched=untouched
        )
        fresh_results = {}
        for kata in stale:
            run = runs[kata.name]
            statuses[kata.name] = status = status_of(run, kata.name in untouched)
            if run.cacheable:
                fresh_results[kata.name] = status.to_cache(keys[kata.name])
        state_module.update(root, lambda state: state.section("results").update(fresh_results))
    progress.statuses = [statuses[kata.name] for kata in wanted]
    return progress


def cached(root: Path) -> list[KataStatus]:
    """Every kata's status as far as the cache knows, without running anything.

    A kata whose files changed since its last run is ``unknown``: enough to find the
    next kata to work on after a run, where running every other kata would be slow.
    """
    catalog = load_catalog(root)
    cache = state_module.load(root).section("results")
    environment = environment_key(root)
    statuses = []
    for kata in catalog:
        missing = missing_files(kata)
        entry = cache.get(kata.name)
        if missing:
            statuses.append(KataStatus(kata, "missing", message=missing))
        elif entry is not None and entry["key"] == kata_key(kata, environment):
            statuses.append(KataStatus.from_cache(kata, entry))
        else:
            statuses.append(KataStatus(kata, "unknown"))
    return statuses


def remember(root: Path, run: runner.KataRun, key: str) -> KataStatus:
    """Turn a run made elsewhere (``run``, ``watch``) into a status, and cache it."""
    pristine = stubs.pristine(root, [run.kata]).get(run.kata.name)
    status = status_of(run, stubs.is_untouched(run.kata, pristine))
    if run.cacheable:
        entry = {run.kata.name: status.to_cache(key)}
        state_module.update(root, lambda state: state.section("results").update(entry))
    return status


def next_kata(statuses: list[KataStatus], after: Kata | None = None) -> KataStatus | None:
    """The first kata not passed yet, in catalog order (after ``after``, if given)."""
    ordered = statuses
    if after is not None:
        index = next((i for i, s in enumerate(statuses) if s.kata == after), -1)
        ordered = statuses[index + 1 :] + statuses[: index + 1]
    return next((s for s in ordered if s.ready and s.state != "passed"), None)


def interview_in_progress(root: Path, now: float) -> dict[str, Any] | None:
    interview = state_module.load(root).data.get("interview")  # checked: ends_at is a time
    if interview is not None and interview["ends_at"] > now:
        return interview
    return None


# --- the status view ---------------------------------------------------------------------------
def first_line(text: str, width: int = 100) -> str:
    line = next((part.strip() for part in text.splitlines() if part.strip()), "")
    return line if len(line) <= width else line[: width - 1] + "…"


def state_phrase(status: KataStatus) -> str:
    word = STATE_WORDS[status.state]
    if status.state in ("passed", "failing", "timeout", "not_started") and status.total:
        unit = " steps" if status.kata.steps else ""  # a capstone: each test is a step
        return f"{word} ({status.passed} of {status.total}{unit})"
    return word


def render_status(progress: Progress, console: Console, hints_hidden: bool = False) -> None:
    style = console.style
    statuses = progress.statuses
    passed = sum(s.state == "passed" for s in statuses)
    console.print(style.paint(HEADLINE.format(passed=passed, total=len(statuses)), "bold"))
    console.print(style.bar(passed, len(statuses)))
    console.print()
    width = max((len(s.name) for s in statuses), default=0)
    for status in statuses:
        colour = STATE_COLOURS[status.state]
        line = f"  {style.paint(style.symbol(status.state), colour)} {status.name:<{width}}  "
        line += style.paint(state_phrase(status), colour)
        if status.message and status.state != "not_started":
            line += style.paint(f"  {first_line(status.message)}", "dim")
        console.print(line)
    console.print()
    upcoming = next_kata(statuses)
    if upcoming is None:
        console.print(style.paint(ALL_DONE, "green") if passed == len(statuses) else NOTHING_TO_DO)
        return
    render_next(upcoming, console, hints_hidden)


def render_next(status: KataStatus, console: Console, hints_hidden: bool = False) -> None:
    kata = status.kata
    folder = kata.relative(kata.dir)
    console.print(console.style.paint(NEXT.format(folder=folder), "bold"))
    lesson = kata.relative(kata.lesson) if kata.lesson.is_file() else kata.relative(kata.dir)
    console.print(NEXT_LESSON.format(lesson=lesson, stub=kata.relative(kata.stub)))
    if status.state in ("error", "crashed", "timeout") and status.message:
        console.print(NEXT_FIX.format(message=first_line(status.message, 200)))
    if hints_hidden:
        console.print(HINTS_HIDDEN)
    elif kata.hints:
        console.print(NEXT_HINT.format(hint=kata.hints[0]))
        if len(kata.hints) > 1:
            console.print(NEXT_MORE_HINTS.format(name=kata.name))


def status_document(progress: Progress) -> dict[str, Any]:
    statuses = progress.statuses
    upcoming = next_kata(statuses)
    return {
        "katas": [s.to_json() for s in statuses],
        "passed": sum(s.state == "passed" for s in statuses),
        "total": len(statuses),
        "next": upcoming.name if upcoming else None,
    }


def status_command(
    root: Path, console: Console, *, as_json: bool = False, fresh: bool = False
) -> int:
    progress = refresh(root, fresh=fresh)
    if as_json:
        console.print(json.dumps(status_document(progress), indent=2))
        return 0
    hidden = interview_in_progress(root, console.now()) is not None
    render_status(progress, console, hints_hidden=hidden)
    return 0
