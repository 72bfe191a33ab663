"""How the harness starts pytest: ``python -m harness.launch ARGS`` is ``python -m pytest
ARGS`` with a watchdog, so the tests never outlive the harness that started them.

The harness gives this process a pipe as its standard input and never writes to it.
When the harness is gone, whatever ended it (SIGKILL included), the pipe reaches
end-of-file: the watchdog then removes the run's temporary folder and ends this
process and everything it started (its process group). The tests themselves read
standard input from the null device, as they would with ``stdin=DEVNULL``.
"""

from __future__ import annotations

import os
import shutil
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
    if folder:
        shutil.rmtree(folder, ignore_errors=True)
    portable.kill_own_group()


def start_watchdog() -> None:
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


def main() -> None:
    start_watchdog()
    import pytest

    sys.exit(pytest.console_main())


if __name__ == "__main__":
    main()
