"""Kata 35 — crawler (a capstone): crawl a small site with many fetches in flight but
never more than a limit, each page fetched once however many pages link to it, no
deeper than a depth limit, politely (a few requests per host), every page — failed
ones too — stored as a row in an aiosqlite database.

Edit this file until `pytest katas/35_crawler` is green; the tests are the steps, in
order, and README.md says which earlier kata taught each one.
"""

import asyncio
from dataclasses import dataclass
from html.parser import HTMLParser
from urllib.parse import urldefrag, urljoin, urlsplit

import aiohttp
import aiosqlite

# One row per page fetched. Written for you: execute it once in crawl's database.
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
    """Crawl the site from start_url; store a row in db_path's `pages` table (SCHEMA) for
    each page fetched. Return once every page is fetched and its row committed.

    - Every page reachable from start_url by at most `max_depth` links is fetched, once:
      the start page is at depth 0, a page it links to at depth 1, and so on; the links
      of a page at depth max_depth are not followed.
    - At most `limit` requests in flight at once, and at most `per_host` to any one host
      (host_of(url)).
    - A page that fails is stored too — its status, and the error's text — and the crawl
      goes on with the other pages.

    crawl("http://127.0.0.1:8080/", "crawl.db", limit=4, per_host=2, max_depth=3)
    """
    # TODO: the steps, one test each (README.md says where each was taught):
    #   1. open the database with aiosqlite, create the table, store the start page, commit;
    #   2. follow links: remember each URL when you queue it, and fetch it only once;
    #   3. keep each URL's depth with it, and stop following links at max_depth;
    #   4. a page that fails is a row with its status and error, never the end of the crawl;
    #   5. return when no page is left to fetch, whatever loops the site has;
    #   6. fetch pages together: up to `limit` requests in flight, never more;
    #   7. and never more than `per_host` to one host.
    raise NotImplementedError
