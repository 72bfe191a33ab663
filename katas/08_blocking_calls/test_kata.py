"""Kata 08 — blocking calls. Run: pytest katas/08_blocking_calls"""

import threading

import pytest

from harness.judge import Budget, LoopMonitor, assert_loop_stayed_responsive, assert_ran_concurrently

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
    assert celsius == WEATHER["oslo"], (
        f"read_station(client, 'oslo') returned {celsius!r}; the station says {WEATHER['oslo']}"
    )
    assert_loop_stayed_responsive(monitor, max_lag=MAX_LAG)


async def test_the_blocking_call_does_not_run_on_the_event_loop_thread(kata, service):
    """The legacy call itself must happen in another thread, not the loop's."""
    open_stations(service, latency=0.0)
    threads = []

    class WatchedClient(kata.LegacyWeatherClient):
        def read_temperature(self, station):
            threads.append(threading.get_ident())
            return super().read_temperature(station)

    await kata.read_station(WatchedClient(service.base_url), "lima")
    assert threads, "read_station never called client.read_temperature"
    assert threads[0] != threading.get_ident(), (
        "client.read_temperature ran on the event loop's own thread; hand it to "
        "asyncio.to_thread(client.read_temperature, station)"
    )


@pytest.mark.workload
async def test_six_stations_are_read_at_the_same_time_in_threads(kata, kata_file, service):
    """Blocking calls overlap when each runs in its own thread."""
    open_stations(service)
    client = kata.LegacyWeatherClient(service.base_url)
    async with LoopMonitor(kata_file) as monitor:
        readings = await kata.read_all_stations(client, list(WEATHER))
    assert_ran_concurrently(service, budget=BUDGET, expected_requests=len(WEATHER))
    assert_loop_stayed_responsive(monitor, max_lag=MAX_LAG)
    assert readings == WEATHER, (
        f"read_all_stations returned {readings!r}; expected each station's reading: {WEATHER!r}"
    )
