"""Author-side checks of the curriculum (rustlings' `dev check`, for this repository).

Structure is checked by reading files; behaviour by running pytest in a subprocess,
exactly as a learner would, so the checks see the same output a learner sees.
"""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from harness.catalog import Catalog

MISTAKE_MARK = "# <- mistake"
TIMED_OUT = -1  # the returncode of a run that had to be killed
STUCK = "the pytest process did not exit within {seconds:g} s and was killed"


@dataclass(frozen=True)
class Run:
    """One pytest run in a subprocess: exit code, output, wall time."""

    returncode: int
    output: str
    seconds: float


def run_pytest(root: Path, *args: str, timeout: float = 60) -> Run:
    env = {**os.environ, "NO_COLOR": "1", "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("PYTEST_ADDOPTS", None)
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", *args]
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
    """Run several pytest subprocesses, ``workers`` at a time (the machine has 2 cores)."""
    with ThreadPoolExecutor(workers) as pool:
        futures = {key: pool.submit(run_pytest, root, *args) for key, args in jobs.items()}
        return {key: future.result() for key, future in futures.items()}


def expected_mistake(variant: Path) -> str | None:
    """The variant's ``MISTAKE`` text, with ``{line}`` set to the line marked as the mistake."""
    source = variant.read_text(encoding="utf-8")
    for node in ast.parse(source).body:
        if (
            isinstance(node, ast.Assign)
            and [getattr(t, "id", None) for t in node.targets] == ["MISTAKE"]
            and isinstance(node.value, ast.Constant)
        ):
            text = str(node.value.value)
            if "{line}" in text:
                marked = [n for n, line in enumerate(source.splitlines(), 1) if MISTAKE_MARK in line]
                if len(marked) != 1:
                    return None
                text = text.replace("{line}", str(marked[0]))
            return text
    return None


def structure_problems(catalog: Catalog) -> list[str]:
    """Missing files, TODO-less stubs, unmarked variants, folders the catalog lacks."""
    found = []
    for kata in catalog:
        for path in (kata.lesson, kata.stub, kata.tests, kata.solution):
            if not path.is_file():
                found.append(f"{kata.relative(path)} is missing")
        if kata.stub.is_file():
            stub = kata.stub.read_text(encoding="utf-8")
            if "TODO" not in stub:
                found.append(f"{kata.relative(kata.stub)} has no TODO for the learner")
            if not stub.lstrip().startswith('"""'):
                found.append(f"{kata.relative(kata.stub)} must open with a docstring (the lesson)")
        if kata.solution_dir.is_dir() and not kata.wrong_variants:
            found.append(f"{kata.relative(kata.solution_dir)} has no wrong_*.py variant")
        for variant in kata.wrong_variants:
            if expected_mistake(variant) is None:
                found.append(
                    f"{kata.relative(variant)} needs MISTAKE = '...' (the diagnosis a learner "
                    f"sees); with {{line}}, exactly one line marked '{MISTAKE_MARK}'"
                )
    known = {kata.name for kata in catalog}
    for parent in (catalog.root / "katas", catalog.root / "solutions"):
        for folder in sorted(p for p in parent.iterdir() if p.is_dir()):
            if folder.name not in known and not folder.name.startswith((".", "_")):
                found.append(f"{parent.name}/{folder.name} is not in katas/katas.toml")
    return found
