"""Kata 05 — timeouts. Run: pytest katas/05_timeouts"""

import asyncio
import inspect

import aiohttp
import pytest

from harness.judge import (
    Budget,
    assert_result,
    draw_timeline,
    excepts,
    expect,
    fail,
    stopwatch,
    wrote,
)

CITY = "oslo"
PATH = f"/forecast/{CITY}"
LIVE = {"city": CITY, "sky": "sun", "source": "live"}
CACHED = {"city": CITY, "sky": "rain", "source": "cache"}

# The deadline is 0.1 s and the slow service takes 1.0 s. Giving up on time takes
# ≈ 0.1 s; the bound is 3x that (0.3 s), and waiting for the slow answer takes more
# than 3x the bound.
TIMEOUT = 0.1
SLOW = 1.0
BUDGET = Budget(ideal=TIMEOUT, sequential=SLOW, slack=3.0)

# How long the service may take to notice that the client went away.
NOTICE = 0.2
# A deadline the caller's cancellation comes well before, and how long to wait for
# something that takes a few milliseconds.
GENEROUS = 5.0
PATIENCE = 1.0


@pytest.fixture
async def session():
    """The caller's session: it stays open after forecast_or_cached returns."""
    async with aiohttp.ClientSession() as session:
        yield session


def call_text(timeout: float) -> str:
    return f"forecast_or_cached(session, url, {CITY!r}, cached, timeout={timeout})"


def deadline_named(kata) -> str:
    """The deadline the learner wrote, for a message: what they used, or the usual one."""
    for name in ("wait_for", "timeout_at", "timeout"):
        if wrote(kata, name):
            return f"asyncio.{name}"
    return "asyncio.timeout"


def deadline_fix(kata) -> str:
    """What to try when the caller waited for the slow answer."""
    if wrote(kata, "timeout") or wrote(kata, "wait_for") or wrote(kata, "timeout_at"):
        return (
            f"put the request itself under the deadline: `await fetch_forecast(...)` inside "
            f"the `async with {deadline_named(kata)}(...)` block, or passed to asyncio.wait_for."
        )
    return "put a deadline on the request: `async with asyncio.timeout(timeout):` around it."


async def ask(kata, session, service, timeout: float) -> dict:
    """Call the learner's function; a TimeoutError escaping it is explained."""
    __tracebackhide__ = True
    escaped = False
    try:
        forecast = await kata.forecast_or_cached(
            session, service.base_url, CITY, CACHED, timeout
        )
    except TimeoutError:
        escaped = True  # fail below, outside the except block: a chained traceback is noise
    if escaped:
        caught = (
            "`except asyncio.CancelledError:` does not see it: CancelledError is what the "
            "request gets inside the deadline, TimeoutError what you get outside. "
            if wrote(kata, "CancelledError")
            else ""
        )
        fail(
            f"{call_text(timeout)} raised TimeoutError instead of returning the cached "
            f"forecast: the deadline worked, but nothing caught what {deadline_named(kata)} raises.",
            fix=f"{caught}Catch it: `except TimeoutError: return cached`.",
        )
    if inspect.isawaitable(forecast):
        assert_result(forecast, CACHED, call=call_text(timeout))  # names the missing await
    return forecast


async def test_a_fast_forecast_is_the_live_one(kata, service, session):
    """Within the deadline, the service's answer is used, not the fallback."""
    service.route(PATH, json=LIVE, latency=0.02)
    forecast = await ask(kata, session, service, timeout=0.5)
    assert_result(forecast, LIVE, call=call_text(0.5))
    asked = len(service.calls_to(PATH))
    expect(
        asked == 1,
        f"{call_text(0.5)} sent {asked} requests to {PATH}; expected exactly one.",
        fix="call fetch_forecast once, under the deadline.",
    )


@pytest.mark.workload
async def test_a_slow_forecast_gives_the_cached_one_after_the_timeout(kata, service, session):
    """A deadline bounds the wait: after `timeout` seconds, use the fallback."""
    service.route(PATH, json=LIVE, latency=SLOW)
    with stopwatch() as watch:
        forecast = await ask(kata, session, service, timeout=TIMEOUT)
    asked = len(service.calls_to(PATH))
    expect(
        asked == 1,
        f"{call_text(TIMEOUT)} sent {asked} requests to {PATH}; expected one.",
        fix="ask the service first, and fall back only when it is too slow.",
    )
    expect(
        watch.elapsed <= BUDGET.bound,
        f"{call_text(TIMEOUT)} waited {watch.elapsed:.2f} s for the slow weather service; "
        f"the timeout is {TIMEOUT:.2f} s (allowed up to {BUDGET.bound:.2f} s).",
        fix=deadline_fix(kata),
    )
    assert_result(forecast, CACHED, call=call_text(TIMEOUT))


