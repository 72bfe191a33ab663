"""Kata 20 — single flight. Run: pytest katas/20_single_flight"""

import asyncio

import aiohttp
import pytest
from aiohttp import web

from harness.judge import assert_result, draw_timeline, expect, fail

LATENCY = 0.05  # one upstream call; ten of them one after another would take 0.5 s
SLOW = 0.1  # the fetch a caller is cancelled from, 0.03 s in
TTL = 0.1  # reused right after the answer (well within), fetched again 2.5 x TTL later
LONG = 10.0  # a TTL the test never reaches
PATIENCE = 1.0
TEA = {"product": "tea", "price": 3.5}
COFFEE = {"product": "coffee", "price": 2.75}


def price_list(service, latency: float = LATENCY, **route) -> None:
    service.route("/prices/tea", json=TEA, latency=latency, **route)
    service.route("/prices/coffee", json=COFFEE, latency=latency)


def upstream_calls(service, product: str = "tea") -> int:
    return len(service.calls_to(f"/prices/{product}"))


def small_timeline(service) -> str | None:
    """The timeline when it tells more than the count does (a few calls)."""
    return draw_timeline(service.calls) if len(service.calls) <= 3 else None


def times(n: int) -> str:
    return "once" if n == 1 else f"{n} times"


async def within_patience(awaitable, what: str):
    """Await it, or fail saying what was still being waited for."""
    __tracebackhide__ = True
    try:
        async with asyncio.timeout(PATIENCE):
            return await awaitable
    except TimeoutError:
        fail(f"{what} {PATIENCE:g} s later (the upstream answers within {SLOW} s).")


@pytest.mark.workload
async def test_ten_callers_at_once_cause_one_upstream_call(kata, service):
    """Concurrent identical requests share one flight: the first asks, the rest wait for it."""
    price_list(service)
    async with aiohttp.ClientSession() as session:
        cache = kata.PriceCache(session, service.base_url, ttl=LONG)
        prices = await within_patience(
            asyncio.gather(*(cache.get("tea") for _ in range(10))),
            "10 callers of get('tea') were still waiting",
        )
    calls = upstream_calls(service)
    expect(
        calls == 1,
        f"10 callers asked for the price of tea at the same time, and the price service "
        f"was asked {times(calls)}"
        + (f", {service.peak_in_flight} of them at once" if calls > 1 else "")
        + ": one request is enough, the others could have waited for its answer.",
        fix="keep the fetch in flight (a task) in a dict by product; a caller who finds "
        "one there awaits it instead of starting another.",
    )
    assert_result(prices, [TEA] * 10, call="10 x get('tea') at once")


async def test_different_products_are_fetched_separately_and_at_the_same_time(kata, service):
    """One flight per key: tea and coffee do not share, and do not wait for each other."""
    price_list(service)
    async with aiohttp.ClientSession() as session:
        cache = kata.PriceCache(session, service.base_url, ttl=LONG)
        wanted = ["tea", "coffee", "tea", "coffee", "tea", "coffee"]
        prices = await within_patience(
            asyncio.gather(*(cache.get(product) for product in wanted)),
            "3 callers of get('tea') and 3 of get('coffee') were still waiting",
        )
    assert_result(
        prices,
        [TEA if product == "tea" else COFFEE for product in wanted],
        call="get('tea'), get('coffee'), ... at once",
    )
    counts = {product: upstream_calls(service, product) for product in ("tea", "coffee")}
    expect(
        counts == {"tea": 1, "coffee": 1},
        f"3 callers each for tea and coffee, at once: the price service was asked for "
        f"tea {times(counts['tea'])} and coffee {times(counts['coffee'])}; expected once each.",
        evidence=small_timeline(service),
    )
    expect(
        service.peak_in_flight == 2,
        "the coffee waited for the tea: the two prices were fetched one after the other, "
        "though they have nothing to do with each other.",
        fix="share a fetch only between callers of the same product; no lock around the "
        "fetch itself.",
        evidence=draw_timeline(service.calls),
    )


async def test_a_failure_reaches_every_waiter_and_is_not_kept(kata, service):
    """A failed flight fails all its waiters, once; the next caller starts a new one."""
    price_list(service, fail_first=1)
    async with aiohttp.ClientSession() as session:
        cache = kata.PriceCache(session, service.base_url, ttl=LONG)
        outcomes = await within_patience(
            asyncio.gather(*(cache.get("tea") for _ in range(5)), return_exceptions=True),
            "5 callers of get('tea') were still waiting, though the upstream had answered 503",
        )
        failed = [o for o in outcomes if isinstance(o, aiohttp.ClientResponseError)]
        unexpected = [o for o in outcomes if isinstance(o, BaseException) and o not in failed]
        if unexpected:
            raise unexpected[0]
        expect(
            upstream_calls(service) == 1,
            f"5 callers of get('tea') at once: the price service was asked "
            f"{times(upstream_calls(service))}; expected once, its answer (here a 503) "
            "shared by all five.",
            evidence=small_timeline(service),
        )
        got = [o for o in outcomes if o not in failed]
        if got:
            fail(
                f"the one fetch failed with 503, but only {len(failed)} of the 5 callers "
                f"waiting for it raised the error; the others got {got[0]!r}.",
                fix="every waiter awaits the same task: its error is raised in each of them.",
            )
        try:
            again = await within_patience(cache.get("tea"), "get('tea') was still waiting")
        except aiohttp.ClientResponseError as error:
            again = error
    expect(
        upstream_calls(service) == 2 and again == TEA,
        "after a failed fetch, the next get('tea') "
        + (
            f"raised the same {again.status} without asking the price service again: a "
            "failure must not be kept like an answer."
            if isinstance(again, BaseException) and upstream_calls(service) == 1
            else f"returned {again!r} (the service was asked "
            f"{times(upstream_calls(service))} in all)."
        ),
        fix="forget a fetch once it is over, whatever its outcome; keep only answers.",
    )


