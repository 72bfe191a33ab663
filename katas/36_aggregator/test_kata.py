"""Kata 36 — aggregator, a capstone. Run: pytest katas/36_aggregator

Each test is one step of the capstone; its docstring names the kata that taught it.
The three sources are fake services on 127.0.0.1; the learner's app runs on another
port of 127.0.0.1, in the test's own loop, with its cache in the test's temporary folder.
"""

import ast
import asyncio
import inspect
import json
import logging
import sqlite3
import threading
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import aiohttp
import aiosqlite
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from harness.judge import Budget, draw_timeline, excepts, expect, fail, wrote

SOURCES = ("weather", "traffic", "events")
ALL_OK = dict.fromkeys(SOURCES, "ok")
REPORTS = {"weather": "sunny, 24 °C", "traffic": "light", "events": "a fado night"}
LATENCY = 0.02  # a source that answers
RELAXED = 1.0  # the per-source timeout of the app in most steps: 50x LATENCY, never reached
PATIENCE = 2.0  # seconds the test waits for the dashboard's answer in those steps
# Step 3: the app's timeout per source, a slow source that would hold the dashboard 12x
# as long, and the bound within which it must be cut (a Budget: 0.5 s vs 3 s).
TIMEOUT = 0.25
SLOW = 3.0
CUT = Budget(ideal=TIMEOUT, sequential=SLOW)
PATIENCE_FOR_SLOW = 4 * TIMEOUT
SIDE_BY_SIDE = 0.1  # the latency of each source where the test looks at their overlap
GRACE = 0.5  # for what the app does after an answer or at shutdown (tens of ms)
CLIENTS = 200
CONNECTIONS = 20  # the test's client spreads its 200 requests over this many connections
CITIES_UNDER_LOAD = ("Lisbon", "Porto", "Faro", "Braga", "Coimbra")
TIMEOUT_UNDER_LOAD = 2.0  # sources answer in LATENCY: this only cuts a real hang
PATIENCE_UNDER_LOAD = 4.0
SHUTDOWN_TIMEOUT = 1.0  # seconds the server waits for handlers still running at close


# --- the three sources ------------------------------------------------------------------------
def report(source: str, city: str, days: int | str) -> dict:
    """What a source answers for a city: its report, with the query it was asked."""
    return {"source": source, "city": city, "days": str(days), "report": REPORTS[source]}


@dataclass
class Visit:
    """One request a source saw, on the clock all three share (a row of draw_timeline)."""

    label: str
    started: float
    ended: float | None = None
    outcome: str = "in flight"


class Sources:
    """The weather, traffic and events services: a fake service each, one shared clock."""

    __test__ = False

    def __init__(self, services: dict) -> None:
        self.services = services
        self.visits: list[Visit] = []
        self.peers: dict[str, set] = {source: set() for source in services}
        self.transports: list[asyncio.BaseTransport] = []
        self._epoch = time.perf_counter()

    @property
    def urls(self) -> dict[str, str]:
        return {source: service.base_url for source, service in self.services.items()}

    def now(self) -> float:
        return time.perf_counter() - self._epoch

    def answer(self, source: str, latency: float = LATENCY, **route) -> None:
        """``source`` answers its report after ``latency`` (``route``: fail_first=...)."""
        self.services[source].route(f"/{source}", handler=self._reporter(source, latency), **route)

    def answer_all(self, latency: float = LATENCY) -> None:
        for source in SOURCES:
            self.answer(source, latency)

    def fail(self, source: str, **route) -> None:
        """``source`` misbehaves as the fake service's route says (status=503, drop=True)."""
        self.services[source].route(f"/{source}", latency=LATENCY, **route)

    def asked(self, source: str) -> int:
        return len(self.services[source].calls_to(f"/{source}"))

    def asked_in_all(self) -> dict[str, int]:
        return {source: self.asked(source) for source in SOURCES}

    async def settle(self, within: float = GRACE) -> None:
        await asyncio.gather(*(service.settle(within) for service in self.services.values()))

    def timeline(self) -> str:
        return draw_timeline(self.visits, now=self.now())

    def _reporter(self, source: str, latency: float):
        async def answer(request: web.Request) -> web.Response:
            visit = Visit(source, self.now())
            self.visits.append(visit)
            assert request.transport is not None
            self.peers[source].add(request.transport.get_extra_info("peername"))
            self.transports.append(request.transport)
            try:
                await asyncio.sleep(latency)
            except asyncio.CancelledError:
                visit.outcome, visit.ended = "abandoned", self.now()
                raise
            visit.outcome, visit.ended = "answered", self.now()
            return web.json_response(
                report(source, request.query.get("city", ""), request.query.get("days", ""))
            )

        return answer


