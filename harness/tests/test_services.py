"""The fake service, seen through a real aiohttp client: what each route setting does and
what the service records about the client (in flight, abandoned, the timeline).

Time is only checked from below (a latency is at least what was asked), never from
above, so a busy machine cannot make these tests fail.
"""

from __future__ import annotations

import asyncio
import time

import aiohttp
import pytest
from aiohttp import web

from harness.judge.services import FakeService, ServiceFactory

LATENCY = 0.2
CLOCK_SLACK = 0.9  # timers may fire a hair early; never late-bound a time here


async def get_json(session: aiohttp.ClientSession, url: str) -> tuple[int, object]:
    async with session.get(url) as response:
        return response.status, await response.json()


async def until(condition, *, within: float = 5.0, what: str) -> None:
    """Wait for a state the service reaches on its own (e.g. noticing a closed socket)."""
    deadline = time.perf_counter() + within
    while not condition():
        assert time.perf_counter() < deadline, f"after {within} s, still waiting for {what}"
        await asyncio.sleep(0.01)


# --- what a route does -----------------------------------------------------------------------
async def test_a_route_answers_its_json_after_its_latency(service: FakeService):
    """latency delays the answer by at least that long; the call is recorded as answered."""
    service.route("/coffee", json={"dish": "coffee"}, latency=LATENCY)
    async with aiohttp.ClientSession() as session:
        started = time.perf_counter()
        status, body = await get_json(session, service.url("/coffee"))
        elapsed = time.perf_counter() - started
    assert (status, body) == (200, {"dish": "coffee"}), f"got {status} {body!r}"
    assert elapsed >= LATENCY * CLOCK_SLACK, (
        f"the answer came after {elapsed:.3f} s, before the {LATENCY} s latency"
    )
    [call] = service.calls
    assert (call.label, call.status, call.outcome) == ("GET /coffee", 200, "answered"), (
        f"recorded {call}"
    )
    assert call.duration is not None and call.duration >= LATENCY * CLOCK_SLACK, (
        f"the service recorded {call.duration} s for a {LATENCY} s latency"
    )


async def test_a_route_answers_with_the_status_and_text_it_was_given(service: FakeService):
    """status and text set the response; the call records the status."""
    service.route("/teapot", text="short and stout", status=418)
    async with (
        aiohttp.ClientSession() as session,
        session.get(service.url("/teapot?size=small")) as response,
    ):
        status, text = response.status, await response.text()
    assert (status, text) == (418, "short and stout"), f"got {status} {text!r}"
    [call] = service.calls
    assert (call.status, call.query, call.label) == (418, "size=small", "GET /teapot?size=small"), (
        f"recorded {call}"
    )


async def test_fail_first_answers_503_that_many_times_then_recovers(service: FakeService):
    """fail_first=2: the first two calls get 503, the third the real answer."""
    service.route("/toast", json={"dish": "toast"}, fail_first=2)
    async with aiohttp.ClientSession() as session:
        statuses = [(await get_json(session, service.url("/toast")))[0] for _ in range(3)]
    assert statuses == [503, 503, 200], f"expected 503, 503, then 200; got {statuses}"
    assert [c.status for c in service.calls] == [503, 503, 200], f"recorded {service.calls}"


async def test_headers_go_with_every_answer_of_the_route(service: FakeService):
    """headers: on the 503s of fail_first (e.g. Retry-After) and on the answers after them."""
    service.route("/rates/EUR", json={"rate": 1.08}, fail_first=1, headers={"Retry-After": "0.2"})
    service.route("/rates/GBP", text="0.86", headers={"Cache-Control": "max-age=60"})
    async with aiohttp.ClientSession() as session:
        seen = []
        for path in ("/rates/EUR", "/rates/EUR", "/rates/GBP"):
            async with session.get(service.url(path)) as response:
                seen.append((response.status, dict(response.headers)))
    assert [(status, headers.get("Retry-After")) for status, headers in seen[:2]] == [
        (503, "0.2"),
        (200, "0.2"),
    ], f"expected Retry-After on the 503 and the 200 after it; got {seen[:2]}"
    assert seen[2][1].get("Cache-Control") == "max-age=60", f"the text answer had {seen[2][1]}"
    assert [c.status for c in service.calls] == [503, 200, 200], f"recorded {service.calls}"


