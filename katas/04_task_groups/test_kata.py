"""Kata 04 — task groups. Run: pytest katas/04_task_groups"""

import inspect
import platform
import sys

import aiohttp
import pytest

from harness.judge import Budget, assert_result, draw_timeline, expect, fail, stopwatch, wrote

# The soup is sold out: the kitchen says so after 0.05 s. The other dishes would take
# 0.8 s. Cancelled at once, the order fails in ≈ 0.05 s (bound 0.2 s, 4x); a kitchen
# that keeps cooking takes 0.8 s, 4x the bound.
SOLD_OUT_AFTER = 0.05
SLOW_COOKING = 0.8
BUDGET = Budget(ideal=SOLD_OUT_AFTER, sequential=SLOW_COOKING, slack=4.0)
ORDER = ["salad", "soup", "pasta", "cake"]  # the soup is not first: all must be ordered
GIVE_UP_AFTER = SLOW_COOKING * 2  # how long the test waits for the kitchen to go quiet
# Python 3.11.0-3.11.3 wrap an exception raised inside an `except*` block in an
# ExceptionGroup, even when every error of the group was handled (fixed in 3.11.4).
WRAPS_RAISE_IN_EXCEPT_STAR = sys.version_info < (3, 11, 4)


def open_kitchen(service, cooking_times, *, sold_out=(), hangs_up=()):
    for dish, seconds in cooking_times.items():
        if dish in sold_out:
            sold = {"error": "sold out"}
            service.route(f"/dishes/{dish}", json=sold, status=410, latency=seconds)
        elif dish in hangs_up:
            service.route(f"/dishes/{dish}", drop=True, latency=seconds)
        else:
            service.route(f"/dishes/{dish}", json={"dish": dish, "ready": True}, latency=seconds)


@pytest.fixture
async def session():
    """The café's session with the kitchen: it belongs to the caller, not to prepare_order."""
    async with aiohttp.ClientSession() as session:
        yield session


async def run_order(kata, session, service, dishes):
    """Call prepare_order; return (what it returned, what it raised, service time it ended)."""
    returned = raised = None
    try:
        returned = await kata.prepare_order(session, service.base_url, dishes)
    except Exception as error:  # noqa: BLE001 - the tests judge what came out
        if not about_the_order(error, kata):
            raise  # an error of the code itself (a stub, a TypeError): the judge shows its line
        raised = error
    return returned, raised, service.now()


def about_the_order(error: BaseException, kata) -> bool:
    """An error the tests judge: the order's own, the kitchen's, or a group of those."""
    if isinstance(error, BaseExceptionGroup):
        return all(about_the_order(inner, kata) for inner in error.exceptions)
    return isinstance(error, (kata.OrderFailed, kata.DishUnavailable, aiohttp.ClientError))


def order_call(dishes) -> str:
    return f"prepare_order(session, url, {dishes!r})"


def assert_order_failed(returned, raised, *, dishes, unavailable, kata) -> None:
    """prepare_order raised OrderFailed naming exactly the ``unavailable`` dishes."""
    __tracebackhide__ = True
    call = order_call(dishes)
    if raised is None:
        if inspect.isawaitable(returned):
            assert_result(returned, None, call=f"await {call}")  # names the missing await
        fail(
            f"{call} returned {returned!r}, but the kitchen could not make the "
            + " and the ".join(unavailable) + ".",
            fix=f"raise OrderFailed({unavailable!r}) when a dish is unavailable.",
        )
    if isinstance(raised, BaseExceptionGroup):
        _, others = raised.split(kata.OrderFailed)
        if others is None and WRAPS_RAISE_IN_EXCEPT_STAR:
            fail(
                f"{call} let out an ExceptionGroup around your OrderFailed: {raised!r}. On "
                f"Python 3.11.0-3.11.3 (this is {platform.python_version()}) an exception "
                "raised inside an `except*` block comes out wrapped in a group; 3.11.4 fixed it.",
                fix="in the `except*` block only note the unavailable dishes; raise OrderFailed "
                "after the try statement.",
            )
        fail(
            f"{call} let an ExceptionGroup out: {raised!r}. A TaskGroup wraps the errors of "
            "its tasks in an ExceptionGroup, so `except DishUnavailable:` never matches it.",
            fix="catch them with `except* DishUnavailable as sold_out:` around the TaskGroup, "
            "note the dishes of sold_out.exceptions, and raise OrderFailed after the try statement.",
        )
    expect(
        isinstance(raised, kata.OrderFailed),
        f"{call} raised {raised!r}; expected OrderFailed({unavailable!r}).",
        fix="turn the DishUnavailable errors into one OrderFailed naming their dishes.",
    )
    expect(
        list(raised.dishes) == unavailable,
        f"{call} raised OrderFailed naming {raised.dishes!r}; expected {unavailable!r}, "
        "the dish the kitchen could not make.",
        fix="name each unavailable dish by its `.dish`.",
    )


async def test_a_full_order_comes_back_in_order(kata, service, session):
    """When every task succeeds, the TaskGroup block ends with all results ready."""
    cooking_times = {"salad": 0.03, "soup": 0.01, "pasta": 0.02}
    open_kitchen(service, cooking_times)
    dishes = list(cooking_times)
    returned, raised, _ = await run_order(kata, session, service, dishes)
    expect(
        raised is None,
        f"{order_call(dishes)} raised {raised!r}, although every dish was available.",
    )
    assert_result(
        returned,
        [{"dish": dish, "ready": True} for dish in dishes],
        call=f"await {order_call(dishes)}",
    )


