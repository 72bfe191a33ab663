"""Kata 13 — semaphores. Run: pytest katas/13_semaphore"""

import inspect

import aiohttp
import pytest

from harness.judge import (
    LoopMonitor,
    Stalled,
    draw_in_flight,
    expect,
    fail,
    peak_in_flight,
    run_watched,
    wrote,
)

# Forty invoices of 0.025 s each, at most five at a time: eight waves, ≈ 0.2 s. The bound
# is 2x that (0.4 s), on the time the event loop could run: what the heartbeat saw it
# held up (a loaded machine, parsing forty answers) is not counted. One at a time would
# take 1.0 s, but the service's in-flight peak (1, not 5) says so first,
# deterministically; the clock catches slots left idle.
LATENCY = 0.025
LIMIT = 5
INVOICES = list(range(1001, 1041))
WAVES = len(INVOICES) // LIMIT
IDEAL = WAVES * LATENCY
BOUND = 2 * IDEAL

# One slow invoice (0.12 s) first, then 24 quick ones (0.005 s). While the slow one runs,
# the four other slots get through the rest in ≈ 6 x 0.005 s, so most of the 24 start
# while it is still in flight (over 8 even when a loaded machine makes each round take
# 0.03 s); batches of five start at most its four batch-mates meanwhile.
SLOW_INVOICE, SLOW = 2001, 0.12
QUICK_INVOICES, QUICK = list(range(2002, 2026)), 0.005
OVERTAKERS = 8  # of the 24 quick invoices, at least this many start during the slow one

# Sixteen invoices, four at a time; two of the first four fail at once (0.002 s), the
# others take 0.02 s. Once the failures are over, four must be in flight again.
FAIL_LIMIT = 4
FAIL_LATENCY = 0.02
FAILING = [3002, 3003]
FAIL_BATCH = list(range(3001, 3017))

# A run that sits with nothing in flight for IDLE seconds is stuck: a working one never
# pauses between requests (a slot is reused within milliseconds).
IDLE = 0.3


def open_billing(service, latencies: dict[int, float], failing=()) -> None:
    for invoice_id, latency in latencies.items():
        status = 500 if invoice_id in failing else 200
        service.route(
            f"/invoices/{invoice_id}",
            json={"id": invoice_id, "total": invoice_id % 97 * 100},
            latency=latency,
            status=status,
        )


def invoice(invoice_id: int) -> dict:
    return {"id": invoice_id, "total": invoice_id % 97 * 100}


def requests(n: int) -> str:
    return f"{n} request" + ("" if n == 1 else "s") + (" was" if n == 1 else " were")


def call_text(invoice_ids: list[int], limit: int) -> str:
    return f"fetch_invoices(url, <{len(invoice_ids)} invoice ids>, limit={limit})"


async def fetch(kata, service, invoice_ids: list[int], limit: int) -> dict:
    """Run the learner's fetch_invoices; a stall or a failure that escapes is explained."""
    __tracebackhide__ = True
    call = call_text(invoice_ids, limit)
    escaped = stalled = None
    try:
        invoices = await run_watched(
            kata.fetch_invoices(service.base_url, invoice_ids, limit), service, idle=IDLE
        )
    except Stalled as stall:
        stalled = stall
    except aiohttp.ClientResponseError as error:
        escaped = error
    if stalled is not None:
        explain_stall(service, call, invoice_ids, stalled)
    if escaped is not None:
        fail(
            f"{call} raised {type(escaped).__name__} ({escaped.status}, "
            f"{escaped.request_info.url.path}): one failing invoice stopped the whole batch.",
            fix="catch aiohttp.ClientResponseError around each invoice's request and "
            "keep None for that invoice.",
        )
    if inspect.isawaitable(invoices):
        if inspect.iscoroutine(invoices):
            invoices.close()
        fail(f"{call} returned {type(invoices).__name__} instead of the invoices: await it.")
    return invoices


