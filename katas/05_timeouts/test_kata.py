"""Kata 05 — timeouts. Run: pytest katas/05_timeouts"""

import inspect

import aiohttp
import pytest

from harness.judge import Budget, assert_result, draw_timeline, stopwatch

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


@pytest.fixture
async def session():
    """The caller's session: it stays open after forecast_or_cached returns."""
    async with aiohttp.ClientSession() as session:
        yield session


def call_text(timeout: float) -> str:
    return f"forecast_or_cached(session, url, {CITY!r}, cached, timeout={timeout})"


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
        pytest.fail(
            f"{call_text(timeout)} raised TimeoutError instead of returning the cached "
            "forecast. The deadline worked, but nothing caught what it raises: "
            "asyncio.timeout and asyncio.wait_for raise TimeoutError in the caller "
            "(asyncio.CancelledError is what the request sees inside, not what you get).",
            pytrace=False,
        )
    if inspect.isawaitable(forecast):
        assert_result(forecast, CACHED, call=call_text(timeout))  # names the missing await
    return forecast


async def test_a_fast_forecast_is_the_live_one(kata, service, session):
    """Within the deadline, the service's answer is used, not the fallback."""
    service.route(PATH, json=LIVE, latency=0.02)
    forecast = await ask(kata, session, service, timeout=0.5)
    assert_result(forecast, LIVE, call=call_text(0.5))
    assert len(service.calls_to(PATH)) == 1, (
        f"{call_text(0.5)} sent {len(service.calls_to(PATH))} requests to {PATH}; "
        "expected exactly one"
    )


@pytest.mark.workload
async def test_a_slow_forecast_gives_the_cached_one_after_the_timeout(kata, service, session):
    """A deadline bounds the wait: after `timeout` seconds, use the fallback."""
    service.route(PATH, json=LIVE, latency=SLOW)
    with stopwatch() as watch:
        forecast = await ask(kata, session, service, timeout=TIMEOUT)
    asked = len(service.calls_to(PATH))
    assert asked == 1, (
        f"{call_text(TIMEOUT)} sent {asked} requests to {PATH}; expected one: ask the "
        "service first, and fall back only when it is too slow"
    )
    assert watch.elapsed <= BUDGET.bound, (
        f"{call_text(TIMEOUT)} waited {watch.elapsed:.2f} s for the slow weather service; "
        f"the timeout is {TIMEOUT:.2f} s (allowed up to {BUDGET.bound:.2f} s). Wrap the "
        "request in a deadline so the wait ends after `timeout` seconds."
    )
    assert_result(forecast, CACHED, call=call_text(TIMEOUT))


async def test_the_slow_request_is_abandoned_not_left_running(kata, service, session):
    """A timeout cancels the slow request: the service sees the client go away."""
    service.route(PATH, json=LIVE, latency=SLOW)
    forecast = await ask(kata, session, service, timeout=TIMEOUT)
    calls = service.calls_to(PATH)
    assert calls, f"{call_text(TIMEOUT)} never asked the weather service at {PATH}"
    request = calls[0]
    await service.settle(within=NOTICE)
    outcome = request.outcome
    assert outcome != "answered", (
        f"the weather service answered the slow request after {request.duration:.2f} s: "
        f"{call_text(TIMEOUT)} waited for it instead of giving up after {TIMEOUT:.2f} s."
        f"\n{draw_timeline(service.calls)}"
    )
    assert outcome == "abandoned", (
        f"{call_text(TIMEOUT)} returned, but its request is still running on the weather "
        f"service (started {service.now() - request.started:.2f} s ago, outcome "
        f"{outcome!r}): it was left running, not cancelled. A deadline that only stops "
        "*your* waiting (asyncio.wait with a timeout, asyncio.shield) leaves the work "
        "going; asyncio.timeout and asyncio.wait_for cancel it."
    )
    assert_result(forecast, CACHED, call=call_text(TIMEOUT))