async def test_a_sold_out_dish_calls_off_the_order_with_order_failed(kata, service, session):
    """except* picks the DishUnavailable errors out of the group the TaskGroup raises."""
    open_kitchen(service, {"bread": 0.05, "soup": 0.0}, sold_out={"soup"})
    dishes = ["bread", "soup"]
    returned, raised, _ = await run_order(kata, session, service, dishes)
    await service.settle(within=GIVE_UP_AFTER)
    assert_order_failed(returned, raised, dishes=dishes, unavailable=["soup"], kata=kata)


@pytest.mark.workload
async def test_a_sold_out_dish_cancels_the_dishes_still_cooking(kata, service, session):
    """A failing task makes the TaskGroup cancel its siblings: nobody cooks in vain."""
    cooking_times = dict.fromkeys(ORDER, SLOW_COOKING) | {"soup": SOLD_OUT_AFTER}
    open_kitchen(service, cooking_times, sold_out={"soup"})
    with stopwatch() as watch:
        returned, raised, gave_up = await run_order(kata, session, service, ORDER)
    await service.settle(within=GIVE_UP_AFTER)
    timeline = draw_timeline(service.calls)

    expect(
        len(service.calls) == len(ORDER) and service.peak_in_flight == len(ORDER),
        f"the kitchen saw {len(service.calls)} of {len(ORDER)} dishes, at most "
        f"{service.peak_in_flight} at once.",
        fix="start every dish as a task of the TaskGroup before awaiting anything.",
        evidence=timeline,
    )
    # Times as the timeline shows them: seconds since the first request started.
    origin = min(call.started for call in service.calls)
    gave_up -= origin
    others = [call for call in service.calls if call.path != "/dishes/soup"]
    cooked = [call for call in others if call.outcome == "answered"]
    names = ", ".join(call.path.rsplit("/", 1)[-1] for call in cooked)
    soup = service.calls_to("/dishes/soup")[0]
    cooked_until = max((call.ended - origin for call in cooked), default=0.0)
    if cooked_until > gave_up:
        started_with = "asyncio.gather" if wrote(kata, "gather") else "create_task"
        fail(
            f"prepare_order gave up on the order at {gave_up:.2f} s, but the kitchen kept "
            f"cooking {names} until {cooked_until:.2f} s: the other requests kept running "
            "after prepare_order had given up.",
            fix=f"tasks started with {started_with} keep running when one fails; in an "
            "`async with asyncio.TaskGroup()` block a failing task cancels the others.",
            evidence=timeline,
        )
    if cooked:
        if wrote(kata, "return_exceptions"):
            why = "gather's return_exceptions=True hands the errors back as results"
        else:
            why = "each task catches its own DishUnavailable"
        fail(
            f"prepare_order waited until {gave_up:.2f} s for {names} although the soup had "
            f"failed at {soup.ended - origin:.2f} s: nothing was cancelled.",
            fix=f"no failure reaches the TaskGroup when {why}, so it cannot cancel the "
            "others. Let the error out of the task and catch it around the TaskGroup with "
            "`except* DishUnavailable`.",
            evidence=timeline,
        )
    expect(
        all(call.outcome == "abandoned" for call in others),
        "the other dishes should have been abandoned when the soup failed.",
        fix="let the TaskGroup cancel them: do not catch the error inside the tasks.",
        evidence=timeline,
    )
    expect(
        watch.elapsed <= BUDGET.bound,
        f"the other dishes were cancelled, but prepare_order took {watch.elapsed:.2f} s to "
        f"give up; the soup failed after {SOLD_OUT_AFTER:.2f} s (allowed {BUDGET.bound:.2f} s).",
        fix="look for an await or a blocking call after the TaskGroup block.",
        evidence=timeline,
    )
    assert_order_failed(returned, raised, dishes=ORDER, unavailable=["soup"], kata=kata)


async def test_a_broken_kitchen_line_is_not_a_sold_out_dish(kata, service, session):
    """except* handles only the errors it names; any other error still propagates."""
    open_kitchen(service, {"bread": 0.05, "soup": 0.01}, hangs_up={"soup"})
    dishes = ["bread", "soup"]
    returned, raised, _ = await run_order(kata, session, service, dishes)
    await service.settle(within=GIVE_UP_AFTER)
    call = order_call(dishes)
    expect(
        raised is not None,
        f"{call} returned {returned!r} although the kitchen hung up on the soup.",
        fix="let the connection error propagate: catch only DishUnavailable.",
    )
    if isinstance(raised, kata.OrderFailed):
        fail(
            f"{call} turned a dropped connection into OrderFailed ({raised!r}): only "
            "DishUnavailable means a dish cannot be made.",
            fix="handle just DishUnavailable, with `except* DishUnavailable`, so that other "
            "errors (here aiohttp's ServerDisconnectedError) propagate.",
        )
    dropped = (
        raised.subgroup(aiohttp.ClientError)
        if isinstance(raised, BaseExceptionGroup)
        else raised if isinstance(raised, aiohttp.ClientError) else None
    )
    expect(
        dropped is not None,
        f"{call} raised {raised!r}; expected the kitchen's connection error "
        "(aiohttp.ClientError, inside the TaskGroup's ExceptionGroup) to propagate.",
        fix="let errors other than DishUnavailable out of prepare_order unchanged.",
    )