@pytest.fixture
async def sources(fake_service) -> Sources:
    return Sources({source: await fake_service() for source in SOURCES})


# --- the learner's app, served ----------------------------------------------------------------
@dataclass(frozen=True)
class Raised:
    """What one of the app's handlers raised (aiohttp answered 500), at the learner's line."""

    error: BaseException
    where: tuple

    def __str__(self) -> str:
        return f"{type(self.error).__name__}: {self.error}".rstrip(": ")


@dataclass
class Answer:
    """What GET /dashboard answered."""

    request: str
    status: int | None  # None: no answer in time
    text: str
    body: object = None
    raised: Raised | None = None  # when the status is 500


def fail_on_500(answer: Answer, *, context: str = "", fix: str | None = None) -> None:
    """A 500 names what the handler raised, at the learner's line. A stub is left to the
    judge, which says which function is still a stub."""
    __tracebackhide__ = True
    if answer.status != 500:
        return
    if answer.raised is not None and isinstance(answer.raised.error, NotImplementedError):
        raise answer.raised.error
    if answer.raised is None:
        fail(f"{answer.request}{context} answered 500 {answer.text[:100]!r}.", fix=fix)
    what = str(answer.raised).rstrip(".")
    if _cursor_closed_by_the_collector(answer.raised.error):
        fix = CURSOR_LEFT_TO_THE_COLLECTOR
    fail(
        f"{answer.request}{context} answered 500: your handler raised {what}.",
        where=answer.raised.where,
        fix=fix,
    )


# Measured on Python 3.11 (not seen on 3.12 or 3.13): one aiosqlite connection shared by
# requests at once, and the cursor `await db.executemany(...)` returns left for the garbage
# collector. It is freed on the loop's thread and resets its statement, which sqlite3 shares
# by SQL text, while aiosqlite's thread may be running that statement for another request.
CURSOR_LEFT_TO_THE_COLLECTOR = (
    "close each cursor yourself: `cursor = await db.executemany(...)` then `await "
    "cursor.close()`, or `async with db.execute(...) as cursor:`. A cursor left to the "
    "garbage collector is closed on the event loop's thread, maybe while aiosqlite's "
    "thread runs the same statement for another request."
)


def _cursor_closed_by_the_collector(error: BaseException) -> bool:
    return isinstance(error, sqlite3.InterfaceError) and "API misuse" in str(error)


@dataclass
class Served:
    """The learner's app on 127.0.0.1, a client session to it, and what its handlers raised."""

    server: TestServer
    learner: object
    sources: Sources
    client: aiohttp.ClientSession | None = None
    raised: list[Raised] = field(default_factory=list)
    threads_left: list[threading.Thread] = field(default_factory=list)  # after shutdown

    async def get(self, patience: float = PATIENCE, fix: str | None = None, **params) -> Answer:
        """GET /dashboard?params; fail if no answer comes within ``patience`` seconds."""
        __tracebackhide__ = True
        answer = await self.fetch(patience, **params)
        if answer.status is None:
            fail(
                f"{answer.request} had not answered after {patience:g} s; what the sources saw:",
                evidence=self.sources.timeline(),
                fix=fix,
            )
        return answer

    async def fetch(self, patience: float, **params: str) -> Answer:
        """GET /dashboard?params: the answer, with no status if none came in time."""
        assert self.client is not None
        request = "GET /dashboard?" + "&".join(f"{k}={shorter(v)}" for k, v in params.items())
        errors_before = len(self.raised)
        try:
            async with asyncio.timeout(patience):
                url = self.server.make_url("/dashboard")
                async with self.client.get(url, params=params) as got:
                    text = await got.text()
        except TimeoutError:
            return Answer(request, None, "")
        try:
            body = json.loads(text)
        except ValueError:
            body = None
        raised = self.raised[-1] if got.status == 500 and len(self.raised) > errors_before else None
        return Answer(request, got.status, text, body, raised)

    def take(self, record: logging.LogRecord) -> bool:
        """A filter on aiohttp's server log: keep what a handler raised, out of the log."""
        error = record.exc_info[1] if record.exc_info else None
        if record.levelno < logging.ERROR or error is None:
            return True
        self.raised.append(Raised(error, self.learner.traceback(error.__traceback__)))
        return False


