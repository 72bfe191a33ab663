"""The judge: what kata tests use to check the learner's code and explain a failure.

Kata tests import from here, never from the modules inside:

    from harness.judge import Budget, assert_ran_concurrently, fail

- ``fail(what, fix=..., evidence=...)`` / ``expect(condition, what, fix=...)``: fail with
  a message split into what went wrong and what to try (interview mode hides the fix);
- ``Budget``, ``stopwatch``: timing bounds stated as ratios of the intended latency;
- ``assert_ran_concurrently``, ``draw_timeline``: the fake service's evidence;
- ``peak_in_flight``, ``draw_in_flight``: how many were in flight during a stretch of
  time, and a one-row chart of it for more requests than a timeline has room for;
- ``LoopMonitor``, ``assert_loop_stayed_responsive``: the event loop's heartbeat;
- ``run_watched``: await the code under test, raising ``Stalled`` as soon as it stops
  making progress (nothing in flight, nothing new), long before the test's timeout;
- ``assert_result``: a value, and a forgotten ``await`` named as such;
- ``pool_context()``: the multiprocessing context for a process pool (``--start-method``);
- ``wrote(kata, "gather")``: whether the learner's file calls something, so a message
  speaks of what they wrote;
- ``excepts(kata)``: the learner's `except` clauses (where, what they name, ``catches(e)``),
  so a message can point at the one that caught too much or too little;
- ``serve_app(app, kata_file)``: the learner's aiohttp application served on loopback,
  with what its handlers raised (``.errors``, each with the learner's line).
"""

from harness.judge.apps import HandlerError, ServedApp, serve_app
from harness.judge.evidence import (
    Budget,
    LoopMonitor,
    Stalled,
    assert_loop_stayed_responsive,
    assert_ran_concurrently,
    assert_result,
    draw_in_flight,
    draw_timeline,
    peak_in_flight,
    run_watched,
    stopwatch,
)
from harness.judge.processes import context as pool_context
from harness.judge.report import Diagnosis, Mistake, expect, fail
from harness.judge.source import excepts, wrote

__all__ = [
    "Budget",
    "Diagnosis",
    "HandlerError",
    "LoopMonitor",
    "Mistake",
    "Stalled",
    "assert_loop_stayed_responsive",
    "assert_ran_concurrently",
    "assert_result",
    "draw_in_flight",
    "draw_timeline",
    "excepts",
    "expect",
    "fail",
    "peak_in_flight",
    "pool_context",
    "serve_app",
    "ServedApp",
    "run_watched",
    "stopwatch",
    "wrote",
]
