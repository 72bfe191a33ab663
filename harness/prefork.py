"""A warm pytest: import everything once, then fork one child per run.

The repository's checks run every known-wrong variant, every accepted one and every stub
in a pytest of its own, exactly as a learner runs it. Most of such a run is start-up
(importing pytest, aiohttp, aiosqlite and the plugins: about three quarters of the wall
time of a kata's run). This server pays that once: ``python -m harness.prefork`` imports
them, then reads one job per line on stdin and forks a child per job, which runs
``pytest.main(args)`` in its own process group with its output in a file. The child is a
fresh pytest session in a process of its own, as isolated as a subprocess.

POSIX only (fork). :class:`Prefork` falls back to nothing: the checks then start a plain
subprocess per run (see harness.checks).

Protocol, one JSON object per line:
  in:  {"id": "...", "cwd": "...", "args": [...], "output": "path", "timeout": seconds}
  out: {"id": "...", "returncode": int, "seconds": float}   (returncode -1: killed)
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import select
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import Future
from pathlib import Path

# Libraries only: pytest's plugins (pytest_asyncio, pytest_timeout, the judge's plugin
# module) are rewritten by pytest when it loads them, and pytest refuses (a warning, an
# error here) a plugin imported before it. Their imports below are what takes the time.
PRELOAD = (
    "pytest",
    "aiohttp",
    "aiohttp.web",
    "aiohttp.test_utils",
    "aiosqlite",
    "blockbuster",
    "multiprocessing",
    "concurrent.futures",
    "harness.judge",
    "harness.judge.services",
    "harness.judge.database",
)
KILLED = -1
POLL = 0.01  # seconds between looks at finished children
_real_exit = os._exit


# --- the server (the warm process) ----------------------------------------------------------
def serve() -> None:
    for name in PRELOAD:
        with contextlib.suppress(ImportError):
            importlib.import_module(name)
    running: dict[int, tuple[dict, float]] = {}
    stdin = sys.stdin.buffer
    open_input = True
    while open_input or running:
        if open_input:
            ready, _, _ = select.select([stdin], [], [], POLL)
            if ready:
                line = stdin.readline()
                if not line:
                    open_input = False  # the checks are done (or gone): finish, then exit
                else:
                    job = json.loads(line)
                    running[_start(job)] = (job, time.monotonic())
        else:
            time.sleep(POLL)
        _reap(running)
        _kill_late(running)


def _start(job: dict) -> int:
    pid = os.fork()
    if pid == 0:  # the child: a pytest session of its own
        try:
            os.setpgid(0, 0)  # its own group, so a kill reaches the pools it starts
            output = os.open(job["output"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            nothing = os.open(os.devnull, os.O_RDONLY)
            os.dup2(nothing, 0)
            os.dup2(output, 1)
            os.dup2(output, 2)
            os.chdir(job["cwd"])
            sys.argv = ["pytest", *job["args"]]
            import pytest

            code = int(pytest.main(job["args"]))
        except SystemExit as stop:
            code = stop.code if isinstance(stop.code, int) else 1
        except BaseException:  # noqa: BLE001 - the child must end, whatever happened
            import traceback

            traceback.print_exc()  # into the run's output, where the checks show it
            code = 3
        finally:
            with contextlib.suppress(Exception):
                sys.stdout.flush()
                sys.stderr.flush()
        _real_exit(code)
    return pid


def _reap(running: dict[int, tuple[dict, float]]) -> None:
    while running:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        if pid not in running:
            continue  # a grandchild adopted by no one else: nothing to report
        job, started = running.pop(pid)
        code = os.waitstatus_to_exitcode(status)
        _answer(job, pid, code, time.monotonic() - started)


def _kill_late(running: dict[int, tuple[dict, float]]) -> None:
    now = time.monotonic()
    for pid, (job, started) in list(running.items()):
        if now - started > job["timeout"]:
            with contextlib.suppress(OSError):
                os.killpg(pid, signal.SIGKILL)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)
            running.pop(pid)
            _answer(job, pid, KILLED, now - started)


def _answer(job: dict, pid: int, code: int, seconds: float) -> None:
    with contextlib.suppress(OSError):
        os.killpg(pid, signal.SIGKILL)  # whatever the run left in its group (pool workers)
    sys.stdout.write(json.dumps({"id": job["id"], "returncode": code, "seconds": seconds}) + "\n")
    sys.stdout.flush()


# --- the client (in the checks' process) --------------------------------------------------------
class Prefork:
    """Runs pytest jobs in the warm server; one instance per checks session."""

    def __init__(self, root: Path, env: dict[str, str]) -> None:
        home = str(Path(__file__).resolve().parent.parent)  # where `import harness` works
        paths = [home, *filter(None, env.get("PYTHONPATH", "").split(os.pathsep))]
        env = {**env, "PYTHONPATH": os.pathsep.join(dict.fromkeys(paths))}
        self._process = subprocess.Popen(
            [sys.executable, "-m", "harness.prefork"],
            cwd=root,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            bufsize=1,
        )
        self._waiting: dict[str, Future] = {}
        self._lock = threading.Lock()
        self._next = 0
        self._reader = threading.Thread(target=self._read, name="prefork-reader", daemon=True)
        self._reader.start()

    @staticmethod
    def available() -> bool:
        return hasattr(os, "fork") and sys.platform != "win32"

    def run(self, cwd: Path, args: list[str], output: Path, timeout: float) -> tuple[int, float]:
        """Run ``pytest args`` in ``cwd``; its output goes to ``output``."""
        future: Future = Future()
        with self._lock:
            self._next += 1
            job_id = str(self._next)
            self._waiting[job_id] = future
            job = {"id": job_id, "cwd": str(cwd), "args": args, "output": str(output), "timeout": timeout}
            assert self._process.stdin is not None
            self._process.stdin.write(json.dumps(job) + "\n")
            self._process.stdin.flush()
        answer = future.result(timeout=timeout + 30)
        return int(answer["returncode"]), float(answer["seconds"])

    def close(self) -> None:
        with contextlib.suppress(OSError):
            assert self._process.stdin is not None
            self._process.stdin.close()
        try:
            self._process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait()
        self._reader.join(timeout=5)
        if self._process.stdout is not None:
            self._process.stdout.close()

    def _read(self) -> None:
        assert self._process.stdout is not None
        for line in self._process.stdout:
            answer = json.loads(line)
            with self._lock:
                future = self._waiting.pop(answer["id"], None)
            if future is not None:
                future.set_result(answer)
        with self._lock:  # the server died: nobody will answer the rest
            for future in self._waiting.values():
                future.set_exception(RuntimeError("the warm pytest server exited"))
            self._waiting.clear()


if __name__ == "__main__":
    serve()
