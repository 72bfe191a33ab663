"""A tiny curriculum for the CLI's tests: four katas in the real layout, run by the real
pytest plugin, with no latency, so a whole session takes well under a second.

- 01_add     beginner      two tests (one is the workload), ideal 0.01 s, three hints
- 02_greet   beginner      two tests, no ideal, no workload test
- 03_wait    intermediate  one test; the hanging variant waits forever
- 04_later   advanced      listed in katas.toml but not written yet (missing folder)
"""

from __future__ import annotations

import configparser
import shutil
import subprocess
from pathlib import Path

from harness.catalog import ROOT

CATALOG = """\
[[kata]]
number = 1
slug = "add"
title = "Add: await a sum"
level = "beginner"
concepts = ["await"]
hints = [
  "First nudge: the sum is a + b.",
  "Second: return it from the coroutine.",
  "Last: `return a + b`.",
]
ideal = 0.01

[[kata]]
number = 2
slug = "greet"
title = "Greet: await a greeting"
level = "beginner"
concepts = ["async def"]
hints = ["Greet by name.", "`return f'hello {name}'`."]

[[kata]]
number = 3
slug = "wait"
title = "Wait: an event that is set"
level = "intermediate"
concepts = ["asyncio.Event"]
hints = ["Set the event before you wait.", "`event.set()` then `await event.wait()`."]
ideal = 0.01

[[kata]]
number = 4
slug = "later"
title = "Later: not written yet"
level = "advanced"
concepts = ["a kata still being written"]
hints = ["One.", "Two."]
"""

def pytest_ini(timeout: int = 1) -> str:
    """tox.ini's [pytest] section for a curriculum in another folder.

    Read from tox.ini so the fake curricula run under the real settings. Without
    ``pythonpath = .`` (PYTHONPATH points at this repository instead), testpaths only
    ``katas``, and a short timeout so that a hanging kata costs a second.
    """
    tox = configparser.ConfigParser(interpolation=None)
    tox.read(ROOT / "tox.ini", encoding="utf-8")
    settings = dict(tox["pytest"])
    settings.pop("pythonpath", None)
    settings.update(testpaths="katas", timeout=str(timeout))
    lines = [f"{key} = {value.strip()}" for key, value in settings.items()]
    return "[pytest]\n" + "\n".join(lines) + "\n"


PYTEST_INI = pytest_ini()
# A test that starts pytest subprocesses (the CLI's, pytester's) waits for several
# interpreters to start and import the plugin: seconds each on a busy machine, where a
# kata test's 5 s timeout is for one test's own code.
SUBPROCESS_TIMEOUT = 120

CONFTEST = 'pytest_plugins = ["harness.judge.plugin"]\n'

STUBS = {
    "01_add": '''\
"""Kata 01 — add: an `async def` function returns its result to whoever awaits it."""


async def add(a: int, b: int) -> int:
    """add(2, 3) -> 5"""
    # TODO: return the sum.
    raise NotImplementedError
''',
    "02_greet": '''\
"""Kata 02 — greet: a coroutine that returns a string."""


async def greet(name: str) -> str:
    """greet("ana") -> "hello ana" """
    # TODO: return the greeting.
    raise NotImplementedError
''',
    "03_wait": '''\
"""Kata 03 — wait: awaiting an event returns once it is set."""

import asyncio


async def wait_for_signal() -> str:
    """Set an event, wait for it, return "ready"."""
    event = asyncio.Event()
    # TODO: set the event, then wait for it.
    raise NotImplementedError
''',
}

TESTS = {
    "01_add": '''\
import pytest


async def test_two_and_three_make_five(kata):
    """The coroutine's result is the sum."""
    assert await kata.add(2, 3) == 5, "await add(2, 3) should give 5"


@pytest.mark.workload
async def test_one_and_one_make_two(kata):
    """The workload: one small sum."""
    assert await kata.add(1, 1) == 2, "await add(1, 1) should give 2"
''',
    "02_greet": '''\
async def test_ana_is_greeted(kata):
    """The greeting names the person."""
    assert await kata.greet("ana") == "hello ana", "await greet('ana') should give 'hello ana'"


async def test_bo_is_greeted(kata):
    """Any name works."""
    assert await kata.greet("bo") == "hello bo", "await greet('bo') should give 'hello bo'"
''',
    "03_wait": '''\
import pytest


@pytest.mark.workload
async def test_the_signal_arrives(kata):
    """Waiting for an event that was set returns at once."""
    assert await kata.wait_for_signal() == "ready", "wait_for_signal() should give 'ready'"
''',
}

SOLUTIONS = {
    "01_add": '"""Reference."""\n\n\nasync def add(a: int, b: int) -> int:\n    return a + b\n',
    "02_greet": (
        '"""Reference."""\n\n\nasync def greet(name: str) -> str:\n    return f"hello {name}"\n'
    ),
    "03_wait": (
        '"""Reference."""\n\nimport asyncio\n\n\nasync def wait_for_signal() -> str:\n'
        '    event = asyncio.Event()\n    event.set()\n    await event.wait()\n    return "ready"\n'
    ),
}