@asynccontextmanager
async def dashboard(
    kata, kata_file, sources: Sources, db_path, timeout: float, connections: int,
    watch_threads: bool,
) -> AsyncIterator[Served]:
    """create_app(...) served on 127.0.0.1 port 0 until the block ends, then shut down.

    ``watch_threads``: after shutdown, wait for the threads the app started to end, and
    keep those still running in ``threads_left``."""
    app = kata.create_app(sources.urls, db_path, timeout)
    if inspect.isawaitable(app):
        app = await app
    expect(
        isinstance(app, web.Application),
        f"create_app(...) returned {app!r}; expected an aiohttp web.Application.",
        fix="build it with `app = web.Application()`, add the /dashboard route and return app.",
    )
    served = Served(TestServer(app, host="127.0.0.1", port=0), kata_file, sources)
    logger = logging.getLogger("aiohttp.server")
    logger.addFilter(served.take)
    before = set(threading.enumerate())
    try:
        await served.server.start_server(shutdown_timeout=SHUTDOWN_TIMEOUT)  # the app's startup
        connector = aiohttp.TCPConnector(limit=connections)
        async with aiohttp.ClientSession(connector=connector) as client:
            served.client = client
            yield served
    finally:
        try:
            await served.server.close()  # the app's shutdown and cleanup
        finally:
            logger.removeFilter(served.take)
            if watch_threads:
                served.threads_left = await threads_still_running(before)
            await close_forgotten_databases(app)


async def threads_still_running(before: set) -> list[threading.Thread]:
    """The threads started since ``before`` that are still running ``GRACE`` s from now
    (but the loop's default executor's, which it keeps for later calls)."""
    started = [
        t for t in threading.enumerate() if t not in before and not t.name.startswith("asyncio_")
    ]
    deadline = time.perf_counter() + GRACE
    while any(t.is_alive() for t in started) and time.perf_counter() < deadline:
        await asyncio.sleep(0.01)
    return [t for t in started if t.is_alive()]


async def close_forgotten_databases(app: web.Application) -> None:
    """Close the aiosqlite connections the app kept and left open (step 11 names them):
    one closed later by the garbage collector fails whichever test is running then."""
    for value in list(app.values()):
        if isinstance(value, aiosqlite.Connection):
            await value.close()  # does nothing if it is closed already


@pytest.fixture
def serve(kata, kata_file, sources, tmp_path):
    """``async with serve() as app:`` the learner's app, its cache in tmp_path/cache.db."""

    def serve(timeout: float = RELAXED, connections: int = 4, *, watch_threads: bool = False):
        db_path = tmp_path / "cache.db"
        return dashboard(kata, kata_file, sources, db_path, timeout, connections, watch_threads)

    return serve


