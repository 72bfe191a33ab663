"""Kata 21 — racing. Run: pytest katas/21_racing"""

import asyncio
import time

import aiohttp
import pytest

from harness.judge import Budget, assert_result, draw_timeline, fail, stopwatch, wrote

PACKAGE = "asyncio-katas"
# Three mirrors of one package, on one local service: /eu, /us and /asia. The fastest
# answers in 0.1 s; waiting for the slowest (or for the first in the list) takes 0.6 s.
# The bound is 2x the fastest (0.2 s), and 0.6 s is 3x that bound. It is measured on the
# service's clock, from the fastest answer to the return (so connecting, slow on a busy
# machine, does not count): a race returns at once, one that waits for the next mirror
# returns 0.4 s later, 2x the bound.
FAST = 0.1
SLOW = 0.6
BUDGET = Budget(ideal=FAST, sequential=SLOW)
RACE = {"eu": SLOW, "us": FAST, "asia": 0.5}
# A mirror that fails does so quickly: before the fastest good one answers.
FAILS_AFTER = 0.02
# How long the service may take to see a cancelled download go (its handler is
# cancelled within a few loop turns; a download nobody cancelled runs on for 0.4 s).
NOTICE = 0.2
PATIENCE = 1.0  # seconds to wait for something that takes a few tens of ms


@pytest.fixture
async def session():
    """The caller's session: it stays open after download_fastest returns, so a
    download left running goes on (and the service sees it)."""
    async with aiohttp.ClientSession() as session:
        yield session


def open_mirrors(service, latencies: dict[str, float], failing: dict[str, int] = {}) -> list[str]:
    """One route per mirror; ``failing`` mirrors answer that status after FAILS_AFTER s."""
    for mirror, latency in latencies.items():
        service.route(
            path_of(mirror), json={"package": PACKAGE, "mirror": mirror}, latency=latency
        )
    for mirror, status in failing.items():
        service.route(
            path_of(mirror), json={"error": f"{mirror} is down"}, status=status, latency=FAILS_AFTER
        )
    named = {**latencies, **failing}
    return [service.url(f"/{mirror}") for mirror in sorted(named, key=list(RACE).index)]


def path_of(mirror: str) -> str:
    return f"/{mirror}/packages/{PACKAGE}"


def call_text(mirrors: list[str]) -> str:
    names = ", ".join(url.rsplit("/", 1)[-1] for url in mirrors)
    return f"download_fastest(session, [{names}], {PACKAGE!r})"


def mirror_of(call) -> str:
    return call.path.split("/")[1]


async def race(kata, session, mirrors: list[str]) -> dict:
    """Run the learner's race; a ClientResponseError escaping it is explained."""
    __tracebackhide__ = True
    try:
        return await kata.download_fastest(session, mirrors, PACKAGE)
    except aiohttp.ClientResponseError as error:
        raised = error  # fail below, outside the except block: a chained traceback is noise
    fail(
        f"{call_text(mirrors)} raised the error of one mirror ({raised.status} from "
        f"{raised.request_info.url.path.split('/')[1]}) while other mirrors were still "
        "downloading: a failed mirror only drops out of the race.",
        fix="when a finished download failed, note its error and wait for the next one "
        "(loop on asyncio.wait, or go on with asyncio.as_completed).",
    )


async def finish_leftovers(service) -> None:
    """Let downloads nobody cancelled end by themselves, so that they end in this test."""
    await service.settle(PATIENCE)


def assert_every_mirror_asked_at_once(service, mirrors: list[str], winner: str) -> None:
    __tracebackhide__ = True
    asked = [mirror_of(call) for call in service.calls]
    expected = [url.rsplit("/", 1)[-1] for url in mirrors]
    timeline = draw_timeline(service.calls, now=service.now())
    if set(asked) != set(expected):
        waited = " and waited for its answer" if len(asked) == 1 else ""
        fail(
            f"{call_text(mirrors)} asked only {' and '.join(asked) or 'no mirror'}{waited}: "
            f"a race asks all {len(expected)} mirrors at once ({winner} answers in {FAST:.2f} s).",
            evidence=timeline,
            fix="start one download per mirror (a task each), all before waiting for any of them.",
        )
    won = [call for call in service.calls if mirror_of(call) == winner]
    answered = min((c.ended for c in won if c.ended is not None), default=service.now())
    late = [call for call in service.calls if call.started > answered]
    if late:
        fail(
            f"{call_text(mirrors)} asked the mirrors one after another: "
            f"{', '.join(mirror_of(c) for c in late)} only after {winner} had already answered.",
            evidence=timeline,
            fix="a race starts every download at once (a task per mirror), then waits for the first.",
        )


def answered_before(service, returned_at: float, winner: str) -> list[str]:
    """The other mirrors whose good answers the code waited for before returning."""
    return [
        mirror_of(call)
        for call in service.calls
        if mirror_of(call) != winner
        and call.status == 200
        and call.ended is not None
        and call.ended <= returned_at
    ]


@pytest.mark.workload
async def test_the_fastest_mirror_wins_and_the_race_takes_its_time(kata, service, session):
    """Ask every mirror at once and take the first answer: the fastest mirror's time."""
    mirrors = open_mirrors(service, RACE)
    with stopwatch() as watch:
        package = await race(kata, session, mirrors)
    returned_at = service.now()
    await finish_leftovers(service)
    assert_every_mirror_asked_at_once(service, mirrors, winner="us")
    waited = answered_before(service, returned_at, winner="us")
    won = [c.ended for c in service.calls if mirror_of(c) == "us" and c.ended is not None]
    late = returned_at - min(won, default=returned_at)
    if waited or late > BUDGET.bound:
        also = f" for {' and '.join(waited)} to answer too" if waited else f" {late:.2f} s more"
        fail(
            f"{call_text(mirrors)} took {watch.elapsed:.2f} s, but the us mirror answered "
            f"in {FAST:.2f} s: after its answer, it waited{also}.",
            evidence=draw_timeline(service.calls),
            fix="return as soon as the first download succeeds (asyncio.wait with "
            "return_when=asyncio.FIRST_COMPLETED), instead of waiting for all of them.",
        )
    assert_result(package, {"package": PACKAGE, "mirror": "us"}, call=call_text(mirrors))


