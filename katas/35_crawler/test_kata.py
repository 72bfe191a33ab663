"""Kata 35 — crawler (a capstone). Run: pytest katas/35_crawler

Eight steps, in the order you would build the crawler. Each test names the earlier kata
that taught its lesson; README's table maps them.
"""

import asyncio
import sqlite3
from collections import Counter
from dataclasses import dataclass
from html import escape
from urllib.parse import urldefrag, urljoin

import aiohttp
import aiosqlite
import pytest

from harness.judge import Budget, expect, fail, wrote

# Pages take LATENCY to serve: a crawl of a few levels takes a few of them.
LATENCY = 0.02
# A crawl that has not returned after TOO_LONG (10x the longest site here) never will:
# it goes round a loop, or waits for work that will never come.
TOO_LONG = 1.0
COLUMNS = "url, depth, status, title, error"


# --- the site ------------------------------------------------------------------------------
@dataclass(frozen=True)
class Served:
    """What one URL answers: a status, a <title> and links (absolute, as the crawler sees them)."""

    status: int
    title: str | None = None
    links: tuple[str, ...] = ()


@dataclass(frozen=True)
class Row:
    url: str
    depth: int
    status: int | None
    title: str | None
    error: str | None


class Site:
    """The pages one fake service serves, and what it answers at each URL."""

    __test__ = False

    def __init__(self, service) -> None:
        self.service = service
        self.served: dict[str, Served] = {}

    def page(self, path: str, title: str, links: tuple = (), latency: float = LATENCY) -> str:
        """An HTML page with a <title> and an <a href> per link (relative or absolute)."""
        url = self.service.url(path)
        anchors = "".join(f'<li><a href="{escape(link)}">{escape(link)}</a></li>' for link in links)
        head = f"<head><title>{escape(title)}</title></head>"
        html = f"<html>{head}<body><ul>{anchors}</ul></body></html>"
        self.service.route(path, text=html, latency=latency)
        absolute = tuple(urldefrag(urljoin(url, link)).url for link in links)
        self.served[url] = Served(200, title, absolute)
        return url

    def failing(self, path: str, status: int = 500, latency: float = LATENCY) -> None:
        self.service.route(path, text="the greenhouse is on fire", status=status, latency=latency)
        self.served[self.service.url(path)] = Served(status)

    def missing(self, path: str) -> None:
        """A broken link: the service has no such page and answers 404."""
        self.served[self.service.url(path)] = Served(404)

    def redirect(self, path: str, to: str, status: int = 302, latency: float = LATENCY) -> None:
        self.service.route(path, text="", status=status, headers={"Location": to}, latency=latency)
        url = self.service.url(path)
        self.served[url] = Served(status, None, (urljoin(url, to),))


def reachable(start: str, sites: tuple[Site, ...], max_depth: int | None) -> dict[str, Row]:
    """The rows a crawl must store: every URL at most max_depth links from start, at its
    shortest distance (None: no limit)."""
    served = {url: what for site in sites for url, what in site.served.items()}
    depth_of = {start: 0}
    frontier = [start]
    while frontier and (max_depth is None or depth_of[frontier[0]] < max_depth):
        following = []
        for url in frontier:
            for link in served[url].links:
                if link not in depth_of:
                    depth_of[link] = depth_of[url] + 1
                    following.append(link)
        frontier = following
    rows = {}
    for url, depth in depth_of.items():
        what = served[url]
        error = "an error" if what.status >= 400 else None
        rows[url] = Row(url, depth, what.status, what.title, error)
    return rows


def named(url: str, sites: tuple[Site, ...]) -> str:
    """A URL as the messages show it: its path on the first site, in full elsewhere."""
    base = sites[0].service.base_url
    if url == base or url.startswith(base + "/"):
        return url[len(base):] or "/"
    return url


