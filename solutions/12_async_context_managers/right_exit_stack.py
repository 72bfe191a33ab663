"""Accepted: `contextlib.AsyncExitStack` in both forms: the release is pushed as a
callback as soon as the lease is taken, and the stack runs it however the block ends."""

import contextlib
from collections.abc import AsyncIterator

import aiohttp


async def acquire_lease(
    session: aiohttp.ClientSession, base_url: str, resource: str, holder: str
) -> str:
    payload = {"resource": resource, "holder": holder}
    async with session.post(f"{base_url}/leases", json=payload) as response:
        response.raise_for_status()
        return (await response.json())["id"]


async def release_lease(session: aiohttp.ClientSession, base_url: str, lease_id: str) -> None:
    async with session.delete(f"{base_url}/leases/{lease_id}") as response:
        response.raise_for_status()


class OvenLease:
    def __init__(self, session: aiohttp.ClientSession, base_url: str, baker: str) -> None:
        self.session = session
        self.base_url = base_url
        self.baker = baker
        self.lease_id: str | None = None
        self._stack = contextlib.AsyncExitStack()

    async def __aenter__(self) -> "OvenLease":
        self.lease_id = await acquire_lease(self.session, self.base_url, "oven", self.baker)
        self._stack.push_async_callback(release_lease, self.session, self.base_url, self.lease_id)
        return self

    async def __aexit__(self, exc_type, exc, tb) -> bool:
        return await self._stack.__aexit__(exc_type, exc, tb)


@contextlib.asynccontextmanager
async def mixer_lease(
    session: aiohttp.ClientSession, base_url: str, baker: str
) -> AsyncIterator[str]:
    async with contextlib.AsyncExitStack() as stack:
        lease_id = await acquire_lease(session, base_url, "mixer", baker)
        stack.push_async_callback(release_lease, session, base_url, lease_id)
        yield lease_id
