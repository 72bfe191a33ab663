"""`bench`: how fast is the code, against the ideal the kata was designed around?

Each kata marks one test ``@pytest.mark.workload``; its ``ideal`` in katas.toml is the
time on that workload's critical path. bench runs only those tests (``-m workload``),
takes pytest's duration of the *call* phase (fixtures such as starting the fake service
are left out), keeps the best of ``repeat`` sessions, and divides by the ideal.

With ``--solutions`` and no kata it is the repository's performance report: it also
times the whole suite against the reference solutions (one session) and how long each
untouched stub takes to fail.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from harness import progress, runner, stubs
from harness.catalog import Kata
from harness.catalog import load as load_catalog
from harness.terminal import Console

DEFAULT_REPEAT = 3

WORKLOAD_HEADER = (
    "Workload — the test marked @pytest.mark.workload, call phase only, best of {repeat}, "
    "against {what}:"
)
SUITE_HEADER = "Whole suite — `pytest --solutions`, one session (time in each kata's tests):"
STUBS_HEADER = "Untouched stubs — how long each takes to fail, one session:"
WITH_IDEAL = "{seconds} s, ideal {ideal} s — {ratio:.2f}×"
NO_IDEAL = "{seconds} s (no ideal in katas/katas.toml)"
NO_WORKLOAD = "no test is marked @pytest.mark.workload"
WORKLOAD_FAILED = "not timed: the workload test {outcome} — {message}"
NOT_RUNNABLE = "not timed: {why}"
SUITE_LINE = "{tests:>3} tests  {seconds:>6} s  {outcome}"
SUITE_TOTAL = (
    "{tests:>3} tests  {seconds:>6} s in tests, {wall:.2f} s wall (with pytest's start-up)"
)
NO_STUBS = "  (no untouched stub: every kata.py has been edited)"
ALONE_HEADER = (
    "Each kata alone — `pytest katas/NN --solutions`, best of {repeat}: wall time against "
    "the import baseline ({baseline:.2f} s for `import pytest, aiohttp, aiosqlite`) plus "
    "the time its tests spend in their calls:"
)
ALONE_LINE = "{wall:.2f} s wall; baseline + tests {expected:.2f} s — {ratio:.2f}×"
BASELINE_COMMAND = [sys.executable, "-c", "import pytest, aiohttp, aiosqlite"]
LEARNER = "your kata.py"
SOLUTIONS = "the reference solutions"


def seconds_text(value: float) -> str:
    return f"{value:.3f}" if value < 0.1 else f"{value:.2f}"


@dataclass
class Timing:
    kata: Kata
    seconds: float | None = None  # the best call-phase time of the workload test
    note: str = ""  # why there is no time, when there is none
    test: str = ""

    @property
    def ratio(self) -> float | None:
        if self.seconds is None or not self.kata.ideal:
            return None
        return self.seconds / self.kata.ideal

    def describe(self) -> str:
        if self.seconds is None:
            return self.note
        if self.ratio is None:
            return NO_IDEAL.format(seconds=seconds_text(self.seconds))
        return WITH_IDEAL.format(
            seconds=seconds_text(self.seconds),
            ideal=seconds_text(self.kata.ideal or 0),
            ratio=self.ratio,
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "number": self.kata.number,
            "slug": self.kata.slug,
            "name": self.kata.name,
            "title": self.kata.title,
            "test": self.test or None,
            "seconds": self.seconds,
            "ideal": self.kata.ideal,
            "ratio": self.ratio,
            "note": self.note,
        }


def time_workloads(
    root: Path, katas: list[Kata], *, solutions: bool = False, repeat: int = DEFAULT_REPEAT
) -> list[Timing]:
    """The best call-phase time of each kata's workload test over ``repeat`` sessions."""
    catalog = load_catalog(root)
    timings = {kata.name: Timing(kata) for kata in katas}
    ready = []
    for kata in katas:
        missing = progress.missing_files(kata) or (
            ""
            if not solutions or kata.solution.is_file()
            else f"{kata.relative(kata.solution)} is missing"
        )
        if missing:
            timings[kata.name].note = NOT_RUNNABLE.format(why=missing)
        else:
            ready.append(kata)
    args = ["-q", "--tb=no", "-m", "workload", *(["--solutions"] if solutions else [])]
    # The learner's katas share a process: a failure that may be another kata's doing
    # is checked alone (see runner.needs_a_second_look). The solutions are trusted.
    untouched = None if solutions else {kata.name for kata in untouched_stubs(root, ready)}
    for _ in range(max(1, repeat)):
        if not ready:
            break
        runs, _sessions = runner.run_katas(root, catalog, ready, args, untouched=untouched)
        for kata in list(ready):
            timing, run = timings[kata.name], runs[kata.name]
            workloads = [t for t in run.tests if t.workload]
            if not workloads:
                timing.note = _why_not_timed(run)
                ready.remove(kata)  # no point in repeating
                continue
            test = workloads[0]
            timing.test = test.name
            if test.outcome != "passed" or test.call_seconds is None:
                timing.seconds = None
                outcome = "timed out" if test.outcome == "timeout" else "failed"
                message = progress.first_line(test.message, 160) or test.outcome
                timing.note = WORKLOAD_FAILED.format(outcome=outcome, message=message)
                ready.remove(kata)
                continue
            if timing.seconds is None or test.call_seconds < timing.seconds:
                timing.seconds = test.call_seconds
    return [timings[kata.name] for kata in katas]


