"""Mistake: no `try: ... finally:` around `yield`: the release only runs when the block succeeds."""

import contextlib
from collections.abc import AsyncIterator

import aiohttp

MISTAKE = ("the lease was never released after an error", "the error is raised in mixer_lease at its `yield`", "wrong_release_only_on_success.py:{line} in mixer_lease()")


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
        await release_lease(self.session, self.base_url, self.lease_id)


@contextlib.asynccontextmanager
async def mixer_lease(
    session: aiohttp.ClientSession, base_url: str, baker: str
) -> AsyncIterator[str]:
    lease_id = await acquire_lease(session, base_url, "mixer", baker)
    yield lease_id  # <- mistake
    await release_lease(session, base_url, lease_id)
