"""Kata 01 — coroutines. Run: pytest katas/01_coroutines"""

import inspect

import pytest

from harness.judge import LoopMonitor, assert_loop_stayed_responsive, assert_result, expect, stopwatch

STEEP = 0.05
# While the tea steeps for LONG_STEEP, a heartbeat task must keep ticking: it may be late
# by MAX_LAG. A free loop was late by up to 0.03 s with both cores busy (MAX_LAG is 2.7x
# that); a brew that keeps the loop busy (checking the clock in a loop) holds it for the
# whole LONG_STEEP (3x MAX_LAG).
LONG_STEEP = 0.25
MAX_LAG = 0.08
WAIT_THE_ASYNCIO_WAY = (
    "wait with `await asyncio.sleep(steep_seconds)`: it hands the event loop to other tasks "
    "until the time is up, where a loop that watches the clock keeps it busy."
)


def test_brew_tea_and_serve_tea_are_coroutine_functions(kata):
    """`async def` makes a coroutine function; a plain `def` does not."""
    for name in ("brew_tea", "serve_tea"):
        expect(
            inspect.iscoroutinefunction(getattr(kata, name)),
            f"{name} is a plain function: callers cannot await it.",
            fix=f"declare it with `async def {name}(...)`.",
        )
    expect(
        not inspect.iscoroutinefunction(kata.make_tea_now),
        "make_tea_now is declared with `async def`, but it is for callers that are not async.",
        fix="declare it with a plain `def` and start the event loop inside it.",
    )


async def test_calling_brew_tea_gives_a_coroutine_not_a_cup(kata):
    """Calling a coroutine function only creates a coroutine; awaiting it runs it."""
    brewing = kata.brew_tea("green", STEEP)
    expect(
        inspect.iscoroutine(brewing),
        f"brew_tea('green', {STEEP}) returned {brewing!r}, not a coroutine object.",
        fix="declare brew_tea with `async def`: calling it then gives a coroutine to await.",
    )
    assert_result(await brewing, "a cup of green tea", call=f"await brew_tea('green', {STEEP})")


@pytest.mark.workload
async def test_brew_tea_steeps_for_the_time_given(kata):
    """The tea steeps for `steep_seconds` before the cup is ready."""
    with stopwatch() as watch:
        cup = await kata.brew_tea("oolong", STEEP)
    assert_result(cup, "a cup of oolong tea", call=f"await brew_tea('oolong', {STEEP})")
    expect(
        watch.elapsed >= STEEP * 0.9,
        f"brew_tea('oolong', {STEEP}) returned after {watch.elapsed:.3f} s: the tea did not "
        f"steep for {STEEP} s.",
        fix="wait `steep_seconds` with `await asyncio.sleep(steep_seconds)` before you return.",
    )


async def test_other_tasks_run_while_the_tea_steeps(kata, kata_file):
    """`await asyncio.sleep` leaves the event loop free while it waits: a heartbeat ticks."""
    async with LoopMonitor(kata_file) as monitor:
        cup = await kata.brew_tea("rooibos", LONG_STEEP)
    assert_loop_stayed_responsive(monitor, max_lag=MAX_LAG, advice=WAIT_THE_ASYNCIO_WAY)
    assert_result(cup, "a cup of rooibos tea", call=f"await brew_tea('rooibos', {LONG_STEEP})")


async def test_serve_tea_awaits_the_brewed_cup(kata):
    """`await` gives the coroutine's result, here the cup that serve_tea serves."""
    served = await kata.serve_tea("jasmine", 0.01)
    assert_result(
        served, "a cup of jasmine tea, served", call="await serve_tea('jasmine', 0.01)"
    )


def test_make_tea_now_runs_an_event_loop_of_its_own(kata):
    """A plain function runs a coroutine to completion with `asyncio.run`."""
    served = kata.make_tea_now("mint", 0.01)
    assert_result(served, "a cup of mint tea, served", call="make_tea_now('mint', 0.01)")
