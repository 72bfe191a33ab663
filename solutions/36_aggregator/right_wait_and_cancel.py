"""Accepted: one task per source and asyncio.wait(..., timeout=...), then every task
still pending is cancelled (all three start together, so one deadline is each one's
timeout); a class-based view; an async create_app; a cleanup context with try/finally;
WAL with synchronous=NORMAL for quick commits."""

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

UPSTREAMS = web.AppKey("upstreams", dict)
DB_PATH = web.AppKey("db_path", Path)
TIMEOUT = web.AppKey("timeout", float)
SESSION = web.AppKey("session", aiohttp.ClientSession)
CACHE = web.AppKey("cache", aiosqlite.Connection)


def read_query(query: Mapping[str, str]) -> tuple[str, int]:
    city = query.get("city", "").strip()
    allowed = all(char.isalpha() or char in " -'" for char in city)
    if not city or len(city) > MAX_CITY_LENGTH or not allowed:
        raise web.HTTPBadRequest(reason="Bad city", text="the city is missing or not a city's name")
    days = query.get("days", "")
    if days not in {str(n) for n in range(1, MAX_DAYS + 1)}:
        raise web.HTTPBadRequest(reason="Bad days", text=f"days: one of 1..{MAX_DAYS}, please")
    return city, int(days)


async def ask_source(
    session: aiohttp.ClientSession, base_url: str, source: str, city: str, days: int
) -> dict:
    async with session.get(f"{base_url}/{source}", params={"city": city, "days": days}) as response:
        response.raise_for_status()
        return await response.json()


def outcome(task: asyncio.Task) -> dict:
    if not task.done():
        return {"status": "timeout"}
    error = task.exception()
    if isinstance(error, (aiohttp.ClientError, ValueError)):
        return {"status": "error", "error": repr(error)}
    if error is not None:
        raise error
    return {"status": "ok", "data": task.result()}


async def ask_sources(
    session: aiohttp.ClientSession,
    upstreams: dict[str, str],
    sources: list[str],
    city: str,
    days: int,
    timeout: float,
) -> dict[str, dict]:
    if not sources:
        return {}  # asyncio.wait refuses an empty set
    tasks = {
        source: asyncio.create_task(ask_source(session, upstreams[source], source, city, days))
        for source in sources
    }
    try:
        await asyncio.wait(tasks.values(), timeout=timeout)
        reports = {source: outcome(task) for source, task in tasks.items()}
    finally:
        for task in tasks.values():
            task.cancel()
        await asyncio.gather(*tasks.values(), return_exceptions=True)
    return reports


async def cached_answers(db: aiosqlite.Connection, city: str, days: int) -> dict[str, dict]:
    rows = await db.execute_fetchall(
        "SELECT source, data FROM answers WHERE city = :city AND days = :days",
        {"city": city, "days": days},
    )
    return {source: {"status": "ok", "data": json.loads(data)} for source, data in rows}


async def keep_answers(
    db: aiosqlite.Connection, city: str, days: int, answers: dict[str, dict]
) -> None:
    for source, answer in answers.items():
        if answer["status"] == "ok":
            await db.execute(
                "INSERT OR REPLACE INTO answers VALUES (?, ?, ?, ?)",
                (source, city, days, json.dumps(answer["data"])),
            )
    await db.commit()


class Dashboard(web.View):
    async def get(self) -> web.Response:
        city, days = read_query(self.request.query)
        app = self.request.app
        answers = await cached_answers(app[CACHE], city, days)
        missing = [source for source in SOURCES if source not in answers]
        fresh = await ask_sources(app[SESSION], app[UPSTREAMS], missing, city, days, app[TIMEOUT])
        await keep_answers(app[CACHE], city, days, fresh)
        sources = {source: answers.get(source) or fresh[source] for source in SOURCES}
        return web.json_response({"city": city, "days": days, "sources": sources})


async def resources(app: web.Application) -> AsyncIterator[None]:
    session = aiohttp.ClientSession()
    try:
        db = await aiosqlite.connect(app[DB_PATH])
        try:
            await db.execute("PRAGMA journal_mode = WAL")
            await db.execute("PRAGMA synchronous = NORMAL")
            await db.execute(CREATE_CACHE)
            await db.commit()
            app[SESSION], app[CACHE] = session, db
            yield
        finally:
            await db.close()
    finally:
        await session.close()


async def create_app(
    upstreams: dict[str, str], db_path: str | Path, timeout: float
) -> web.Application:
    app = web.Application()
    app[UPSTREAMS] = dict(upstreams)
    app[DB_PATH] = Path(db_path)
    app[TIMEOUT] = timeout
    app.cleanup_ctx.append(resources)
    app.router.add_view("/dashboard", Dashboard)
    return app
