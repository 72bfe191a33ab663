"""Author-side checks of the curriculum (rustlings' `dev check`, for this repository).

Structure is checked by reading files; behaviour by running pytest in a subprocess,
exactly as a learner would, so the checks see the same output a learner sees.
"""

from __future__ import annotations

import ast
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from harness import stubs
from harness.catalog import Catalog
from harness.prefork import KILLED, Prefork

MISTAKE_MARK = "# <- mistake"
MIN_WRONG = 3  # known-wrong variants per kata
MIN_RIGHT = 2  # accepted variants per kata
# What a learner reads per failing test (its headline, diagnosis, timeline): the budget.
MAX_LINES_PER_FAILURE = 20
MEDIAN_LINES_PER_FAILURE = 8
# pytest pads a failing test's headline with underscores: at least one on each side for a long name.
_SECTION = re.compile(r"^_+ .+ _+$")
_BANNER = re.compile(r"^={3,}( .* )?={3,}$")
_SUMMARY = re.compile(r"^=*\s*\d+ (passed|failed|error|errors|skipped|to do)\b.* in [\d.]+s\b.*$")
# Lines that only pytest's own traceback or a library frame would print.
_LIBRARY = re.compile(r"site-packages|Traceback \(most recent call last\)|/asyncio/|^E   |^>   ")
TIMED_OUT = -1  # the returncode of a run that had to be killed
STUCK = "the pytest process did not exit within {seconds:g} s and was killed"


@dataclass(frozen=True)
class Run:
    """One pytest run in a subprocess: exit code, output, wall time."""

    returncode: int
    output: str
    seconds: float


def run_pytest(root: Path, *args: str, timeout: float = 60) -> Run:
    env = _environment()
    # As a learner runs it: default verbosity, so the checks read what a learner reads.
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args]
    started = time.perf_counter()
    try:
        done = subprocess.run(
            command, cwd=root, env=env, capture_output=True, text=True, timeout=timeout
        )
    except subprocess.TimeoutExpired as stuck:  # this run's check fails, not every check
        output = "".join(_text(part) for part in (stuck.stdout, stuck.stderr))
        return Run(TIMED_OUT, f"{output}\n{STUCK.format(seconds=timeout)}", timeout)
    return Run(done.returncode, done.stdout + done.stderr, time.perf_counter() - started)


def _text(part: str | bytes | None) -> str:
    return part.decode(errors="replace") if isinstance(part, bytes) else (part or "")


def run_all(root: Path, jobs: dict[str, list[str]], workers: int = 2) -> dict[str, Run]:
    """Run several pytest sessions, ``workers`` at a time (the machine has 2 cores).

    Where the platform can fork, one warm pytest process (harness.prefork) forks a child
    per session, so start-up is paid once; otherwise each is a subprocess of its own.
    """
    if not Prefork.available():
        with ThreadPoolExecutor(workers) as pool:
            futures = {key: pool.submit(run_pytest, root, *args) for key, args in jobs.items()}
            return {key: future.result() for key, future in futures.items()}
    warm = Prefork(root, _environment())
    try:
        with tempfile.TemporaryDirectory(prefix="harness-checks-") as folder, ThreadPoolExecutor(workers) as pool:
            futures = {
                key: pool.submit(_run_warm, warm, root, Path(folder) / f"{index}.txt", args)
                for index, (key, args) in enumerate(jobs.items())
            }
            return {key: future.result() for key, future in futures.items()}
    finally:
        warm.close()


def _run_warm(warm: Prefork, root: Path, output: Path, args: list[str], timeout: float = 60) -> Run:
    code, seconds = warm.run(root, ["-p", "no:cacheprovider", *args], output, timeout)
    text = output.read_text(encoding="utf-8", errors="replace") if output.exists() else ""
    if code == KILLED:
        return Run(TIMED_OUT, f"{text}\n{STUCK.format(seconds=timeout)}", timeout)
    return Run(code, text, seconds)


def _environment() -> dict[str, str]:
    env = {**os.environ, "NO_COLOR": "1", "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("PYTEST_ADDOPTS", None)
    return env


def expected_mistake(variant: Path) -> tuple[str, ...] | None:
    """The variant's ``MISTAKE`` text(s), with ``{line}`` set to the line marked as the mistake.

    ``MISTAKE`` is a string, or a tuple of strings that must all appear (say, the
    diagnosis and ``wrong_x.py:{line}``, which the report prints on a line of its own).
    """
    source = variant.read_text(encoding="utf-8")
    for node in ast.parse(source).body:
        if not (
            isinstance(node, ast.Assign)
            and [getattr(t, "id", None) for t in node.targets] == ["MISTAKE"]
        ):
            continue
        try:
            value = ast.literal_eval(node.value)
        except ValueError:
            return None
        parts = (value,) if isinstance(value, str) else value
        if not isinstance(parts, tuple) or not parts or not all(isinstance(p, str) and p for p in parts):
            return None
        if any("{line}" in part for part in parts):
            marked = [n for n, line in enumerate(source.splitlines(), 1) if MISTAKE_MARK in line]
            if len(marked) != 1:
                return None
            parts = tuple(part.replace("{line}", str(marked[0])) for part in parts)
        return parts
    return None


# --- what a learner reads ---------------------------------------------------------------------
def failure_sections(output: str) -> list[list[str]]:
    """Each failing test's part of a run's output: its headline and what follows it."""
    sections: list[list[str]] = []
    current: list[str] | None = None
    for line in output.splitlines():
        if _SECTION.match(line):
            current = [line]
            sections.append(current)
        elif _BANNER.match(line):
            current = None
        elif current is not None:
            current.append(line)
    for section in sections:
        while section and (not section[-1].strip() or section[-1].startswith("pytest's own traceback")):
            section.pop()
    return sections


def after_summary(output: str) -> list[str]:
    """The non-empty lines printed after pytest's final summary line (there should be none)."""
    lines = output.rstrip().splitlines()
    for index in range(len(lines) - 1, -1, -1):
        if _SUMMARY.match(lines[index]):
            return [line for line in lines[index + 1 :] if line.strip()]
    return ["(no summary line)"]


def library_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if _LIBRARY.search(line)]


