"""Kata 16 — rate limits. Run: pytest katas/16_rate_limit"""

from dataclasses import dataclass

import pytest

from harness.judge import (
    Budget,
    LoopMonitor,
    assert_result,
    draw_in_flight,
    draw_timeline,
    expect,
    fail,
    stopwatch,
)

# The SMS provider's contract: at most 5 messages in any 0.2 s.
RATE, PER = 5, 0.2


def phones(count: int, first: int = 100) -> list[str]:
    return [f"+4670000{n:04d}" for n in range(first, first + count)]


# --- no window holds more than RATE ---------------------------------------------------------
# Seven messages: a window's worth and two more. The windows are judged on when the
# limiter let each message go, once the service has confirmed that none started before
# that: on a busy machine the service sees a message several loop turns after it was
# sent (0.09 s late was measured while new connections were opened), the limiter's
# decisions are not delayed so. They can still bunch after a stall (late wake-ups all
# run at once), by as long as the stall, which the heartbeat measures; and a limiter's
# own clock can run early by SLACK: two ticks of the 15.6 ms clock Windows gives
# loop.time() before Python 3.13 (a start read a tick late, a timer fired a tick
# early). So the window judged is PER minus both, and at least NARROWEST: still wide
# enough to catch the limit broken (a full bucket of 5 tokens that refills one every
# 0.04 s lets 6 go within 0.04 s). A run whose stalls leave a narrower window cannot
# be judged: it runs again, at most ATTEMPTS times.
SEVEN = phones(7)
SLACK = 0.035
NARROWEST = 0.06
ATTEMPTS = 3
QUICK = 0.01
EARLY = 0.002  # the service and the grants read the same clock: only rounding

# --- throughput --------------------------------------------------------------------------------
# Ten messages of 0.12 s at 5 per 0.1 s: they can all have started by 0.1 s (5 at a time)
# or 0.18 s (one every 0.02 s); the average rate takes 10 / 5 x 0.1 = 0.2 s, the ideal
# here, and the bound is 2x that (0.4 s), on the time the event loop could run (what the
# heartbeat saw it held up by a loaded machine is not counted). One message per 0.1 s
# takes 0.9 s (2.25x the bound); one at a time takes 1.2 s (3x the bound), but the
# in-flight count says so first.
# Each message outlasts the window, so even a limiter that is too strict has two in
# flight at once: a peak of one means the messages were sent one after another.
TEN = phones(10, first=200)
WORK_PER = 0.1
LATENCY = 0.12
BUDGET = Budget(ideal=len(TEN) / RATE * WORK_PER, sequential=len(TEN) * LATENCY)

# --- the loop stays free --------------------------------------------------------------------
# One message per 0.12 s, two messages: the second waits 0.12 s. The heartbeat's watchdog
# looks at what the loop is running whenever a beat is over 50 ms late: an awaiting
# limiter is never caught running (the loop is idle, or busy elsewhere when a loaded
# machine stalls it); a limiter that spins is caught in its loop for the whole wait.
SLOW_RATE, SLOW_PER = 1, 0.12


def open_provider(service, numbers: list[str], latency: float) -> None:
    for phone in numbers:
        service.route(f"/sms/{phone}", json=receipt(phone), latency=latency, status=202)


def receipt(phone: str) -> dict:
    return {"to": phone, "status": "queued"}


def call_text(numbers: list[str], rate: int = RATE, per: float = PER) -> str:
    return f"send_reminders(url, <{len(numbers)} phones>, RateLimiter({rate}, {per}))"


@dataclass
class Sent:
    """What one send_reminders run left: its receipts, the heartbeat, and when the
    limiter let each message go (the service's clock; None if acquire could not be
    watched)."""

    receipts: object
    monitor: LoopMonitor
    grants: list[float] | None


async def send(
    kata, kata_file, service, numbers: list[str], rate: int = RATE, per: float = PER
) -> Sent:
    """Run send_reminders with a fresh limiter, under a heartbeat, noting each grant."""
    __tracebackhide__ = True
    limiter = kata.RateLimiter(rate, per)
    grants = note_grants(limiter, service)
    async with LoopMonitor(kata_file) as monitor:
        receipts = await kata.send_reminders(service.base_url, numbers, limiter)
    assert_result(receipts, [receipt(p) for p in numbers], call=call_text(numbers, rate, per))
    return Sent(receipts, monitor, grants)


def note_grants(limiter, service) -> list[float] | None:
    """Watch limiter.acquire: each time it returns, note the service's clock."""
    original = getattr(limiter, "acquire", None)
    if original is None:
        return None
    grants: list[float] = []

    async def acquire(*args, **kwargs):
        granted = await original(*args, **kwargs)
        grants.append(service.now())
        return granted

    try:
        limiter.acquire = acquire
    except AttributeError:  # a limiter with __slots__: judge by the service's record alone
        return None
    return grants


def busiest(times: list[float], window: float) -> list[float]:
    """The most of `times` that fit in one window of `window` seconds."""
    times = sorted(times)
    best: list[float] = []
    first = 0
    for last, time in enumerate(times):
        while time - times[first] >= window:
            first += 1
        if last - first + 1 > len(best):
            best = times[first : last + 1]
    return best