def explain_stall(service, call: str, invoice_ids: list[int], stalled: Stalled) -> None:
    __tracebackhide__ = True
    chart = draw_in_flight(service.calls, now=service.now()) if service.calls else None
    never = len(invoice_ids) - len({c.path for c in service.calls})
    if not stalled.idle:
        fail(f"{call} had not returned after {stalled.waited:.1f} s.", evidence=chart)
    if not never:
        fail(
            f"{call} had every invoice answered, then sat idle for {stalled.idle:.2f} s "
            "without returning.",
            evidence=chart,
        )
    fail(
        f"{call} stopped making progress: for {stalled.idle:.2f} s the service had no "
        f"request in flight and got no new one, yet {never} invoices had never been "
        "asked for.",
        evidence=chart,
        fix="every slot taken must be given back: `async with semaphore:` gives it "
        "back when the block ends, even on an error.",
    )


def check_invoices(got, invoice_ids: list[int], *, limit: int, failing=()) -> None:
    """Every id maps to its invoice, or to None where the service failed."""
    __tracebackhide__ = True
    call = call_text(invoice_ids, limit)
    expect(
        isinstance(got, dict),
        f"{call} returned {type(got).__name__}; expected a dict {{invoice_id: invoice}}",
    )
    missing = [i for i in invoice_ids if i not in got]
    expect(
        not missing,
        f"{call} has no entry for invoices {missing[:5]}{'...' if len(missing) > 5 else ''}: "
        "every id must be a key",
    )
    for invoice_id in invoice_ids:
        expected = None if invoice_id in failing else invoice(invoice_id)
        expect(
            got[invoice_id] == expected,
            f"{call} gave {got[invoice_id]!r} for invoice {invoice_id}; expected {expected!r}"
            + (" (the service answered 500 for it)" if invoice_id in failing else ""),
        )


def check_each_asked_once(service, invoice_ids: list[int]) -> None:
    __tracebackhide__ = True
    paths = [c.path for c in service.calls]
    twice = sorted({p for p in paths if paths.count(p) > 1})
    expect(not twice, f"some invoices were requested more than once: {', '.join(twice[:3])}")
    expect(
        len(paths) == len(invoice_ids),
        f"the service saw {len(paths)} requests for {len(invoice_ids)} invoices; ask for "
        "each one once",
    )


def check_limit_kept(kata, service, limit: int, count: int) -> None:
    """Never more than `limit` at once, and `limit` at once at some point."""
    __tracebackhide__ = True
    peak = service.peak_in_flight
    chart = draw_in_flight(service.calls)
    if peak > limit:
        if peak < count:
            why = f" Make the semaphore with `limit` ({limit}), not a number of your own."
        elif wrote(kata, "Semaphore"):
            why = (
                " A semaphore holds back only the requests that each wait for it: one "
                "made per request, or held around the whole batch, limits nothing."
            )
        else:
            why = ""
        fail(
            f"{peak} requests were in flight at once; the billing service allows {limit}.{why}",
            evidence=chart,
            fix="create one asyncio.Semaphore(limit) before starting the requests and "
            "wrap each single request in `async with semaphore:`.",
        )
    if peak == 1:
        fail(
            f"your {count} requests ran one at a time; the billing service allows {limit} at once.",
            evidence=chart,
            fix="start them all (asyncio.gather or a TaskGroup) and let the semaphore hold "
            f"back all but {limit}: `async with semaphore:` around the request only.",
        )
    if peak < limit:
        fail(
            f"at most {requests(peak)} in flight at once; the limit is {limit}, and there "
            f"were {count} invoices waiting.",
            evidence=chart,
            fix="start every request together and let one asyncio.Semaphore(limit) hold "
            "back all but `limit` of them.",
        )


async def test_each_invoice_comes_back_under_its_id(kata, service):
    """The result maps each invoice id to the invoice the service sent."""
    ids = [11, 12, 13]
    open_billing(service, dict.fromkeys(ids, 0.0))
    invoices = await fetch(kata, service, ids, LIMIT)
    check_invoices(invoices, ids, limit=LIMIT)
    check_each_asked_once(service, ids)


