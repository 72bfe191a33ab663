"""Kata 14 — as_completed. Run: pytest katas/14_as_completed"""

import asyncio

import aiohttp
import pytest

from harness.judge import (
    LoopMonitor,
    assert_result,
    draw_timeline,
    expect,
    fail,
    wrote,
)

PRICES = {"dhl": 41, "ups": 38, "gls": 29, "dpd": 33, "fedex": 45, "usps": 36}

# Four carriers whose quotes take 60 ms more each. The order they arrive in is read from
# the service's record (when it answered each), since a loaded machine can start one
# request later than another; two answers within TIE of each other may be handled
# either way round.
ARRIVALS = {"dhl": 0.13, "ups": 0.01, "gls": 0.19, "dpd": 0.07}
FASTEST_FIRST = sorted(ARRIVALS, key=ARRIVALS.__getitem__)  # ups, dpd, dhl, gls
TIE = 0.02

# Six carriers: two answer after 0.02 s and 0.1 s, four after 0.8 s. The first two quotes
# are in once the second fastest has answered (≈ 0.1 s in), and first_quotes should return
# right then: within PROMPT of that answer, not counting what the heartbeat saw the event
# loop held up. Waiting for every carrier returns 0.7 s after it, 4.7x PROMPT.
RACE = {"dhl": 0.8, "ups": 0.02, "fedex": 0.8, "gls": 0.1, "dpd": 0.8, "usps": 0.8}
K = 2
WINNERS = ["ups", "gls"]
LOSERS = [carrier for carrier in RACE if carrier not in WINNERS]
PROMPT = 0.15
NOTICE = 0.2  # how long the service may take to see that a cancelled request was cut


@pytest.fixture
async def session():
    """The caller's session: it stays open after the learner's function returns."""
    async with aiohttp.ClientSession() as session:
        yield session


def open_carriers(service, latencies: dict[str, float]) -> None:
    for carrier, latency in latencies.items():
        service.route(f"/quotes/{carrier}", json=quote(carrier), latency=latency)


def quote(carrier: str) -> dict:
    return {"carrier": carrier, "price": PRICES[carrier]}


def carriers_of(quotes: list) -> list:
    return [q.get("carrier", q) if isinstance(q, dict) else q for q in quotes]


def a_list(quotes, *, call: str) -> list:
    """The quotes, if they are a list; anything else (a coroutine, None) is named."""
    __tracebackhide__ = True
    if not isinstance(quotes, list):
        assert_result(quotes, [quote(c) for c in WINNERS], call=call)
    return quotes


async def ask_first_quotes(kata, service, session) -> list:
    """first_quotes(...) for the race; a CancelledError it lets out is explained."""
    __tracebackhide__ = True
    try:
        return await kata.first_quotes(session, service.base_url, list(RACE), K)
    except asyncio.CancelledError:
        current = asyncio.current_task()
        if current is not None and current.cancelling():
            raise  # the test itself is being cancelled: not the learner's doing
    fail(
        f"{first_quotes_text()} raised CancelledError: awaiting a task you cancelled "
        "raises it in the code that awaits.",
        fix="after cancelling the leftovers, collect them with "
        "`await asyncio.gather(*tasks, return_exceptions=True)`, or do not await them.",
    )


def first_quotes_text(k: int = K) -> str:
    return f"first_quotes(session, url, {list(RACE)}, k={k})"


def check_winners(quotes, service) -> None:
    """The first k quotes to arrive, in the order the service answered them."""
    __tracebackhide__ = True
    got = carriers_of(a_list(quotes, call=first_quotes_text()))
    ended = {c.path.rsplit("/", 1)[-1]: c.ended or service.now() for c in service.calls}
    arrived = sorted(WINNERS, key=lambda carrier: ended.get(carrier, 0))
    in_a_tie = abs(ended.get(WINNERS[0], 0) - ended.get(WINNERS[1], 0)) < TIE
    asked = (
        " — the first carriers you asked, not the first to answer"
        if got == list(RACE)[:K]
        else ""
    )
    expect(
        got == arrived or (in_a_tie and sorted(got) == sorted(arrived)),
        f"{first_quotes_text()} returned the quotes of {got}{asked}; the first {K} to "
        f"arrive were {arrived}, in that order.",
        fix="asyncio.as_completed yields the requests in the order they finish: stop after k.",
    )
    assert_result(quotes, [quote(c) for c in got], call=first_quotes_text())


