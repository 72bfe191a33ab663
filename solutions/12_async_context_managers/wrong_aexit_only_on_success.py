"""Mistake: `__aexit__` releases the lease only when the block succeeded
(`if exc_type is None`): an error or a cancellation keeps the oven leased."""

import contextlib
from collections.abc import AsyncIterator

import aiohttp

MISTAKE = (
    "the lease was never released after an error inside the block",
    "OvenLease.__aexit__ ran, with the error as its arguments, but did not release the lease",
)


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

    async def __aenter__(self) -> "OvenLease":
        self.lease_id = await acquire_lease(self.session, self.base_url, "oven", self.baker)
        return self

    async def __aexit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:  # <- mistake: the lease is given back only after a success
            await release_lease(self.session, self.base_url, self.lease_id)


@contextlib.asynccontextmanager
async def mixer_lease(
    session: aiohttp.ClientSession, base_url: str, baker: str
) -> AsyncIterator[str]:
    lease_id = await acquire_lease(session, base_url, "mixer", baker)
    try:
        yield lease_id
    finally:
        await release_lease(session, base_url, lease_id)
