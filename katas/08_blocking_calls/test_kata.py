"""Kata 08 — blocking calls. Run: pytest katas/08_blocking_calls"""

import inspect
import threading

import pytest

from harness.judge import (
    Budget,
    LoopMonitor,
    assert_loop_stayed_responsive,
    assert_ran_concurrently,
    assert_result,
    expect,
    fail,
)

# The lesson keeps the synchronous client: the way out is a thread, not another client.
IN_A_THREAD = (
    "the client is synchronous and stays as it is: run the call in a worker thread, "
    "`await asyncio.to_thread(client.read_temperature, station)` (the function and its "
    "argument, not a call)."
)
pytestmark = pytest.mark.blocking_fix("socket.", IN_A_THREAD)

# Six stations at 0.1 s each: in threads together ≈ 0.1 s, one at a time ≈ 0.6 s.
# (asyncio's default thread pool has at least 5 + 1 workers, enough for six at once.)
LATENCY = 0.1
WEATHER = {"oslo": 3.5, "lima": 18.0, "cairo": 27.5, "perth": 21.0, "quito": 14.5, "hanoi": 29.0}
BUDGET = Budget(ideal=LATENCY, sequential=LATENCY * len(WEATHER))
# The heartbeat may be late by MAX_LAG. A free loop was late by up to 0.03 s with both
# cores busy (MAX_LAG is 2.7x that); a blocked loop is late by a whole call: 0.25 s for
# the single slow reading, 0.6 s for six readings in a row (3x and 7.5x MAX_LAG).
MAX_LAG = 0.08
SLOW_READING = 0.25


def open_stations(service, latency=LATENCY):
    for station, celsius in WEATHER.items():
        service.route(f"/stations/{station}", json={"station": station, "celsius": celsius}, latency=latency)


async def test_one_reading_runs_in_a_worker_thread_while_the_loop_stays_free(kata, kata_file, service):
    """asyncio.to_thread runs a blocking call in a thread; the loop keeps its heartbeat."""
    open_stations(service, latency=SLOW_READING)
    client = kata.LegacyWeatherClient(service.base_url)
    async with LoopMonitor(kata_file) as monitor:
        celsius = await kata.read_station(client, "oslo")
    assert_result(celsius, WEATHER["oslo"], call="read_station(client, 'oslo')")
    assert_loop_stayed_responsive(monitor, max_lag=MAX_LAG, advice=IN_A_THREAD)


async def test_the_blocking_call_does_not_run_on_the_event_loop_thread(kata, service):
    """The legacy call itself must happen in another thread, not the loop's."""
    open_stations(service, latency=0.0)
    threads = []

    class WatchedClient(kata.LegacyWeatherClient):
        def read_temperature(self, station):
            threads.append(threading.get_ident())
            return super().read_temperature(station)

    await kata.read_station(WatchedClient(service.base_url), "lima")
    expect(
        threads,
        "read_station(client, 'lima') never called client.read_temperature.",
        fix="read the station with the client it is given.",
    )
    expect(
        threads[0] != threading.get_ident(),
        "client.read_temperature ran on the event loop's own thread.",
        fix=IN_A_THREAD,
    )


@pytest.mark.workload
async def test_six_stations_are_read_at_the_same_time_in_threads(kata, kata_file, service):
    """Blocking calls overlap when each runs in its own thread."""
    open_stations(service)
    client = kata.LegacyWeatherClient(service.base_url)
    async with LoopMonitor(kata_file) as monitor:
        readings = await kata.read_all_stations(client, list(WEATHER))
    assert_no_awaitables(readings, call="read_all_stations(client, stations)")
    assert_ran_concurrently(service, budget=BUDGET, expected_requests=len(WEATHER))
    assert_loop_stayed_responsive(monitor, max_lag=MAX_LAG, advice=IN_A_THREAD)
    assert_result(readings, WEATHER, call="read_all_stations(client, stations)")


def assert_no_awaitables(readings, *, call: str) -> None:
    """Readings, not futures or coroutines nobody awaited (the requests may not even have run)."""
    __tracebackhide__ = True
    if not isinstance(readings, dict):
        return  # assert_result says what came back
    pending = {station: value for station, value in readings.items() if inspect.isawaitable(value)}
    if pending:
        station, value = next(iter(pending.items()))
        fail(
            f"{call} returned {{{station!r}: {type(value).__name__}, ...}}: "
            f"{len(pending)} readings are awaitables nobody awaited, not temperatures.",
            fix="await each threaded call where it is made (`return await ...`), so its "
            "value comes back.",
        )
