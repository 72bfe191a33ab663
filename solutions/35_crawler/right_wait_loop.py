"""Accepted: no Semaphore and no Queue: one loop keeps up to `limit` fetch tasks running,
starts a waiting URL only when its host has fewer than `per_host` in flight, and reacts
to each finished fetch with asyncio.wait(..., return_when=FIRST_COMPLETED)."""

import asyncio
from collections import Counter, deque
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urldefrag, urljoin, urlsplit

import aiohttp
import aiosqlite

SCHEMA = """
CREATE TABLE IF NOT EXISTS pages (
    url    TEXT PRIMARY KEY,
    depth  INTEGER NOT NULL,
    status INTEGER,
    title  TEXT,
    error  TEXT
)
"""
REDIRECTS = (301, 302, 303, 307, 308)


@dataclass
class Page:
    url: str
    status: int
    title: str | None
    links: list[str]


class _PageReader(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.title: str | None = None
        self.hrefs: list[str] = []
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self.hrefs += [value for name, value in attrs if name == "href" and value]
        self._in_title = tag == "title"

    def handle_endtag(self, tag: str) -> None:
        self._in_title = False

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title = (self.title or "") + data


def _absolute(page_url: str, hrefs: list[str]) -> list[str]:
    links = [urldefrag(urljoin(page_url, href)).url for href in hrefs]
    return [link for link in links if urlsplit(link).scheme in ("http", "https")]


async def fetch_page(session: aiohttp.ClientSession, url: str) -> Page:
    async with session.get(url, allow_redirects=False) as response:
        if response.status in REDIRECTS:
            target = response.headers.get("Location", "")
            return Page(url, response.status, None, _absolute(url, [target]))
        response.raise_for_status()
        html = await response.text()
    reader = _PageReader()
    reader.feed(html)
    return Page(url, response.status, reader.title, _absolute(url, reader.hrefs))


def host_of(url: str) -> str:
    return urlsplit(url).netloc


async def crawl(
    start_url: str, db_path: str, *, limit: int = 4, per_host: int = 2, max_depth: int = 3
) -> None:
    seen = {start_url}
    waiting: deque[tuple[str, int]] = deque([(start_url, 0)])
    running: dict[asyncio.Task[Page], tuple[str, int]] = {}
    per_host_now: Counter[str] = Counter()
    async with aiohttp.ClientSession() as session, aiosqlite.connect(db_path) as db:
        await db.execute(SCHEMA)
        try:
            while waiting or running:
                for url, depth in list(waiting):
                    if len(running) == limit:
                        break
                    if per_host_now[host_of(url)] < per_host:
                        waiting.remove((url, depth))
                        per_host_now[host_of(url)] += 1
                        running[asyncio.create_task(fetch_page(session, url))] = (url, depth)
                done, _ = await asyncio.wait(running, return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    url, depth = running.pop(task)
                    per_host_now[host_of(url)] -= 1
                    error = task.exception()
                    if isinstance(error, aiohttp.ClientResponseError):
                        row = (url, depth, error.status, None, error.message)
                    elif error is not None:
                        raise error
                    else:
                        page = task.result()
                        row = (url, depth, page.status, page.title, None)
                        if depth < max_depth:
                            fresh = [link for link in dict.fromkeys(page.links) if link not in seen]
                            seen.update(fresh)
                            waiting.extend((link, depth + 1) for link in fresh)
                    await db.execute("INSERT INTO pages VALUES (?, ?, ?, ?, ?)", row)
        finally:
            for task in running:
                task.cancel()
        await db.commit()
