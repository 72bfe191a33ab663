"""Mistake: a task per link and no limit: every page found is fetched at once, however
many, so the site gets more requests at once than `limit` (and `per_host`) allow."""

import asyncio
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urldefrag, urljoin, urlsplit

import aiohttp
import aiosqlite

MISTAKE = "requests in flight at once; limit=3 allows 3"

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
    queued = {start_url}
    async with aiosqlite.connect(db_path) as db, aiohttp.ClientSession() as session:
        await db.execute(SCHEMA)

        async def visit(url: str, depth: int) -> None:
            try:
                page = await fetch_page(session, url)  # <- mistake
            except aiohttp.ClientResponseError as error:
                await store(db, url, depth, error.status, None, str(error))
                return
            await store(db, url, depth, page.status, page.title, None)
            if depth < max_depth:
                for link in page.links:
                    if link not in queued:
                        queued.add(link)
                        crawler.create_task(visit(link, depth + 1))

        async with asyncio.TaskGroup() as crawler:
            crawler.create_task(visit(start_url, 0))
        await db.commit()


async def store(
    db: aiosqlite.Connection,
    url: str,
    depth: int,
    status: int | None,
    title: str | None,
    error: str | None,
) -> None:
    await db.execute(
        "INSERT INTO pages (url, depth, status, title, error) VALUES (?, ?, ?, ?, ?)",
        (url, depth, status, title, error),
    )