def listed(urls, sites: tuple[Site, ...], most: int = 4) -> str:
    urls = list(urls)
    shown = ", ".join(named(url, sites) for url in urls[:most])
    return shown + (f" and {len(urls) - most} more" if len(urls) > most else "")


# --- running the crawl --------------------------------------------------------------------
def errors_in(error: BaseException) -> list[BaseException]:
    """The errors an exception group holds (itself, if it is not a group)."""
    if isinstance(error, BaseExceptionGroup):
        return [leaf for inner in error.exceptions for leaf in errors_in(inner)]
    return [error]


async def run_crawl(
    kata, kata_file, db_path, start: str, sites: tuple[Site, ...], *, within=TOO_LONG, **limits
) -> None:
    """Await crawl(start, db_path, **limits); a crawl that does not end, or that a failed
    page, a repeated row or a quote ended, fails with what the service saw."""
    __tracebackhide__ = True
    task = asyncio.create_task(kata.crawl(start, str(db_path), **limits))
    done, _ = await asyncio.wait({task}, timeout=within)
    if not done:
        waiting = tuple(kata_file.awaiting(task.get_coro()))
        in_flight = sum(site.service.in_flight for site in sites)
        task.cancel()
        await asyncio.wait({task}, timeout=0.5)
        never_ended(sites, within, waiting, in_flight)
    try:
        task.result()
    except Exception as error:
        for leaf in errors_in(error):
            if isinstance(leaf, aiohttp.ClientResponseError):
                failed_page_ended_the_crawl(error, leaf, kata_file, sites)
            if isinstance(leaf, sqlite3.IntegrityError) and "UNIQUE" in str(leaf):
                fetched_twice(sites, start, refused=True)
            if isinstance(leaf, sqlite3.OperationalError) and "syntax error" in str(leaf):
                sql_built_from_strings(leaf, kata_file)
        raise


def never_ended(sites: tuple[Site, ...], within: float, waiting: tuple, in_flight: int) -> None:
    __tracebackhide__ = True
    counts = fetch_counts(sites)
    again = {url: n for url, n in counts.items() if n > 1}
    if again:
        many = ", ".join(f"{named(url, sites)} {n} times" for url, n in list(again.items())[:3])
        fail(
            f"crawl was still running after {within:.1f} s and had fetched {many}: it goes "
            "round and round the site's loops (pages link back to the start page, a "
            "redirect points back to the page that sent it there).",
            fix="remember every URL you queue in a set, and skip the links already in it.",
        )
    busy = f"{in_flight} still in flight" if in_flight else "none in flight"
    answered = sum(counts.values()) - in_flight
    fail(
        f"crawl had not returned after {within:.1f} s; the site had answered {answered} "
        f"request{'s' if answered != 1 else ''}, {busy}: crawl waits for something "
        "that will never come" + (", here:" if waiting else "."),
        fix="return once no page is left: with a Queue, call queue.task_done() once per "
        "queue.get() (in a `finally:`) so that queue.join() returns, then cancel the "
        "workers; with tasks, let the TaskGroup or gather end when the last page is done.",
        where=waiting,
    )


def sql_built_from_strings(error: BaseException, kata_file) -> None:
    __tracebackhide__ = True
    fail(
        f"storing a page failed with sqlite3.OperationalError: {error}. The page's title "
        "has a quote in it (Ada's garden), and your SQL was built as a string: the quote "
        "ended the SQL text early.",
        fix="never put values into the SQL text: write `?` in their place and pass them "
        "apart, `await db.execute('INSERT INTO pages VALUES (?, ?, ?, ?, ?)', (url, depth, "
        "status, title, error))`.",
        where=kata_file.traceback(error.__traceback__),
    )


