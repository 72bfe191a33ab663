"""Kata 06 — errors. Run: pytest katas/06_errors"""

import inspect

import aiohttp
import pytest

from harness.judge import Budget, assert_ran_concurrently, assert_result

PRICES = {
    "AAPL": 189.5,
    "MSFT": 410.25,
    "NVDA": 121.0,
    "AMZN": 178.75,
    "GOOG": 165.5,
    "META": 495.0,
    "TSLA": 177.25,
    "NFLX": 640.0,
}

# What each kind of failure looks like in the report (describe_error's words).
ERROR_500 = {"status": 500}  # the market answers 500 for this symbol
FLAKY = {"fail_first": 1}  # the first call answers 503
DROPPED = {"drop": True}  # the market closes the connection without an answer

# Eight prices that each take 0.1 s: together ≈ 0.1 s, one at a time ≈ 0.8 s.
LATENCY = 0.1
BUDGET = Budget(ideal=LATENCY, sequential=LATENCY * len(PRICES))


def open_market(service, symbols, failures=None, latency=lambda symbol: 0.0):
    """One route per symbol; ``failures`` says how some of them fail."""
    failures = failures or {}
    for symbol in symbols:
        service.route(
            f"/prices/{symbol}",
            json={"symbol": symbol, "price": PRICES[symbol]},
            latency=latency(symbol),
            **failures.get(symbol, {}),
        )


def call_text(symbols) -> str:
    return f"price_portfolio(url, {list(symbols)})"


async def price(kata, service, symbols, expected) -> dict:
    """Call the learner's function; an error that escapes it is explained."""
    __tracebackhide__ = True
    why = (
        "By default asyncio.gather passes on the first exception and its other results "
        "are gone. Ask gather to hand back each exception in its symbol's place instead."
    )
    try:
        report = await kata.price_portfolio(service.base_url, list(symbols))
        if inspect.isawaitable(report):
            assert_result(report, expected, call=call_text(symbols))  # names the missing await
        return report
    except aiohttp.ClientError as error:
        escaped = f"{type(error).__name__}: {error}"
    except ExceptionGroup as group:
        if group.split(aiohttp.ClientError)[1] is not None:
            raise  # not only failed requests: let the learner see it as it is
        escaped = f"an ExceptionGroup of {len(group.exceptions)} request error(s)"
        why = (
            "A TaskGroup cancels the other requests as soon as one fails. Here the "
            "failures are expected: gather with return_exceptions=True keeps them all."
        )
    # Failing here, outside the except block, keeps the chained traceback out.
    pytest.fail(
        f"{call_text(symbols)} raised {escaped}\n"
        f"so one failing symbol lost the other {len(expected['ok'])} prices. {why}",
        pytrace=False,
    )


def misplaced(got: dict, expected: dict) -> bool:
    """The same values under different keys: results paired with the wrong symbols."""
    return got.keys() != expected.keys() and sorted(map(repr, got.values())) == sorted(
        map(repr, expected.values())
    )


def assert_report(report, expected, *, call: str) -> None:
    """The report has exactly the expected failures and prices, each under its symbol."""
    __tracebackhide__ = True
    if inspect.isawaitable(report) or not isinstance(report, dict):
        assert_result(report, expected, call=call)
    assert set(report) == {"ok", "failed"}, (
        f"{call} returned a dict with keys {sorted(report)}; expected exactly 'ok' "
        "(symbol -> price) and 'failed' (symbol -> describe_error(error))"
    )
    for part, what in (("failed", "failures"), ("ok", "prices")):
        got, want = report[part], expected[part]
        if got == want:
            continue
        message = f"{call} reported {what} {got!r}; expected {want!r}."
        if misplaced(got, want):
            message += (
                " The right values are there, but mapped to the wrong symbols. gather "
                "returns one result per symbol, in the symbols' order: pair each symbol "
                "with its own result (zip) before sorting prices from failures."
            )
        elif part == "failed" and any(isinstance(v, BaseException) for v in got.values()):
            message += " Put describe_error(error) in the report, not the exception itself."
        raise AssertionError(message)


async def test_every_price_arrives_when_nothing_fails(kata, service):
    """With no failures, the report has every price and an empty 'failed'."""
    symbols = ["AAPL", "MSFT", "NVDA"]
    open_market(service, symbols)
    expected = {"ok": {s: PRICES[s] for s in symbols}, "failed": {}}
    report = await price(kata, service, symbols, expected)
    assert_report(report, expected, call=call_text(symbols))


async def test_one_failing_symbol_loses_no_other_price(kata, service):
    """return_exceptions=True keeps every other result when one request fails."""
    symbols = ["AAPL", "MSFT", "NVDA", "AMZN", "GOOG", "META"]
    open_market(service, symbols, failures={"NVDA": {"status": 503}})
    expected = {
        "ok": {s: PRICES[s] for s in symbols if s != "NVDA"},
        "failed": {"NVDA": "HTTP 503"},
    }
    report = await price(kata, service, symbols, expected)
    assert_report(report, expected, call=call_text(symbols))


async def test_each_failure_is_reported_against_its_own_symbol(kata, service):
    """Each result sits in its symbol's place: errors map back to their own items."""
    symbols = ["AAPL", "MSFT", "NVDA", "AMZN", "TSLA", "NFLX"]
    failures = {"MSFT": ERROR_500, "NVDA": FLAKY, "TSLA": DROPPED}
    # The first symbols answer last, so the order things finish in is no help.
    open_market(service, symbols, failures, latency=lambda s: 0.01 * (5 - symbols.index(s)))
    expected = {
        "ok": {"AAPL": PRICES["AAPL"], "AMZN": PRICES["AMZN"], "NFLX": PRICES["NFLX"]},
        "failed": {"MSFT": "HTTP 500", "NVDA": "HTTP 503", "TSLA": "connection lost"},
    }
    report = await price(kata, service, symbols, expected)
    assert_report(report, expected, call=call_text(symbols))


@pytest.mark.workload
async def test_prices_are_fetched_at_the_same_time_even_when_some_fail(kata, service):
    """Collecting errors must not cost concurrency: all requests are in flight at once."""
    symbols = list(PRICES)
    failures = {"MSFT": ERROR_500, "TSLA": FLAKY}
    open_market(service, symbols, failures, latency=lambda s: LATENCY)
    expected = {
        "ok": {s: p for s, p in PRICES.items() if s not in failures},
        "failed": {"MSFT": "HTTP 500", "TSLA": "HTTP 503"},
    }
    report = await price(kata, service, symbols, expected)
    assert_ran_concurrently(service, budget=BUDGET, expected_requests=len(symbols))
    assert_report(report, expected, call=call_text(symbols))
