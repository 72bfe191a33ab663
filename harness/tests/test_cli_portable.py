"""harness.portable: both branches of each platform difference, run here.

The POSIX branches run for real (where this is POSIX); the Windows branches run with
the calls they make replaced by recorders, so what they would do is checked on any
system.
"""

from __future__ import annotations

import ctypes
import io
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from harness import portable
from harness.terminal import Console, Style

POSIX_ONLY = pytest.mark.skipif(sys.platform == "win32", reason="runs the POSIX branch for real")


class Terminal(io.StringIO):
    def __init__(self, tty: bool = True) -> None:
        super().__init__()
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty

    def fileno(self) -> int:
        return 1


# --- process groups ----------------------------------------------------------------------------
def test_each_system_starts_the_test_process_in_a_group_of_its_own():
    assert portable.group_options(windows=False) == {"start_new_session": True}
    assert portable.group_options(windows=True) == {
        "creationflags": portable.CREATE_NEW_PROCESS_GROUP
    }
    if sys.platform == "win32":
        assert subprocess.CREATE_NEW_PROCESS_GROUP == portable.CREATE_NEW_PROCESS_GROUP


class Running:
    """A Popen as kill_tree sees it."""

    def __init__(self, pid: int, running: bool) -> None:
        self.pid, self.running = pid, running

    def poll(self) -> int | None:
        return None if self.running else 0


def test_on_windows_the_whole_process_tree_is_stopped_by_taskkill(monkeypatch):
    calls = []
    portable._kill_tree_windows(4321, run=lambda argv, **options: calls.append(argv))
    assert calls == [["taskkill", "/F", "/T", "/PID", "4321"]]
    stopped = []
    monkeypatch.setattr(portable, "_kill_tree_windows", stopped.append)
    portable.kill_tree(Running(4321, running=True), windows=True)
    portable.kill_tree(Running(4322, running=False), windows=True)
    assert stopped == [4321], "a process that has ended has no tree left to find"
    monkeypatch.undo()

    def missing(argv, **options):
        raise FileNotFoundError("taskkill")

    portable._kill_tree_windows(4321, run=missing)  # no taskkill: nothing to do, no error


def test_on_posix_the_group_is_stopped_even_after_its_first_process_ended(monkeypatch):
    signalled = []
    monkeypatch.setattr(portable, "_kill_group_posix", signalled.append)
    portable.kill_tree(Running(4321, running=False), windows=False)
    assert signalled == [4321], "what it left running is in its group"

    def gone(pgid: int, signum: int) -> None:
        raise ProcessLookupError

    monkeypatch.undo()
    portable._kill_group_posix(4321, killpg=gone)  # nothing left: not an error


@POSIX_ONLY
def test_killing_the_tree_stops_the_process_and_what_it_started():
    parent = subprocess.Popen(
        [sys.executable, "-c", "import subprocess, sys, time\n"
         "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
         "print(child.pid, flush=True)\ntime.sleep(60)"],
        stdout=subprocess.PIPE,
        text=True,
        **portable.group_options(),
    )
    child = int(parent.stdout.readline())
    portable.kill_tree(parent)
    assert parent.wait(timeout=10) == -signal.SIGKILL
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            break
        state = Path(f"/proc/{child}/stat")
        if state.exists() and state.read_text().rsplit(") ", 1)[1].startswith("Z"):
            break  # ended; its new parent has not reaped it yet
        time.sleep(0.05)
    else:
        raise AssertionError(f"the grandchild {child} is still running")
    parent.stdout.close()


@POSIX_ONLY
def test_the_run_folder_is_removed_once_the_group_that_used_it_is_gone(tmp_path):
    folder = tmp_path / "harness-run"
    (folder / "pymp-pool").mkdir(parents=True)
    group = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(60)"], **portable.group_options()
    )
    remover = portable.remove_after_group(str(folder), group=group.pid)
    assert remover is not None
    time.sleep(0.5)
    assert folder.exists(), "not while a process of the group may still write into it"
    portable.kill_tree(group)
    group.wait(timeout=10)
    assert remover.wait(timeout=10) == 0 and not folder.exists()


def test_on_windows_the_run_folder_is_removed_at_once(tmp_path):
    folder = tmp_path / "harness-run"
    (folder / "pymp-pool").mkdir(parents=True)
    portable.remove_after_group(str(folder), windows=True)
    assert not folder.exists()


# --- stop signals ------------------------------------------------------------------------------
def test_the_stop_signals_are_sigterm_and_sighup_or_ctrl_break_on_windows():
    names = {signal.Signals(s).name for s in portable.stop_signals(windows=False)}
    assert names == {"SIGTERM", "SIGHUP"} or sys.platform == "win32"
    windows = portable.stop_signals(windows=True)
    assert signal.SIGTERM in windows
    assert all(s in (signal.SIGTERM, getattr(signal, "SIGBREAK", None)) for s in windows)


@POSIX_ONLY
def test_sigterm_becomes_stopped_inside_the_block_and_the_old_handler_comes_back():
    before = signal.getsignal(signal.SIGTERM)
    with pytest.raises(portable.Stopped) as stopped:
        with portable.stopping_on_signals([signal.SIGTERM]):
            os.kill(os.getpid(), signal.SIGTERM)
            time.sleep(5)  # the handler raises at once
    assert stopped.value.exit_code == 128 + signal.SIGTERM
    assert signal.getsignal(signal.SIGTERM) is before
    assert not isinstance(stopped.value, (Exception, KeyboardInterrupt)), "no except catches it"