def failed_page_ended_the_crawl(error, leaf, kata_file, sites) -> None:
    __tracebackhide__ = True
    page = named(str(leaf.request_info.real_url), sites) if leaf.request_info else "a page"
    group = " (inside the ExceptionGroup of your TaskGroup)" if error is not leaf else ""
    fail(
        f"crawl raised aiohttp.ClientResponseError{group}: {page} answered {leaf.status}, "
        "and that one failed page ended the whole crawl.",
        fix="catch the error around fetch_page — `except aiohttp.ClientResponseError as "
        "error:` — store the page with error.status and the error's text, and go on "
        "with the other pages.",
        where=kata_file.traceback(leaf.__traceback__),
    )


# --- what the service saw -----------------------------------------------------------------
def fetch_counts(sites: tuple[Site, ...]) -> Counter:
    return Counter(site.service.url(call.path) for site in sites for call in site.service.calls)


def assert_each_page_fetched_once(
    sites: tuple[Site, ...], expected: dict[str, Row], max_depth: int
) -> None:
    """Every page the crawl should fetch, fetched, once; nothing else."""
    __tracebackhide__ = True
    counts = fetch_counts(sites)
    start = next(iter(expected))
    fetched_twice(sites, start)
    everything = reachable(start, sites, None)
    deeper = [url for url in counts if url not in expected and url in everything]
    if deeper:
        url = deeper[0]
        fail(
            f"crawl fetched {named(url, sites)}, {everything[url].depth} links from the "
            f"start page; max_depth={max_depth} stops at pages {max_depth} links away.",
            fix="keep each URL's depth with it (the start page is 0, its links 1, ...), and "
            "follow no link on a page at depth max_depth.",
        )
    missing = [url for url in expected if not counts[url]]
    if missing:
        url = missing[0]
        depth = expected[url].depth
        far = f" ({named(url, sites)} is {depth} links from the start page; max_depth={max_depth})"
        fail(
            f"crawl never fetched {listed(missing, sites)}{far if depth else ''}.",
            fix="follow every link of every page fetched (redirects too: fetch_page gives "
            "the target as the only link), down to depth max_depth.",
        )


def fetched_twice(sites: tuple[Site, ...], start: str, refused: bool = False) -> None:
    """Fails if a page was fetched more than once, saying how that could happen."""
    __tracebackhide__ = True
    again = {url: n for url, n in fetch_counts(sites).items() if n > 1}
    if not again:
        if refused:
            fail(
                "crawl stored two rows for the same url, and the database refused the "
                "second (url is the table's PRIMARY KEY).",
                fix="store one row per page fetched.",
            )
        return
    many = ", ".join(f"{named(url, sites)} {n} times" for url, n in list(again.items())[:3])
    why, fix = why_twice(sites, start, again)
    if refused:
        why += " The database refused the second row (url is the table's PRIMARY KEY)."
    fail(f"crawl fetched {many}; each page must be fetched once. {why}", fix=fix)


REMEMBER = (
    "remember every URL in a set when you queue it, before any await (`if link not in "
    "seen: seen.add(link)`, then start its fetch), and skip the links already in it."
)


def why_twice(sites: tuple[Site, ...], start: str, again: dict[str, int]) -> tuple[str, str]:
    """What the service's record says about pages fetched more than once: (why, fix)."""
    if set(again) == {start}:
        return (
            "The start page was fetched again: every link back to it is found after its "
            "fetch, so only a set of the URLs already queued can stop them, with the start "
            "URL in it.",
            "keep a set of every URL you queue, the start URL included (`seen = "
            "{start_url}`), and skip the links already in it.",
        )
    stale = [url for url in again if not explained_by_a_race(sites, url, again[url])]
    if stale:
        return (
            f"{named(stale[0], sites)} was fetched again after its first fetch was over: "
            "nothing remembered that it had been fetched.",
            REMEMBER,
        )
    twice = linked_twice_by_one_page(sites, again)
    raced = [url for url in again if not twice or url != twice[0]]
    if twice and not raced:
        url, page = twice
        return (
            f"{named(page, sites)} links to {named(url, sites)} twice (once with a "
            "#fragment, which fetch_page drops), and no other page links to it: both "
            "links of that one page were let through.",
            REMEMBER,
        )
    return (
        f"Pages fetched at the same time all link to {named(raced[0], sites)}, and each "
        "let it through before any had remembered it: a URL remembered only once its "
        "fetch is done is a check-then-act across an await.",
        REMEMBER,
    )


