"""Accepted: aiohttp's own ClientTimeout(total=...) on each request as the per-source
timeout, asyncio.gather(..., return_exceptions=True) with each exception turned into a
status afterwards, a RouteTableDef, and a cleanup context built on an AsyncExitStack."""

import asyncio
import contextlib
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

UPSTREAMS = web.AppKey("upstreams", dict)
DB_PATH = web.AppKey("db_path", Path)
TIMEOUT = web.AppKey("timeout", float)
SESSION = web.AppKey("session", aiohttp.ClientSession)
CACHE = web.AppKey("cache", aiosqlite.Connection)

SEPARATORS = str.maketrans("", "", " -'")  # what may sit between a city's letters
routes = web.RouteTableDef()


def read_query(query: Mapping[str, str]) -> tuple[str, int]:
    problems = []
    city = query.get("city")
    if city is None:
        problems.append("city is required")
    elif not 0 < len(city) <= MAX_CITY_LENGTH or not city.translate(SEPARATORS).isalpha():
        problems.append(f"city {city[:MAX_CITY_LENGTH]!r} is not a city's name")
    days = query.get("days", "")
    if not days.isascii() or not days.isdigit() or not 1 <= int(days) <= MAX_DAYS:
        problems.append(f"days must be 1 to {MAX_DAYS}")
    if problems:
        raise web.HTTPBadRequest(text="; ".join(problems))
    return city, int(days)


async def ask_source(
    session: aiohttp.ClientSession, base_url: str, source: str, city: str, days: int, timeout: float
) -> dict:
    async with session.get(
        f"{base_url}/{source}",
        params={"city": city, "days": days},
        timeout=aiohttp.ClientTimeout(total=timeout),
    ) as response:
        response.raise_for_status()
        return await response.json()


def status_of(result: object) -> dict:
    match result:
        case TimeoutError():
            return {"status": "timeout"}
        case aiohttp.ClientError() | ValueError():
            return {"status": "error", "error": f"{type(result).__name__}: {result}"}
        case BaseException():
            raise result
        case _:
            return {"status": "ok", "data": result}


async def ask_sources(
    session: aiohttp.ClientSession,
    upstreams: dict[str, str],
    sources: list[str],
    city: str,
    days: int,
    timeout: float,
) -> dict[str, dict]:
    results = await asyncio.gather(
        *(ask_source(session, upstreams[s], s, city, days, timeout) for s in sources),
        return_exceptions=True,
    )
    return {source: status_of(result) for source, result in zip(sources, results)}


async def cached_answers(db: aiosqlite.Connection, city: str, days: int) -> dict[str, dict]:
    db.row_factory = aiosqlite.Row
    query = "SELECT * FROM answers WHERE city = ? AND days = ?"
    async with db.execute(query, (city, days)) as cursor:
        rows = await cursor.fetchall()
    return {row["source"]: {"status": "ok", "data": json.loads(row["data"])} for row in rows}


async def keep_answers(
    db: aiosqlite.Connection, city: str, days: int, answers: dict[str, dict]
) -> None:
    good = [
        (source, city, days, json.dumps(answer["data"]))
        for source, answer in answers.items()
        if answer["status"] == "ok"
    ]
    async with db.executemany("INSERT OR REPLACE INTO answers VALUES (?, ?, ?, ?)", good):
        pass  # leaving the block closes the cursor, on aiosqlite's thread
    await db.commit()


@routes.get("/dashboard")
async def dashboard(request: web.Request) -> web.Response:
    city, days = read_query(request.query)
    db = request.app[CACHE]
    answers = await cached_answers(db, city, days)
    missing = [source for source in SOURCES if source not in answers]
    if missing:
        fresh = await ask_sources(
            request.app[SESSION], request.app[UPSTREAMS], missing, city, days, request.app[TIMEOUT]
        )
        await keep_answers(db, city, days, fresh)
        answers |= fresh
    sources = {source: answers[source] for source in SOURCES}
    return web.json_response({"city": city, "days": days, "sources": sources})


async def resources(app: web.Application) -> AsyncIterator[None]:
    async with contextlib.AsyncExitStack() as stack:
        app[SESSION] = await stack.enter_async_context(aiohttp.ClientSession())
        app[CACHE] = await stack.enter_async_context(aiosqlite.connect(app[DB_PATH]))
        await app[CACHE].execute("PRAGMA synchronous = OFF")
        await app[CACHE].execute(CREATE_CACHE)
        await app[CACHE].commit()
        yield


def create_app(upstreams: dict[str, str], db_path: str | Path, timeout: float) -> web.Application:
    app = web.Application()
    app[UPSTREAMS] = dict(upstreams)
    app[DB_PATH] = Path(db_path)
    app[TIMEOUT] = timeout
    app.cleanup_ctx.append(resources)
    app.add_routes(routes)
    return app