# --- reading an answer ------------------------------------------------------------------------
def expect_sources(
    answer: Answer, expected: dict[str, str], city: str, days: int, *, fix500: str | None = None
) -> dict:
    """The answer is 200 with ``{"city", "days", "sources": {source: {"status": ...}}}`` and
    each source's status as expected (and its data, where "ok"). Returns the sources."""
    __tracebackhide__ = True
    fail_on_500(answer, fix=fix500)
    expect(
        answer.status == 200,
        f"{answer.request} answered {answer.status}: {answer.text[:120]!r}; expected 200.",
    )
    body = answer.body
    sources = body.get("sources") if isinstance(body, dict) else None
    expect(
        isinstance(sources, dict) and all(isinstance(sources.get(s), dict) for s in SOURCES),
        f"{answer.request} answered {answer.text[:160]!r}; expected a JSON object with "
        '"sources": {"weather": {...}, "traffic": {...}, "events": {...}}.',
        fix='web.json_response({"city": city, "days": days, "sources": {source: {"status": '
        '"ok", "data": ...}, ...}}).',
    )
    expect(
        body.get("city") == city and body.get("days") == days,
        f'{answer.request} answered "city": {body.get("city")!r}, "days": {body.get("days")!r}; '
        f"expected {city!r} and {days!r} (a number).",
    )
    for source, status in expected.items():
        got = sources[source].get("status")
        expect(
            got == status,
            f"{answer.request}: {source} is {json.dumps(sources[source])[:120]}; expected "
            f'"status": "{status}".',
            fix=STATUS_FIX[status],
        )
        if status == "ok":
            data = sources[source].get("data")
            expect(
                data == report(source, city, days),
                f'{answer.request}: {source}\'s "data" is {json.dumps(data)[:120]}; expected what '
                f"{source} answered: {json.dumps(report(source, city, days))}.",
                fix=f"ask GET {{upstreams['{source}']}}/{source} with params city and days, and "
                'put its JSON as it is under "data".',
            )
    return sources


def part_of(answer: Answer, source: str) -> dict:
    """What the answer says of one source ({} if it is not there, or not JSON)."""
    sources = answer.body.get("sources") if isinstance(answer.body, dict) else None
    part = sources.get(source) if isinstance(sources, dict) else None
    return part if isinstance(part, dict) else {}


def in_a_loop(chain: tuple, learner) -> tuple:
    """Of the learner's lines that were awaiting a request, the innermost one inside a loop
    (the `for` that awaits each source in turn), else the caller of the one that sent it."""
    loops = _loop_lines(learner.path)
    for where in reversed(chain):
        if where.line in loops:
            return (where,)
    return chain[-2:-1] if len(chain) >= 2 else chain


