"""Accepted: a fixed pool of `limit` worker tasks over an asyncio.Queue, ended by
queue.join(); politeness is a dict of semaphores, one per host; rows written with one
executemany at the end."""

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


async def crawl(
    start_url: str, db_path: str, *, limit: int = 4, per_host: int = 2, max_depth: int = 3
) -> None:
    work: asyncio.Queue[tuple[str, int]] = asyncio.Queue()
    queued = {start_url}
    work.put_nowait((start_url, 0))
    hosts: dict[str, asyncio.Semaphore] = {}
    rows: list[tuple[str, int, int | None, str | None, str | None]] = []

    async def worker(session: aiohttp.ClientSession) -> None:
        while True:
            url, depth = await work.get()
            try:
                polite = hosts.setdefault(host_of(url), asyncio.Semaphore(per_host))
                try:
                    async with polite:
                        page = await fetch_page(session, url)
                except aiohttp.ClientResponseError as error:
                    rows.append((url, depth, error.status, None, str(error)))
                    continue
                rows.append((url, depth, page.status, page.title, None))
                if depth < max_depth:
                    for link in page.links:
                        if link not in queued:
                            queued.add(link)
                            work.put_nowait((link, depth + 1))
            finally:
                work.task_done()

    async with aiohttp.ClientSession() as session:
        workers = [asyncio.create_task(worker(session)) for _ in range(limit)]
        try:
            await work.join()
        finally:
            for each in workers:
                each.cancel()
            await asyncio.gather(*workers, return_exceptions=True)

    async with aiosqlite.connect(db_path) as db:
        await db.execute(SCHEMA)
        insert = "INSERT INTO pages (url, depth, status, title, error) VALUES (?, ?, ?, ?, ?)"
        await db.executemany(insert, rows)
        await db.commit()