async def test_the_slow_request_is_abandoned_not_left_running(kata, service, session):
    """A timeout cancels the slow request: the service sees the client go away."""
    service.route(PATH, json=LIVE, latency=SLOW)
    forecast = await ask(kata, session, service, timeout=TIMEOUT)
    calls = service.calls_to(PATH)
    expect(calls, f"{call_text(TIMEOUT)} never asked the weather service at {PATH}.")
    request = calls[0]
    await service.settle(within=NOTICE)
    if request.outcome == "answered":
        fail(
            f"the weather service answered the slow request after {request.duration:.2f} s: "
            f"{call_text(TIMEOUT)} waited for it instead of giving up after {TIMEOUT:.2f} s.",
            fix=deadline_fix(kata),
            evidence=draw_timeline(service.calls),
        )
    if request.outcome != "abandoned":
        fail(
            f"{call_text(TIMEOUT)} returned, but its request is still running on the weather "
            f"service (started {service.now() - request.started:.2f} s ago): it was left "
            "running, not cancelled.",
            fix=left_running_fix(kata),
            evidence=draw_timeline(service.calls, now=service.now()),
        )
    assert_result(forecast, CACHED, call=call_text(TIMEOUT))


def left_running_fix(kata) -> str:
    if wrote(kata, "shield"):
        return (
            "asyncio.shield keeps the request going when the deadline passes: leave it out, "
            "so the deadline cancels the request."
        )
    if wrote(kata, "wait"):
        return (
            "asyncio.wait(..., timeout=...) only stops your waiting: cancel the request's task "
            "when it is still pending, or use asyncio.timeout / asyncio.wait_for, which do."
        )
    return "let the deadline cancel the request: asyncio.timeout and asyncio.wait_for do."


async def test_a_caller_that_cancels_the_forecast_sees_it_cancelled(kata, service, session):
    """Only the timeout means "use the cache": a cancellation from the caller goes on out."""
    service.route(PATH, json=LIVE, latency=SLOW)
    call = call_text(GENEROUS)
    task = asyncio.create_task(
        kata.forecast_or_cached(session, service.base_url, CITY, CACHED, GENEROUS)
    )
    await until_asked(service, task)
    # The caller gives up (its own deadline, a TaskGroup, a shutdown) long before GENEROUS.
    task.cancel()
    done, _ = await asyncio.wait({task}, timeout=PATIENCE)
    if not done:
        fail(
            f"{call} was still running {PATIENCE:g} s after its caller cancelled it: the "
            "cancellation was caught and the code carried on.",
            fix="catch only the timeout, `except TimeoutError:`, and let CancelledError out.",
        )
    if not task.cancelled():
        result = task.result()  # an error raised instead is shown as it is
        returned = "the cached forecast" if result == CACHED else repr(result)
        catchers = [h.where for h in excepts(kata) if h.catches(asyncio.CancelledError)]
        fail(
            f"its caller cancelled {call} while it waited for the weather service, and it "
            f"returned {returned} instead of ending cancelled: the caller's cancellation "
            "was swallowed" + (", here:" if catchers else "."),
            fix="catch only the timeout, `except TimeoutError:`: a caller that stops you (a "
            "TaskGroup, its own timeout, a shutdown) must see asyncio.CancelledError.",
            where=tuple(catchers[:1]),
        )
    request = service.calls_to(PATH)[0]
    await service.settle(within=NOTICE)
    expect(
        request.outcome == "abandoned",
        f"its caller cancelled {call} and it ended cancelled, but its request is still "
        "running on the weather service: it was left running, not cancelled.",
        fix=left_running_fix(kata)
        if wrote(kata, "shield")
        else "cancel the request when your function is cancelled too: asyncio.timeout and "
        "asyncio.wait_for do; a task of your own, cancel it in `finally:`.",
        evidence=draw_timeline(service.calls, now=service.now()),
    )


async def until_asked(service, task: asyncio.Task) -> None:
    """Wait until the weather service sees the request (or the task ends without one)."""
    __tracebackhide__ = True
    loop = asyncio.get_running_loop()
    deadline = loop.time() + PATIENCE
    while not service.calls_to(PATH) and not task.done() and loop.time() < deadline:
        await asyncio.sleep(0.005)
    if not service.calls_to(PATH):
        if task.done():
            task.result()  # an error is shown as it is
        task.cancel()
        fail(f"{call_text(GENEROUS)} never asked the weather service at {PATH}.")

