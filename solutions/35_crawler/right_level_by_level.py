"""Accepted: breadth first, one asyncio.gather per depth (each fetch under a global and a
per-host Semaphore), a class that keeps the crawl's state, and a commit per level."""

import asyncio
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


class Crawler:
    def __init__(self, session: aiohttp.ClientSession, limit: int, per_host: int) -> None:
        self.session = session
        self.slots = asyncio.Semaphore(limit)
        self.per_host = per_host
        self.hosts: dict[str, asyncio.Semaphore] = {}

    def polite(self, url: str) -> asyncio.Semaphore:
        host = host_of(url)
        if host not in self.hosts:
            self.hosts[host] = asyncio.Semaphore(self.per_host)
        return self.hosts[host]

    async def visit(self, url: str) -> Page | aiohttp.ClientResponseError:
        async with self.slots, self.polite(url):
            try:
                return await fetch_page(self.session, url)
            except aiohttp.ClientResponseError as error:
                return error


async def crawl(
    start_url: str, db_path: str, *, limit: int = 4, per_host: int = 2, max_depth: int = 3
) -> None:
    seen = {start_url}
    level = [start_url]
    async with aiohttp.ClientSession() as session, aiosqlite.connect(db_path) as db:
        await db.execute(SCHEMA)
        crawler = Crawler(session, limit, per_host)
        for depth in range(max_depth + 1):
            if not level:
                break
            results = await asyncio.gather(*(crawler.visit(url) for url in level))
            rows = []
            following = []
            for url, result in zip(level, results):
                if isinstance(result, aiohttp.ClientResponseError):
                    rows.append((url, depth, result.status, None, result.message))
                    continue
                rows.append((url, depth, result.status, result.title, None))
                for link in result.links:
                    if link not in seen:
                        seen.add(link)
                        following.append(link)
            await db.executemany("INSERT INTO pages VALUES (?, ?, ?, ?, ?)", rows)
            await db.commit()
            level = following
