"""Kata 19 — events and barriers. Run: pytest katas/19_events_and_barriers"""

import asyncio

import aiohttp
import pytest
from aiohttp import web

from harness.judge import (
    Budget,
    assert_ran_concurrently,
    assert_result,
    draw_timeline,
    expect,
    fail,
)

# Shoppers sign in at different speeds, within 20 ms. In the test of `ready`, the shop
# holds dee's sign-in until the test lets it go: `ready` set before dee is signed in is
# then seen for certain, not by racing the clock.
SIGN_IN = {"ana": 0.0, "bo": 0.01, "cy": 0.02, "dee": 0.02, "eve": 0.0, "fay": 0.01}
SHOPPERS = list(SIGN_IN)
HELD = "dee"
# How long the test watches for what must not happen yet: `ready` set while dee is held
# (a wrong `ready` is set a few loop turns after the first sign-in is answered), a buy
# while the doors are shut (a wrong buy reaches the shop a few ms after `ready`).
LOOK_READY = 0.05
LOOK_BUYS = 0.08
BUY = 0.05  # each buy takes 50 ms: together ≈ 0.05 s, one at a time ≈ 0.3 s
BUYS_TOGETHER = Budget(ideal=BUY, sequential=BUY * len(SHOPPERS))
# Runners warm up at different speeds; dee needs 100 ms, ada none.
WARM_UP = {"ada": 0.0, "bo": 0.03, "cy": 0.06, "dee": 0.1}
RUNNERS = list(WARM_UP)
SPRINT = 0.05
PATIENCE = 1.0  # seconds to wait for something that takes a tenth of that


def open_shop(service, hold: asyncio.Event | None = None) -> None:
    """The shop; with `hold`, dee's sign-in is answered only once `hold` is set."""
    for shopper, latency in SIGN_IN.items():
        service.route(f"/sign-in/{shopper}", json={"shopper": shopper}, latency=latency)
        service.route(f"/buy/{shopper}", json={"shopper": shopper, "item": "tv"}, latency=BUY)
    if hold is not None:

        async def held_sign_in(request: web.Request) -> web.Response:
            async with asyncio.timeout(PATIENCE):  # never longer than that, whatever happens
                await hold.wait()
            return web.json_response({"shopper": HELD})

        service.route(f"/sign-in/{HELD}", handler=held_sign_in)


def open_track(service, failing: str | None = None) -> None:
    for runner, latency in WARM_UP.items():
        status = 503 if runner == failing else 200
        service.route(f"/warm-up/{runner}", json={"runner": runner}, latency=latency, status=status)
        service.route(f"/sprint/{runner}", json={"runner": runner, "lane": runner}, latency=SPRINT)


def calls_under(service, prefix: str):
    return [call for call in service.calls if call.path.startswith(prefix)]


def who(call) -> str:
    return call.path.rsplit("/", 1)[-1]


def names(calls) -> str:
    return ", ".join(who(call) for call in calls) or "nobody"


def receipts() -> list[dict]:
    return [{"shopper": shopper, "item": "tv"} for shopper in SHOPPERS]


async def finished(task: asyncio.Task, call: str, waiting_for: str):
    """The task's result, waiting at most PATIENCE for it."""
    __tracebackhide__ = True
    done, _ = await asyncio.wait({task}, timeout=PATIENCE)
    if not done:
        task.cancel()
        await asyncio.wait({task}, timeout=PATIENCE)
        fail(f"{call} was still running {PATIENCE:g} s later, {waiting_for}.")
    return task.result()


async def until(condition, task: asyncio.Task, *, before: str, still: str) -> None:
    """Wait (at most PATIENCE) until ``condition()``; if the task ends first, say how."""
    __tracebackhide__ = True
    deadline = asyncio.get_running_loop().time() + PATIENCE
    while not condition():
        if task.done():
            if task.exception() is not None:
                raise task.exception()  # shown at the learner's line
            fail(f"flash_sale returned {task.result()!r} before {before}.")
        if asyncio.get_running_loop().time() > deadline:
            task.cancel()
            await asyncio.wait({task}, timeout=PATIENCE)
            fail(f"{PATIENCE:g} s after flash_sale started, {still}.")
        await asyncio.sleep(0.005)