def test_outside_the_main_thread_stop_signals_are_left_alone():
    seen = []

    def elsewhere() -> None:
        with portable.stopping_on_signals([signal.SIGTERM]):
            seen.append(signal.getsignal(signal.SIGTERM))

    before = signal.getsignal(signal.SIGTERM)
    thread = threading.Thread(target=elsewhere)
    thread.start()
    thread.join()
    assert seen == [before]


# --- the lock file -----------------------------------------------------------------------------
@POSIX_ONLY
def test_the_lock_is_exclusive_and_waits_then_gives_up(tmp_path):
    path = tmp_path / "state.lock"
    with portable.locked(path):
        with pytest.raises(TimeoutError, match="stayed locked"):
            with portable.locked(path, timeout=0.1):
                pass
    with portable.locked(path, timeout=0.1):
        pass  # released


class FakeMsvcrt:
    """msvcrt.locking as Windows does it: LK_NBLCK fails while another holder has it."""

    LK_UNLCK, LK_NBLCK = 0, 2

    def __init__(self, busy: int) -> None:
        self.busy = busy  # how many attempts find the byte locked
        self.calls: list[tuple[int, int, int]] = []

    def locking(self, descriptor: int, mode: int, size: int) -> None:
        self.calls.append((os.lseek(descriptor, 0, os.SEEK_CUR), mode, size))
        if mode == self.LK_NBLCK and self.busy:
            self.busy -= 1
            raise PermissionError(13, "Permission denied")


def test_on_windows_the_lock_is_the_first_byte_taken_with_msvcrt(tmp_path):
    descriptor = os.open(tmp_path / "state.lock", os.O_RDWR | os.O_CREAT)
    try:
        msvcrt = FakeMsvcrt(busy=2)
        lock, unlock = portable._windows_lock(descriptor, msvcrt)
        assert [lock(), lock(), lock()] == [False, False, True]
        unlock()
        assert msvcrt.calls == [(0, 2, 1)] * 3 + [(0, 0, 1)]
    finally:
        os.close(descriptor)


def test_without_locks_on_the_file_system_the_state_is_still_written(tmp_path):
    class NoLocks:
        LOCK_EX, LOCK_NB, LOCK_UN = 2, 4, 8

        def flock(self, descriptor: int, operation: int) -> None:
            raise OSError(37, "No locks available")

    lock, unlock = portable._posix_lock(0, NoLocks())
    assert lock() is True
    unlock()


# --- colour ----------------------------------------------------------------------------------
class FakeKernel32:
    """GetConsoleMode/SetConsoleMode as a Windows console answers them."""

    def __init__(self, console: bool, mode: int, can_set: bool = True) -> None:
        self.console, self.mode, self.can_set = console, mode, can_set
        self.set_to: int | None = None

    def GetConsoleMode(self, handle: int, mode: object) -> int:  # noqa: N802 - Windows' name
        if not self.console:
            return 0
        mode._obj.value = self.mode  # type: ignore[attr-defined]
        return 1

    def SetConsoleMode(self, handle: int, mode: int) -> int:  # noqa: N802
        if not self.can_set:
            return 0
        self.set_to = mode
        return 1


@pytest.mark.parametrize(
    ("kernel32", "shows", "set_to"),
    [
        (FakeKernel32(console=True, mode=0x7), True, None),  # Windows Terminal: VT already on
        (FakeKernel32(console=True, mode=0x3), True, 0x7),  # Windows 10 console: switched on
        (FakeKernel32(console=True, mode=0x3, can_set=False), False, None),  # before Windows 10
        (FakeKernel32(console=False, mode=0), False, None),  # mintty and other pipes
    ],
    ids=["vt on", "vt switched on", "old console", "not a console"],
)
def test_on_windows_colour_needs_a_console_with_virtual_terminal_processing(
    kernel32, shows, set_to
):
    escapes = portable._windows_console_escapes(
        Terminal(), kernel32=kernel32, handle_of=lambda descriptor: 42
    )
    assert escapes is shows and kernel32.set_to == set_to
    assert ctypes  # the branch builds its DWORD with ctypes, present on every system


def test_colour_only_on_a_terminal_that_shows_it_and_never_with_no_color(monkeypatch):
    assert portable.understands_escapes(Terminal(tty=True), {}, windows=False)
    assert not portable.understands_escapes(Terminal(tty=False), {}, windows=False)
    assert not portable.understands_escapes(Terminal(tty=True), {"TERM": "dumb"}, windows=False)
    monkeypatch.setattr(portable, "_windows_console_escapes", lambda stream: False)
    assert not portable.understands_escapes(Terminal(tty=True), {}, windows=True)
    monkeypatch.setattr(portable, "WINDOWS", False)
    assert Style(Terminal(tty=True), {}).colour
    assert not Style(Terminal(tty=True), {"NO_COLOR": "1"}).colour
    assert Style(Terminal(tty=True), {"NO_COLOR": "1"}).escapes, "NO_COLOR is about colour only"


def test_a_terminal_without_escapes_gets_a_separator_instead_of_a_clear_screen(monkeypatch):
    monkeypatch.setattr(portable, "understands_escapes", lambda stream, env: False)
    screen = Console(out=Terminal(tty=True), env={}, read_line=lambda: None)
    screen.clear()
    assert "\x1b" not in screen.out.getvalue() and "-" * 72 in screen.out.getvalue()
