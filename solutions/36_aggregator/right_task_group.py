"""Accepted: a TaskGroup whose tasks each catch their own error (so one failure cancels
nothing), asyncio.wait_for for each source's timeout, validation that answers a JSON 400
itself, on_startup/on_cleanup instead of a cleanup context, one cache row per city and
days, and SQLite's default (durable) settings."""

import asyncio
import json
import re
from collections.abc import Mapping
from pathlib import Path

import aiohttp
import aiosqlite
from aiohttp import web

SOURCES = ("weather", "traffic", "events")
MAX_CITY_LENGTH = 50
MAX_DAYS = 7
# Words of letters (any alphabet), joined by one space, hyphen or apostrophe.
CITY = re.compile(r"[^\W\d_]+(?:[ '\-][^\W\d_]+)*")
CREATE_CACHE = """
CREATE TABLE IF NOT EXISTS dashboards (
    city TEXT NOT NULL,
    days INTEGER NOT NULL,
    reports TEXT NOT NULL,
    PRIMARY KEY (city, days)
)
"""

UPSTREAMS = web.AppKey("upstreams", dict)
DB_PATH = web.AppKey("db_path", Path)
TIMEOUT = web.AppKey("timeout", float)
SESSION = web.AppKey("session", aiohttp.ClientSession)
CACHE = web.AppKey("cache", aiosqlite.Connection)


class BadQuery(ValueError):
    pass


def read_query(query: Mapping[str, str]) -> tuple[str, int]:
    city = query.get("city", "")
    if len(city) > MAX_CITY_LENGTH or not CITY.fullmatch(city):
        raise BadQuery(f"city: expected a name (letters, spaces, - and '), got {city[:60]!r}")
    try:
        days = int(query.get("days", ""))
    except ValueError:
        raise BadQuery(f"days: expected a whole number, got {query.get('days')!r}") from None
    if not 1 <= days <= MAX_DAYS:
        raise BadQuery(f"days: expected 1 to {MAX_DAYS}, got {days}")
    return city, days


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
        data = await asyncio.wait_for(ask_source(session, base_url, source, city, days), timeout)
    except TimeoutError:
        return {"status": "timeout"}
    except aiohttp.ClientError as error:
        return {"status": "error", "error": f"{type(error).__name__}: {error}"}
    except json.JSONDecodeError:
        return {"status": "error", "error": "the answer was not JSON"}
    return {"status": "ok", "data": data}


async def ask_sources(
    session: aiohttp.ClientSession,
    upstreams: dict[str, str],
    sources: list[str],
    city: str,
    days: int,
    timeout: float,
) -> dict[str, dict]:
    async with asyncio.TaskGroup() as group:
        tasks = {
            s: group.create_task(report_source(session, upstreams[s], s, city, days, timeout))
            for s in sources
        }
    return {source: task.result() for source, task in tasks.items()}


async def cached_answers(db: aiosqlite.Connection, city: str, days: int) -> dict[str, dict]:
    query = "SELECT reports FROM dashboards WHERE city = ? AND days = ?"
    cursor = await db.execute(query, (city, days))
    row = await cursor.fetchone()
    await cursor.close()
    return json.loads(row[0]) if row else {}


async def keep_answers(
    db: aiosqlite.Connection, city: str, days: int, answers: dict[str, dict]
) -> None:
    kept = {source: answer for source, answer in answers.items() if answer["status"] == "ok"}
    await db.execute(
        "INSERT INTO dashboards (city, days, reports) VALUES (?, ?, ?) "
        "ON CONFLICT (city, days) DO UPDATE SET reports = excluded.reports",
        (city, days, json.dumps(kept)),
    )
    await db.commit()


async def dashboard(request: web.Request) -> web.Response:
    try:
        city, days = read_query(request.query)
    except BadQuery as error:
        return web.json_response({"error": str(error)}, status=400)
    app = request.app
    answers = await cached_answers(app[CACHE], city, days)
    missing = [source for source in SOURCES if source not in answers]
    if missing:
        fresh = await ask_sources(app[SESSION], app[UPSTREAMS], missing, city, days, app[TIMEOUT])
        answers = answers | fresh
        await keep_answers(app[CACHE], city, days, answers)
    return web.json_response(
        {"city": city, "days": days, "sources": {source: answers[source] for source in SOURCES}}
    )


async def open_resources(app: web.Application) -> None:
    app[SESSION] = aiohttp.ClientSession()
    app[CACHE] = await aiosqlite.connect(app[DB_PATH])
    await app[CACHE].execute(CREATE_CACHE)
    await app[CACHE].commit()


async def close_resources(app: web.Application) -> None:
    await app[SESSION].close()
    await app[CACHE].close()


def create_app(upstreams: dict[str, str], db_path: str | Path, timeout: float) -> web.Application:
    app = web.Application()
    app[UPSTREAMS] = dict(upstreams)
    app[DB_PATH] = Path(db_path)
    app[TIMEOUT] = timeout
    app.on_startup.append(open_resources)
    app.on_cleanup.append(close_resources)
    app.router.add_get("/dashboard", dashboard)
    return app