async def test_drop_closes_the_connection_without_an_answer(service: FakeService):
    """drop: the client sees the server disconnect; the call is recorded as dropped."""
    service.route("/eggs", json={"dish": "eggs"}, drop=True)
    async with aiohttp.ClientSession() as session:
        # a POST, because aiohttp retries an idempotent GET once on a disconnect
        with pytest.raises(aiohttp.ServerDisconnectedError):
            async with session.post(service.url("/eggs")) as response:
                await response.read()
    [call] = service.calls
    assert call.outcome == "dropped", f"a dropped call should be recorded as dropped: {call}"
    assert call.status is None and call.ended is not None, f"recorded {call}"


async def test_chunks_are_streamed_one_every_chunk_delay(service: FakeService):
    """chunks arrive over time, not at once; together they make the body."""
    delay = 0.1
    service.route("/menu", chunks=[b"coffee,", b"toast,", b"eggs"], chunk_delay=delay)
    received: list[tuple[float, bytes]] = []
    async with (
        aiohttp.ClientSession() as session,
        session.get(service.url("/menu")) as response,
    ):
        async for piece in response.content.iter_any():
            received.append((time.perf_counter(), piece))
    body = b"".join(piece for _, piece in received)
    assert body == b"coffee,toast,eggs", f"the streamed body was {body!r}"
    spread = received[-1][0] - received[0][0]
    assert spread >= 2 * delay * CLOCK_SLACK, (
        f"three chunks {delay} s apart arrived within {spread:.3f} s: they were not streamed"
    )


async def test_a_custom_handler_has_full_control_after_the_latency(service: FakeService):
    """handler builds the response itself, here from the query string."""

    async def echo(request: web.Request) -> web.Response:
        return web.json_response({"echo": request.query["word"]}, status=201)

    service.route("/echo", handler=echo, latency=0.05)
    async with aiohttp.ClientSession() as session:
        status, body = await get_json(session, service.url("/echo?word=jam"))
    assert (status, body) == (201, {"echo": "jam"}), f"got {status} {body!r}"
    assert service.calls[0].status == 201, f"recorded {service.calls[0]}"


async def test_an_unknown_path_is_a_404_that_lists_the_known_paths(service: FakeService):
    """A typo in a URL says which paths exist, so the learner can spot it."""
    service.route("/dishes/toast", json={})
    service.route("/dishes/coffee", json={})
    async with aiohttp.ClientSession() as session:
        status, body = await get_json(session, service.url("/dishes/tost"))
    expected = "no such path /dishes/tost; known paths: /dishes/coffee, /dishes/toast"
    assert (status, body) == (404, {"error": expected}), f"got {status} {body!r}"
    assert service.calls[0].status == 404, f"recorded {service.calls[0]}"


# --- what the service records about the client -------------------------------------------------
async def test_a_request_the_client_gives_up_on_is_recorded_as_abandoned(service: FakeService):
    """When the client times out and closes the connection, the call becomes abandoned."""
    service.route("/slow", json={}, latency=30)
    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=0.5)) as session:
        with pytest.raises(asyncio.TimeoutError):
            await get_json(session, service.url("/slow"))
    assert len(service.calls) == 1, f"the request should have reached the service: {service.calls}"
    await until(lambda: service.calls[0].outcome != "in flight", what="the server to notice")
    assert service.abandoned == service.calls and service.calls[0].outcome == "abandoned", (
        f"the request the client gave up on should be abandoned: {service.calls}"
    )
    assert service.in_flight == 0, f"{service.in_flight} requests still counted in flight"