# What a learner's kata.py can look like.
SOLVED = SOLUTIONS
HALF_DONE_ADD = (
    '"""Mine."""\n\n\nasync def add(a: int, b: int) -> int:\n    return a + b if a == 2 else 0\n'
)
SYNTAX_ERROR_ADD = '"""Mine."""\n\n\nasync def add(a: int, b: int) -> int\n    return a + b\n'
HANGING_WAIT = (
    '"""Mine."""\n\nimport asyncio\n\n\nasync def wait_for_signal() -> str:\n'
    '    event = asyncio.Event()\n    await event.wait()  # nothing sets it\n    return "ready"\n'
)
# A real crash, as native code would end the process: libc's _exit, not os._exit (which
# the judge refuses) and not a signal (a run killed by a signal is not cached).
CRASHING_GREET = (
    '"""Mine."""\n\nimport ctypes\n\n\nasync def greet(name: str) -> str:\n'
    "    ctypes.CDLL(None)._exit(3)\n"
)
# Misbehaving learner code: each must change nothing but its own kata's result.
EXITING_ADD = "import sys; sys.exit(0)\n" + SOLUTIONS["01_add"]  # the example
INTERRUPTING_ADD = (
    '"""Mine."""\n\n\nasync def add(a: int, b: int) -> int:\n    raise KeyboardInterrupt\n'
)
EXITING_ZERO_GREET = CRASHING_GREET.replace("_exit(3)", "_exit(0)")
# A thread that never ends (so the test process cannot exit), a subprocess that sleeps,
# and a multiprocessing temp folder; it adds a line saying where they are to $KATA_MARK.
LINGERING_ADD = '''\
"""Mine: leaves things running."""

import json
import multiprocessing.util
import os
import subprocess
import sys
import threading
import time

threading.Thread(target=lambda: [time.sleep(1) for _ in iter(int, 1)]).start()
_sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(1000)"])
_seen = {
    "pid": os.getpid(),
    "group": os.getpgrp() if hasattr(os, "getpgrp") else None,
    "sleeper": _sleeper.pid,
    "pymp": multiprocessing.util.get_temp_dir(),
}
with open(os.environ["KATA_MARK"], "a", encoding="utf-8") as _mark:
    _mark.write(json.dumps(_seen) + "\\n")  # one line per load: each test loads kata.py


async def add(a: int, b: int) -> int:
    return a + b
'''
# Blocks the timeout's signal, then waits for a signal nobody sends: only the harness's
# own watchdog can end it.
UNSTOPPABLE_WAIT = (
    '"""Mine."""\n\nimport signal\n\n\nasync def wait_for_signal() -> str:\n'
    "    signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGALRM, signal.SIGUSR1})\n"
    '    signal.sigwait({signal.SIGUSR1})\n    return "ready"\n'
)


def build(root: Path) -> Path:
    """Write the fake curriculum into ``root`` and return ``root``."""
    (root / "katas").mkdir(parents=True)
    (root / "katas" / "katas.toml").write_text(CATALOG, encoding="utf-8")
    (root / "pytest.ini").write_text(PYTEST_INI, encoding="utf-8")
    (root / "conftest.py").write_text(CONFTEST, encoding="utf-8")
    (root / ".gitignore").write_text(".harness/\n__pycache__/\n", encoding="utf-8")
    for name, stub in STUBS.items():
        folder = root / "katas" / name
        folder.mkdir()
        (folder / "README.md").write_text(f"# {name}\n\nThe lesson.\n", encoding="utf-8")
        (folder / "kata.py").write_text(stub, encoding="utf-8")
        (folder / "test_kata.py").write_text(TESTS[name], encoding="utf-8")
        solution = root / "solutions" / name
        solution.mkdir(parents=True)
        (solution / "kata.py").write_text(SOLUTIONS[name], encoding="utf-8")
    return root


def copy(template: Path, root: Path) -> Path:
    """A copy of a built curriculum, with its .harness cache (the keys do not name paths)."""
    shutil.copytree(template, root)
    return root


def git(root: Path, *args: str) -> None:
    identity = ["-c", "user.name=learner", "-c", "user.email=learner@example.com"]
    subprocess.run(["git", *identity, *args], cwd=root, check=True, capture_output=True)


def commit(root: Path, message: str = "katas") -> None:
    """Commit everything in ``root``, making it a git checkout first if need be."""
    if not (root / ".git").exists():
        git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", message)


def write(root: Path, kata: str, text: str) -> Path:
    path = root / "katas" / kata / "kata.py"
    path.write_text(text, encoding="utf-8")
    return path