def linked_twice_by_one_page(sites: tuple[Site, ...], again: dict) -> tuple[str, str] | None:
    """(url, page) when a page fetched twice is linked by one page only, twice."""
    served = {page: what for site in sites for page, what in site.served.items()}
    for url in again:
        linkers = [page for page, what in served.items() if url in what.links]
        if len(linkers) == 1 and served[linkers[0]].links.count(url) > 1:
            return url, linkers[0]
    return None


def calls_for(sites: tuple[Site, ...], url: str) -> list:
    for site in sites:
        base = site.service.base_url
        if url.startswith(base + "/"):
            return sorted(site.service.calls_to(url[len(base):]), key=lambda c: c.started)
    return []


def explained_by_a_race(sites: tuple[Site, ...], url: str, fetched: int) -> bool:
    """Whether every extra fetch of url can come from a page that linked to it and was
    answered before url's first fetch was (so, before a crawler that remembers a URL only
    after its fetch could know it): the check-then-act race, not a missing memory."""
    first = calls_for(sites, url)[0]
    done = (first.ended if first.ended is not None else float("inf")) + LATENCY / 2
    served = {page: what for site in sites for page, what in site.served.items()}
    found = 0
    for page, what in served.items():
        if url in what.links:
            answered = [c for c in calls_for(sites, page) if c.ended is not None and c.ended < done]
            found += what.links.count(url) * len(answered)
    return fetched - 1 <= found - 1  # one of those links found it first


def in_flight_over_time(calls: list[tuple[float, float]], samples: int = 16) -> str:
    """How many requests were in flight, sampled evenly from the first start to the last end."""
    if not calls:
        return "    (the service saw no requests)"
    start = min(begin for begin, _ in calls)
    span = max(end for _, end in calls) - start
    counts = []
    for k in range(samples):
        moment = start + span * (k + 0.5) / samples
        counts.append(sum(begin <= moment < end for begin, end in calls))
    return "    requests in flight over time: " + " ".join(map(str, counts))


def timed(sites: tuple[Site, ...]) -> list[tuple[float, float]]:
    """Every finished request as (start, end) on the first service's clock."""
    first = sites[0].service
    spans = []
    for site in sites:
        shift = first.now() - site.service.now()  # the services started at different moments
        ended = [c for c in site.service.calls if c.ended is not None]
        spans += [(c.started + shift, c.ended + shift) for c in ended]
    return spans


def most_at_once(spans: list[tuple[float, float]]) -> int:
    edges = sorted([(begin, 1) for begin, _ in spans] + [(end, -1) for _, end in spans])
    peak = now = 0
    for _, step in edges:
        now += step
        peak = max(peak, now)
    return peak


def awaited_at(site: Site) -> tuple:
    """The learner's line that awaited fetch_page for a request after the first (one that
    waited its turn), when the service saw where it came from; else nothing."""
    for call in site.service.calls[1:]:
        for index, place in enumerate(call.where[1:], start=1):
            if place.function == "fetch_page":
                return call.where[index - 1 : index]
    return ()


def workers_may_quit(kata) -> str:
    if not wrote(kata, "empty"):
        return ""
    return (
        " Your workers may stop when the queue is empty for a moment: at the start, only "
        "the start page is in it."
    )


def one_at_a_time(kata, site: Site, limits: str, evidence: str) -> None:
    """Fails: the service never saw two requests in flight."""
    __tracebackhide__ = True
    where = awaited_at(site)
    fail(
        f"crawl fetched one page at a time: never two requests in flight, with {limits}."
        f"{workers_may_quit(kata)} Each fetch waited for the one before it"
        + (", awaited here:" if where else "."),
        fix="start a task for each page found (or `limit` workers over a Queue, each "
        "waiting at `await queue.get()` until the crawl is over), so that fetches wait "
        "together.",
        evidence=evidence,
        where=where,
    )


