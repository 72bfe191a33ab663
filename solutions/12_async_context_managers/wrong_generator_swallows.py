"""Mistake: `except Exception:` around the `yield` that handles the error (here: a log
line) and does not raise it again: the generator swallows the block's error."""

import contextlib
import logging
from collections.abc import AsyncIterator

import aiohttp

MISTAKE = (
    "the error inside the block disappeared",
    "mixer_lease caught it at its `yield` and did not raise it again",
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
        await release_lease(self.session, self.base_url, self.lease_id)


@contextlib.asynccontextmanager
async def mixer_lease(
    session: aiohttp.ClientSession, base_url: str, baker: str
) -> AsyncIterator[str]:
    lease_id = await acquire_lease(session, base_url, "mixer", baker)
    try:
        yield lease_id
    except Exception:  # <- mistake: handled here, and never raised again
        logging.getLogger("bakery").warning("the mixer's work failed")
    finally:
        await release_lease(session, base_url, lease_id)