async def test_the_slower_downloads_are_cancelled_once_one_wins(kata, service, session):
    """The losers are cancelled: the service sees their requests cut, not finished."""
    mirrors = open_mirrors(service, RACE)
    await race(kata, session, mirrors)
    returned_at = service.now()
    winner = "us"
    await service.settle(NOTICE)
    await finish_leftovers(service)
    losers = [call for call in service.calls if mirror_of(call) != winner]
    waited = answered_before(service, returned_at, winner)
    ran_on = [mirror_of(c) for c in losers if c.outcome == "answered" and mirror_of(c) not in waited]
    if waited:
        fail(
            f"none of the slower downloads was cancelled: {call_text(mirrors)} waited "
            f"until {' and '.join(waited)} had answered too, and only then returned.",
            evidence=draw_timeline(service.calls),
            fix="once one download succeeds, cancel the others (task.cancel()) and return.",
        )
    if ran_on:
        fail(
            f"after {call_text(mirrors)} returned, the downloads from {' and '.join(ran_on)} kept running until their mirrors "
            "answered: nothing cancelled them.",
            evidence=draw_timeline(service.calls),
            fix="cancel every download still pending once you have a winner (task.cancel()), "
            "best in a `finally:` so it happens on every way out.",
        )


async def test_a_failing_mirror_drops_out_and_the_next_fastest_wins(kata, service, session):
    """A download that fails is out of the race; the next good answer still wins."""
    mirrors = open_mirrors(service, {"us": FAST, "asia": 0.5}, failing={"eu": 503})
    package = await race(kata, session, mirrors)
    await service.settle(NOTICE)
    await finish_leftovers(service)
    assert_result(package, {"package": PACKAGE, "mirror": "us"}, call=call_text(mirrors))


async def test_when_every_mirror_fails_every_error_is_reported(kata, service, session):
    """All failed: raise every mirror's error (an ExceptionGroup), not just one of them."""
    failing = {"eu": 503, "us": 404, "asia": 500}
    mirrors = open_mirrors(service, {}, failing=failing)
    call = call_text(mirrors)
    try:
        async with asyncio.timeout(PATIENCE):
            package = await kata.download_fastest(session, mirrors, PACKAGE)
    except TimeoutError:
        fail(
            f"{call} was still waiting {PATIENCE:g} s after every mirror had failed "
            f"(each in {FAILS_AFTER} s).",
            fix="stop waiting when no download is left, and raise their errors.",
        )
    except Exception as error:  # noqa: BLE001 - what the learner raised is judged below
        raised = error
    else:
        fail(
            f"{call} returned {package!r}, but every mirror failed "
            f"({', '.join(f'{m}: {s}' for m, s in failing.items())}); it should raise."
        )
    errors = leaves(raised)
    if not any(isinstance(error, aiohttp.ClientError) for error in errors):
        raise raised  # not a mirror's error: the code's own, shown as it is
    told = " ".join(str(error) for error in [raised, *errors])
    missing = [url.rsplit("/", 1)[-1] for url in mirrors if url not in told]
    if missing:
        shown = f"{type(raised).__name__}: {raised}".splitlines()[0][:160]
        fail(
            f"every mirror failed, but {call} raised only {shown!r}: nothing in it tells "
            f"what happened to {' and '.join(missing)}.",
            fix="collect each mirror's error, and raise them all together: "
            "`raise ExceptionGroup(\"every mirror failed\", errors)`.",
        )


async def test_cancelling_the_race_cancels_every_download(kata, service, session):
    """A race that is cancelled (a timeout, a shutdown) cancels the downloads it started."""
    mirrors = open_mirrors(service, dict.fromkeys(RACE, SLOW))
    task = asyncio.create_task(kata.download_fastest(session, mirrors, PACKAGE))
    deadline = time.perf_counter() + NOTICE
    while len(service.calls) < len(mirrors) and not task.done():
        if time.perf_counter() > deadline:
            break
        await asyncio.sleep(0.005)
    if task.done():
        await task  # a stub or an early error: shown as it is
    task.cancel()
    await asyncio.wait({task}, timeout=PATIENCE)
    await service.settle(NOTICE)
    running = [mirror_of(c) for c in service.calls if c.outcome == "in flight"]
    await finish_leftovers(service)
    if running:
        fail(
            f"{call_text(mirrors)} was cancelled while it waited, but the downloads from "
            f"{' and '.join(running)} went on: cancelling the race did not cancel them.",
            evidence=draw_timeline(service.calls),
            fix="cancel the downloads in a `finally:` around the waiting, so it also runs "
            f"when the race itself is cancelled ({waiter(kata)} does not cancel what it waits for).",
        )


def waiter(kata) -> str:
    """What the learner waited with, to name it."""
    if wrote(kata, "as_completed"):
        return "asyncio.as_completed"
    return "asyncio.wait" if wrote(kata, "wait") else "waiting"


def leaves(error: BaseException) -> list[BaseException]:
    if isinstance(error, BaseExceptionGroup):
        return [leaf for inner in error.exceptions for leaf in leaves(inner)]
    return [error]
