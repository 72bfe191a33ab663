"""What differs between Linux, macOS and Windows, for the CLI, in one place.

- process groups: the test process and everything it starts (process pools, the
  learner's subprocesses) form one group that the harness can stop at once;
- the signals that mean "stop now" besides Ctrl-C (SIGTERM, and SIGHUP when the
  terminal closes; Ctrl-Break on Windows);
- a lock file, so that two harness commands never lose each other's updates;
- colour: on Windows, only where the console understands escape sequences.

Each function picks its branch from ``WINDOWS``; the branches are separate functions
taking what they call as arguments, so the tests run both on any system.
"""

from __future__ import annotations

import contextlib
import importlib
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from types import FrameType, ModuleType
from typing import Any, TextIO

WINDOWS = sys.platform == "win32"

CREATE_NEW_PROCESS_GROUP = 0x00000200  # subprocess's constant, which exists on Windows only
ENABLE_VIRTUAL_TERMINAL_PROCESSING = 0x0004
KILL_TIMEOUT = 10.0  # seconds for taskkill to stop a process tree on Windows
LOCK_TIMEOUT = 10.0  # seconds to wait for another harness command's lock on the state
LOCK_POLL = 0.01


def _windows(windows: bool | None) -> bool:
    """The branch to take: the one asked for (tests), else this system's."""
    return WINDOWS if windows is None else windows


# --- process groups ----------------------------------------------------------------------------
def group_options(windows: bool | None = None) -> dict[str, Any]:
    """``subprocess.Popen`` options that start the process in a group of its own.

    POSIX: a new session, so :func:`kill_tree` reaches every process it starts and the
    terminal's Ctrl-C reaches the harness only (the harness then stops the group).
    Windows: a new process group, so Ctrl-C in the console reaches the harness only.
    """
    if _windows(windows):
        return {"creationflags": CREATE_NEW_PROCESS_GROUP}
    return {"start_new_session": True}


def kill_tree(process: subprocess.Popen, windows: bool | None = None) -> None:
    """Stop ``process`` and every process of its group (or tree), at once.

    POSIX: the group outlives its first process, so this also reaches what the test
    process left running when it exited. Windows: the tree is found from a running
    process only (and taskkill costs a process), so only a running one is stopped.
    """
    if not _windows(windows):
        _kill_group_posix(process.pid)
    elif process.poll() is None:
        _kill_tree_windows(process.pid)


def _kill_group_posix(pgid: int, killpg: Callable[[int, int], None] | None = None) -> None:
    killpg = killpg or os.killpg
    with contextlib.suppress(ProcessLookupError, PermissionError):  # all gone already
        killpg(pgid, signal.SIGKILL)


def _kill_tree_windows(pid: int, run: Callable[..., Any] = subprocess.run) -> None:
    # taskkill /T follows the parent links from pid: the test process, its pool
    # workers and the learner's subprocesses. It exits non-zero when pid is gone.
    with contextlib.suppress(OSError, subprocess.SubprocessError):
        run(
            ["taskkill", "/F", "/T", "/PID", str(pid)],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            timeout=KILL_TIMEOUT,
            check=False,
        )


# Run detached: waits for a process group to be gone, then removes a folder.
REMOVER = """\
import os, shutil, sys, time
group, folder = int(sys.argv[1]), sys.argv[2]
deadline = time.monotonic() + 10
while time.monotonic() < deadline:
    try:
        os.killpg(group, 0)
    except OSError:
        break
    time.sleep(0.05)
shutil.rmtree(folder, ignore_errors=True)
"""


def remove_after_group(
    folder: str, group: int | None = None, windows: bool | None = None
) -> subprocess.Popen | None:
    """From inside the test process, about to end its group: have ``folder`` removed.

    POSIX: by a detached process (returned), once the group (this process's by default)
    is gone; removing it first would race with the tests still writing into it.
    Windows: now, as far as files in use allow.
    """
    if not _windows(windows):
        group = os.getpgrp() if group is None else group
        try:
            return subprocess.Popen(
                [sys.executable, "-I", "-S", "-c", REMOVER, str(group), folder],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                start_new_session=True,  # out of the group about to be killed
            )
        except (OSError, RuntimeError):  # no process left to start (or shutting down)
            pass
    with contextlib.suppress(Exception):  # 3.13.0's rmtree can assert under races
        shutil.rmtree(folder, ignore_errors=True)
    return None


def kill_own_group(windows: bool | None = None) -> None:
    """From inside the test process: end it and everything it started (see launch)."""
    if _windows(windows):
        _kill_tree_windows(os.getpid())
    else:
        _kill_group_posix(os.getpgrp())
    os._exit(1)  # in case the group could not be signalled


# --- signals that mean "stop now" ------------------------------------------------------------
class Stopped(BaseException):
    """The harness was told to stop (SIGTERM, SIGHUP, Ctrl-Break): not a KeyboardInterrupt,
    so nothing treats it as "the learner pressed Ctrl-C, show the summary"; every
    ``finally`` still runs and stops the test processes."""

    def __init__(self, signum: int) -> None:
        super().__init__(signum)
        self.signum = signum

    @property
    def exit_code(self) -> int:
        return 128 + self.signum  # what a shell reports for a process ended by this signal


