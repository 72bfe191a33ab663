"""A local fake HTTP service for the katas: real aiohttp, loopback, port 0.

A test sets what each path does (latency, status, headers, failures, dropped
connections, slowly streamed bodies); the service records what the learner's code did to
it: every request's start and end, how many were in flight at once, which ones the client
abandoned, and over how many TCP connections they came. That record is the deterministic
evidence the timing checks rest on.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestServer

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@dataclass
class Route:
    """What one path does. Every field has a harmless default."""

    json: Any = None
    text: str | None = None
    latency: float = 0.0
    status: int = 200
    fail_first: int = 0  # the first N calls answer 503 before the path recovers
    # Close the connection without any answer. Note: aiohttp's client resends a GET
    # once after a server disconnect, so each learner request shows up as two calls.
    drop: bool = False
    chunks: Sequence[bytes] | None = None  # stream these, one every `chunk_delay`
    chunk_delay: float = 0.0
    handler: Handler | None = None  # full control: called after `latency`
    # Response headers for every answer but a handler's (it sets its own), e.g.
    # {"Retry-After": "0.2"} on the 503s of fail_first.
    headers: dict[str, str] = field(default_factory=dict)
    calls: int = 0


@dataclass
class Call:
    """One request as the service saw it. Times are seconds since the service started."""

    method: str
    path: str
    query: str
    started: float
    ended: float | None = None
    status: int | None = None
    outcome: str = "in flight"  # answered | abandoned | dropped | in flight
    # Where the client's code was awaiting when the request arrived (its own lines only),
    # outermost first: a report can then name the learner's line, e.g. an await in a loop.
    where: tuple = ()
    # The TCP connection it came over, numbered from 1 in the order the service first
    # saw each: calls with one number reused a connection (one ClientSession's pool).
    connection: int = 0

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}" + (f"?{self.query}" if self.query else "")

    @property
    def duration(self) -> float | None:
        return None if self.ended is None else self.ended - self.started


@dataclass
class FakeService:
    """One running fake service. Use :meth:`route` to say what a path does."""

    __test__ = False

    routes: dict[str, Route] = field(default_factory=dict)
    calls: list[Call] = field(default_factory=list)
    in_flight: int = 0
    peak_in_flight: int = 0
    _server: TestServer | None = None
    _epoch: float = field(default_factory=time.perf_counter)
    # Set by the kata plugin: who is awaiting now, in the learner's file (see Call.where).
    observer: Callable[[], tuple] | None = None
    # Every connection's transport seen so far (held, so that no identity is reused).
    _transports: list[object] = field(default_factory=list)

    # --- set-up -----------------------------------------------------------------
    def route(self, path: str, **behaviour: Any) -> Route:
        """Say what ``path`` does, e.g. ``route("/coffee", json={...}, latency=0.1)``."""
        self.routes[path] = Route(**behaviour)
        return self.routes[path]

    async def start(self) -> FakeService:
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._handle)
        # TestServer binds 127.0.0.1 on a free port and cancels a handler whose
        # client went away: that cancellation is how abandoned requests are seen.
        self._server = TestServer(app, host="127.0.0.1", port=0)
        await self._server.start_server()
        self._epoch = time.perf_counter()
        return self

    async def close(self) -> None:
        if self._server is not None:
            server, self._server = self._server, None
            await server.close()

    # --- what the learner's code uses -----------------------------------------------
    @property
    def base_url(self) -> str:
        assert self._server is not None, "the fake service is not running"
        return str(self._server.make_url("")).rstrip("/")

    def url(self, path: str = "") -> str:
        return self.base_url + path

    # --- what the tests read ----------------------------------------------------------
    def now(self) -> float:
        return time.perf_counter() - self._epoch

    def calls_to(self, path: str) -> list[Call]:
        return [call for call in self.calls if call.path == path]

    @property
    def connections(self) -> int:
        """How many TCP connections the recorded calls came over (since the last reset)."""
        return len({call.connection for call in self.calls})

    @property
    def abandoned(self) -> list[Call]:
        return [call for call in self.calls if call.outcome == "abandoned"]

    def span(self) -> float:
        """Seconds from the first request's start to the last request's end."""
        finished = [c for c in self.calls if c.ended is not None]
        if not finished:
            return 0.0
        return max(c.ended for c in finished) - min(c.started for c in self.calls)

    async def settle(self, within: float) -> None:
        """Wait until no request is in flight, for at most ``within`` seconds.

        A request its client abandoned shows as such within a few loop turns (its
        handler is cancelled); one that nobody cancelled runs until its latency is over.
        """
        deadline = self.now() + within
        while self.in_flight and self.now() < deadline:
            await asyncio.sleep(0.005)

    def reset(self) -> None:
        """Forget the record (routes stay), e.g. between a warm-up and the real run."""
        self.calls.clear()
        self.peak_in_flight = self.in_flight

    # --- the server side --------------------------------------------------------------
    async def _handle(self, request: web.Request) -> web.StreamResponse:
        call = Call(request.method, request.path, request.query_string, self.now())
        if self.observer is not None:
            call.where = self.observer()
        call.connection = self._connection_of(request)
        self.calls.append(call)
        self.in_flight += 1
        self.peak_in_flight = max(self.peak_in_flight, self.in_flight)
        try:
            response = await self._respond(request, call)
            call.outcome = "answered"
            return response
        except asyncio.CancelledError:
            if call.outcome == "in flight":
                call.outcome = "abandoned"
            raise
        finally:
            call.ended = self.now()
            self.in_flight -= 1

    def _connection_of(self, request: web.Request) -> int:
        transport = request.transport
        for number, known in enumerate(self._transports, start=1):
            if known is transport:
                return number
        self._transports.append(transport)
        return len(self._transports)

    async def _respond(self, request: web.Request, call: Call) -> web.StreamResponse:
        route = self.routes.get(request.path)
        if route is None:
            call.status = 404
            known = ", ".join(sorted(self.routes)) or "none"
            return web.json_response(
                {"error": f"no such path {request.path}; known paths: {known}"}, status=404
            )
        route.calls += 1
        if route.latency:
            await asyncio.sleep(route.latency)
        if route.drop:
            call.outcome = "dropped"
            assert request.transport is not None
            request.transport.close()
            raise asyncio.CancelledError  # nothing more to send on a closed connection
        headers = route.headers
        if route.calls <= route.fail_first:
            call.status = 503
            return web.json_response(
                {"error": "temporarily unavailable"}, status=503, headers=headers
            )
        if route.handler is not None:
            response = await route.handler(request)
        elif route.chunks is not None:
            response = await self._stream(request, route)
        elif route.text is not None:
            response = web.Response(text=route.text, status=route.status, headers=headers)
        else:
            response = web.json_response(route.json, status=route.status, headers=headers)
        call.status = response.status
        return response

    async def _stream(self, request: web.Request, route: Route) -> web.StreamResponse:
        response = web.StreamResponse(status=route.status, headers=route.headers)
        await response.prepare(request)
        for chunk in route.chunks or ():
            await response.write(chunk)
            await asyncio.sleep(route.chunk_delay)
        await response.write_eof()
        return response


class ServiceFactory:
    """Starts fake services and closes them, newest first, exactly once."""

    __test__ = False

    def __init__(self, observer: Callable[[], tuple] | None = None) -> None:
        self._started: list[FakeService] = []
        self._observer = observer

    async def __call__(self, routes: dict[str, dict[str, Any]] | None = None) -> FakeService:
        service = FakeService(observer=self._observer)
        for path, behaviour in (routes or {}).items():
            service.route(path, **behaviour)
        await service.start()
        self._started.append(service)
        return service

    async def close(self) -> None:
        while self._started:
            await self._started.pop().close()