async def ready_set(ready: asyncio.Event, task: asyncio.Task) -> None:
    """Wait for the learner's `ready` (at most PATIENCE)."""
    __tracebackhide__ = True
    await until(
        ready.is_set,
        task,
        before="setting `ready`",
        still=f"`ready` was still not set (every sign-in is answered within "
        f"{max(SIGN_IN.values())} s)",
    )


def signing_in(service) -> tuple[list[str], list[str]]:
    """The shoppers whose sign-in the shop has answered, and those it has not (yet)."""
    calls = calls_under(service, "/sign-in/")
    done = [who(c) for c in calls if c.ended is not None]
    return done, [shopper for shopper in SHOPPERS if shopper not in done]


# --- the flash sale ---------------------------------------------------------------------------
async def test_ready_is_set_once_every_shopper_has_signed_in(kata, service):
    """An Event set too early tells the doorman a lie: set it when the condition is true."""
    dee_may_finish = asyncio.Event()
    open_shop(service, hold=dee_may_finish)
    ready, doors = asyncio.Event(), asyncio.Event()
    call = "flash_sale(url, shoppers, ready, doors)"
    task = asyncio.create_task(kata.flash_sale(service.base_url, SHOPPERS, ready, doors))
    await until(
        lambda: signing_in(service)[1] == [HELD] and service.calls_to(f"/sign-in/{HELD}"),
        task,
        before="signing every shopper in",
        still=f"the shop had sign-ins only from {names(calls_under(service, '/sign-in/'))}",
    )
    # Every shopper but dee is signed in, and dee cannot be until the test says so.
    watch = asyncio.create_task(ready.wait())
    await asyncio.wait({watch}, timeout=LOOK_READY)
    watch.cancel()
    early = ready.is_set()
    timeline = draw_timeline(service.calls, now=service.now())
    dee_may_finish.set()
    if early:
        task.cancel()
        await asyncio.wait({task}, timeout=PATIENCE)
        fail(
            f"`ready` was set before {HELD} had signed in (the shop had answered the other "
            f"{len(SHOPPERS) - 1}, and was still working on {HELD}'s sign-in).",
            fix="wait for every sign-in (gather, or a TaskGroup), then ready.set(), once.",
            evidence=timeline,
        )
    await ready_set(ready, task)
    doors.set()
    await finished(task, call, "after the doors opened")


async def test_shoppers_buy_together_when_the_doors_open_and_not_before(kata, service):
    """`await doors.wait()` holds everyone until the signal, then lets them all go at once."""
    open_shop(service)
    ready, doors = asyncio.Event(), asyncio.Event()
    call = "flash_sale(url, shoppers, ready, doors)"
    task = asyncio.create_task(kata.flash_sale(service.base_url, SHOPPERS, ready, doors))
    await ready_set(ready, task)
    await asyncio.wait({task}, timeout=LOOK_BUYS)  # the doors stay shut a while longer
    early = calls_under(service, "/buy/")
    if task.done() or early:
        if task.done() and task.exception() is not None:
            raise task.exception()
        fail(
            f"{names(early)} bought before the doors opened: {LOOK_BUYS} s after `ready`, "
            f"nobody had set `doors` yet, and {call} "
            + ("had returned." if task.done() else "was already buying."),
            fix="`await doors.wait()` after the sign-ins: it returns once the doorman "
            "calls doors.set().",
            evidence=draw_timeline(calls_under(service, "/buy/"), now=service.now()),
        )
    service.reset()  # from here on, only the buys
    doors.set()
    bought = await finished(task, call, "after the doors opened")
    assert_ran_concurrently(service, budget=BUYS_TOGETHER, expected_requests=len(SHOPPERS))
    assert_result(bought, receipts(), call=call)