async def test_no_fifth_of_a_second_holds_more_than_five_messages(kata, kata_file, service):
    """The limit holds in every window, not just on average: no burst above `rate`."""
    open_provider(service, SEVEN, QUICK)
    for _attempt in range(ATTEMPTS):
        service.reset()
        sent = await send(kata, kata_file, service, SEVEN)
        window = PER - SLACK - sent.monitor.max_lag
        if window >= NARROWEST:
            break
    else:
        worst = sent.monitor.worst
        if worst is not None and worst.where:
            fail(
                f"the event loop was blocked for {sent.monitor.max_lag:.2f} s while your "
                "code ran here:",
                where=worst.where,
                fix="wait with `await asyncio.sleep(...)`, never by looping until a time "
                "comes: a loop that never awaits holds every other task.",
            )
        pytest.skip(
            f"the machine stalled this process for {sent.monitor.max_lag:.2f} s in each of "
            f"{ATTEMPTS} runs: too busy to judge a {PER} s window"
        )
    calls = sorted(service.calls, key=lambda call: call.started)
    timeline = draw_timeline(calls)
    starts = [call.started for call in calls]
    times, what = starts, "messages started"
    if sent.grants is not None:
        grants = sorted(sent.grants)
        expect(
            len(grants) >= len(starts),
            f"{len(starts) - len(grants)} of the {len(starts)} messages went out without "
            "`await limiter.acquire()`.",
            evidence=timeline,
            fix="call `await limiter.acquire()` right before each request, and send only "
            "once it has returned.",
        )
        pairs = enumerate(zip(starts, grants), 1)
        early = [n for n, (start, grant) in pairs if start < grant - EARLY]
        expect(
            not early,
            f"message {early[0] if early else 0} reached the provider before the limiter had let "
            "it go: the request did not wait for `await limiter.acquire()`.",
            evidence=timeline,
            fix="await the limiter first, then send: `await limiter.acquire()` and then the "
            "request, in that order, in each message's own coroutine.",
        )
        # The service sees each message a little after the limiter lets it go, later
        # still when connections are being opened on a busy machine: the windows are
        # judged on the limiter's own decisions, which the service confirmed above.
        times, what = grants, "messages were let go"
    burst = busiest(times, window)
    expect(
        len(burst) <= RATE,
        f"{len(burst)} {what} within {burst[-1] - burst[0]:.2f} s "
        f"({burst[0] - times[0]:.2f}–{burst[-1] - times[0]:.2f} s); the provider allows "
        f"{RATE} in any {PER} s.",
        evidence=timeline,
        fix="count the requests started in the last `per` seconds and wait while there "
        "are `rate` of them; waiters that each sleep the same delay all wake together.",
    )


@pytest.mark.workload
async def test_ten_messages_go_out_at_close_to_the_allowed_rate(kata, kata_file, service):
    """A limiter that waits too long, or one message at a time, wastes the allowed rate."""
    open_provider(service, TEN, LATENCY)
    sent = await send(kata, kata_file, service, TEN, RATE, WORK_PER)
    calls = sorted(service.calls, key=lambda call: call.started)
    expect(
        service.peak_in_flight > 1,
        f"your {len(TEN)} messages were sent one at a time: each took {LATENCY} s, so "
        f"at most {1 / LATENCY:.0f} a second went out, where the provider allows "
        f"{RATE / WORK_PER:.0f}.",
        evidence=draw_in_flight(calls),
        fix="send them all concurrently (gather or a TaskGroup), each after "
        "`await limiter.acquire()`: the limiter alone decides when each may start.",
    )
    took = calls[-1].started - calls[0].started
    expect(
        took - sent.monitor.lag_total <= BUDGET.bound,
        f"your {len(TEN)} messages took {took:.2f} s to start; at {RATE} per {WORK_PER} s "
        f"they can all start within ≈ {BUDGET.ideal:.2f} s (allowed {BUDGET.bound:.2f} s): "
        "the limiter waits longer than the limit asks.",
        evidence=draw_in_flight(calls),
        fix="let `rate` requests through per `per` seconds, not one: a request may start "
        "as soon as fewer than `rate` have started in the last `per` seconds.",
    )


async def test_waiting_for_the_limiter_leaves_the_loop_free(kata, kata_file, service):
    """A limiter waits with `await`: while it waits, every other task keeps running."""
    numbers = phones(2, first=300)
    open_provider(service, numbers, 0.0)
    with stopwatch() as watch:
        sent = await send(kata, kata_file, service, numbers, SLOW_RATE, SLOW_PER)
    monitor = sent.monitor
    held = [stall for stall in monitor.stalls if stall.where]
    if held:
        worst = max(held, key=lambda stall: stall.seconds)
        fail(
            f"the event loop was held for {worst.seconds:.2f} s while the limiter waited "
            f"(a 5 ms heartbeat beat {'once' if monitor.beats == 1 else f'{monitor.beats} times'} "
            f"in {watch.elapsed:.2f} s), while your code ran here:",
            where=worst.where,
            fix="wait with `await asyncio.sleep(seconds)`: a loop that checks the clock "
            "until the time comes never lets another task run.",
        )
    if sent.grants and len(sent.grants) == len(numbers):
        waited, what = sent.grants[-1] - sent.grants[0], "the limiter let the second message go"
    else:
        starts = sorted(call.started for call in service.calls)
        waited, what = starts[-1] - starts[0], "the second message started"
    expect(
        waited >= SLOW_PER - SLACK,
        f"{what} {waited:.2f} s after the first; with RateLimiter({SLOW_RATE}, {SLOW_PER}) "
        f"it must wait ≈ {SLOW_PER} s.",
    )