async def test_quotes_are_shown_as_they_arrive_fastest_first(kata, kata_file, service, session):
    """as_completed hands results over in the order they finish, each as soon as it does."""
    open_carriers(service, ARRIVALS)
    shown: list[tuple[float, object]] = []

    def show(quote: dict) -> None:
        shown.append((service.now(), quote))

    call = f"show_quotes_as_they_arrive(session, url, {list(ARRIVALS)}, show)"
    async with LoopMonitor(kata_file) as monitor:
        await kata.show_quotes_as_they_arrive(session, service.base_url, list(ARRIVALS), show)
    carriers = carriers_of([q for _, q in shown])
    expect(
        sorted(map(str, carriers)) == sorted(ARRIVALS),
        f"{call} called show with the quotes of {carriers}; expected one call per carrier, "
        f"with its quote: {list(ARRIVALS)}",
    )
    answered = sorted(service.calls, key=lambda c: c.ended or service.now())
    arrived = [c.path.rsplit("/", 1)[-1] for c in answered]
    ended = dict(zip(arrived, (c.ended or service.now() for c in answered)))
    asked_at = min(c.started for c in service.calls)
    expect(
        shown[0][0] < ended[arrived[-1]],
        f"the first quote was shown {shown[0][0] - asked_at:.2f} s in, only after every "
        f"carrier had answered: the quote of {arrived[0]} had been ready since "
        f"{ended[arrived[0]] - asked_at:.2f} s.",
        evidence=draw_timeline(service.calls),
        fix="hand each quote to show() as soon as its request completes: "
        "`for next_quote in asyncio.as_completed(...): show(await next_quote)`.",
    )
    # Answers closer together than this may reach the code either way round: the time
    # any answer can take to be read, plus the longest the event loop was held up.
    tie = TIE + monitor.max_lag
    out_of_order = [
        (earlier, later)
        for n, earlier in enumerate(carriers)
        for later in carriers[n + 1 :]
        if ended[later] < ended[earlier] - tie
    ]
    asked = " — the order you asked them in" if carriers == list(ARRIVALS) else ""
    expect(
        not out_of_order,
        f"quotes were shown in the order {carriers}{asked}; they arrived in the order "
        f"{arrived}.",
        fix="awaiting each task in turn waits for the slow ones first; asyncio.as_completed "
        "gives you whichever finishes next.",
    )
    assert_result([q for _, q in shown], [quote(c) for c in carriers], call=f"what {call} showed")


@pytest.mark.workload
async def test_the_first_two_quotes_come_back_as_soon_as_they_arrive(
    kata, kata_file, service, session
):
    """Take the first k results: the wait is the k-th fastest request, not the slowest."""
    open_carriers(service, RACE)
    async with LoopMonitor(kata_file) as monitor:
        quotes = await ask_first_quotes(kata, service, session)
    returned = service.now()
    check_winners(quotes, service)
    kth = sorted(c.ended or returned for c in service.calls)[K - 1]
    late = returned - kth
    expect(
        late - monitor.lag_total <= PROMPT,
        f"{first_quotes_text()} returned {late:.2f} s after quote number {K} arrived "
        f"(allowed {PROMPT:.2f} s): it waited for the slow carriers too.",
        evidence=draw_timeline(service.calls),
        fix="return as soon as you have k quotes; do not wait for (or gather) the others.",
    )


async def test_the_requests_still_running_are_cancelled(kata, service, session):
    """Requests nobody needs any more are cancelled: the service sees them cut."""
    open_carriers(service, RACE)
    quotes = await ask_first_quotes(kata, service, session)
    returned = service.now()
    check_winners(quotes, service)
    await service.settle(within=NOTICE)
    losers = [service.calls_to(f"/quotes/{carrier}") for carrier in LOSERS]
    never = [c for c, calls in zip(LOSERS, losers) if not calls]
    expect(
        not never,
        f"{first_quotes_text()} never asked {never} for a quote: ask every carrier at once",
    )
    slow = [calls[0] for calls in losers]
    waited = [c for c in slow if c.outcome == "answered" and (c.ended or returned) <= returned]
    expect(
        not waited,
        f"{first_quotes_text()} waited until the slower carriers had answered "
        f"({max((c.ended for c in waited), default=0) - slow[0].started:.2f} s) instead of "
        "cancelling them.",
        evidence=draw_timeline(service.calls),
        fix="once you have k quotes, cancel the tasks still pending (`task.cancel()`) "
        "rather than awaiting them.",
    )
    cut = [c for c in slow if c.outcome == "abandoned"]
    running = [c for c in slow if c.outcome != "abandoned"]
    unreachable = wrote(kata, "as_completed") and not any(
        wrote(kata, name) for name in ("create_task", "ensure_future", "TaskGroup")
    )
    expect(
        not running,
        f"{first_quotes_text()} returned, but "
        + (f"all {len(LOSERS)}" if not cut else f"{len(running)} of the {len(LOSERS)}")
        + f" slower requests were left running ({', '.join(c.path for c in running)})."
        + (
            " as_completed wrapped your coroutines in tasks of its own, which nothing "
            "could cancel."
            if unreachable
            else ""
        ),
        evidence=draw_timeline(service.calls, now=service.now()),
        fix="create the tasks yourself (asyncio.create_task) and keep them; once you have "
        "k quotes, cancel the ones still pending (`task.cancel()`).",
    )