async def test_one_cancelled_caller_does_not_cancel_the_others(kata, service):
    """asyncio.shield: cancelling one waiter must not cancel the flight the others wait for."""
    price_list(service, latency=SLOW)
    async with aiohttp.ClientSession() as session:
        cache = kata.PriceCache(session, service.base_url, ttl=LONG)
        callers = [asyncio.create_task(cache.get("tea")) for _ in range(3)]
        await asyncio.sleep(0.03)
        callers[0].cancel()  # the caller who started the fetch
        _, waiting = await asyncio.wait(callers, timeout=PATIENCE)
        for caller in waiting:
            caller.cancel()
        await asyncio.wait(callers, timeout=PATIENCE)
        await service.settle(within=PATIENCE)
    if waiting:
        fail(
            f"callers 2 and 3 of get('tea') were still waiting {PATIENCE:g} s later (the "
            f"upstream answers within {SLOW} s)"
            + (
                ", for a fetch that was abandoned when caller 1 was cancelled: it ran "
                "inside caller 1, and nobody will ever finish it."
                if service.abandoned
                else "."
            ),
            fix="run the fetch in a task of its own (asyncio.create_task), so that it "
            "does not die with the caller who started it.",
            evidence=draw_timeline(service.calls),
        )
    first, *others = callers
    for caller in callers:
        if caller.done() and not caller.cancelled() and caller.exception() is not None:
            raise caller.exception()
    timeline = draw_timeline(service.calls)
    cancelled = [n for n, caller in enumerate(others, 2) if caller.cancelled()]
    expect(
        not cancelled,
        f"only caller 1 of get('tea') was cancelled, yet caller"
        f"{'s' if len(cancelled) > 1 else ''} {' and '.join(map(str, cancelled))} ended "
        "cancelled too: cancelling a task that awaits the shared fetch cancelled the fetch "
        "itself, for everyone.",
        fix="await asyncio.shield(fetch): a cancelled caller stops waiting, the fetch goes on.",
        evidence=timeline,
    )
    assert_result([c.result() for c in others], [TEA, TEA], call="callers 2 and 3 of get('tea')")
    if not first.cancelled():
        fail(
            f"caller 1 was cancelled, but its get('tea') returned {first.result()!r}: a "
            "cancelled caller should stop waiting and let the CancelledError out.",
        )
    abandoned = bool(service.abandoned)
    expect(
        upstream_calls(service) == 1,
        f"3 callers of get('tea'): the price service was asked "
        f"{times(upstream_calls(service))}; expected once, shared by the three."
        + (
            " The first fetch was abandoned when caller 1 was cancelled: it ran inside "
            "caller 1, so it died with it."
            if abandoned
            else ""
        ),
        fix="run the fetch in a task of its own (asyncio.create_task), kept in a dict "
        "by product, and let every caller await that task.",
        evidence=timeline,
    )


async def test_an_answer_is_reused_until_the_ttl_runs_out(kata, service):
    """A short TTL: right after an answer, ask nobody; once it is old, ask again."""
    prices = iter([3.5, 3.75, 4.0])

    async def current_price(request: web.Request) -> web.Response:
        return web.json_response({"product": "tea", "price": next(prices)})

    service.route("/prices/tea", handler=current_price)
    async with aiohttp.ClientSession() as session:
        cache = kata.PriceCache(session, service.base_url, ttl=TTL)
        first = await cache.get("tea")
        soon = await cache.get("tea")
        asked_soon = upstream_calls(service)
        await asyncio.sleep(2.5 * TTL)
        later = await cache.get("tea")
    expect(
        asked_soon == 1,
        f"get('tea') right after an answer (ttl={TTL} s) asked the price service again: "
        "an answer is fresh for `ttl` seconds after it arrived.",
        fix="keep each answer with the time it arrived (asyncio.get_running_loop().time()); "
        "return it while it is younger than ttl.",
    )
    assert_result([first, soon], [{"product": "tea", "price": 3.5}] * 2, call="get('tea') twice")
    expect(
        upstream_calls(service) == 2,
        f"{2.5 * TTL:.2f} s after the answer, with ttl={TTL} s, get('tea') returned "
        f"{later!r} without asking the price service: an old answer must be fetched again.",
        fix="compare the answer's age with self.ttl before you return it.",
    )
    assert_result(
        later, {"product": "tea", "price": 3.75}, call=f"get('tea') {2.5 * TTL:.2f} s later"
    )