@pytest.mark.workload
async def test_forty_invoices_never_exceed_five_in_flight(kata, kata_file, service):
    """A semaphore keeps exactly `limit` requests in flight: never more, and not fewer."""
    open_billing(service, dict.fromkeys(INVOICES, LATENCY))
    async with LoopMonitor(kata_file) as monitor:
        invoices = await fetch(kata, service, INVOICES, LIMIT)
    check_each_asked_once(service, INVOICES)
    check_limit_kept(kata, service, LIMIT, len(INVOICES))
    span = service.span()
    held = f" ({monitor.lag_total:.2f} s of it the event loop was held up, not counted)"
    expect(
        span - monitor.lag_total <= BOUND,
        f"your {len(INVOICES)} requests, {LIMIT} at a time, took {span:.2f} s"
        f"{held if monitor.lag_total >= 0.05 else ''}; {WAVES} waves of {LATENCY:.2f} s take "
        f"≈ {IDEAL:.2f} s (allowed {BOUND:.2f} s).",
        evidence=draw_in_flight(service.calls),
        fix="start the next invoice as soon as a slot is free, and hold the slot only "
        "around the request.",
    )
    check_invoices(invoices, INVOICES, limit=LIMIT)


async def test_a_slow_invoice_does_not_hold_up_the_others(kata, service):
    """A free slot is used at once: the next invoice does not wait for the slowest of a batch."""
    ids = [SLOW_INVOICE, *QUICK_INVOICES]
    open_billing(service, {SLOW_INVOICE: SLOW, **dict.fromkeys(QUICK_INVOICES, QUICK)})
    invoices = await fetch(kata, service, ids, LIMIT)
    check_each_asked_once(service, ids)
    check_limit_kept(kata, service, LIMIT, len(ids))
    [slow] = service.calls_to(f"/invoices/{SLOW_INVOICE}")
    during = [
        c for c in service.calls
        if c is not slow and slow.started < c.started < (slow.ended or service.now())
    ]
    expect(
        len(during) >= OVERTAKERS,
        f"while invoice {SLOW_INVOICE} took {SLOW:.2f} s, only {len(during)} of the other "
        f"{len(QUICK_INVOICES)} invoices started: the free slots waited for it.",
        evidence=draw_in_flight(service.calls),
        fix="a batch of `limit` requests waits for its slowest one; a semaphore (or a pool "
        "of workers) lets the next invoice in as soon as any request ends.",
    )
    check_invoices(invoices, ids, limit=LIMIT)


async def test_a_failing_invoice_frees_its_slot(kata, service):
    """A request that fails gives its slot back: the rest still run `limit` at a time."""
    latencies = {i: (0.002 if i in FAILING else FAIL_LATENCY) for i in FAIL_BATCH}
    open_billing(service, latencies, failing=FAILING)
    invoices = await fetch(kata, service, FAIL_BATCH, FAIL_LIMIT)
    check_each_asked_once(service, FAIL_BATCH)
    failed = [c for c in service.calls if c.status == 500]
    after = max(c.ended for c in failed)
    peak_after = peak_in_flight(service.calls, since=after)
    names = " and ".join(c.path.rsplit("/", 1)[1] for c in failed)
    check_limit_kept(kata, service, FAIL_LIMIT, len(FAIL_BATCH))
    expect(
        peak_after == FAIL_LIMIT,
        f"after invoices {names} failed, at most {requests(peak_after)} in flight at "
        f"once (the limit is {FAIL_LIMIT}): each failed invoice kept its slot for good.",
        evidence=draw_in_flight(service.calls),
        fix="give the slot back whatever happens: `async with semaphore:` does, as does "
        "`semaphore.release()` in a `finally:` block.",
    )
    check_invoices(invoices, FAIL_BATCH, limit=FAIL_LIMIT, failing=FAILING)