def assert_limit_kept_and_reached(kata, site: Site, limit: int) -> None:
    """The service never had more than `limit` requests in flight, and had `limit`."""
    __tracebackhide__ = True
    peak = site.service.peak_in_flight
    profile = in_flight_over_time(timed((site,)))
    if peak > limit:
        fail(
            f"the site had {peak} requests in flight at once; limit={limit} allows {limit}.",
            fix="hold an asyncio.Semaphore(limit) around each fetch (`async with slots:`), "
            "or start exactly `limit` worker tasks that take URLs from an asyncio.Queue.",
            evidence=profile,
        )
    if peak == 1:
        one_at_a_time(kata, site, f"limit={limit}", profile)
    if peak < limit:
        held = (
            workers_may_quit(kata)
            or " A slot may be held with no request in flight: by a page that waits, "
            "slot in hand, for the pages it links to."
        )
        fail(
            f"at most {peak} requests were in flight at once; limit={limit} allows "
            f"{limit}, and the site had more pages than that waiting.{held}",
            fix=f"let up to {limit} fetches run together: hold a slot around the fetch "
            "alone, and make each link found work to do at once.",
            evidence=profile,
        )


# --- what the database holds -------------------------------------------------------------
async def stored_rows(db_path) -> list[Row]:
    __tracebackhide__ = True
    try:
        async with aiosqlite.connect(db_path) as db:
            found = await db.execute_fetchall(f"SELECT {COLUMNS} FROM pages")
    except sqlite3.OperationalError as error:
        fail(
            f"crawl returned, but reading the table back failed: {error}.",
            fix="create the table with `await db.execute(SCHEMA)` in the database at "
            "db_path, keep its columns, and commit before crawl returns.",
        )
    return [Row(*row) for row in found]


async def assert_rows_match(db_path, expected: dict[str, Row], sites: tuple[Site, ...]) -> None:
    """One row per page fetched, with its depth, status, title and error (or NULL)."""
    __tracebackhide__ = True
    rows = await stored_rows(db_path)
    if not rows:
        fail(
            "crawl returned, but the pages table is empty. A row that is never committed "
            "is lost when its connection closes.",
            fix="store a row for every page you fetch, and `await db.commit()` before "
            "crawl returns.",
        )
    by_url = {row.url: row for row in rows}
    missing = [url for url in expected if url not in by_url]
    if missing:
        failures = any(expected[url].status >= 400 for url in missing)
        failed = " (failed pages need a row too)" if failures else ""
        fail(
            f"the pages table has no row for {listed(missing, sites)}{failed}; the crawl "
            "fetched them.",
            fix="store one row for every page you fetch, whatever its status.",
        )
    extra = [row.url for row in rows if row.url not in expected]
    if extra or len(rows) != len(by_url):
        fail(
            f"the pages table has {len(rows)} rows; expected {len(expected)}, one per "
            f"page fetched" + (f" (extra: {listed(extra, sites)})." if extra else "."),
            fix="store exactly one row per page fetched, with its url as fetched.",
        )
    for url, want in expected.items():
        got = by_url[url]
        page = named(url, sites)
        if got.depth != want.depth:
            fail(
                f"the row for {page} has depth {got.depth!r}; {page} is {want.depth} links "
                "from the start page.",
                fix="store the depth the URL was queued with: 0 for the start page, the "
                "linking page's depth + 1 for each link.",
            )
        if got.status != want.status:
            if want.status >= 400:
                why = " (the error's .status)"
            elif want.status >= 300:
                why = " (a redirect: fetch_page does not follow it, page.status says which)"
            else:
                why = ""
            fail(
                f"the row for {page} has status {got.status!r}; the site answered "
                f"{want.status}{why}.",
                fix="store page.status for a page, and error.status for an "
                "aiohttp.ClientResponseError.",
            )
        if got.title != want.title:
            fail(
                f"the row for {page} has title {got.title!r}; expected {want.title!r}"
                + (" (the page's <title>)." if want.title else " (a page with no <title>: NULL)."),
                fix="store page.title, and None for a page that failed.",
            )
        if (got.error is None) != (want.error is None):
            if want.error is None:
                what = (
                    f"the row for {page} has error {got.error!r}, but {page} answered "
                    f"{want.status}: it did not fail."
                )
            else:
                what = f"the row for {page} has no error text; {page} failed with {want.status}."
            fail(
                what,
                fix="store the error's text (e.g. str(error)) for a failed page, and NULL "
                "for the others.",
            )


