"""One kata test's code cannot change another's result, nor outlive its run.

While a kata test runs, :class:`Isolation`:
- refuses ``os._exit`` and a direct ``os.fork`` from the learner's code (either would end
  or copy the whole test run, and ``os._exit(0)`` would make a red kata look green);
  multiprocessing's own forks and exits are left alone;
- records the processes the code starts (``subprocess``, ``asyncio`` subprocesses,
  ``multiprocessing``) and, at the end, kills and reaps any still running;
- names threads still running the learner's code at the end (a thread cannot be
  killed; :func:`exit_if_threads_remain` makes sure pytest still exits);
- puts back what the code may have replaced: attributes of asyncio, time, os, socket,
  threading, subprocess, builtins, the recursion limit, signal handlers, the working
  directory, sys.stdout/stderr, environment variables.
"""

from __future__ import annotations

import asyncio
import builtins
import contextlib
import multiprocessing
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

from harness.judge.frames import LearnerFile
from harness.judge.hang import _real_exit
from harness.judge.report import Diagnosis, Where

WATCHED_MODULES: tuple[ModuleType, ...] = (asyncio, time, os, socket, threading, subprocess, builtins)
SIGNALS = tuple(getattr(signal, name) for name in ("SIGTERM", "SIGHUP", "SIGUSR1", "SIGUSR2") if hasattr(signal, name))
REAP_WAIT = 1.0  # seconds to wait for a killed process to be reaped
THREAD_GRACE = 0.2  # seconds for the learner's threads to finish after the test
MULTIPROCESSING_FILES = ("multiprocessing/popen_fork.py", "multiprocessing/forkserver.py", "multiprocessing/util.py", "multiprocessing/process.py")

EXIT_WHAT = "your code called os._exit({code}): it would end the whole test run on the spot."
EXIT_FIX = "return the result (or raise an exception); a kata's functions never end the process."
FORK_WHAT = "your code called os.fork(): it would copy the whole test run into a second process."
FORK_FIX = "use concurrent.futures.ProcessPoolExecutor or asyncio.create_subprocess_exec instead."
PROCESS_WHAT = "a process your code started was still running when the test ended: {command}."
PROCESS_FIX = "wait for it (`await proc.wait()` or `proc.communicate()`), or kill it when you are done with it."
THREAD_WHAT = "a thread your code started was still running when the test ended."
THREAD_FIX = "wait for your threads before returning (thread.join(), or asyncio.to_thread, which the loop waits for)."


class LearnerExit(Exception):  # noqa: N818
    """``os._exit`` called by the learner's code, turned into an exception of the test.

    Not a SystemExit: asyncio would raise that out of the loop again at every later step
    of the task, in the middle of pytest's teardown. Caught or not, it is recorded.
    """


