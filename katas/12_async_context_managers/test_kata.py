"""Kata 12 — async context managers. Run: pytest katas/12_async_context_managers"""

import asyncio
import inspect
import time

import aiohttp
import pytest
from aiohttp import web

from harness.judge import expect, fail

PATIENCE = 1.0  # seconds to wait for something that takes a few ms

# The two forms the kata asks for: how each is called, what it leases, and for whom.
FORMS = {
    "OvenLease": ("OvenLease(session, url, 'ana')", "oven", "ana"),
    "mixer_lease": ("mixer_lease(session, url, 'bo')", "mixer", "bo"),
}


class BurntCake(Exception):
    """Something going wrong inside the `async with` block."""


class LeaseDesk:
    """The fake lease service: POST /leases hands out lease-1, lease-2, ...;
    DELETE /leases/{id} gives one back. It records both, in order, in ``events``."""

    def __init__(self, service):
        self.service = service
        self.events: list[tuple[str, str]] = []
        self.granted: dict[str, object] = {}
        service.route("/leases", handler=self.acquire)

    async def acquire(self, request: web.Request) -> web.Response:
        if request.method != "POST":
            return web.json_response({"error": "take a lease with POST"}, status=405)
        lease_id = f"lease-{len(self.granted) + 1}"
        self.granted[lease_id] = await request.json()
        self.service.route(f"/leases/{lease_id}", handler=self.release)
        self.events.append(("acquire", lease_id))
        return web.json_response({"id": lease_id}, status=201)

    async def release(self, request: web.Request) -> web.Response:
        if request.method != "DELETE":
            return web.json_response({"error": "release a lease with DELETE"}, status=405)
        self.events.append(("release", request.path.rsplit("/", 1)[1]))
        return web.Response(status=204)

    def releases_of(self, lease_id: str) -> int:
        return self.events.count(("release", lease_id))

    def only_lease(self, call: str) -> str:
        """The one lease granted so far."""
        __tracebackhide__ = True
        expect(
            len(self.granted) == 1,
            f"{call} took {len(self.granted)} leases ({self.events}); entering the "
            "`async with` block should take exactly one.",
        )
        return next(iter(self.granted))


class Form:
    """How the learner wrote one of the two context managers, so that a message speaks
    of what they wrote: a class (its ``__aexit__``) or a decorated generator function."""

    __test__ = False

    def __init__(self, kata, kata_file, name: str, manager: object):
        aexit = getattr(getattr(type(manager), "__aexit__", None), "__code__", None)
        self.is_class = aexit is not None and kata_file.owns(aexit)
        self.exit = f"{type(manager).__qualname__}.__aexit__" if self.is_class else name
        # The learner's line to show: the `def __aexit__`, or the generator's `yield`.
        self.where: tuple = ()
        if self.is_class:
            self.where = (kata_file.where(aexit, aexit.co_firstlineno),)
        else:
            generator = inspect.unwrap(getattr(kata, name))
            code = getattr(generator, "__code__", None)
            if code is not None and kata_file.owns(code):
                self.where = (kata_file.where(code, yield_line(generator)),)

    def on_the_way_out(self) -> tuple[str, str]:
        """(why the release was skipped, what to do) when the block raised."""
        if self.is_class:
            return (
                f"{self.exit} ran, with the error as its arguments, but did not release the lease",
                f"release the lease in {self.exit} on every path, whatever exception it gets.",
            )
        return (
            f"the error is raised in {self.exit} at its `yield`, and skips what follows it",
            "release the lease in `finally:` around the `yield`.",
        )

    def fail_swallowed(self, what: str, *, caught: str) -> None:
        """The block's exception (an error, a cancellation) did not come out of `async with`."""
        __tracebackhide__ = True
        if self.is_class:
            why = f"{self.exit} returned a true value, which tells `async with` it was handled"
            fix = f"return None from {self.exit} (no `return True`), so the exception carries on."
        else:
            why = f"{self.exit} caught {caught} at its `yield` and did not raise it again"
            fix = (
                "use `try: yield ... finally:` (not `except`), or end the `except` with "
                "`raise`, so the exception carries on."
            )
        fail(f"{what}: {why}.", fix=fix, where=self.where)


def yield_line(function) -> int | None:
    """The line of the first `yield` in ``function`` (None if it cannot be read)."""
    try:
        lines, first = inspect.getsourcelines(function)
    except (OSError, TypeError):
        return None
    for number, line in enumerate(lines, start=first):
        if line.strip().startswith("yield") or " yield " in f" {line.strip()} ":
            return number
    return None


def lease_id_of(entered: object) -> object:
    """What the block got from `as`: the lease id, or an object with `.lease_id`."""
    return entered if isinstance(entered, str) else getattr(entered, "lease_id", entered)


@pytest.fixture
async def session():
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture(params=list(FORMS))
def form(request) -> str:
    """Each test runs once with the class and once with the decorated function."""
    return request.param


