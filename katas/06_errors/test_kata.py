"""Kata 06 — errors. Run: pytest katas/06_errors"""

import inspect

import aiohttp
import pytest

from harness.judge import Budget, assert_ran_concurrently, assert_result, excepts, fail, wrote

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


async def price(kata, kata_file, service, symbols, expected) -> dict:
    """Call the learner's function; an error that escapes it is explained."""
    __tracebackhide__ = True
    try:
        report = await kata.price_portfolio(service.base_url, list(symbols))
        if inspect.isawaitable(report):
            assert_result(report, expected, call=call_text(symbols))  # names the missing await
        return report
    except aiohttp.ClientError as error:
        escaped, errors = error, [error]
    except ExceptionGroup as group:
        if group.split(aiohttp.ClientError)[1] is not None:
            raise  # not only failed requests: let the learner see it as it is
        escaped, errors = group, leaves(group)
    # Failing here, outside the except block, keeps the chained traceback out.
    what = (
        f"{call_text(symbols)} raised {named(escaped, errors)}, so one failing symbol lost "
        f"the other {len(expected['ok'])} prices"
    )
    for clause in excepts(kata):
        missed = [e for e in errors if not clause.catches(e)]
        if clause.names & CLIENT_ERRORS and missed:  # it catches some request errors, not these
            error = missed[0]
            fail(
                f"{what}. {type(error).__name__} got past your `except {clause.written}`:",
                fix=f"{type(error).__name__} is an aiohttp.{family(error)}; catch "
                "aiohttp.ClientError, which covers an error status and a lost connection alike.",
                where=(clause.where,),
            )
    where = kata_file.traceback(escaped.__traceback__)[:1]
    if isinstance(escaped, ExceptionGroup) and wrote(kata, "TaskGroup"):
        fail(
            f"{what}: a TaskGroup fails as a whole when one of its tasks fails.",
            fix="catch each request's error inside its own task (try/except "
            "aiohttp.ClientError around fetch_price, in a small async def), or use "
            "asyncio.gather(..., return_exceptions=True).",
            where=where,
        )
    if wrote(kata, "gather") and not wrote(kata, "return_exceptions"):
        fail(
            f"{what}: by default asyncio.gather passes on the first exception, and its "
            "other results are gone.",
            fix="asyncio.gather(..., return_exceptions=True) hands back each exception in "
            "its symbol's place.",
            where=where,
        )
    fail(
        f"{what}.",
        fix="catch each request's error where it happens (aiohttp.ClientError), or use "
        "asyncio.gather(..., return_exceptions=True).",
        where=where,
    )


def leaves(group: BaseExceptionGroup) -> list[BaseException]:
    """The exceptions of a (nested) exception group."""
    found = []
    for error in group.exceptions:
        found += leaves(error) if isinstance(error, BaseExceptionGroup) else [error]
    return found


def named(escaped: BaseException, errors: list[BaseException]) -> str:
    """An escaped error, shortly: "ClientResponseError (HTTP 503 for NVDA)"."""
    if isinstance(escaped, BaseExceptionGroup):
        return f"an ExceptionGroup of {len(errors)} ({', '.join(map(one_error, errors))})"
    return one_error(escaped)


def one_error(error: BaseException) -> str:
    if isinstance(error, aiohttp.ClientResponseError):
        symbol = error.request_info.url.path.rsplit("/", 1)[-1]
        return f"{type(error).__name__}: HTTP {error.status} for {symbol}"
    return f"{type(error).__name__}: {error}" if str(error) else type(error).__name__


def family(error: BaseException) -> str:
    """The aiohttp class a learner should know the error by."""
    for kind in (aiohttp.ClientResponseError, aiohttp.ClientConnectionError):
        if isinstance(error, kind):
            return kind.__name__
    return type(error).__name__


# The aiohttp errors a learner may name in an `except` (ClientResponseError, ...).
CLIENT_ERRORS = {
    name
    for name, value in vars(aiohttp).items()
    if isinstance(value, type) and issubclass(value, aiohttp.ClientError)
}


def shown(part: dict) -> str:
    """A report's dict as a learner reads it: an exception by its kind, not its long repr."""
    return "{" + ", ".join(
        f"{key!r}: " + (f"<{one_error(value)}>" if isinstance(value, BaseException) else repr(value))
        for key, value in part.items()
    ) + "}"


def misplaced(got: dict, expected: dict) -> bool:
    """The same values under different keys: results paired with the wrong symbols."""
    return got.keys() != expected.keys() and sorted(map(repr, got.values())) == sorted(
        map(repr, expected.values())
    )


