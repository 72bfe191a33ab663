"""Kata 12 — async context managers. Run: pytest katas/12_async_context_managers"""

import asyncio
import time

import aiohttp
import pytest
from aiohttp import web

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
        assert len(self.granted) == 1, (
            f"{call} took {len(self.granted)} leases ({self.events}); entering the "
            "`async with` block should take exactly one"
        )
        return next(iter(self.granted))


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


def lease_under_test(kata, form: str, session, service):
    """(the context manager to test, how it was called, resource, holder)."""
    call, resource, holder = FORMS[form]
    manager = getattr(kata, form)(session, service.base_url, holder)
    return manager, call, resource, holder


async def test_the_lease_is_taken_on_entry_and_released_on_exit(kata, form, session, service):
    """`async with` acquires on the way in and releases on the way out, in that order."""
    desk = LeaseDesk(service)
    manager, call, resource, holder = lease_under_test(kata, form, session, service)
    async with manager as entered:
        lease_id = desk.only_lease(call)
        desk.events.append(("inside the block", lease_id))
        got = lease_id_of(entered)
    assert got == lease_id, (
        f"`async with {call} as lease` gave the block {entered!r}; expected the lease "
        f"{lease_id!r} (the class: return self from __aenter__, with .lease_id set; "
        "the decorated function: yield the id)"
    )
    assert desk.granted[lease_id] == {"resource": resource, "holder": holder}, (
        f"{call} asked for {desk.granted[lease_id]!r}; expected a lease on the {resource} "
        f"for {holder}: {{'resource': {resource!r}, 'holder': {holder!r}}}"
    )
    expected = [("acquire", lease_id), ("inside the block", lease_id), ("release", lease_id)]
    assert desk.events == expected, (
        f"with `async with {call}:` the service saw {desk.events}; expected {expected}: "
        "take the lease when the block starts and give it back (await the release) "
        "before the `async with` statement ends"
    )


async def test_the_lease_is_released_when_the_block_raises(kata, form, session, service):
    """An error inside the block still releases the lease, and the error goes on."""
    desk = LeaseDesk(service)
    manager, call, _, _ = lease_under_test(kata, form, session, service)
    try:
        async with manager:
            raise BurntCake("the cake is burnt")
    except BurntCake:
        pass
    else:
        pytest.fail(
            f"the error inside the block disappeared: the block inside `async with {call}:` "
            "raised BurntCake, but the `async with` statement ended normally. An __aexit__ "
            "that returns True (or a generator that catches the error and does not "
            "re-raise) swallows it: return None from __aexit__, and use `try: yield ... "
            "finally:` (not `except`) in the decorated function.",
            pytrace=False,
        )
    lease_id = desk.only_lease(call)
    assert desk.releases_of(lease_id) == 1, (
        f"the lease was never released after an error inside the block: the block in "
        f"`async with {call}:` raised BurntCake and the service saw {desk.events}, no "
        f"DELETE /leases/{lease_id}. Release in `finally:` (around the `yield`), so it "
        "runs however the block ends."
        if desk.releases_of(lease_id) == 0
        else f"the lease {lease_id} was released {desk.releases_of(lease_id)} times "
        f"({desk.events}); release it once"
    )


async def test_the_lease_is_released_when_the_task_is_cancelled(kata, form, session, service):
    """A cancelled task unwinds through `async with` too: the lease is released."""
    desk = LeaseDesk(service)
    manager, call, _, _ = lease_under_test(kata, form, session, service)
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
            pytest.fail(f"after {PATIENCE:g} s, `async with {call}:` had still not "
                        "entered its block", pytrace=False)
        await asyncio.sleep(0.005)
    task.cancel()
    done, _ = await asyncio.wait({task}, timeout=PATIENCE)
    assert done, f"the task was still running {PATIENCE:g} s after task.cancel()"
    if not task.cancelled() and task.exception() is not None:
        raise task.exception()  # an error while leaving the block: show it as it is
    lease_id = desk.only_lease(call)
    assert desk.releases_of(lease_id) == 1, (
        f"the lease was never released after the task was cancelled inside "
        f"`async with {call}:`: the service saw {desk.events}, no DELETE "
        f"/leases/{lease_id}. Cancellation raises CancelledError at the block's `await`; "
        "it is not an Exception, so only `finally:` (or __aexit__) sees it."
        if desk.releases_of(lease_id) == 0
        else f"the lease {lease_id} was released {desk.releases_of(lease_id)} times "
        f"({desk.events}); release it once"
    )
    assert task.cancelled(), (
        f"`async with {call}:` swallowed the cancellation: task.cancelled() is False after "
        "task.cancel(). __aexit__ must not return True, and the decorated function must "
        "not catch CancelledError without re-raising it."
    )