@dataclass
class Isolation:
    learner: LearnerFile
    findings: list[Diagnosis] = field(default_factory=list)
    _saved: dict[str, Any] = field(default_factory=dict)
    _processes: weakref.WeakSet = field(default_factory=weakref.WeakSet)
    # Started before the call (at import, in setup): not the call's to report, but stopped
    # at the end all the same. Held strongly: the module that held them is gone by then.
    _before_call: list = field(default_factory=list)

    # --- before the test ------------------------------------------------------------------
    def start(self) -> None:
        self._saved = {
            "modules": {module: dict(vars(module)) for module in WATCHED_MODULES},
            "recursion": sys.getrecursionlimit(),
            "signals": {sig: signal.getsignal(sig) for sig in SIGNALS},
            "cwd": os.getcwd(),
            "environ": dict(os.environ),
            "streams": (sys.stdout, sys.stderr, sys.stdin),
            "popen_init": subprocess.Popen.__init__,
        }
        self.watch()
        os._exit = self._exit  # type: ignore[assignment]
        if hasattr(os, "fork"):
            os.fork = self._fork(os.fork)  # type: ignore[assignment]
        subprocess.Popen.__init__ = self._recording_popen(subprocess.Popen.__init__)  # type: ignore[method-assign]

    def protect(self) -> None:
        """Before the judge's own code runs: a recursion limit the code lowered is raised back."""
        saved = self._saved.get("recursion")
        if saved is not None and sys.getrecursionlimit() < saved:
            sys.setrecursionlimit(saved)

    def watch(self) -> None:
        """From now on, threads and processes that appear are the code's (not fixtures')."""
        self._saved["threads"] = set(threading.enumerate())
        self._saved["children"] = set(multiprocessing.active_children())
        self._before_call.extend(self._processes)
        self._processes = weakref.WeakSet()

    # --- after the test -----------------------------------------------------------------------
    def left_running(self) -> list[Diagnosis]:
        """What the code started and left running, as findings; processes are stopped."""
        return self._reap_processes() + self._threads_left()

    def stop(self) -> None:
        """Put everything back (and stop any process still running, quietly)."""
        if not self._saved:
            return
        self.protect()  # first: what follows must not run under a limit the code lowered
        self._reap_processes()
        self._processes, self._before_call = weakref.WeakSet(self._before_call), []
        self._reap_processes()
        self._restore()
        self._saved = {}

    def _restore(self) -> None:
        saved = self._saved
        subprocess.Popen.__init__ = saved["popen_init"]  # type: ignore[method-assign]
        for module, attributes in saved["modules"].items():
            current = vars(module)  # names the code added are left: modules add some lazily
            for name, value in attributes.items():
                if current.get(name, _MISSING) is not value:
                    with contextlib.suppress(AttributeError, TypeError):
                        setattr(module, name, value)
        sys.setrecursionlimit(saved["recursion"])
        for sig, handler in saved["signals"].items():
            with contextlib.suppress(ValueError, OSError, TypeError):
                signal.signal(sig, handler)
        with contextlib.suppress(OSError):
            os.chdir(saved["cwd"])
        if dict(os.environ) != saved["environ"]:
            os.environ.clear()
            os.environ.update(saved["environ"])
        sys.stdout, sys.stderr, sys.stdin = saved["streams"]

    # --- exits and forks ------------------------------------------------------------------------
    def _exit(self, code: int = 0) -> None:
        if _called_from(MULTIPROCESSING_FILES):
            _real_exit(code)
        where = self.learner.stack(sys._getframe(1))
        self.findings.append(Diagnosis(EXIT_WHAT.format(code=code), fix=EXIT_FIX, where=where))
        raise LearnerExit(code)

    def _fork(self, real_fork: Any) -> Any:
        def fork() -> int:
            if _called_from(MULTIPROCESSING_FILES) or not self.learner.stack(sys._getframe(1)):
                return real_fork()
            self.findings.append(
                Diagnosis(FORK_WHAT, fix=FORK_FIX, where=self.learner.stack(sys._getframe(1)))
            )
            raise OSError("os.fork() is not available to a kata's code")

        return fork

    # --- processes ---------------------------------------------------------------------------------
    def _recording_popen(self, real_init: Any) -> Any:
        def __init__(popen: subprocess.Popen, *args: Any, **kwargs: Any) -> None:  # noqa: N807
            self._processes.add(popen)  # first: the child exists even if __init__ then fails
            real_init(popen, *args, **kwargs)

        return __init__

    def _reap_processes(self) -> list[Diagnosis]:
        left = []
        for process in list(self._processes):
            if getattr(process, "pid", None) is None:
                continue  # __init__ failed before the child existed
            if getattr(process, "returncode", 0) is None and _still_running(process):
                command = _command_of(getattr(process, "args", "a process"))
                with contextlib.suppress(OSError):
                    process.kill()
                with contextlib.suppress(subprocess.TimeoutExpired, OSError):
                    process.wait(REAP_WAIT)
                left.append(Diagnosis(PROCESS_WHAT.format(command=command), fix=PROCESS_FIX))
        for child in set(multiprocessing.active_children()) - self._saved["children"]:
            child.terminate()
            child.join(REAP_WAIT)
            if child.is_alive():
                child.kill()
                child.join(REAP_WAIT)
            left.append(Diagnosis(PROCESS_WHAT.format(command=f"multiprocessing {child.name}"), fix=PROCESS_FIX))
        return left

    # --- threads -------------------------------------------------------------------------------------
    def _threads_left(self) -> list[Diagnosis]:
        new = [t for t in threading.enumerate() if t not in self._saved["threads"]]
        running = [t for t in new if self._running_learner_code(t)]  # idle pool workers are not
        deadline = time.monotonic() + THREAD_GRACE
        for thread in running:
            thread.join(max(0.0, deadline - time.monotonic()))
        left: list[Diagnosis] = []
        for thread in running:
            where = self._running_learner_code(thread)
            if thread.is_alive() and where:
                left.append(Diagnosis(THREAD_WHAT, fix=THREAD_FIX, where=where))
        return left[:1]

    def _running_learner_code(self, thread: threading.Thread) -> tuple[Where, ...]:
        return self.learner.stack(sys._current_frames().get(thread.ident or -1))


_MISSING = object()


def _called_from(files: tuple[str, ...]) -> bool:
    frame = sys._getframe(2)
    for _ in range(6):
        if frame is None:
            return False
        if frame.f_code.co_filename.replace("\\", "/").endswith(files):
            return True
        frame = frame.f_back
    return False


def _still_running(process: subprocess.Popen) -> bool:
    try:
        return process.poll() is None
    except (OSError, AttributeError):
        return False


def _command_of(args: Any) -> str:
    if isinstance(args, (list, tuple)):
        return " ".join(str(part) for part in args)[:80]
    return str(args)[:80]


def exit_if_threads_remain(status: int) -> None:
    """At the very end of pytest: threads the learner's code left running would keep the
    interpreter from exiting (it joins them). Flush, and end with pytest's own status."""
    others = [t for t in threading.enumerate() if t is not threading.main_thread() and not t.daemon]
    if not others:
        return
    for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
        with contextlib.suppress(Exception):
            stream.flush()
    _real_exit(status)


# A process forked by multiprocessing must be able to end normally.
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=lambda: setattr(os, "_exit", _real_exit))


class ProtectedFiles:
    """Files a kata's code must not change: the other katas' kata.py, every test file,
    the catalog. Read once per session; after each kata test a cheap look (size and
    modification time) finds a change, which is put back and named.
    """

    def __init__(self, paths: list[Path]) -> None:
        self._saved: dict[Path, tuple[bytes, tuple[int, int]]] = {}
        for path in paths:
            with contextlib.suppress(OSError):
                self._saved[path] = (path.read_bytes(), _stamp(path))

    def restore_changes(self, *, allowed: Path, shown: Callable[[Path], str]) -> list[Diagnosis]:
        """Put back each protected file (but ``allowed``) that changed; a finding for each."""
        found = []
        for path, (content, stamp) in self._saved.items():
            if path == allowed:
                continue
            try:
                now = _stamp(path)
            except OSError:
                now = None
            if now == stamp:
                continue
            with contextlib.suppress(OSError):
                path.write_bytes(content)
                self._saved[path] = (content, _stamp(path))
            what = "deleted" if now is None else "changed"
            found.append(
                Diagnosis(
                    f"your code {what} {shown(path)}, a file of the tests or of another kata; it was put back.",
                    fix="write only to files your kata gives you (a temporary directory, the database path).",
                )
            )
        return found


def _stamp(path: Path) -> tuple[int, int]:
    info = path.stat()
    return info.st_size, info.st_mtime_ns
