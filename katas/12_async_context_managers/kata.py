"""Kata 12 — async context managers: `async with` awaits `__aenter__` on the way in and
`__aexit__` on the way out, whatever happened inside (success, an error, a cancellation),
so a resource taken on the way in is always given back.

Edit this file until `pytest katas/12_async_context_managers` is green.
"""

import contextlib
from collections.abc import AsyncIterator

import aiohttp


async def acquire_lease(
    session: aiohttp.ClientSession, base_url: str, resource: str, holder: str
) -> str:
    """Take a shared kitchen resource: POST {base_url}/leases with
    {"resource": "oven", "holder": "ana"} -> {"id": "lease-1"}. Returns the lease id.

    This one is done for you.
    """
    payload = {"resource": resource, "holder": holder}
    async with session.post(f"{base_url}/leases", json=payload) as response:
        response.raise_for_status()
        return (await response.json())["id"]


async def release_lease(session: aiohttp.ClientSession, base_url: str, lease_id: str) -> None:
    """Give the resource back: DELETE {base_url}/leases/{lease_id}.

    This one is done for you.
    """
    async with session.delete(f"{base_url}/leases/{lease_id}") as response:
        response.raise_for_status()


class OvenLease:
    """The oven, leased for as long as an `async with` block runs (the class way).

        async with OvenLease(session, url, baker="ana") as lease:
            lease.lease_id    # "lease-1": the oven is ours while the block runs
            await bake_bread()
        # the lease is released here (DELETE /leases/lease-1), even if baking failed
    """

    def __init__(self, session: aiohttp.ClientSession, base_url: str, baker: str) -> None:
        self.session = session
        self.base_url = base_url
        self.baker = baker
        self.lease_id: str | None = None

    async def __aenter__(self) -> "OvenLease":
        # TODO: lease the "oven" for self.baker, remember the lease id, return self.
        raise NotImplementedError

    async def __aexit__(self, exc_type, exc, tb) -> None:
        # TODO: release the lease. Return None: a true value would hide the block's error.
        raise NotImplementedError


@contextlib.asynccontextmanager
async def mixer_lease(
    session: aiohttp.ClientSession, base_url: str, baker: str
) -> AsyncIterator[str]:
    """The mixer, leased for as long as an `async with` block runs (the decorator way).
    The block gets the lease id.

        async with mixer_lease(session, url, baker="bo") as lease_id:
            lease_id          # "lease-2"
            await whip_cream()
        # the lease is released here (DELETE /leases/lease-2), even if whipping failed
    """
    # TODO: lease the "mixer" for `baker`, yield the lease id to the block,
    # and release the lease however the block ends.
    raise NotImplementedError
    yield ""  # (this line only makes the stub an async generator: replace both lines)
