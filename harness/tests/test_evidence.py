"""The evidence helpers: the timeline chart, the Budget's ratios, the concurrency and
result assertions (fed constructed records, so no clock is involved), and the
LoopMonitor's heartbeat (the only real timing here, with wide ratio gaps).
"""

from __future__ import annotations

import asyncio
import gc
import importlib.util
import inspect
import time
import warnings
from pathlib import Path
from types import ModuleType

import aiohttp
import pytest

from harness.judge.evidence import (
    BAR,
    Budget,
    LoopMonitor,
    Stalled,
    assert_loop_stayed_responsive,
    assert_ran_concurrently,
    assert_result,
    draw_in_flight,
    draw_timeline,
    peak_in_flight,
    run_watched,
)
from harness.judge.services import Call, FakeService


def call(path: str, started: float, ended: float | None, outcome: str = "answered") -> Call:
    return Call("GET", path, "", started, ended, 200 if ended is not None else None, outcome)


def in_batches(paths: list[str], size: int, seconds: float) -> list[Call]:
    """``size`` calls at a time, each batch ``seconds`` long, one after the other."""
    return [call(p, (i // size) * seconds, (i // size + 1) * seconds) for i, p in enumerate(paths)]


def bars(timeline: str) -> list[tuple[int, int]]:
    """Each row's bar as (first column, one past the last column)."""
    spans = []
    for row in timeline.splitlines():
        bar = row.split("|")[1]
        first = bar.index(BAR)
        spans.append((first, bar.rindex(BAR) + 1))
    return spans


# --- the timeline -----------------------------------------------------------------------------
def test_sequential_calls_draw_a_staircase():
    """Each request starts where the one before ended: the bars step to the right."""
    dishes = ["coffee", "toast", "eggs", "juice"]
    calls = [call(f"/dishes/{d}", i * 0.25, (i + 1) * 0.25) for i, d in enumerate(dishes)]
    timeline = draw_timeline(calls, width=40)
    assert bars(timeline) == [(0, 10), (10, 20), (20, 30), (30, 40)], (
        f"four back-to-back calls should draw four steps of 10 columns:\n{timeline}"
    )
    assert "GET /dishes/coffee" in timeline and "0.75–1.00 s" in timeline, (
        f"rows should show each request and its times:\n{timeline}"
    )


def test_concurrent_calls_draw_aligned_bars():
    """Requests that overlap start and end in the same columns."""
    calls = [call(f"/dishes/{d}", 0.0, 0.1) for d in ("coffee", "toast", "eggs")]
    timeline = draw_timeline(calls, width=30)
    assert bars(timeline) == [(0, 30)] * 3, f"three overlapping calls should align:\n{timeline}"


def test_the_timeline_marks_abandoned_calls_and_says_when_there_were_none():
    """An abandoned request is marked; an empty record says the service saw nothing."""
    timeline = draw_timeline([call("/slow", 0.0, 0.5, outcome="abandoned")])
    assert "✗ abandoned" in timeline, f"the abandoned call should be marked:\n{timeline}"
    assert "saw no requests" in draw_timeline([]), "an empty timeline should say so"


# --- in flight over time -------------------------------------------------------------------------
def test_the_peak_in_flight_of_a_stretch_counts_only_what_overlapped_it():
    """Two batches of five: five at once overall, five within the second batch, and
    none after the last request ended."""
    calls = in_batches([f"/invoices/{n}" for n in range(10)], size=5, seconds=0.1)
    assert peak_in_flight(calls) == 5
    assert peak_in_flight(calls, since=0.1) == 5
    assert peak_in_flight(calls, since=0.05, until=0.15) == 5
    assert peak_in_flight(calls, since=0.2) == 0


def test_a_request_ending_as_another_starts_does_not_overlap_it():
    """Back to back is one at a time; a request still in flight counts until `now`."""
    back_to_back = [call("/a", 0.0, 0.1), call("/b", 0.1, 0.2)]
    assert peak_in_flight(back_to_back) == 1
    still_running = [call("/a", 0.0, None, outcome="in flight"), call("/b", 0.5, 0.6)]
    assert peak_in_flight(still_running) == 2
    assert peak_in_flight(still_running, now=0.4) == 1


def test_the_in_flight_chart_shows_a_digit_per_slice_of_time():
    """Five at a time then one: the row reads 5s then 1s; a gap is a dot; ten or more is +."""
    calls = in_batches([f"/invoices/{n}" for n in range(5)], size=5, seconds=0.1)
    calls.append(call("/invoices/5", 0.1, 0.2))
    calls.append(call("/invoices/6", 0.31, 0.4))
    chart = draw_in_flight(calls, width=8)
    assert chart == "    in flight |5511··11| 0.00–0.40 s", chart
    crowd = in_batches([f"/invoices/{n}" for n in range(12)], size=12, seconds=0.1)
    assert draw_in_flight(crowd, width=4) == "    in flight |++++| 0.00–0.10 s"
    assert "saw no requests" in draw_in_flight([])
    assert draw_in_flight(calls, width=8, now=0.8) == "    in flight |51·1····| 0.00–0.80 s"


# --- a run that stalls ---------------------------------------------------------------------------
# Only lower bounds on time here: a stall is declared after `idle` quiet seconds, never sooner.
IDLE = 0.15


async def order_then(service: FakeService, wait: asyncio.Event | None, value: str) -> str:
    """One request to the service, then wait for an event that may never be set."""
    async with aiohttp.ClientSession() as session, session.get(service.url("/orders")) as response:
        await response.read()
    if wait is not None:
        await wait.wait()
    return value


async def test_a_run_that_finishes_returns_its_value(service: FakeService):
    """Code that returns is simply awaited; a plain value passes through."""
    service.route("/orders", json=[])
    assert await run_watched(order_then(service, None, "done"), service, idle=IDLE) == "done"
    assert await run_watched("not awaitable", service, idle=IDLE) == "not awaitable"


async def test_a_run_with_nothing_in_flight_and_nothing_new_is_stopped_as_stalled(
    service: FakeService,
):
    """Waiting for something that never comes, with the service idle: Stalled, and cancelled."""
    service.route("/orders", json=[])
    never = asyncio.Event()
    run = asyncio.ensure_future(order_then(service, never, "done"))
    loop = asyncio.get_running_loop()
    started = loop.time()
    with pytest.raises(Stalled) as stalled:
        await run_watched(run, service, idle=IDLE, patience=5.0)
    assert loop.time() - started >= IDLE and stalled.value.idle >= IDLE, stalled.value
    assert run.cancelled(), "the stalled code should have been cancelled"


async def test_a_stopped_process_is_not_a_stall(service: FakeService):
    """A machine that stops the whole process (here: a blocking sleep on the loop) while
    the code finishes up is busy, not stalled: quiet time counts only while the loop runs."""

    async def finish_slowly() -> str:
        async with aiohttp.ClientSession() as session:
            async with session.get(service.url("/orders")) as response:
                await response.read()
        await asyncio.sleep(0)
        time.sleep(3 * IDLE)  # noqa: the process stands still, as on an overloaded machine
        await asyncio.sleep(0.01)
        return "done"

    service.route("/orders", json=[])
    assert await run_watched(finish_slowly(), service, idle=IDLE) == "done"


async def test_a_slow_request_in_flight_is_progress_not_a_stall(service: FakeService):
    """A request the service is still working on is not a stall, however quiet."""
    service.route("/orders", json=[], latency=3 * IDLE)
    assert await run_watched(order_then(service, None, "done"), service, idle=IDLE) == "done"


async def test_a_run_past_its_patience_is_stopped_even_while_busy(service: FakeService):
    """`patience` bounds the whole run, in flight or not."""
    service.route("/orders", json=[], latency=5.0)
    with pytest.raises(Stalled) as stalled:
        await run_watched(order_then(service, None, "done"), service, idle=IDLE, patience=0.3)
    assert stalled.value.waited >= 0.3 and stalled.value.idle == 0.0, stalled.value


# --- the budget ----------------------------------------------------------------------------------
def test_a_budget_sets_its_bound_at_slack_times_the_ideal():
    """Eight 0.1 s requests: the bound is 0.2 s, and one at a time takes 4x that."""
    assert Budget(ideal=0.1, sequential=0.8).bound == pytest.approx(0.2)


def test_a_budget_refuses_a_slack_under_two():
    """A bound closer than 2x the ideal would fail correct code on a busy machine."""
    with pytest.raises(ValueError, match="at least 2x the ideal"):
        Budget(ideal=0.1, sequential=2.0, slack=1.5)


def test_a_budget_refuses_a_workload_too_small_to_tell_apart():
    """Sequential time under 3x the bound cannot be told from a slow concurrent run."""
    with pytest.raises(ValueError, match="workload too small to judge"):
        Budget(ideal=0.1, sequential=0.5)


def test_a_workload_of_exactly_three_times_the_bound_is_accepted():
    """The docstring's rule is 'at least 3x', so exactly 3x is enough."""
    assert Budget(ideal=0.1, sequential=0.6).bound == pytest.approx(0.2)


# --- assert_ran_concurrently, on a record set by hand ---------------------------------------------
EIGHT = [f"/dishes/{n}" for n in range(8)]
BUDGET = Budget(ideal=0.1, sequential=0.8)


def recorded(calls: list[Call], peak: int) -> FakeService:
    """A service that is never started, holding the record a test describes."""
    service = FakeService()
    service.calls, service.peak_in_flight = calls, peak
    return service


def test_a_missing_request_is_reported_first():
    """The count comes before anything else, with the timeline of what did arrive."""
    service = recorded(in_batches(EIGHT[:7], size=7, seconds=0.1), peak=7)
    with pytest.raises(AssertionError) as error:
        assert_ran_concurrently(service, budget=BUDGET, expected_requests=8)
    message = str(error.value)
    assert message.startswith("the service expected 8 requests but saw 7."), message
    assert "GET /dishes/6" in message, f"the message should include the timeline:\n{message}"


def test_requests_one_at_a_time_are_reported_as_such_with_the_staircase():
    """A peak of one in flight says the requests waited for each other, and what to do."""
    service = recorded(in_batches(EIGHT, size=1, seconds=0.1), peak=1)
    with pytest.raises(AssertionError) as error:
        assert_ran_concurrently(service, budget=BUDGET, expected_requests=8)
    message = str(error.value)
    assert message.startswith(
        "your 8 requests ran one at a time: 0.80 s (together they take ≈ 0.10 s)"
    ), message
    assert "asyncio.gather or a TaskGroup" in message, (
        f"the message should say what to do:\n{message}"
    )
    assert len(bars(message.split("\n", 1)[1].rsplit("\n", 1)[0])) == 8, (
        f"the message should draw one row per request:\n{message}"
    )


def test_too_few_requests_in_flight_at_once_are_reported():
    """Two at a time is not eight at a time."""
    service = recorded(in_batches(EIGHT, size=2, seconds=0.1), peak=2)
    with pytest.raises(AssertionError) as error:
        assert_ran_concurrently(service, budget=BUDGET, expected_requests=8)
    message = str(error.value)
    expected = "at most 2 of your 8 requests were in flight at once; expected 8"
    assert message.startswith(expected), message


def test_requests_that_overlapped_but_took_too_long_are_reported():
    """All eight in flight together, yet 0.5 s against a 0.2 s bound: something waits."""
    service = recorded(in_batches(EIGHT, size=8, seconds=0.5), peak=8)
    with pytest.raises(AssertionError) as error:
        assert_ran_concurrently(service, budget=BUDGET, expected_requests=8)
    message = str(error.value)
    assert message.startswith(
        "your 8 requests overlapped but took 0.50 s, more than 0.20 s (ideal ≈ 0.10 s)"
    ), message


def test_requests_that_overlapped_within_the_bound_pass():
    """Eight together in 0.1 s pass; so does a peak of four when four is the limit asked."""
    together = recorded(in_batches(EIGHT, size=8, seconds=0.1), peak=8)
    assert_ran_concurrently(together, budget=BUDGET, expected_requests=8)
    four_at_a_time = recorded(in_batches(EIGHT, size=4, seconds=0.05), peak=4)
    assert_ran_concurrently(four_at_a_time, budget=BUDGET, expected_requests=8, min_in_flight=4)


# --- assert_result ------------------------------------------------------------------------------
async def brew_tea() -> str:
    return "a cup of tea"


def test_assert_result_names_a_returned_coroutine_and_closes_it():
    """A coroutine instead of a value is named, and closed so it raises no warning later."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        cup = brew_tea()
        with pytest.raises(AssertionError) as error:
            assert_result(cup, "a cup of tea", call="make_tea()")
        message = str(error.value)
        state = inspect.getcoroutinestate(cup)
        del cup, error
        gc.collect()
    assert message.startswith("make_tea() returned a coroutine (brew_tea()) instead of its result"), message
    assert "`await` it" in message and "asyncio.run" in message, (
        f"the message should say what to do:\n{message}"
    )
    assert state == inspect.CORO_CLOSED, f"the coroutine should be closed, it is {state}"
    never_awaited = [str(w.message) for w in caught if "never awaited" in str(w.message)]
    assert not never_awaited, f"closing the coroutine should prevent {never_awaited}"


def test_assert_result_compares_values_and_names_the_call():
    """Equal values pass; different ones say what came back and what was expected."""
    assert_result("a cup of tea", "a cup of tea", call="make_tea()")
    expected = r"^make_tea\(\) returned 'coffee'; expected 'a cup of tea'\.$"
    with pytest.raises(AssertionError, match=expected):
        assert_result("coffee", "a cup of tea", call="make_tea()")


# --- the heartbeat ------------------------------------------------------------------------------
# The ratios: the stall is 3x the bound, and the bound is far above a healthy loop's lag
# (a few ms; tens of ms on a loaded machine).
STALL = 0.6
BOUND = STALL / 3

BUSY_HELPER = '''\
import time


def crunch_numbers(seconds):
    """Keep the CPU busy without sleeping, as heavy pure-Python work does."""
    deadline, total = time.perf_counter() + seconds, 0
    while time.perf_counter() < deadline: total += 1
    return total
'''
BUSY_LINE = 7


def busy_helper(folder: Path) -> ModuleType:
    """busy.py written to ``folder`` and imported from there, as the loader imports kata.py."""
    path = folder / "busy.py"
    path.write_text(BUSY_HELPER, encoding="utf-8")
    assert "while" in BUSY_HELPER.splitlines()[BUSY_LINE - 1], "BUSY_LINE must point at the loop"
    spec = importlib.util.spec_from_file_location("busy_helper", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


async def test_a_cpu_stall_is_measured_and_blamed_on_the_line_that_held_the_loop(tmp_path):
    """A busy loop in the watched file stalls the heartbeat; the stall names its line."""
    helper = busy_helper(tmp_path.resolve())
    async with LoopMonitor(helper.__file__) as monitor:
        await asyncio.sleep(0.01)
        helper.crunch_numbers(STALL)
        await asyncio.sleep(0.01)
    worst = monitor.worst
    assert worst is not None and worst.seconds >= STALL * 0.9, (
        f"a {STALL} s stall should be measured, got {monitor.stalls}"
    )
    assert [str(w) for w in worst.where] == [f"busy.py:{BUSY_LINE} in crunch_numbers()"], (
        f"the stall should be blamed on busy.py:{BUSY_LINE}, got {worst.where!r}"
    )
    with pytest.raises(AssertionError) as error:
        assert_loop_stayed_responsive(monitor, max_lag=BOUND)
    assert f"busy.py:{BUSY_LINE} in crunch_numbers()" in str(error.value), str(error.value)


async def test_a_loop_that_only_awaits_stays_under_a_generous_lag_bound(tmp_path):
    """Awaiting leaves the loop free: the heartbeat keeps ticking, nothing is blamed."""
    async with LoopMonitor(tmp_path / "busy.py") as monitor:
        for _ in range(20):
            await asyncio.sleep(0.01)
    assert_loop_stayed_responsive(monitor, max_lag=BOUND)
    assert all(not stall.where for stall in monitor.stalls), (
        f"no line of the watched file ran, yet a stall was blamed: {monitor.stalls}"
    )


async def test_the_heartbeat_counts_its_beats_and_adds_up_its_lateness(tmp_path):
    """A free loop beats about once per tick; a loop held by a spin barely beats at all.
    (Counts only from below for the free loop, from above for the held one: with both
    cores busy, a free loop still beat 7 times in 0.2 s, so 0.3 s and at least 4.)"""
    helper = busy_helper(tmp_path.resolve())
    async with LoopMonitor(tmp_path / "busy.py", tick=0.005) as free:
        await asyncio.sleep(0.3)
    async with LoopMonitor(helper.__file__, tick=0.005) as held:
        helper.crunch_numbers(0.3)
    assert free.beats >= 4, f"a free loop beat {free.beats} times in 0.3 s (tick 0.005 s)"
    assert held.beats <= 2, f"a loop held for 0.3 s beat {held.beats} times"
    assert held.lag_total >= 0.27 and held.lag_total >= held.max_lag, (
        f"a loop held for 0.3 s was late {held.lag_total:.3f} s in all (worst {held.max_lag:.3f} s)"
    )


async def test_a_stall_is_blamed_even_when_the_file_is_reached_through_a_symlink(tmp_path):
    """The file under test is watched by the path it was imported from."""
    (tmp_path / "real").mkdir()
    (tmp_path / "linked").symlink_to(tmp_path / "real", target_is_directory=True)
    helper = busy_helper(tmp_path / "linked")
    async with LoopMonitor(helper.__file__) as monitor:
        await asyncio.sleep(0.01)
        helper.crunch_numbers(STALL)
        await asyncio.sleep(0.01)
    worst = monitor.worst
    assert worst is not None and [str(w) for w in worst.where] == [
        f"busy.py:{BUSY_LINE} in crunch_numbers()"
    ], (
        f"the stall should be blamed on busy.py:{BUSY_LINE}, got {worst}"
    )


def test_requests_one_at_a_time_name_the_learners_line_that_awaited_each():
    """The service notes where the client's code awaited; the report names the caller's line."""
    from harness.judge.report import Mistake, Where

    calls = in_batches(EIGHT, size=1, seconds=0.1)
    loop_line = Where("katas/02_gather/kata.py", 21, "make_breakfast", "x.append(await fetch_dish(...))")
    request_line = Where("katas/02_gather/kata.py", 9, "fetch_dish", "async with session.get(...)")
    for each in calls:
        each.where = (loop_line, request_line)
    with pytest.raises(Mistake) as error:
        assert_ran_concurrently(recorded(calls, peak=1), budget=BUDGET, expected_requests=8)
    assert error.value.diagnosis.where == (loop_line,), error.value.diagnosis
    assert "katas/02_gather/kata.py:21 in make_breakfast()" in str(error.value)