def lease_under_test(kata, kata_file, form: str, session, service):
    """(the context manager to test, how it was called, how it was written, resource, holder)."""
    call, resource, holder = FORMS[form]
    manager = getattr(kata, form)(session, service.base_url, holder)
    return manager, call, Form(kata, kata_file, form, manager), resource, holder


def assert_released_once(
    desk: LeaseDesk, lease_id: str, *, what: str, fix: str, where: tuple = ()
) -> None:
    __tracebackhide__ = True
    releases = desk.releases_of(lease_id)
    if not releases:
        fail(what, fix=fix, where=where)
    expect(
        releases == 1,
        f"the lease {lease_id} was released {releases} times ({desk.events}).",
        fix="release it once, on the way out of the block.",
    )


async def test_the_lease_is_taken_on_entry_and_released_on_exit(
    kata, kata_file, form, session, service
):
    """`async with` acquires on the way in and releases on the way out, in that order."""
    desk = LeaseDesk(service)
    manager, call, written, resource, holder = lease_under_test(kata, kata_file, form, session, service)
    async with manager as entered:
        lease_id = desk.only_lease(call)
        desk.events.append(("inside the block", lease_id))
        got = lease_id_of(entered)
    expect(
        got == lease_id,
        f"`async with {call} as lease` gave the block {entered!r}; expected the lease "
        f"{lease_id!r}.",
        fix="return self from __aenter__, with .lease_id set."
        if written.is_class
        else "yield the lease id.",
    )
    expect(
        desk.granted[lease_id] == {"resource": resource, "holder": holder},
        f"{call} asked for {desk.granted[lease_id]!r}; expected a lease on the {resource} "
        f"for {holder}: {{'resource': {resource!r}, 'holder': {holder!r}}}.",
    )
    expected = [("acquire", lease_id), ("inside the block", lease_id), ("release", lease_id)]
    expect(
        desk.events == expected,
        f"with `async with {call}:` the service saw {desk.events}; expected {expected}.",
        fix=(
            f"take the lease in __aenter__ and await the release in {written.exit}."
            if written.is_class
            else "take the lease before the `yield`, and await the release after it."
        ),
    )


async def test_the_lease_is_released_when_the_block_raises(
    kata, kata_file, form, session, service
):
    """An error inside the block still releases the lease, and the error goes on."""
    desk = LeaseDesk(service)
    manager, call, written, _, _ = lease_under_test(kata, kata_file, form, session, service)
    try:
        async with manager:
            raise BurntCake("the cake is burnt")
    except BurntCake:
        pass
    else:
        written.fail_swallowed(
            f"the error inside the block disappeared: the block inside `async with {call}:` "
            "raised BurntCake, but the `async with` statement ended normally",
            caught="it",
        )
    lease_id = desk.only_lease(call)
    why, fix = written.on_the_way_out()
    assert_released_once(
        desk,
        lease_id,
        what=f"the lease was never released after an error inside the block: the block in "
        f"`async with {call}:` raised BurntCake and the service saw {desk.events}, no "
        f"DELETE /leases/{lease_id}: {why}.",
        fix=fix,
        where=written.where,
    )


async def test_the_lease_is_released_when_the_task_is_cancelled(
    kata, kata_file, form, session, service
):
    """A cancelled task unwinds through `async with` too: the lease is released."""
    desk = LeaseDesk(service)
    manager, call, written, _, _ = lease_under_test(kata, kata_file, form, session, service)
    inside = asyncio.Event()

    async def bake() -> None:
        async with manager:
            inside.set()
            await asyncio.sleep(10 * PATIENCE)  # still baking when the task is cancelled

    task = asyncio.create_task(bake())
    deadline = time.perf_counter() + PATIENCE
    while not inside.is_set():
        if task.done():
            task.result()  # re-raises the error that ended it (e.g. a stub)
        if time.perf_counter() > deadline:
            fail(f"after {PATIENCE:g} s, `async with {call}:` had still not entered its block.")
        await asyncio.sleep(0.005)
    task.cancel()
    done, _ = await asyncio.wait({task}, timeout=PATIENCE)
    expect(done, f"the task was still running {PATIENCE:g} s after task.cancel().")
    if not task.cancelled() and task.exception() is not None:
        raise task.exception()  # an error while leaving the block: show it as it is
    lease_id = desk.only_lease(call)
    where = "the block's `await`" if written.is_class else f"the `yield` of {written.exit}"
    assert_released_once(
        desk,
        lease_id,
        what=f"the lease was never released after the task was cancelled inside "
        f"`async with {call}:`: the service saw {desk.events}, no DELETE /leases/{lease_id}. "
        f"Cancellation raises CancelledError at {where}; it is a BaseException, not an "
        "Exception.",
        fix=(
            f"release in {written.exit} whatever exception it gets: a check such as "
            "`if exc_type is None` or `except Exception` lets CancelledError past."
            if written.is_class
            else "release in `finally:` around the `yield`: `except Exception:` does not "
            "see CancelledError."
        ),
        where=written.where,
    )
    if not task.cancelled():
        written.fail_swallowed(
            f"`async with {call}:` swallowed the cancellation: task.cancelled() is False "
            "after task.cancel()",
            caught="CancelledError",
        )
