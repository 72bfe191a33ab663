"""Kata 17 — retries. Run: pytest katas/17_retries"""

import asyncio
import math

import aiohttp
import pytest
from aiohttp import web

from harness.judge import assert_result, draw_timeline, expect, fail

EUR = "/rates/EUR"
RATE = {"currency": "EUR", "rate": 1.08}
# The waits before retries 1, 2, 3 with base_delay = BASE: 0.025, 0.05, 0.1 s (0.175 s
# in all: katas.toml's ideal). The tests pass a `jitter` without randomness, so each
# wait is known.
BASE = 0.025
QUICK = 0.005  # base_delay where the waits are not what a test looks at
# A timer may fire up to one clock tick early (15.6 ms on Windows before Python 3.13):
# every wait is checked from below only, with this much slack.
EARLY = 0.02
RETRY_AFTER = 0.1  # what the server asks for: 20x the backoff it replaces (QUICK)
TIMEOUT = 0.05  # per attempt; the stuck attempt would take 6x that
STUCK = 0.3
PATIENCE = 1.0  # seconds to wait for something that takes a few tens of ms


class NoRandomness:
    """A `jitter` for the tests: returns the delay it is given, and notes each one."""

    __test__ = False

    def __init__(self) -> None:
        self.delays: list[float] = []

    def __call__(self, delay: float) -> float:
        self.delays.append(delay)
        return delay


def answers(service, path: str, statuses: list[int]) -> None:
    """The route answers these statuses in turn (then keeps answering the last one)."""

    async def next_answer(request: web.Request) -> web.Response:
        status = statuses[min(len(service.calls_to(path)), len(statuses)) - 1]
        body = RATE if status == 200 else {"error": f"status {status}"}
        return web.json_response(body, status=status)

    service.route(path, handler=next_answer)


async def outcome(kata, service, **options):
    """Call fetch_with_retries(session, url, **options): (what it returned, what it raised).

    Only the errors a test judges are caught; any other shows as itself, at its line.
    """
    async with aiohttp.ClientSession() as session:
        try:
            return await kata.fetch_with_retries(session, service.url(EUR), **options), None
        except (aiohttp.ClientError, TimeoutError, kata.GaveUp) as error:
            return None, error


def waits(service) -> list[float]:
    """The seconds between the end of each attempt and the start of the next, as the
    service saw them."""
    calls = service.calls_to(EUR)
    return [after.started - before.ended for before, after in zip(calls, calls[1:])]


def seconds(values) -> str:
    return ", ".join(f"{value:.3f}" for value in values) + " s"


def attempts_seen(service) -> str:
    n = len(service.calls_to(EUR))
    return f"{n} attempt" + ("" if n == 1 else "s")


def described(error: BaseException | None) -> str:
    if error is None:
        return "nothing"
    status = getattr(error, "status", None)
    return type(error).__name__ + (f" (status {status})" if status is not None else "")


def expect_attempts(service, expected: int, call: str) -> None:
    __tracebackhide__ = True
    expect(
        len(service.calls_to(EUR)) == expected,
        f"{call} made {attempts_seen(service)}; expected {expected}.",
        evidence=draw_timeline(service.calls),
    )


# --- the tests --------------------------------------------------------------------------------
async def test_a_rate_that_answers_at_once_takes_one_attempt(kata, service):
    """No failure, no retry: the first answer is the result."""
    service.route(EUR, json=RATE)
    rate, error = await outcome(kata, service)
    if error is not None:
        raise error
    assert_result(rate, RATE, call="fetch_with_retries(session, url)")
    expect_attempts(service, 1, "fetch_with_retries(session, url)")


async def test_503_answers_are_retried_until_the_rate_comes(kata, service):
    """A 5xx is the server's trouble, often passing: try again."""
    service.route(EUR, json=RATE, fail_first=2)
    call = f"fetch_with_retries(session, url, base_delay={QUICK})"
    rate, error = await outcome(kata, service, base_delay=QUICK)
    expect(
        error is None,
        f"{call} raised {described(error)} after {attempts_seen(service)}; the first two "
        "answered 503 (a passing trouble of the server), the third would have given the rate.",
        fix="catch aiohttp.ClientResponseError and, when error.status is 500 or more, try again.",
        evidence=draw_timeline(service.calls),
    )
    assert_result(rate, RATE, call=call)
    expect_attempts(service, 3, call)


