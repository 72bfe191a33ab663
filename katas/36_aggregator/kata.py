"""Kata 36 — aggregator, a capstone: an aiohttp app whose one endpoint asks three
services at the same time, gives each its own timeout, answers with what came back and
a status for each, and keeps answers in an aiosqlite cache.

Edit this file until `pytest katas/36_aggregator` is green. The tests are steps, in
order: make step 1 pass, then step 2, and so on.
"""

import asyncio
import json
from collections.abc import AsyncIterator, Mapping
from pathlib import Path

import aiohttp
import aiosqlite
from aiohttp import web

SOURCES = ("weather", "traffic", "events")
MAX_CITY_LENGTH = 50
MAX_DAYS = 7
CREATE_CACHE = """
CREATE TABLE IF NOT EXISTS answers (
    source TEXT NOT NULL,
    city TEXT NOT NULL,
    days INTEGER NOT NULL,
    data TEXT NOT NULL,
    PRIMARY KEY (source, city, days)
)
"""

# What the app keeps (app[UPSTREAMS], ...): create_app sets the first three, resources the others.
UPSTREAMS = web.AppKey("upstreams", dict)
DB_PATH = web.AppKey("db_path", Path)
TIMEOUT = web.AppKey("timeout", float)
SESSION = web.AppKey("session", aiohttp.ClientSession)
CACHE = web.AppKey("cache", aiosqlite.Connection)


def read_query(query: Mapping[str, str]) -> tuple[str, int]:
    """(city, days) from the query string, checked; anything else is a 400.

    - city: 1 to MAX_CITY_LENGTH characters, each a letter (of any alphabet), a space, a
      hyphen or an apostrophe ("L'Aquila", "São Paulo", "Winston-Salem").
    - days: a whole number from 1 to MAX_DAYS.
    Raise web.HTTPBadRequest(text=...) with a message that names the wrong parameter.
    """
    # TODO: check city, then days; never let a KeyError or ValueError out (that is a 500).
    raise NotImplementedError


async def ask_source(
    session: aiohttp.ClientSession, base_url: str, source: str, city: str, days: int
) -> dict:
    """GET {base_url}/{source}?city=...&days=... -> the source's JSON report.

    This one is done for you. A 4xx or 5xx answer raises aiohttp.ClientResponseError.
    """
    async with session.get(f"{base_url}/{source}", params={"city": city, "days": days}) as response:
        response.raise_for_status()
        return await response.json()


async def report_source(
    session: aiohttp.ClientSession, base_url: str, source: str, city: str, days: int, timeout: float
) -> dict:
    """Ask one source, giving it `timeout` seconds; say how it went, never raise:

    {"status": "ok", "data": <its report>}, {"status": "timeout"}, or
    {"status": "error", "error": "<what went wrong>"} (an error status, a dropped
    connection, a body that is not JSON).
    """
    # TODO: ask_source within `timeout`; turn TimeoutError and the errors into a status.
    raise NotImplementedError


async def ask_sources(
    session: aiohttp.ClientSession,
    upstreams: dict[str, str],
    sources: list[str],
    city: str,
    days: int,
    timeout: float,
) -> dict[str, dict]:
    """Ask every source in `sources` at the same time: {source: its report_source dict}."""
    # TODO: fan out to all of them at once.
    raise NotImplementedError


async def cached_answers(db: aiosqlite.Connection, city: str, days: int) -> dict[str, dict]:
    """The cached answers for city and days: {source: {"status": "ok", "data": ...}}."""
    # TODO: SELECT from answers, with ? parameters; `data` is stored as JSON text.
    raise NotImplementedError


async def keep_answers(
    db: aiosqlite.Connection, city: str, days: int, answers: dict[str, dict]
) -> None:
    """Store the answers whose status is "ok" (never a failure), and commit."""
    # TODO: INSERT OR REPLACE INTO answers ..., with ? parameters; close the cursor; commit.
    raise NotImplementedError


async def dashboard(request: web.Request) -> web.Response:
    """GET /dashboard?city=Lisbon&days=3 ->

    {"city": "Lisbon", "days": 3,
     "sources": {"weather": {"status": "ok", "data": {...}},
                 "traffic": {"status": "timeout"},
                 "events": {"status": "error", "error": "..."}}}

    Cached answers first; ask only the sources missing from the cache; keep what came.
    """
    # TODO: read_query, cached_answers, ask_sources for the missing ones, keep_answers.
    raise NotImplementedError


async def resources(app: web.Application) -> AsyncIterator[None]:
    """A cleanup context: open one ClientSession and the database at app[DB_PATH] (create
    the table), keep them in app[SESSION] and app[CACHE], `yield`, then close both."""
    # TODO: open both, create the table, store them in the app, yield; close on the way out.
    raise NotImplementedError
    yield  # never reached: this `yield` makes resources an async generator


def create_app(upstreams: dict[str, str], db_path: str | Path, timeout: float) -> web.Application:
    """The dashboard app. `upstreams` maps each source to its base URL; `timeout` is
    each source's time to answer, in seconds.

    This one is done for you.
    """
    app = web.Application()
    app[UPSTREAMS] = dict(upstreams)
    app[DB_PATH] = Path(db_path)
    app[TIMEOUT] = timeout
    app.cleanup_ctx.append(resources)
    app.router.add_get("/dashboard", dashboard)
    return app