# --- the race ---------------------------------------------------------------------------------
@pytest.mark.workload
async def test_runners_sprint_together_once_the_last_one_is_warmed_up(kata, service):
    """A Barrier lets each runner wait for the others, then releases them all at once."""
    open_track(service)
    results = await kata.race(service.base_url, RUNNERS)
    warm_ups, sprints = calls_under(service, "/warm-up/"), calls_under(service, "/sprint/")
    expect(
        len(sprints) == len(RUNNERS),
        f"race(url, runners) sprinted {len(sprints)} times for {len(RUNNERS)} runners.",
        evidence=draw_timeline(service.calls),
    )
    last = max(warm_ups, key=lambda c: c.ended or 0)
    first = min(sprints, key=lambda c: c.started)
    expect(
        first.started >= (last.ended or 0),
        f"{who(first)} started sprinting at {first.started - warm_ups[0].started:.2f} s, "
        f"while {who(last)} was still warming up (until "
        f"{(last.ended or 0) - warm_ups[0].started:.2f} s): nobody may start before every "
        "runner is ready.",
        fix="asyncio.Barrier(len(runners)): each runner does `await barrier.wait()` "
        "between its warm-up and its sprint.",
        evidence=draw_timeline(service.calls),
    )
    expect(
        max(c.started for c in sprints) < min(c.ended or 0 for c in sprints),
        "the runners did not sprint together: one sprint had ended before another began.",
        fix="release them all at once (the barrier does), and let them sprint concurrently.",
        evidence=draw_timeline(service.calls),
    )
    assert_result(results, [{"runner": r, "lane": r} for r in RUNNERS], call="race(url, runners)")


async def test_a_runner_who_cannot_warm_up_calls_the_race_off(kata, kata_file, service):
    """A party that will never arrive must break the barrier: nobody waits forever."""
    open_track(service, failing="dee")
    call = "race(url, runners) where dee's warm-up answers 503"
    task = asyncio.create_task(kata.race(service.base_url, RUNNERS))
    done, _ = await asyncio.wait({task}, timeout=PATIENCE)
    if not done:
        task.cancel()
        await asyncio.wait({task}, timeout=PATIENCE)
        fail(
            f"{call} was still running {PATIENCE:g} s later: the other runners were waiting "
            "at the barrier for dee, who will never come.",
            fix="when a warm-up fails, `await barrier.abort()` before raising: every "
            "runner waiting gets asyncio.BrokenBarrierError instead of waiting forever.",
            evidence=draw_timeline(service.calls, now=service.now()),
        )
    error = task.exception()
    errors = list(leaves(error)) if error is not None else []
    judged = (aiohttp.ClientResponseError, asyncio.BrokenBarrierError)
    if errors and not any(isinstance(e, judged) for e in errors):
        raise error  # something else went wrong: shown as itself, at the learner's line
    sprints = calls_under(service, "/sprint/")
    expect(
        not sprints,
        f"{names(sprints)} sprinted although the race was called off.",
        fix="a runner whose barrier.wait() raises BrokenBarrierError must not sprint: "
        "let the error out.",
        evidence=draw_timeline(service.calls_to("/warm-up/dee") + sprints),
    )
    expect(
        any(isinstance(e, aiohttp.ClientResponseError) and e.status == 503 for e in errors),
        f"{call} "
        + (f"returned {task.result()!r}" if error is None else f"raised {describe(error)}")
        + "; expected it to raise dee's error (the 503), alone or in an ExceptionGroup.",
    )
    left = await still_running(kata_file)
    expect(
        not left,
        f"{call} raised the 503, but left {len(left)} runner task(s) waiting at the "
        "barrier for dee, who will never come: they wait forever.",
        fix="when a warm-up fails, `await barrier.abort()` before raising (or run the "
        "runners in a TaskGroup, which cancels them).",
    )


def leaves(error: BaseException):
    if isinstance(error, BaseExceptionGroup):
        for inner in error.exceptions:
            yield from leaves(inner)
    else:
        yield error


def describe(error: BaseException) -> str:
    return ", ".join(sorted({type(e).__name__ for e in leaves(error)}))


async def still_running(kata_file) -> list[asyncio.Task]:
    """Tasks running the learner's code, given a moment to finish; the rest are cancelled."""
    mine = [
        task
        for task in asyncio.all_tasks()
        if task is not asyncio.current_task()
        and getattr(getattr(task.get_coro(), "cr_code", None), "co_filename", None)
        == str(kata_file)
    ]
    if not mine:
        return []
    _, pending = await asyncio.wait(mine, timeout=0.2)
    for task in pending:
        task.cancel()
    if pending:
        await asyncio.wait(pending, timeout=PATIENCE)
    return list(pending)