@pytest.mark.workload
async def test_each_retry_waits_twice_as_long_as_the_one_before(kata, service):
    """Exponential backoff: waits of base, 2 x base, 4 x base give the server room to recover."""
    service.route(EUR, json=RATE, fail_first=3)
    jitter = NoRandomness()
    call = f"fetch_with_retries(session, url, attempts=4, base_delay={BASE}, jitter=...)"
    rate, error = await outcome(kata, service, attempts=4, base_delay=BASE, jitter=jitter)
    if error is not None:
        raise error
    assert_result(rate, RATE, call=call)
    expect_attempts(service, 4, call)
    envelope = [BASE, 2 * BASE, 4 * BASE]
    expect(
        jitter.delays,
        f"{call} never called the `jitter` it was given. The tests pass one without "
        "randomness, so that they know how long each wait should be.",
        fix=f"wait `jitter(base_delay * 2 ** (n - 1))` seconds before retry n: here "
        f"jitter({envelope[0]}), jitter({envelope[1]}), jitter({envelope[2]}).",
    )
    expect(
        len(jitter.delays) == 3 and all(map(math.isclose, jitter.delays, envelope)),
        f"{call} asked jitter for waits of {seconds(jitter.delays)}; the waits before "
        f"retries 1, 2, 3 are base_delay, 2 x base_delay, 4 x base_delay: {seconds(envelope)}.",
        fix="before retry n (counting from 1) the delay is base_delay * 2 ** (n - 1).",
    )
    seen = waits(service)
    short = [n for n, (wait, want) in enumerate(zip(seen, envelope), 1) if wait < want - EARLY]
    expect(
        not short,
        f"the service saw waits of {seconds(seen)} between the attempts; expected at least "
        f"{seconds(envelope)} (jitter returned exactly those): retry {short[0] if short else 0} "
        "came too soon.",
        fix="`await asyncio.sleep(jitter(...))` between a failed attempt and the next one.",
        evidence=draw_timeline(service.calls),
    )


def test_full_jitter_picks_a_random_wait_from_zero_to_the_delay(kata):
    """Jitter spreads the retries of clients that failed together: they do not return together."""
    draws = [kata.full_jitter(0.1) for _ in range(1000)]
    outside = [d for d in draws if not (isinstance(d, (int, float)) and 0 <= d <= 0.1)]
    if outside:
        fail(
            f"full_jitter(0.1) returned {outside[0]!r}; every wait should be between 0 and 0.1 s.",
            fix="random.uniform(0, delay), or delay * random.random().",
        )
    expect(
        len(set(draws)) > 900,
        f"1000 calls of full_jitter(0.1) gave only {len(set(draws))} different waits "
        f"(e.g. {sorted(set(draws))[:3]}): the waits should be random.",
        fix="random.uniform(0, delay) gives a different number each time.",
    )
    expect(
        min(draws) < 0.01 and max(draws) > 0.09,
        f"1000 calls of full_jitter(0.1) ranged from {min(draws):.3f} to {max(draws):.3f} s; "
        "full jitter draws from the whole range, 0 to 0.1 s.",
        fix="random.uniform(0, delay).",
    )


async def test_a_404_is_not_retried(kata, service):
    """A 4xx says the request itself is wrong: asking again cannot help."""
    service.route(EUR, json={"error": "no such currency"}, status=404)
    call = f"fetch_with_retries(session, url, base_delay={QUICK})"
    rate, error = await outcome(kata, service, base_delay=QUICK)
    expect(
        len(service.calls_to(EUR)) == 1,
        f"{call} asked {len(service.calls_to(EUR))} times for a rate that answered "
        "404 Not Found: a 4xx is the request's own fault, the same request fails again.",
        fix="retry only when error.status >= 500; otherwise `raise` the error at once.",
        evidence=draw_timeline(service.calls),
    )
    expect(
        isinstance(error, aiohttp.ClientResponseError) and error.status == 404,
        f"{call} on a 404 raised {described(error)}"
        + (f" and returned {rate!r}" if error is None else "")
        + "; expected the 404's own aiohttp.ClientResponseError, so the caller sees what "
        "is wrong with the request.",
        fix="in `except aiohttp.ClientResponseError as error:`, `raise` when error.status < 500.",
    )


async def test_giving_up_raises_gave_up_with_the_attempt_count_and_the_last_error(kata, service):
    """After the last attempt, GaveUp says how many were made and carries the last error."""
    answers(service, EUR, [503, 503, 500])
    call = f"fetch_with_retries(session, url, attempts=3, base_delay={QUICK})"
    rate, error = await outcome(kata, service, attempts=3, base_delay=QUICK)
    expect(
        len(service.calls_to(EUR)) == 3,
        f"{call} made {attempts_seen(service)} that all failed; expected 3.",
        fix="`attempts` counts every attempt, the first one too: range(1, attempts + 1).",
        evidence=draw_timeline(service.calls),
    )
    expect(
        isinstance(error, kata.GaveUp),
        f"{call} raised {described(error)}"
        + (f" and returned {rate!r}" if error is None else "")
        + " when all 3 attempts failed (503, 503, 500); expected GaveUp.",
        fix="after the last attempt: `raise GaveUp(url, attempts) from error`.",
    )
    expect(
        error.attempts == 3,
        f"{call} raised GaveUp with attempts={error.attempts!r}; 3 attempts were made.",
    )
    last = error.__cause__ or error.__context__
    expect(
        isinstance(last, aiohttp.ClientResponseError) and last.status == 500,
        f"{call} raised GaveUp carrying {described(last)}; expected the last attempt's "
        "error, the 500, as its cause, so whoever reads the traceback sees what went wrong.",
        fix="keep the last error, and `raise GaveUp(url, attempts) from last_error`.",
    )