# --- the steps ---------------------------------------------------------------------------------
async def test_step_1_the_start_page_is_stored_in_the_database(kata, kata_file, service, tmp_path):
    """Step 1, from 30_aiosqlite_basics: a row per page, values passed as parameters, committed."""
    site = Site(service)
    start = site.page("/", "Ada's garden")
    db_path = tmp_path / "crawl.db"
    await run_crawl(kata, kata_file, db_path, start, (site,), limit=2, per_host=2, max_depth=2)
    expected = reachable(start, (site,), 2)
    assert_each_page_fetched_once((site,), expected, 2)
    await assert_rows_match(db_path, expected, (site,))


async def test_step_2_every_linked_page_is_fetched_exactly_once(kata, kata_file, service, tmp_path):
    """Step 2, from 18_locks: remember a URL before the await that fetches it."""
    site = Site(service)
    start = site.page("/", "Greenhouse", ("/roses", "/tulips", "/ferns"))
    site.page("/roses", "Roses", ("/", "/tulips", "/seeds"))
    site.page("/tulips", "Tulips", ("/roses", "/seeds"))
    site.page("/ferns", "Ferns", ("/ferns", "/", "/ferns/fronds", "/ferns/fronds#care"))
    site.page("/ferns/fronds", "Fronds", ("/ferns",))
    site.page("/seeds", "Seeds", ("/", "/roses"))
    db_path = tmp_path / "crawl.db"
    await run_crawl(kata, kata_file, db_path, start, (site,), limit=4, per_host=4, max_depth=3)
    expected = reachable(start, (site,), 3)
    assert_each_page_fetched_once((site,), expected, 3)
    await assert_rows_match(db_path, expected, (site,))


async def test_step_3_pages_beyond_max_depth_are_not_fetched(kata, kata_file, service, tmp_path):
    """Step 3, from 15_queues: each URL travels with its depth; the crawl stops at max_depth."""
    site = Site(service)
    start = site.page("/", "Greenhouse", ("/guides",))
    site.page("/guides", "Guides", ("/guides/soil", "/"))
    site.page("/guides/soil", "Soil", ("/guides/soil/ph",))
    site.page("/guides/soil/ph", "Soil pH", ("/guides/soil/ph/lime",))
    site.page("/guides/soil/ph/lime", "Lime")
    db_path = tmp_path / "crawl.db"
    await run_crawl(kata, kata_file, db_path, start, (site,), limit=4, per_host=4, max_depth=2)
    expected = reachable(start, (site,), 2)
    assert_each_page_fetched_once((site,), expected, 2)
    await assert_rows_match(db_path, expected, (site,))


async def test_step_4_a_failing_page_is_stored_and_the_crawl_goes_on(
    kata, kata_file, service, tmp_path
):
    """Step 4, from 06_errors and 04_task_groups: a failed page is a row, not the end."""
    site = Site(service)
    start = site.page("/", "Greenhouse", ("/broken", "/missing", "/roses"))
    site.failing("/broken", 500, latency=0)
    site.missing("/missing")
    # /roses is still in flight when /broken fails
    site.page("/roses", "Roses", ("/seeds",), latency=2 * LATENCY)
    site.page("/seeds", "Seeds")
    db_path = tmp_path / "crawl.db"
    await run_crawl(kata, kata_file, db_path, start, (site,), limit=4, per_host=4, max_depth=2)
    expected = reachable(start, (site,), 2)
    assert_each_page_fetched_once((site,), expected, 2)
    await assert_rows_match(db_path, expected, (site,))