def _why_not_timed(run: runner.KataRun) -> str:
    if run.collect_error:
        return NOT_RUNNABLE.format(why=progress.first_line(run.collect_error, 160))
    if run.crashed:
        return NOT_RUNNABLE.format(why=progress.first_line(run.crashed, 160))
    return NO_WORKLOAD


@dataclass
class SuiteTiming:
    """One session over many katas: each kata's time in its tests, and the wall time."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    wall: float = 0.0

    @property
    def tests(self) -> int:
        return sum(row["tests"] for row in self.rows)

    @property
    def seconds(self) -> float:
        return sum(row["seconds"] for row in self.rows)

    def to_json(self) -> dict[str, Any]:
        return {
            "katas": self.rows,
            "tests": self.tests,
            "seconds": round(self.seconds, 4),
            "wall": round(self.wall, 4),
        }


def time_suite(root: Path, katas: list[Kata], args: list[str]) -> SuiteTiming:
    catalog = load_catalog(root)
    ready = [kata for kata in katas if not progress.missing_files(kata)]
    suite = SuiteTiming()
    if not ready:
        return suite
    runs, sessions = runner.run_katas(root, catalog, ready, ["-q", "--tb=no", *args])
    suite.wall = sum(session.seconds for session in sessions)
    for kata in ready:
        run = runs[kata.name]
        failed = run.total - run.passed
        if run.collect_error or run.crashed:
            outcome = progress.first_line(run.collect_error or run.crashed, 100)
        else:
            outcome = f"{run.passed} passed" + (f", {failed} failed" if failed else "")
        suite.rows.append(
            {
                "name": kata.name,
                "tests": run.total,
                "seconds": round(sum(t.seconds for t in run.tests), 4),
                "passed": run.passed,
                "outcome": outcome,
            }
        )
    return suite


def import_baseline(repeat: int = DEFAULT_REPEAT) -> float:
    """The best wall time of a bare Python that imports what every kata session imports."""
    best = float("inf")
    for _ in range(max(1, repeat)):
        started = time.perf_counter()
        subprocess.run(BASELINE_COMMAND, check=True)
        best = min(best, time.perf_counter() - started)
    return best


def time_each_alone(
    root: Path, katas: list[Kata], *, repeat: int = DEFAULT_REPEAT
) -> list[dict[str, Any]]:
    """Each kata in a session of its own against its solution: the best wall time, and
    the time its tests spent in their call phase in that same session."""
    catalog = load_catalog(root)
    rows = []
    for kata in katas:
        if progress.missing_files(kata) or not kata.solution.is_file():
            continue
        best: tuple[float, float] | None = None
        for _ in range(max(1, repeat)):
            runs, sessions = runner.run_katas(
                root, catalog, [kata], ["-q", "--tb=no", "--solutions"]
            )
            wall = sum(session.seconds for session in sessions)
            calls = sum(t.call_seconds or 0.0 for t in runs[kata.name].tests)
            if best is None or wall < best[0]:
                best = (wall, calls)
        assert best is not None
        rows.append({"name": kata.name, "wall": round(best[0], 4), "calls": round(best[1], 4)})
    return rows


def untouched_stubs(root: Path, katas: list[Kata]) -> list[Kata]:
    ready = [kata for kata in katas if not progress.missing_files(kata)]
    pristine = stubs.pristine(root, ready)
    return [kata for kata in ready if stubs.is_untouched(kata, pristine.get(kata.name))]


def bench_command(
    root: Path,
    katas: list[Kata],
    console: Console,
    *,
    solutions: bool = False,
    repeat: int = DEFAULT_REPEAT,
    suite: bool = False,
    as_json: bool = False,
) -> int:
    timings = time_workloads(root, katas, solutions=solutions, repeat=repeat)
    suite_timing = stub_timing = None
    alone: list[dict[str, Any]] = []
    baseline = 0.0
    if suite:
        suite_timing = time_suite(root, katas, ["--solutions"])
        stub_timing = time_suite(root, untouched_stubs(root, katas), [])
        baseline = import_baseline(repeat)
        alone = time_each_alone(root, katas, repeat=repeat)
        for row in alone:
            row["ratio"] = round(row["wall"] / (baseline + row["calls"]), 3)
    if as_json:
        document: dict[str, Any] = {
            "under_test": "solutions" if solutions else "kata",
            "repeat": repeat,
            "katas": [timing.to_json() for timing in timings],
        }
        if suite_timing is not None and stub_timing is not None:
            document["suite"] = suite_timing.to_json()
            document["stubs"] = stub_timing.to_json()
            document["alone"] = {"baseline": round(baseline, 4), "katas": alone}
        console.print(json.dumps(document, indent=2))
        return 0
    width = max((len(kata.name) for kata in katas), default=0)
    style = console.style
    console.print(
        style.paint(
            WORKLOAD_HEADER.format(repeat=repeat, what=SOLUTIONS if solutions else LEARNER), "bold"
        )
    )
    for timing in timings:
        console.print(f"  {timing.kata.name:<{width}}  {timing.describe()}")
    for header, block in ((SUITE_HEADER, suite_timing), (STUBS_HEADER, stub_timing)):
        if block is None:
            continue
        console.print()
        console.print(style.paint(header, "bold"))
        if not block.rows:
            console.print(NO_STUBS)
            continue
        for row in block.rows:
            line = SUITE_LINE.format(
                tests=row["tests"], seconds=f"{row['seconds']:.2f}", outcome=row["outcome"]
            )
            console.print(f"  {row['name']:<{width}}  {line}")
        total = SUITE_TOTAL.format(
            tests=block.tests, seconds=f"{block.seconds:.2f}", wall=block.wall
        )
        console.print(f"  {'total':<{width}}  {total}")
    if alone:
        console.print()
        console.print(style.paint(ALONE_HEADER.format(repeat=repeat, baseline=baseline), "bold"))
        for row in alone:
            line = ALONE_LINE.format(
                wall=row["wall"], expected=baseline + row["calls"], ratio=row["ratio"]
            )
            console.print(f"  {row['name']:<{width}}  {line}")
    return 0