def report_problems(output: str) -> list[str]:
    """How one run's output breaks the learner-report rules (the line budget and the rest)."""
    problems = []
    for section in failure_sections(output):
        if len(section) > MAX_LINES_PER_FAILURE:
            problems.append(
                f"{section[0].strip('_ ')!r} takes {len(section)} lines (at most "
                f"{MAX_LINES_PER_FAILURE})"
            )
    late = after_summary(output)
    if late:
        problems.append(f"{len(late)} line(s) after the summary, first: {late[0]!r}")
    library = library_lines(output)
    if library:
        problems.append(f"{len(library)} line(s) of traceback or library frames, first: {library[0]!r}")
    return problems


def median_lines(outputs: list[str]) -> float:
    sizes = [len(section) for output in outputs for section in failure_sections(output)]
    return statistics.median(sizes) if sizes else 0.0


def structure_problems(catalog: Catalog) -> list[str]:
    """Missing files, TODO-less stubs, unmarked variants, folders the catalog lacks."""
    found = []
    committed = stubs.from_git(catalog.root, catalog)  # a learner's solved kata is not a defect
    for kata in catalog:
        for path in (kata.lesson, kata.stub, kata.tests, kata.solution):
            if not path.is_file():
                found.append(f"{kata.relative(path)} is missing")
        if kata.stub.is_file():
            original = committed.get(kata.name) or kata.stub.read_bytes()
            stub = original.decode("utf-8", errors="replace")
            if "TODO" not in stub:
                found.append(f"{kata.relative(kata.stub)} has no TODO for the learner")
            if not stub.lstrip().startswith('"""'):
                found.append(f"{kata.relative(kata.stub)} must open with a docstring (the lesson)")
        if kata.solution_dir.is_dir() and len(kata.wrong_variants) < MIN_WRONG:
            found.append(
                f"{kata.relative(kata.solution_dir)} needs at least {MIN_WRONG} wrong_*.py "
                f"variants (the mistakes it teaches), has {len(kata.wrong_variants)}"
            )
        if kata.solution_dir.is_dir() and len(kata.right_variants) < MIN_RIGHT:
            found.append(
                f"{kata.relative(kata.solution_dir)} needs at least {MIN_RIGHT} right_*.py "
                f"variants (correct answers written differently), has {len(kata.right_variants)}"
            )
        for variant in kata.wrong_variants:
            if expected_mistake(variant) is None:
                found.append(
                    f"{kata.relative(variant)} needs MISTAKE = '...' or a tuple of texts (the "
                    f"diagnosis a learner sees); with {{line}}, exactly one line marked "
                    f"'{MISTAKE_MARK}'"
                )
    known = {kata.name for kata in catalog}
    for parent in (catalog.root / "katas", catalog.root / "solutions"):
        for folder in sorted(p for p in parent.iterdir() if p.is_dir()):
            if folder.name not in known and not folder.name.startswith((".", "_")):
                found.append(f"{parent.name}/{folder.name} is not in katas/katas.toml")
    return found


# --- names Python 3.14 deprecates -------------------------------------------------------------
# asyncio.iscoroutinefunction (use inspect's), the event loop policy system (use
# asyncio.run or asyncio.Runner(loop_factory=...)), and get_event_loop() outside a loop.
DEPRECATED = {
    "asyncio.iscoroutinefunction": "inspect.iscoroutinefunction",
    "get_event_loop_policy": "asyncio.Runner(loop_factory=...)",
    "set_event_loop_policy": "asyncio.Runner(loop_factory=...) or asyncio.run(..., loop_factory=...)",
    "EventLoopPolicy": "asyncio.Runner(loop_factory=...)",
    "get_event_loop(": "asyncio.get_running_loop() inside a coroutine, asyncio.run(...) outside",
}
DEPRECATED_ON_PURPOSE = "# deprecated name on purpose"  # e.g. a diagnosis naming the learner's call
SCANNED = ("katas", "solutions", "harness")  # lessons are katas/NN/README.md


def deprecated_names(root: Path) -> list[str]:
    """Every use of a name Python 3.14 deprecates, as ``path:line: name (use ...)``.

    A known-wrong variant may use one on the line it marks as its mistake (teaching the
    mistake is its point); any other line may say why with DEPRECATED_ON_PURPOSE.
    """
    found = []
    for path in _scanned_files(root):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if DEPRECATED_ON_PURPOSE in line or (path.name.startswith("wrong_") and MISTAKE_MARK in line):
                continue
            for name, instead in DEPRECATED.items():
                if name in line:
                    where = path.relative_to(root).as_posix()
                    found.append(f"{where}:{number}: {name.rstrip('(')} (use {instead})")
    return found


def _scanned_files(root: Path) -> list[Path]:
    files = []
    for entry in SCANNED:
        path = root / entry
        if path.is_file():
            files.append(path)
        elif path.is_dir():
            files += [p for p in sorted(path.rglob("*")) if p.suffix in (".py", ".md", ".toml")]
    return [f for f in files if f.resolve() != Path(__file__).resolve()]