async def test_step_5_a_redirect_loop_and_a_link_cycle_end(kata, kata_file, service, tmp_path):
    """Step 5, from 15_queues: the crawl ends when no page is left, loops or not."""
    site = Site(service)
    start = site.page("/", "Map", ("/moved", "/ring/1"))
    site.redirect("/moved", "/moved-again", status=302)
    site.redirect("/moved-again", "/moved", status=301)
    site.page("/ring/1", "Ring 1", ("/ring/2",))
    site.page("/ring/2", "Ring 2", ("/ring/3",))
    site.page("/ring/3", "Ring 3", ("/ring/1", "/"))
    db_path = tmp_path / "crawl.db"
    await run_crawl(kata, kata_file, db_path, start, (site,), limit=4, per_host=4, max_depth=10)
    expected = reachable(start, (site,), 10)
    assert_each_page_fetched_once((site,), expected, 10)
    await assert_rows_match(db_path, expected, (site,))


PLANTS = 9


async def test_step_6_never_more_than_limit_pages_in_flight_and_limit_reached(
    kata, kata_file, service, tmp_path
):
    """Step 6, from 13_semaphore: at most `limit` requests in flight, and `limit` reached."""
    site = Site(service)
    plants = tuple(f"/plants/{n}" for n in range(1, PLANTS + 1))
    start = site.page("/", "Catalogue", plants)
    for path in plants:
        site.page(path, f"Plant {path[8:]}", ("/",), latency=1.5 * LATENCY)
    db_path = tmp_path / "crawl.db"
    # per_host is generous here: `limit` is the only bound that holds the crawl back.
    await run_crawl(kata, kata_file, db_path, start, (site,), limit=3, per_host=PLANTS, max_depth=1)
    assert_limit_kept_and_reached(kata, site, 3)
    expected = reachable(start, (site,), 1)
    assert_each_page_fetched_once((site,), expected, 1)
    await assert_rows_match(db_path, expected, (site,))


async def test_step_7_each_host_gets_at_most_per_host_requests_at_once(
    kata, kata_file, fake_service, tmp_path
):
    """Step 7, from 13_semaphore: politeness is a limit for each host (host_of(url)), on its own."""
    garden, nursery = Site(await fake_service()), Site(await fake_service())
    sites = (garden, nursery)
    bulbs = tuple(nursery.service.url(f"/bulbs/{n}") for n in (1, 2, 3))
    start = garden.page("/", "Garden", ("/beds/1", "/beds/2", "/beds/3", *bulbs))
    for n in (1, 2, 3):
        garden.page(f"/beds/{n}", f"Bed {n}", latency=1.5 * LATENCY)
        nursery.page(f"/bulbs/{n}", f"Bulb {n}", latency=1.5 * LATENCY)
    db_path = tmp_path / "crawl.db"
    # limit is generous here: per_host is the only bound that holds the crawl back.
    await run_crawl(kata, kata_file, db_path, start, sites, limit=8, per_host=2, max_depth=1)
    for site in sites:
        host = site.service.base_url.removeprefix("http://")
        expect(
            site.service.peak_in_flight <= 2,
            f"host {host} had {site.service.peak_in_flight} requests in flight at once; "
            "per_host=2 allows 2 per host.",
            fix="keep one asyncio.Semaphore(per_host) per host, in a dict keyed by "
            "host_of(url), and hold the page's host's semaphore around its fetch.",
            evidence=in_flight_over_time(timed((site,))),
        )
    together = most_at_once(timed(sites))
    if together == 1:
        limits = "limit=8 and per_host=2 on each of two hosts"
        one_at_a_time(kata, garden, limits, in_flight_over_time(timed(sites)))
    expect(
        together == 4,
        f"the two hosts had at most {together} requests in flight together; per_host=2 "
        "allows 2 on each host at the same time, 4 in all. The limit was shared by every "
        "host instead of kept for each.",
        fix="one asyncio.Semaphore(per_host) for each host (a dict keyed by host_of(url), "
        "which is host:port), not one for the whole crawl.",
        evidence=in_flight_over_time(timed(sites)),
    )
    expected = reachable(start, sites, 1)
    assert_each_page_fetched_once(sites, expected, 1)
    await assert_rows_match(db_path, expected, sites)


