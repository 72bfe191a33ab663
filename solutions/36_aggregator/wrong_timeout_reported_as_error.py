"""Mistake: `except Exception` around the timeout: TimeoutError is an Exception, so a slow
source is reported as "error", not "timeout"."""

import asyncio
import json
from collections.abc import AsyncIterator, Mapping
from pathlib import Path

import aiohttp
import aiosqlite
from aiohttp import web

MISTAKE = ('the except that caught the TimeoutError took it for an error', 'wrong_timeout_reported_as_error.py:{line}')

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

UPSTREAMS = web.AppKey("upstreams", dict)
DB_PATH = web.AppKey("db_path", Path)
TIMEOUT = web.AppKey("timeout", float)
SESSION = web.AppKey("session", aiohttp.ClientSession)
CACHE = web.AppKey("cache", aiosqlite.Connection)


def read_query(query: Mapping[str, str]) -> tuple[str, int]:
    city = query.get("city", "")
    if not (
        1 <= len(city) <= MAX_CITY_LENGTH
        and any(c.isalpha() for c in city)
        and all(c.isalpha() or c in " -'" for c in city)
    ):
        raise web.HTTPBadRequest(
            text=f"city must be 1 to {MAX_CITY_LENGTH} letters, spaces, hyphens or "
            f"apostrophes, got {city!r}"
        )
    days = query.get("days", "")
    if not (days.isdecimal() and 1 <= int(days) <= MAX_DAYS):
        raise web.HTTPBadRequest(
            text=f"days must be a whole number from 1 to {MAX_DAYS}, got {days!r}"
        )
    return city, int(days)


async def ask_source(
    session: aiohttp.ClientSession, base_url: str, source: str, city: str, days: int
) -> dict:
    async with session.get(f"{base_url}/{source}", params={"city": city, "days": days}) as response:
        response.raise_for_status()
        return await response.json()


async def report_source(
    session: aiohttp.ClientSession, base_url: str, source: str, city: str, days: int, timeout: float
) -> dict:
    try:
        async with asyncio.timeout(timeout):
            data = await ask_source(session, base_url, source, city, days)
    except Exception as error:  # <- mistake
        return {"status": "error", "error": repr(error)}
    return {"status": "ok", "data": data}


async def ask_sources(
    session: aiohttp.ClientSession,
    upstreams: dict[str, str],
    sources: list[str],
    city: str,
    days: int,
    timeout: float,
) -> dict[str, dict]:
    reports = await asyncio.gather(
        *(report_source(session, upstreams[s], s, city, days, timeout) for s in sources)
    )
    return dict(zip(sources, reports))


async def cached_answers(db: aiosqlite.Connection, city: str, days: int) -> dict[str, dict]:
    query = "SELECT source, data FROM answers WHERE city = ? AND days = ?"
    async with db.execute(query, (city, days)) as rows:
        return {source: {"status": "ok", "data": json.loads(data)} async for source, data in rows}


async def keep_answers(
    db: aiosqlite.Connection, city: str, days: int, answers: dict[str, dict]
) -> None:
    rows = [
        (source, city, days, json.dumps(answer["data"]))
        for source, answer in answers.items()
        if answer["status"] == "ok"
    ]
    if rows:
        cursor = await db.executemany("INSERT OR REPLACE INTO answers VALUES (?, ?, ?, ?)", rows)
        await cursor.close()  # here, on aiosqlite's thread: never left to the garbage collector
        await db.commit()


async def dashboard(request: web.Request) -> web.Response:
    city, days = read_query(request.query)
    app = request.app
    answers = await cached_answers(app[CACHE], city, days)
    missing = [source for source in SOURCES if source not in answers]
    if missing:
        fresh = await ask_sources(app[SESSION], app[UPSTREAMS], missing, city, days, app[TIMEOUT])
        await keep_answers(app[CACHE], city, days, fresh)
        answers.update(fresh)
    sources = {source: answers[source] for source in SOURCES}
    return web.json_response({"city": city, "days": days, "sources": sources})


async def resources(app: web.Application) -> AsyncIterator[None]:
    async with aiohttp.ClientSession() as session, aiosqlite.connect(app[DB_PATH]) as db:
        # A cache can be rebuilt from its sources: commits need not wait for the disk.
        await db.execute("PRAGMA synchronous = OFF")
        await db.execute(CREATE_CACHE)
        await db.commit()
        app[SESSION] = session
        app[CACHE] = db
        yield


def create_app(upstreams: dict[str, str], db_path: str | Path, timeout: float) -> web.Application:
    app = web.Application()
    app[UPSTREAMS] = dict(upstreams)
    app[DB_PATH] = Path(db_path)
    app[TIMEOUT] = timeout
    app.cleanup_ctx.append(resources)
    app.router.add_get("/dashboard", dashboard)
    return app
