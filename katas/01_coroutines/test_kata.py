"""Kata 01 — coroutines. Run: pytest katas/01_coroutines"""

import asyncio

import pytest

from harness.judge import assert_result, stopwatch

STEEP = 0.05


def test_brew_tea_and_serve_tea_are_coroutine_functions(kata):
    """`async def` makes a coroutine function; a plain `def` does not."""
    for name in ("brew_tea", "serve_tea"):
        assert asyncio.iscoroutinefunction(getattr(kata, name)), (
            f"{name} must be declared with `async def` so that callers can await it"
        )
    assert not asyncio.iscoroutinefunction(kata.make_tea_now), (
        "make_tea_now is for callers that are not async: declare it with a plain `def`"
    )


async def test_calling_brew_tea_gives_a_coroutine_not_a_cup(kata):
    """Calling a coroutine function only creates a coroutine; awaiting it runs it."""
    brewing = kata.brew_tea("green", STEEP)
    assert asyncio.iscoroutine(brewing), (
        f"brew_tea('green', {STEEP}) returned {brewing!r}; calling an `async def` "
        "function gives a coroutine object"
    )
    assert_result(await brewing, "a cup of green tea", call=f"await brew_tea('green', {STEEP})")


@pytest.mark.workload
async def test_brew_tea_steeps_for_the_time_given(kata):
    """The tea steeps with `await asyncio.sleep`, which leaves the loop free meanwhile."""
    with stopwatch() as watch:
        cup = await kata.brew_tea("oolong", STEEP)
    assert_result(cup, "a cup of oolong tea", call=f"await brew_tea('oolong', {STEEP})")
    assert watch.elapsed >= STEEP * 0.9, (
        f"brew_tea returned after {watch.elapsed:.3f} s; it should steep for {STEEP} s"
    )


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