# The whole site: products with their reviews, a slow gallery, failures, a redirect loop,
# cycles, and pages beyond max_depth. limit=16: the start page's 16 links go in one
# round, the 15 pages they link to in a second (while the gallery, twice as slow, still
# takes the 16th slot). Critical path: 3 x WORKLOAD_LATENCY; one page at a time, 33 x.
# The bound is 3x the critical path (Budget's slack): commits and a few dozen requests
# on a busy machine cost more than a single request does.
WORKLOAD_LATENCY = 0.04
PRODUCTS = 12
LIMIT = 16
WORKLOAD = Budget(ideal=3 * WORKLOAD_LATENCY, sequential=33 * WORKLOAD_LATENCY, slack=3)


@pytest.mark.workload
async def test_step_8_a_whole_site_takes_about_its_critical_path(
    kata, kata_file, service, tmp_path
):
    """Step 8, from 02_gather: pages fetched together take the critical path, not the sum."""
    site = Site(service)
    wait = WORKLOAD_LATENCY
    products = tuple(f"/products/{n}" for n in range(1, PRODUCTS + 1))
    links = (*products, "/about", "/gallery", "/broken", "/moved")
    start = site.page("/", "Shop", links, latency=wait)
    site.page("/about", "About us", ("/", "/contact"), latency=wait)
    site.page("/contact", "Contact", ("/about", "/"), latency=wait)
    site.page("/gallery", "Gallery", ("/",), latency=2 * wait)
    site.failing("/broken", 503, latency=wait)
    site.redirect("/moved", "/moved-again", latency=wait)
    site.redirect("/moved-again", "/moved", status=301, latency=wait)
    for n, path in enumerate(products, start=1):
        following = products[n % PRODUCTS]
        reviews, photos = f"{path}/reviews", f"{path}/reviews/photos"
        site.page(path, f"Product {n}", ("/", following, reviews, "/missing"), latency=wait)
        site.page(reviews, f"Reviews of product {n}", (path, photos), latency=wait)
        site.page(photos, f"Photos of product {n}", latency=wait)
    site.failing("/missing", 404, latency=wait)
    db_path = tmp_path / "crawl.db"
    await run_crawl(
        kata, kata_file, db_path, start, (site,),
        within=2 * TOO_LONG, limit=LIMIT, per_host=64, max_depth=2,
    )
    expected = reachable(start, (site,), 2)
    assert_each_page_fetched_once((site,), expected, 2)
    assert_limit_kept_and_reached(kata, site, LIMIT)
    span = service.span()
    expect(
        span <= WORKLOAD.bound,
        f"the crawl kept {LIMIT} requests in flight at its peak, but took {span:.2f} s from "
        f"the first request to the last, more than {WORKLOAD.bound:.2f} s (its critical "
        f"path: the start page, then two rounds of {LIMIT}, {WORKLOAD.ideal:.2f} s). "
        "Between pages, something else held it up.",
        fix="start each page's fetch as soon as its link is found, and keep slow work "
        "(commits, writes) from holding a fetch slot: commit once at the end.",
        evidence=in_flight_over_time(timed((site,))),
    )
    await assert_rows_match(db_path, expected, (site,))