def assert_report(kata, report, expected, *, call: str) -> None:
    """The report has exactly the expected failures and prices, each under its symbol."""
    __tracebackhide__ = True
    if inspect.isawaitable(report) or not isinstance(report, dict):
        assert_result(report, expected, call=call)
    if set(report) != {"ok", "failed"}:
        fail(
            f"{call} returned a dict with keys {sorted(report)}.",
            fix="return exactly two: 'ok' (symbol -> price) and 'failed' (symbol -> "
            "describe_error(error)).",
        )
    errors_as_prices = {s: v for s, v in report["ok"].items() if isinstance(v, BaseException)}
    if errors_as_prices:
        fail(
            f"{call} reported failed requests as prices: {shown(errors_as_prices)}.",
            fix="an error status and a dropped connection are different aiohttp errors: "
            "sort every exception into 'failed' (isinstance(result, Exception)).",
        )
    for part, what in (("failed", "failures"), ("ok", "prices")):
        got, want = report[part], expected[part]
        if got == want:
            continue
        message = f"{call} reported {what} {shown(got)}; expected {want!r}."
        if misplaced(got, want):
            in_order = (
                "gather returns one result per symbol, in the symbols' order: "
                if wrote(kata, "gather")
                else ""
            )
            fail(
                message + " The right values are there, but mapped to the wrong symbols.",
                fix=f"{in_order}pair each symbol with its own result (zip) before sorting "
                "prices from failures.",
            )
        if part == "failed" and any(isinstance(v, BaseException) for v in got.values()):
            fail(message, fix="put describe_error(error) in the report, not the exception itself.")
        fail(message)


async def test_every_price_arrives_when_nothing_fails(kata, kata_file, service):
    """With no failures, the report has every price and an empty 'failed'."""
    symbols = ["AAPL", "MSFT", "NVDA"]
    open_market(service, symbols)
    expected = {"ok": {s: PRICES[s] for s in symbols}, "failed": {}}
    report = await price(kata, kata_file, service, symbols, expected)
    assert_report(kata, report, expected, call=call_text(symbols))


async def test_one_failing_symbol_loses_no_other_price(kata, kata_file, service):
    """return_exceptions=True keeps every other result when one request fails."""
    symbols = ["AAPL", "MSFT", "NVDA", "AMZN", "GOOG", "META"]
    open_market(service, symbols, failures={"NVDA": {"status": 503}})
    expected = {
        "ok": {s: PRICES[s] for s in symbols if s != "NVDA"},
        "failed": {"NVDA": "HTTP 503"},
    }
    report = await price(kata, kata_file, service, symbols, expected)
    assert_report(kata, report, expected, call=call_text(symbols))


async def test_each_failure_is_reported_against_its_own_symbol(kata, kata_file, service):
    """Each result sits in its symbol's place: errors map back to their own items."""
    symbols = ["AAPL", "MSFT", "NVDA", "AMZN", "TSLA", "NFLX"]
    failures = {"MSFT": ERROR_500, "NVDA": FLAKY, "TSLA": DROPPED}
    # The first symbols answer last, so the order things finish in is no help.
    open_market(service, symbols, failures, latency=lambda s: 0.01 * (5 - symbols.index(s)))
    expected = {
        "ok": {"AAPL": PRICES["AAPL"], "AMZN": PRICES["AMZN"], "NFLX": PRICES["NFLX"]},
        "failed": {"MSFT": "HTTP 500", "NVDA": "HTTP 503", "TSLA": "connection lost"},
    }
    report = await price(kata, kata_file, service, symbols, expected)
    assert_report(kata, report, expected, call=call_text(symbols))


@pytest.mark.workload
async def test_prices_are_fetched_at_the_same_time_even_when_some_fail(kata, kata_file, service):
    """Collecting errors must not cost concurrency: all requests are in flight at once."""
    symbols = list(PRICES)
    failures = {"MSFT": ERROR_500, "TSLA": FLAKY}
    open_market(service, symbols, failures, latency=lambda s: LATENCY)
    expected = {
        "ok": {s: p for s, p in PRICES.items() if s not in failures},
        "failed": {"MSFT": "HTTP 500", "TSLA": "HTTP 503"},
    }
    report = await price(kata, kata_file, service, symbols, expected)
    assert_ran_concurrently(service, budget=BUDGET, expected_requests=len(symbols))
    assert_report(kata, report, expected, call=call_text(symbols))
