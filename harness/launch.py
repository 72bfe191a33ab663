"""How the harness starts pytest: ``python -m harness.launch ARGS`` is ``python -m pytest
ARGS`` with a watchdog, so the tests never outlive the harness that started them.

The harness gives this process a pipe as its standard input and never writes to it.
When the harness is gone, whatever ended it (SIGKILL included), the pipe reaches
end-of-file: the watchdog then ends this process and everything it started (its
process group), and the run's temporary folder is removed once they are gone (see
portable.remove_after_group). The tests themselves read standard input from the
null device, as they would with ``stdin=DEVNULL``.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import threading

from harness import portable

FOLDER_VARIABLE = "HARNESS_FOLDER"  # the run's temporary folder (see runner)


def watch_parent(descriptor: int, folder: str | None) -> None:
    """Block until the harness's end of the pipe closes, then stop everything."""
    try:
        while os.read(descriptor, 4096):
            pass
    except OSError:
        pass
    try:
        # Held in a name to the end: a Popen dropped while its process runs warns.
        remover = portable.remove_after_group(folder) if folder else None  # noqa: F841
    finally:
        portable.kill_own_group()  # ends this process; the remover is never waited for


def start_watchdog() -> int:
    descriptor = os.dup(0)  # not inheritable: the tests' own subprocesses never hold it
    null = os.open(os.devnull, os.O_RDONLY)
    os.dup2(null, 0)
    os.close(null)
    threading.Thread(
        target=watch_parent,
        args=(descriptor, os.environ.get(FOLDER_VARIABLE)),
        name="harness-watchdog",
        daemon=True,
    ).start()
    return descriptor


# Waits for the harness's end of the pipe to close, then removes the run's folder.
FOLDER_KEEPER = """\
import os, shutil, sys
try:
    while os.read(int(sys.argv[1]), 4096):
        pass
except OSError:
    pass
shutil.rmtree(sys.argv[2], ignore_errors=True)
"""


def leave_folder_to_the_pipe(descriptor: int, folder: str | None) -> subprocess.Popen | None:
    """pytest is done; the harness still reads the folder, then removes it. A harness
    killed in between (SIGKILL) never would: a detached process that holds the pipe
    removes it once the harness's end closes, however the harness ended. POSIX only:
    Windows cannot hand a pipe's end to another process this way."""
    if not folder or os.name != "posix":
        return None
    with contextlib.suppress(OSError, RuntimeError, ValueError):
        return subprocess.Popen(  # noqa: S603 - our own interpreter and script
            [sys.executable, "-I", "-S", "-c", FOLDER_KEEPER, str(descriptor), folder],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            pass_fds=(descriptor,),
            start_new_session=True,  # out of the group the harness kills when pytest ends
        )
    return None


def main() -> None:
    descriptor = start_watchdog()
    import pytest

    code = pytest.main()
    keeper = leave_folder_to_the_pipe(descriptor, os.environ.get(FOLDER_VARIABLE))  # noqa: F841
    sys.exit(code)


if __name__ == "__main__":
    main()
