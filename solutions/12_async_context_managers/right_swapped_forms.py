"""Accepted: each name in the other form. `OvenLease` is a class whose `__aenter__` and
`__aexit__` hand over to a decorated generator; `mixer_lease` is a plain function that
returns an instance of a class with `__aenter__`/`__aexit__`."""

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


@contextlib.asynccontextmanager
async def leased(
    session: aiohttp.ClientSession, base_url: str, resource: str, holder: str
) -> AsyncIterator[str]:
    lease_id = await acquire_lease(session, base_url, resource, holder)
    try:
        yield lease_id
    finally:
        await release_lease(session, base_url, lease_id)


class OvenLease:
    def __init__(self, session: aiohttp.ClientSession, base_url: str, baker: str) -> None:
        self.session = session
        self.base_url = base_url
        self.baker = baker
        self.lease_id: str | None = None
        self._lease = leased(session, base_url, "oven", baker)

    async def __aenter__(self) -> "OvenLease":
        self.lease_id = await self._lease.__aenter__()
        return self

    async def __aexit__(self, exc_type, exc, tb) -> bool | None:
        return await self._lease.__aexit__(exc_type, exc, tb)


class MixerLease:
    def __init__(self, session: aiohttp.ClientSession, base_url: str, baker: str) -> None:
        self.session = session
        self.base_url = base_url
        self.baker = baker
        self.lease_id: str | None = None

    async def __aenter__(self) -> str:
        self.lease_id = await acquire_lease(self.session, self.base_url, "mixer", self.baker)
        return self.lease_id

    async def __aexit__(self, exc_type, exc, tb) -> None:
        await release_lease(self.session, self.base_url, self.lease_id)


def mixer_lease(session: aiohttp.ClientSession, base_url: str, baker: str) -> MixerLease:
    return MixerLease(session, base_url, baker)