def _loop_lines(path: str) -> set[int]:
    """The lines of a file inside the body of a loop or a comprehension."""
    lines: set[int] = set()
    with open(path, encoding="utf-8") as file:
        tree = ast.parse(file.read())
    for node in ast.walk(tree):
        if isinstance(node, (ast.For, ast.AsyncFor, ast.While)):
            lines.update(range(node.body[0].lineno, (node.body[-1].end_lineno or 0) + 1))
        elif isinstance(node, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
            lines.update(range(node.lineno, (node.end_lineno or node.lineno) + 1))
    return lines


STATUS_FIX = {
    "ok": 'an answer is {"status": "ok", "data": <the JSON the source answered>}.',
    "timeout": "catch TimeoutError (what asyncio.timeout and wait_for raise) on its own, "
    'before any other error, and report {"status": "timeout"}.',
    "error": "catch the source's error (aiohttp.ClientError; ValueError for a body that is "
    'not JSON) and report {"status": "error", "error": "<what went wrong>"}.',
}


def shorter(text: str, most: int = 24) -> str:
    return text if len(text) <= most else text[: most - 4] + "…"


def times(n: int) -> str:
    return {0: "never", 1: "once", 2: "twice"}.get(n, f"{n} times")


# --- the steps ----------------------------------------------------------------------------------
async def test_step_1_one_city_gets_the_report_of_each_source(sources, serve):
    """Step 1 (27_aiohttp_server, 25_aiohttp_client): a JSON handler that asks three sources."""
    sources.answer_all()
    async with serve() as app:
        answer = await app.get(city="Lisbon", days="3")
    expect_sources(answer, ALL_OK, "Lisbon", 3)
    asked = sources.asked_in_all()
    expect(
        asked == dict.fromkeys(SOURCES, 1),
        f"one request for Lisbon asked the sources {asked}; expected once each.",
    )


@pytest.mark.workload  # ideal 0.1 s in katas.toml: three sources at once, SIDE_BY_SIDE each
async def test_step_2_the_three_sources_are_asked_at_the_same_time(kata_file, sources, serve):
    """Step 2 (02_gather, 04_task_groups): fan out — ask every source before awaiting any."""
    sources.answer_all(latency=SIDE_BY_SIDE)
    async with serve() as app:
        answer = await app.get(city="Lisbon", days="3")
    expect_sources(answer, ALL_OK, "Lisbon", 3)
    # Deterministic: each source saw its request arrive before any source had answered.
    first_answer = min(v.ended for v in sources.visits if v.ended is not None)
    late = [v for v in sources.visits if v.started >= first_answer]
    if late:
        first = min(sources.visits, key=lambda v: v.started)
        call = sources.services[late[0].label].calls[0]
        fail(
            f"your dashboard asked its sources one after another: {late[0].label} was asked "
            f"only after {first.label} had answered ({SIDE_BY_SIDE:g} s each).",
            evidence=sources.timeline(),
            where=in_a_loop(call.where, kata_file),
            fix="start all three requests, then await them together (asyncio.gather or a "
            "TaskGroup).",
        )


WAIT_LEAVES_THEM = "; asyncio.wait(..., timeout=...) leaves the pending tasks running."


async def test_step_3_a_slow_source_is_cut_at_its_timeout_and_reported(kata, sources, serve):
    """Step 3 (05_timeouts): each source gets `timeout` seconds; a slow one is cut and
    reported as "timeout", the others still answer."""
    sources.answer("weather")
    sources.answer("traffic", latency=SLOW)
    sources.answer("events")
    async with serve(TIMEOUT) as app:
        answer = await app.get(
            patience=PATIENCE_FOR_SLOW,
            city="Lisbon",
            days="3",
            fix=f"traffic takes {SLOW:g} s: give each source `timeout` ({TIMEOUT} s) with "
            "asyncio.timeout(...) or asyncio.wait_for(...), and report it as \"timeout\".",
        )
        await sources.settle()
    fast_cut = [s for s in ("weather", "events") if part_of(answer, s).get("status") == "timeout"]
    if fast_cut:
        fail(
            f"{' and '.join(fast_cut)} answered in {LATENCY} s, yet your dashboard reported "
            f"{'them' if len(fast_cut) > 1 else 'it'} as \"timeout\" along with traffic: one "
            "deadline for all three threw away the answers that had arrived.",
            fix="a timeout per source, around each request on its own, not around all three.",
        )
    traffic = part_of(answer, "traffic")
    if traffic.get("status") == "error":
        # The learner's first `except` that catches a TimeoutError without naming it.
        broad = [
            h.where for h in excepts(kata)
            if h.catches(TimeoutError) and "TimeoutError" not in h.names
        ]
        fail(
            f"traffic took longer than its timeout, and your dashboard reported it as "
            f"{json.dumps(traffic)[:100]}"
            + (": the except that caught the TimeoutError took it for an error." if broad else "."),
            where=tuple(broad[:1]),
            fix=STATUS_FIX["timeout"],
        )
    expect_sources(answer, {"weather": "ok", "traffic": "timeout", "events": "ok"}, "Lisbon", 3)
    slow = next(v for v in sources.visits if v.label == "traffic")  # it said "timeout": asked
    if slow.outcome != "abandoned":
        fail(
            f"the traffic request was still running {GRACE:g} s after your dashboard had "
            "answered: its timeout stopped the waiting, not the request.",
            evidence=sources.timeline(),
            fix="cancel what you stop waiting for: asyncio.timeout and wait_for do"
            + (WAIT_LEAVES_THEM if wrote(kata, "wait") else "."),
        )
    assert slow.ended is not None
    expect(
        slow.ended - slow.started <= CUT.bound,
        f"traffic was cut {slow.ended - slow.started:.2f} s after it was asked; the timeout "
        f"is {TIMEOUT} s.",
        evidence=sources.timeline(),
        fix="use the `timeout` create_app was given, for each source.",
    )


async def test_step_4_a_failing_source_is_reported_and_the_others_still_answer(sources, serve):
    """Step 4 (06_errors, 25_aiohttp_client): partial results — a source that fails is
    reported as "error", never a 500 for the whole dashboard."""
    sources.answer("weather")
    sources.fail("traffic", status=503, json={"error": "down for maintenance"})
    sources.fail("events", drop=True)
    async with serve() as app:
        answer = await app.get(city="Lisbon", days="3")
    traffic = part_of(answer, "traffic")
    if traffic.get("status") == "ok":
        fail(
            f"traffic answered 503 Service Unavailable, and your dashboard reported it as "
            f"{json.dumps(traffic)[:100]}.",
            fix="response.raise_for_status() turns a 4xx or 5xx answer into an error to report.",
        )
    expect_sources(
        answer,
        {"weather": "ok", "traffic": "error", "events": "error"},
        "Lisbon",
        3,
        fix500="catch each source's error on its own and report it as \"error\": "
        "asyncio.gather(..., return_exceptions=True), or try/except in each task.",
    )


BAD_QUERIES = [
    ({"days": "3"}, "city", "no city"),
    ({"city": "", "days": "3"}, "city", "an empty city"),
    ({"city": "Lisbon; DROP TABLE answers", "days": "3"}, "city", "a city with ';'"),
    ({"city": "L" * 200, "days": "3"}, "city", "a 200-letter city"),
    ({"city": "Lisbon"}, "days", "no days"),
    ({"city": "Lisbon", "days": "three"}, "days", "days that is not a number"),
    ({"city": "Lisbon", "days": "2.5"}, "days", "days that is not a whole number"),
    ({"city": "Lisbon", "days": "0"}, "days", "days = 0"),
    ({"city": "Lisbon", "days": "8"}, "days", "days = 8"),
]


async def test_step_5_bad_query_parameters_get_400_naming_the_parameter(sources, serve):
    """Step 5 (27_aiohttp_server): validate the query first: 400 with a message that names
    the parameter, never a 500, and no source asked."""
    sources.answer_all()
    async with serve() as app:
        for params, name, what in BAD_QUERIES:
            answer = await app.get(**params)
            fail_on_500(
                answer,
                context=f" ({what})",
                fix=f"check {name} before using it; raise web.HTTPBadRequest(text=...) "
                "saying what is wrong with it.",
            )
            asked = sum(sources.asked_in_all().values())
            expect(
                answer.status == 400,
                f"{answer.request} ({what}) answered {answer.status}; expected 400"
                + (f", and the sources were asked {times(asked)} with it." if asked else "."),
                fix=f"validate {name} before asking anyone or reading the cache: "
                "raise web.HTTPBadRequest(text=...) naming it.",
            )
            expect(
                name in answer.text.lower(),
                f"{answer.request} ({what}) answered 400 {answer.text[:100]!r}: the message "
                f"does not name the parameter `{name}`.",
                fix=f"say what is wrong, e.g. \"{name} must be ...\".",
            )
            expect(
                asked == 0,
                f"{answer.request} ({what}) answered 400, but the sources were asked "
                f"{times(asked)} first.",
                fix="validate the query before anything else.",
            )


async def test_step_6_a_cached_answer_skips_the_sources(sources, serve):
    """Step 6 (30_aiosqlite_basics): a second request for the same city and days is
    answered from the aiosqlite cache; other days are asked for."""
    sources.answer_all()
    async with serve() as app:
        first = await app.get(city="Lisbon", days="2")
        expect_sources(first, ALL_OK, "Lisbon", 2)
        again = await app.get(city="Lisbon", days="2")
        asked = sources.asked_in_all()
        expect(
            asked == dict.fromkeys(SOURCES, 1),
            f"the same request twice asked the sources {asked}; the second should come "
            "from the cache, asking nobody.",
            fix="store each source's answer (source, city, days, data) in the database, and "
            "look there first.",
        )
        expect_sources(again, ALL_OK, "Lisbon", 2)
        other = await app.get(city="Lisbon", days="5")
    expect_sources(other, ALL_OK, "Lisbon", 5)
    expect(
        sources.asked_in_all() == dict.fromkeys(SOURCES, 2),
        "after Lisbon for 2 days, Lisbon for 5 days asked the sources "
        f"{ {s: n - 1 for s, n in sources.asked_in_all().items()} }; expected once each: "
        "an answer for other days is another answer.",
        fix="key the cache by source, city and days.",
    )


async def test_step_7_cities_with_apostrophes_and_accents_are_answered_and_cached(sources, serve):
    """Step 7 (30_aiosqlite_basics): values reach SQL as ? parameters, never pasted in."""
    sources.answer_all()
    cities = ["L'Aquila", "São Paulo", "Winston-Salem"]
    async with serve() as app:
        for city in cities:
            answer = await app.get(city=city, days="2")
            expect(
                answer.status != 400,
                f"{answer.request} answered 400 {answer.text[:100]!r}: {city!r} is a city "
                "(letters of any alphabet, spaces, hyphens and apostrophes are allowed).",
            )
            expect_sources(
                answer,
                ALL_OK,
                city,
                2,
                fix500="pass values to SQL as parameters: "
                'db.execute("... WHERE city = ?", (city,)).',
            )
        for city in cities:
            await app.get(city=city, days="2")
    asked = sources.asked_in_all()
    expect(
        asked == dict.fromkeys(SOURCES, len(cities)),
        f"{', '.join(cities)}, each asked twice: the sources were asked {asked}; expected "
        f"{len(cities)} times each (the second time from the cache).",
    )


async def test_step_8_a_source_that_failed_is_asked_again_next_time(sources, serve):
    """Step 8 (20_single_flight): keep answers, never failures; ask only the missing source."""
    sources.answer("weather")
    sources.answer("traffic", fail_first=1)
    sources.answer("events")
    async with serve() as app:
        first = await app.get(city="Lisbon", days="3")
        expect_sources(first, {"weather": "ok", "traffic": "error", "events": "ok"}, "Lisbon", 3)
        again = await app.get(city="Lisbon", days="3")
    asked = sources.asked_in_all()
    expect(
        asked["traffic"] == 2,
        "traffic answered 503 the first time, and the second request reported that failure "
        "again without asking traffic: a failure was kept like an answer.",
        fix='store only the sources whose status is "ok".',
    )
    expect_sources(again, ALL_OK, "Lisbon", 3)
    expect(
        asked["weather"] == asked["events"] == 1,
        f"the second request asked weather {times(asked['weather'] - 1)} more and events "
        f"{times(asked['events'] - 1)} more, though their answers were in the cache: only "
        "traffic was missing.",
        fix="look up each source in the cache; ask only the ones not there.",
    )


async def test_step_9_the_cache_outlives_a_restart_of_the_app(kata, sources, serve):
    """Step 9 (30_aiosqlite_basics, 27_aiohttp_server): the cache is the database file,
    committed, and the app shuts down cleanly."""
    sources.answer_all()
    async with serve() as app:
        first = await app.get(city="Lisbon", days="3")
    expect_sources(first, ALL_OK, "Lisbon", 3)
    async with serve() as app:
        again = await app.get(city="Lisbon", days="3")
    asked = sources.asked_in_all()
    expect(
        asked == dict.fromkeys(SOURCES, 1),
        "a new app on the same database file asked the sources again for Lisbon: the cache "
        "was lost with the first app"
        + (" (your file never calls commit())." if not wrote(kata, "commit") else "."),
        fix="keep answers in the aiosqlite database at db_path and commit() after writing.",
    )
    expect_sources(again, ALL_OK, "Lisbon", 3)


async def test_step_10_one_client_session_serves_every_request(sources, serve):
    """Step 10 (25_aiohttp_client): one ClientSession for the app's life reuses its
    connections; a session per request opens new ones every time."""
    sources.answer_all()
    cities = ["Lisbon", "Porto", "Faro", "Braga"]
    async with serve() as app:
        for city in cities:
            expect_sources(await app.get(city=city, days="1"), ALL_OK, city, 1)
    connections = {source: len(peers) for source, peers in sources.peers.items()}
    expect(
        max(connections.values()) <= 2,
        f"{len(cities)} requests, one after another, reached the sources over "
        f"{connections} TCP connections: a new connection for each request.",
        fix="open one aiohttp.ClientSession when the app starts (cleanup_ctx or on_startup), "
        "keep it in the app, close it at cleanup.",
    )


async def test_step_11_shutting_down_closes_the_session_and_the_database(sources, serve):
    """Step 11 (27_aiohttp_server, 12_async_context_managers): what startup opens, cleanup
    closes."""
    sources.answer_all()
    async with serve(watch_threads=True) as app:
        answer = await app.get(city="Lisbon", days="3")
    expect_sources(answer, ALL_OK, "Lisbon", 3)
    deadline = time.perf_counter() + GRACE
    while time.perf_counter() < deadline and not all(t.is_closing() for t in sources.transports):
        await asyncio.sleep(0.01)
    expect(
        all(t.is_closing() for t in sources.transports),
        "after the app shut down, its connections to the sources were still open: its "
        "ClientSession was never closed.",
        fix="close the session at cleanup: `async with aiohttp.ClientSession() as session:` "
        "around the `yield` of a cleanup_ctx, or `await session.close()` in on_cleanup.",
    )
    left = app.threads_left
    expect(
        not left,
        f"after the app shut down, {len(left)} thread{'s' if len(left) > 1 else ''} it started "
        f"{'were' if len(left) > 1 else 'was'} still running ({left[0].name if left else ''}): "
        "an aiosqlite connection keeps a thread until it is closed.",
        fix="close the database at cleanup: `async with aiosqlite.connect(...) as db:` around "
        "the `yield`, or `await db.close()` in on_cleanup.",
    )


async def test_step_12_two_hundred_clients_at_once_all_get_their_own_answer(sources, serve):
    """Step 12 (27_aiohttp_server, 18_locks): many requests at once share the app, never
    their answers: no error, no mix-up."""
    sources.answer_all()
    wanted = [CITIES_UNDER_LOAD[n % len(CITIES_UNDER_LOAD)] for n in range(CLIENTS)]
    async with serve(TIMEOUT_UNDER_LOAD, CONNECTIONS) as app:
        answers = await asyncio.gather(
            *(app.fetch(PATIENCE_UNDER_LOAD, city=city, days="2") for city in wanted)
        )
    late = [answer for answer in answers if answer.status is None]
    expect(
        not late,
        f"{len(late)} of {CLIENTS} clients asking at once had no answer after "
        f"{PATIENCE_UNDER_LOAD:g} s (each source answers in {LATENCY} s); the first was "
        f"{late[0].request}." if late else "",
        evidence=sources.timeline() if len(sources.visits) <= 12 else None,
    )
    for answer in answers:
        fail_on_500(answer, context=f" (one of {CLIENTS} at once)")
    mixed = [(city, answer) for city, answer in zip(wanted, answers) if cities_in(answer) - {city}]
    if mixed:
        city, answer = mixed[0]
        fail(
            f"{len(mixed)} of {CLIENTS} clients asking at once got an answer that was not "
            f"theirs: the first, {answer.request}, got {answer.text[:160]}.",
            fix="keep each request's answer in local variables: state shared between "
            "requests (a global, the app) is overwritten by the others while one awaits.",
        )
    for city, answer in zip(wanted, answers):
        expect_sources(answer, ALL_OK, city, 2)


def cities_in(answer: Answer) -> set:
    """The cities an answer speaks of: its own "city" and each source's data's."""
    found = {answer.body.get("city")} if isinstance(answer.body, dict) else set()
    for source in SOURCES:
        data = part_of(answer, source).get("data")
        found.add(data.get("city") if isinstance(data, dict) else None)
    return found - {None}