async def test_a_retry_after_answer_sets_the_wait(kata, service):
    """When the server says how long to wait (Retry-After), coming back sooner only fails again."""
    service.route(EUR, json=RATE, fail_first=1, headers={"Retry-After": str(RETRY_AFTER)})
    call = f"fetch_with_retries(session, url, base_delay={QUICK})"
    rate, error = await outcome(kata, service, base_delay=QUICK, jitter=NoRandomness())
    if error is not None:
        raise error
    assert_result(rate, RATE, call=call)
    expect_attempts(service, 2, call)
    [wait] = waits(service)
    expect(
        wait >= RETRY_AFTER - EARLY,
        f"the first attempt answered 503 with Retry-After: {RETRY_AFTER}, and {call} came "
        f"back after {wait:.3f} s; the server asked for {RETRY_AFTER} s.",
        fix="when retry_after(error) is not None, sleep that long instead of the backoff.",
        evidence=draw_timeline(service.calls),
    )


async def test_an_attempt_that_takes_too_long_is_cut_and_retried(kata, service):
    """A stuck attempt is a transient failure too: cut it after `timeout`, then try again."""

    async def stuck_once(request: web.Request) -> web.Response:
        if len(service.calls_to(EUR)) == 1:
            await asyncio.sleep(STUCK)
        return web.json_response(RATE)

    service.route(EUR, handler=stuck_once)
    call = f"fetch_with_retries(session, url, timeout={TIMEOUT}, base_delay={QUICK})"
    rate, error = await outcome(kata, service, timeout=TIMEOUT, base_delay=QUICK)
    calls = service.calls_to(EUR)
    if len(calls) == 1 and error is None and calls[0].duration is not None:
        fail(
            f"{call} waited {calls[0].duration:.2f} s for its first attempt; with "
            f"timeout={TIMEOUT} it should have given up on it after {TIMEOUT} s and tried again.",
            fix="wrap each attempt in `async with asyncio.timeout(timeout):`.",
            evidence=draw_timeline(service.calls),
        )
    expect(
        error is None,
        f"{call} raised {described(error)} after {attempts_seen(service)}: the first "
        f"attempt was cut after {TIMEOUT} s, and a timed-out attempt is worth another try.",
        fix="catch TimeoutError as a failed attempt, as you do a 5xx.",
        evidence=draw_timeline(service.calls, now=service.now()),
    )
    assert_result(rate, RATE, call=call)
    expect_attempts(service, 2, call)


async def test_cancelling_during_a_backoff_stops_the_retries(kata, service):
    """A cancellation is not a failed attempt: it must end the task, not start a retry."""
    service.route(EUR, json=RATE, fail_first=99)
    backoff = 0.15  # the test cancels 0.03 s into this wait
    call = f"fetch_with_retries(session, url, attempts=3, base_delay={backoff})"
    async with aiohttp.ClientSession() as session:
        task = asyncio.create_task(
            kata.fetch_with_retries(
                session, service.url(EUR), attempts=3, base_delay=backoff, jitter=NoRandomness()
            )
        )
        await first_attempt_answered(service, task, call)
        await asyncio.sleep(0.03)
        task.cancel()
        cancelled_at = service.now()
        await asyncio.wait({task}, timeout=PATIENCE)
    after = sum(attempt.started > cancelled_at for attempt in service.calls_to(EUR))
    evidence = draw_timeline(service.calls)
    if not task.done():
        fail(
            f"{call} was still running {PATIENCE:g} s after task.cancel(), cancelled while "
            f"it waited before a retry; the service saw {after} more attempts.",
            fix="do not catch asyncio.CancelledError (a bare `except:` or `except "
            "BaseException:` does): catch the failures you retry, by name.",
            evidence=evidence,
        )
    if not task.cancelled():
        error = task.exception()
        ended = f"raised {described(error)}" if error else f"returned {task.result()!r}"
        fail(
            f"{call} was cancelled while it waited before a retry, yet the service "
            f"saw {after} more attempt{'' if after == 1 else 's'} and it {ended}: the "
            "cancellation was caught like a failed attempt.",
            fix="do not catch asyncio.CancelledError (a bare `except:` or `except "
            "BaseException:` does): catch the failures you retry, by name.",
            evidence=evidence,
        )
    expect(after == 0, f"the service saw {after} attempts after task.cancel()", evidence=evidence)


async def first_attempt_answered(service, task: asyncio.Task, call: str) -> None:
    __tracebackhide__ = True
    async with asyncio.timeout(PATIENCE):
        while not any(c.ended for c in service.calls_to(EUR)):
            if task.done():
                error = task.exception()
                if error is not None:
                    raise error
                fail(f"{call} returned {task.result()!r} before the service answered it")
            await asyncio.sleep(0.005)
