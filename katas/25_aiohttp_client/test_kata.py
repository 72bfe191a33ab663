"""Kata 25 — aiohttp client. Run: pytest katas/25_aiohttp_client"""

import asyncio

import aiohttp
import pytest

from harness.judge import Budget, assert_ran_concurrently, assert_result, draw_timeline, fail, wrote

# Twelve sensors that each answer in 0.05 s, read 6 at a time: two rounds, ≈ 0.1 s.
# One at a time ≈ 0.6 s. The bound is 2x the ideal (0.2 s), and 0.6 s is 3x that bound.
LATENCY = 0.05
LIMIT = 6
SENSORS = [
    "boiler", "attic", "cellar", "garage", "kitchen", "nursery",
    "pantry", "porch", "sauna", "shed", "study", "workshop",
]  # fmt: skip
BUDGET = Budget(ideal=2 * LATENCY, sequential=len(SENSORS) * LATENCY)
# Far above what any request takes here (waiting for a free connection counts too).
TIMEOUT = 1.0
# A sensor that never answers while the test runs, read with a 0.1 s timeout: the call
# must give up after about 0.1 s; the test waits 10x that before calling it a hang.
SILENT = 30.0
SHORT_TIMEOUT = 0.1
PATIENCE = 10 * SHORT_TIMEOUT
ERROR_BODY = {"error": "attic sensor offline"}
THREE = ["boiler", "attic", "cellar"]


def reading(sensor: str) -> dict:
    return {"sensor": sensor, "celsius": 18.0 + len(sensor)}


def open_sensors(service, sensors: list[str], latency: float = 0.0) -> None:
    for sensor in sensors:
        service.route(f"/sensors/{sensor}", json=reading(sensor), latency=latency)


def call_text(sensors: list[str], timeout: float = TIMEOUT) -> str:
    shown = repr(sensors) if len(sensors) <= 3 else f"[{len(sensors)} sensors]"
    return f"await read_sensors(url, {shown}, limit={LIMIT}, timeout={timeout})"


def leaves(error: BaseException) -> list[BaseException]:
    """The exceptions inside an ExceptionGroup (a TaskGroup raises one), or the error itself."""
    if isinstance(error, BaseExceptionGroup):
        return [leaf for inner in error.exceptions for leaf in leaves(inner)]
    return [error]


async def test_every_reading_comes_back_under_its_sensor_name(kata, service):
    """The JSON body of each sensor's answer, in a dict keyed by sensor."""
    open_sensors(service, THREE)
    readings = await kata.read_sensors(service.base_url, THREE, limit=LIMIT, timeout=TIMEOUT)
    assert_result(readings, {sensor: reading(sensor) for sensor in THREE}, call=call_text(THREE))


@pytest.mark.workload
async def test_twelve_sensors_are_read_six_at_a_time(kata, service):
    """All requests start together, but the connector lets only `limit` run at once."""
    open_sensors(service, SENSORS, latency=LATENCY)
    readings = await kata.read_sensors(service.base_url, SENSORS, limit=LIMIT, timeout=TIMEOUT)
    if service.peak_in_flight > LIMIT:
        fail(
            f"{service.peak_in_flight} of your {len(service.calls)} requests were in flight "
            f"at once; limit={LIMIT} allows {LIMIT}.",
            evidence=draw_timeline(service.calls),
            fix="give the session a connector with that many connections: "
            "aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=limit)).",
        )
    assert_ran_concurrently(
        service, budget=BUDGET, expected_requests=len(SENSORS), min_in_flight=LIMIT
    )
    assert_result(
        readings, {sensor: reading(sensor) for sensor in SENSORS}, call=call_text(SENSORS)
    )


async def test_one_session_reuses_its_connections(kata, service):
    """A ClientSession keeps a pool: later requests reuse the connections of earlier ones."""
    open_sensors(service, SENSORS, latency=LATENCY)
    await kata.read_sensors(service.base_url, SENSORS, limit=LIMIT, timeout=TIMEOUT)
    connections, requests = service.connections, len(service.calls)
    if connections <= LIMIT:
        return
    said = f"your {requests} requests came over {connections} TCP connections"
    if service.peak_in_flight >= connections:
        fail(
            f"{said}, because all {connections} were in flight at once; limit={LIMIT} "
            f"allows {LIMIT} connections.",
            fix="give the session a connector with that many connections: "
            "aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=limit)).",
        )
    if connections < requests:
        why = f"; one session with limit={LIMIT} needs at most {LIMIT}"
    elif wrote(kata, "force_close"):
        why = ": a new one for each request (force_close=True closes each after its answer)"
    else:
        why = ": a new one for each request, so none was reused"
    fail(
        f"{said}{why}.",
        fix="open ONE aiohttp.ClientSession in read_sensors and pass it to every "
        "fetch_reading: each session has its own pool, which keeps a connection open "
        "for the next request.",
    )


async def test_a_sensor_answering_500_raises_client_response_error(kata, service):
    """raise_for_status: an error status is an exception, never a reading."""
    open_sensors(service, ["boiler", "cellar"])
    service.route("/sensors/attic", json=ERROR_BODY, status=500)
    call = call_text(THREE)
    try:
        readings = await kata.read_sensors(service.base_url, THREE, limit=LIMIT, timeout=TIMEOUT)
    except (aiohttp.ClientResponseError, ExceptionGroup) as error:
        statuses = [e.status for e in leaves(error) if isinstance(e, aiohttp.ClientResponseError)]
        if 500 in statuses:
            return
        raise
    if isinstance(readings, dict) and readings.get("attic") == ERROR_BODY:
        what = (
            f"{call} returned attic's error body {ERROR_BODY} as its reading, but attic "
            "answered 500 Internal Server Error."
        )
    else:
        what = f"{call} returned {readings!r}, but attic answered 500 Internal Server Error."
    fail(
        what + " It should raise aiohttp.ClientResponseError.",
        fix="make error statuses raise: aiohttp.ClientSession(raise_for_status=True), or "
        "response.raise_for_status() before reading the body.",
    )


async def test_a_sensor_that_never_answers_raises_timeout_error(kata, service):
    """ClientTimeout: give up on a silent server after `timeout` seconds."""
    open_sensors(service, ["boiler"])
    service.route("/sensors/attic", json=reading("attic"), latency=SILENT)
    call = call_text(["boiler", "attic"], timeout=SHORT_TIMEOUT)
    task = asyncio.create_task(
        kata.read_sensors(service.base_url, ["boiler", "attic"], limit=LIMIT, timeout=SHORT_TIMEOUT)
    )
    done, _ = await asyncio.wait({task}, timeout=PATIENCE)
    if not done:
        task.cancel()
        await asyncio.wait({task})
        fail(
            f"{call} was still waiting {PATIENCE:g} s later for attic, which never answers: "
            f"it should have raised TimeoutError after about {SHORT_TIMEOUT} s.",
            fix="give the session a ClientTimeout: "
            "aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout)).",
        )
    error = task.exception()
    if error is None:
        fail(f"{call} returned {task.result()!r}, but attic never answered: it should raise TimeoutError.")
    if not any(isinstance(leaf, TimeoutError) for leaf in leaves(error)):
        task.result()  # raise what it raised, for the judge to explain