async def test_peak_in_flight_counts_requests_that_overlap(service: FakeService):
    """Five requests held open together give a peak of 5; the same five in turn, 1."""
    opened = asyncio.Event()

    async def hold_until_all_arrive(request: web.Request) -> web.Response:
        if service.in_flight == 5:
            opened.set()
        await opened.wait()
        return web.json_response({})

    service.route("/held", handler=hold_until_all_arrive)
    service.route("/quick", json={})
    async with aiohttp.ClientSession() as session:
        url = service.url("/held")
        async with asyncio.timeout(5):
            await asyncio.gather(*(get_json(session, url) for _ in range(5)))
        assert service.peak_in_flight == 5, (
            f"five requests held open together should peak at 5, got {service.peak_in_flight}"
        )

        service.reset()
        for _ in range(5):
            await get_json(session, service.url("/quick"))
    assert service.peak_in_flight == 1, (
        f"five requests one after another should peak at 1, got {service.peak_in_flight}"
    )


async def test_span_runs_from_the_first_start_to_the_last_end(service: FakeService):
    """span() is the server-side wall time of the whole batch."""
    assert service.span() == 0.0, "with no calls, the span should be 0"
    service.route("/toast", json={}, latency=0.05)
    async with aiohttp.ClientSession() as session:
        for _ in range(3):
            await get_json(session, service.url("/toast"))
    first, *_, last = service.calls
    assert service.span() == last.ended - first.started, (
        f"span() {service.span()} should be the last end minus the first start"
    )
    assert service.span() >= 3 * 0.05 * CLOCK_SLACK, (
        f"three 0.05 s calls in turn spanned only {service.span():.3f} s"
    )


async def test_reset_forgets_the_record_but_keeps_the_routes(service: FakeService):
    """reset() clears calls and peak (e.g. after a warm-up); routes still answer."""
    service.route("/coffee", json={"dish": "coffee"})
    async with aiohttp.ClientSession() as session:
        await get_json(session, service.url("/coffee"))
        service.reset()
        assert (service.calls, service.peak_in_flight) == ([], 0), (
            f"after reset: calls {service.calls}, peak {service.peak_in_flight}"
        )
        status, body = await get_json(session, service.url("/coffee"))
    assert (status, body) == (200, {"dish": "coffee"}), (
        f"the route should survive reset, got {status} {body!r}"
    )
    assert len(service.calls) == 1, f"only the call after reset should be recorded: {service.calls}"
    assert service.routes["/coffee"].calls == 2, "the route's own counter is not part of the record"


async def test_connections_counts_the_tcp_connections_the_requests_came_over(service: FakeService):
    """One session reuses its connection for requests in turn; a session each opens one each."""
    service.route("/coffee", json={"dish": "coffee"})
    async with aiohttp.ClientSession() as session:
        for _ in range(3):
            await get_json(session, service.url("/coffee"))
    assert service.connections == 1, (
        f"three requests in turn over one session came over {service.connections} connections"
    )
    assert {call.connection for call in service.calls} == {1}, f"recorded {service.calls}"

    service.reset()
    for _ in range(3):
        async with aiohttp.ClientSession() as session:
            await get_json(session, service.url("/coffee"))
    assert service.connections == 3, (
        f"three sessions, one request each, came over {service.connections} connections"
    )
    assert [call.connection for call in service.calls] == [2, 3, 4], (
        f"new connections are numbered on from those seen before the reset: {service.calls}"
    )


# --- the factory ------------------------------------------------------------------------------
async def test_the_factory_closes_its_services_newest_first_and_only_once():
    """Teardown closes in reverse order; closing the factory again does nothing."""
    factory = ServiceFactory()
    services = [await factory({"/ping": {"json": "pong"}}) for _ in range(3)]
    urls = [service.url("/ping") for service in services]
    closed: list[int] = []
    for number, service in enumerate(services):
        original = service.close

        async def recording_close(number=number, original=original) -> None:
            closed.append(number)
            await original()

        service.close = recording_close  # type: ignore[method-assign]

    await factory.close()
    await factory.close()
    assert closed == [2, 1, 0], f"services should close newest first, once each; got {closed}"

    await services[0].close()  # a service closes idempotently too
    async with aiohttp.ClientSession() as session:
        for url in urls:
            with pytest.raises(aiohttp.ClientConnectionError):
                await get_json(session, url)
    with pytest.raises(AssertionError, match="not running"):
        services[0].url("/ping")