def stop_signals(windows: bool | None = None) -> list[int]:
    names = ("SIGTERM", "SIGBREAK") if _windows(windows) else ("SIGTERM", "SIGHUP")
    return [getattr(signal, name) for name in names if hasattr(signal, name)]


def _raise_stopped(signum: int, frame: FrameType | None) -> None:
    raise Stopped(signum)


@contextlib.contextmanager
def stopping_on_signals(signals: list[int] | None = None) -> Iterator[None]:
    """Turn the stop signals into :class:`Stopped` while the block runs.

    Without this, SIGTERM or a closed terminal (SIGHUP) ends the harness on the spot,
    and the test processes, in a session of their own, run on as orphans.
    Signal handlers can be set from the main thread only; elsewhere this does nothing.
    """
    previous: dict[int, Any] = {}
    try:
        for signum in stop_signals() if signals is None else signals:
            with contextlib.suppress(ValueError, OSError):  # not the main thread
                previous[signum] = signal.signal(signum, _raise_stopped)
        yield
    finally:
        for signum, handler in previous.items():
            signal.signal(signum, handler)


# --- a lock file -------------------------------------------------------------------------------
@contextlib.contextmanager
def locked(
    path: Path, timeout: float = LOCK_TIMEOUT, windows: bool | None = None
) -> Iterator[None]:
    """Hold an exclusive lock on ``path`` (created if need be) while the block runs.

    The operating system drops the lock when the process ends, however it ends, so a
    killed command never leaves the state locked. Raises TimeoutError (an OSError)
    when another command holds it for more than ``timeout`` seconds.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o666)
    try:
        if _windows(windows):
            lock, unlock = _windows_lock(descriptor, _module("msvcrt"))
        else:
            lock, unlock = _posix_lock(descriptor, _module("fcntl"))
        deadline = time.monotonic() + timeout
        while not lock():
            if time.monotonic() >= deadline:
                raise TimeoutError(f"{path} stayed locked by another harness command")
            time.sleep(LOCK_POLL)
        try:
            yield
        finally:
            unlock()
    finally:
        os.close(descriptor)


def _module(name: str) -> ModuleType:
    return importlib.import_module(name)  # fcntl exists on POSIX only, msvcrt on Windows only


def _posix_lock(descriptor: int, fcntl: Any) -> tuple[Callable[[], bool], Callable[[], None]]:
    def lock() -> bool:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        except OSError:
            return True  # no locks on this file system (some network mounts): go on without
        return True

    def unlock() -> None:
        with contextlib.suppress(OSError):
            fcntl.flock(descriptor, fcntl.LOCK_UN)

    return lock, unlock


def _windows_lock(descriptor: int, msvcrt: Any) -> tuple[Callable[[], bool], Callable[[], None]]:
    # msvcrt.locking locks bytes from the current position: always the first byte.
    def lock() -> bool:
        os.lseek(descriptor, 0, os.SEEK_SET)
        try:
            msvcrt.locking(descriptor, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def unlock() -> None:
        os.lseek(descriptor, 0, os.SEEK_SET)
        with contextlib.suppress(OSError):
            msvcrt.locking(descriptor, msvcrt.LK_UNLCK, 1)

    return lock, unlock


# --- colour ------------------------------------------------------------------------------------
def understands_escapes(
    stream: TextIO, env: Mapping[str, str], windows: bool | None = None
) -> bool:
    """Will ``stream`` show ANSI escape sequences (colour, clear screen) as intended?

    Only a terminal can; not TERM=dumb; on Windows, only a console that has (or can be
    switched to) virtual terminal processing: Windows Terminal and Windows 10+ consoles.
    """
    isatty = getattr(stream, "isatty", None)
    if not (isatty and isatty()) or env.get("TERM") == "dumb":
        return False
    return _windows_console_escapes(stream) if _windows(windows) else True


def _windows_console_escapes(
    stream: TextIO, kernel32: Any = None, handle_of: Callable[[int], int] | None = None
) -> bool:
    try:
        import ctypes

        if kernel32 is None:
            kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined]
        if handle_of is None:
            handle_of = _module("msvcrt").get_osfhandle
        handle = handle_of(stream.fileno())
        mode = ctypes.c_uint32()
        if not kernel32.GetConsoleMode(handle, ctypes.byref(mode)):
            return False  # not a console: a pipe, a file, or an old terminal emulator
        if mode.value & ENABLE_VIRTUAL_TERMINAL_PROCESSING:
            return True
        wanted = mode.value | ENABLE_VIRTUAL_TERMINAL_PROCESSING
        return bool(kernel32.SetConsoleMode(handle, wanted))  # fails before Windows 10
    except (AttributeError, ImportError, OSError, ValueError):
        return False
