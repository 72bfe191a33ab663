"""How kata tests start process pools: fast where it is safe, as on the learner's OS when asked.

Linux starts pool workers with fork (milliseconds, but only safe while the process has
one thread); macOS and Windows use spawn, which re-imports the worker's modules by name.
``pytest --start-method spawn`` makes every pool here start like that, to prove the
katas on the platforms this machine is not.
"""

from __future__ import annotations

import multiprocessing
import threading

_forced: str | None = None


def force_start_method(method: str | None) -> None:
    """Set by the plugin from ``--start-method`` (None: choose per pool)."""
    global _forced
    _forced = method


def start_method() -> str:
    """The start method for a pool made now: the forced one, else fork while the process
    has a single thread, else forkserver (fork with threads running is unsafe)."""
    if _forced is not None:
        return _forced
    if "fork" not in multiprocessing.get_all_start_methods():
        return "spawn"  # Windows
    return "fork" if threading.active_count() == 1 else "forkserver"


def context() -> multiprocessing.context.BaseContext:
    return multiprocessing.get_context(start_method())
