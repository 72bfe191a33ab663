"""Mistake: the new links of a page are checked against the set, but not against each
other: a page that links to the same URL twice (once with a #fragment, which fetch_page
drops) has it fetched twice."""

import asyncio
from collections import defaultdict
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urldefrag, urljoin, urlsplit

import aiohttp
import aiosqlite

MISTAKE = 'both links of that one page were let through'

SCHEMA = """
CREATE TABLE IF NOT EXISTS pages (
    url    TEXT PRIMARY KEY,  -- the page's URL, as fetched
    depth  INTEGER NOT NULL,  -- links from the start page: 0 for the start page itself
    status INTEGER,           -- the HTTP status: 200, a redirect's 301/302, an error's 404/500...
    title  TEXT,              -- the page's <title>; NULL for a redirect or a failed page
    error  TEXT               -- why the page failed (the error's text); NULL when it did not
)
"""
REDIRECTS = (301, 302, 303, 307, 308)


@dataclass
class Page:
    """One page as fetch_page found it."""

    url: str
    status: int
    title: str | None
    links: list[str]  # absolute URLs, without #fragments


class _PageReader(HTMLParser):
    """Collects a page's <title> and the href of each <a>."""

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
    """GET one page. This one is done for you.

    - 200: the page, with its title and its links;
    - a redirect (301, 302...) is not followed: it comes back as a Page with no title
      whose only link is where it points, so the crawl treats the target like any other
      link (and fetches it only once);
    - a 4xx or 5xx answer raises aiohttp.ClientResponseError: its `.status` says which;
    - no answer at all raises aiohttp.ClientError (or TimeoutError).
    """
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
    """The host a URL is served by, as politeness counts it: "127.0.0.1:8080".

    This one is done for you.
    """
    return urlsplit(url).netloc


async def crawl(
    start_url: str, db_path: str, *, limit: int = 4, per_host: int = 2, max_depth: int = 3
) -> None:
    slots = asyncio.Semaphore(limit)
    hosts = defaultdict(lambda: asyncio.Semaphore(per_host))
    seen = {start_url}
    async with aiosqlite.connect(db_path) as db, aiohttp.ClientSession() as session:
        await db.execute(SCHEMA)

        async def save(*row: object) -> None:
            insert = "INSERT INTO pages (url, depth, status, title, error) VALUES (?, ?, ?, ?, ?)"
            await db.execute(insert, row)

        async def visit(url: str, depth: int) -> None:
            try:
                async with slots:
                    async with hosts[host_of(url)]:
                        page = await fetch_page(session, url)
            except aiohttp.ClientError as error:
                await save(url, depth, getattr(error, "status", None), None, str(error))
                return
            await save(url, depth, page.status, page.title, None)
            if depth == max_depth:
                return
            fresh = [link for link in page.links if link not in seen]  # <- mistake
            seen.update(fresh)
            await asyncio.gather(*(visit(link, depth + 1) for link in fresh))

        await visit(start_url, 0)
        await db.commit()
