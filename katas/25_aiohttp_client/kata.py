"""Kata 25 — aiohttp client: one ClientSession serves many requests and reuses its TCP
connections; its connector caps how many run at once, its timeout gives up on a silent
server, and raise_for_status turns an error status into an exception.

Edit this file until `pytest katas/25_aiohttp_client` is green.
"""

import asyncio

import aiohttp


async def fetch_reading(session: aiohttp.ClientSession, telemetry_url: str, sensor: str) -> dict:
    """GET {telemetry_url}/sensors/{sensor} over `session` and return the JSON body.

    fetch_reading(session, url, "boiler") -> {"sensor": "boiler", "celsius": 61.5}
    """
    # TODO: one request with `async with session.get(...) as response:`, return its JSON.
    raise NotImplementedError


async def read_sensors(
    telemetry_url: str, sensors: list[str], *, limit: int, timeout: float
) -> dict[str, dict]:
    """Read every sensor at the same time, over ONE ClientSession, never more than
    `limit` requests at once; return {sensor: reading}.

    - A sensor that answers an error status (4xx, 5xx) raises
      aiohttp.ClientResponseError: its error body is never returned as a reading.
    - A request with no answer within `timeout` seconds raises TimeoutError.

    await read_sensors(url, ["boiler", "attic"], limit=8, timeout=1.0)
        -> {"boiler": {"sensor": "boiler", ...}, "attic": {"sensor": "attic", ...}}
    """
    # TODO: open one aiohttp.ClientSession for all the requests, configured with
    #       a connector that allows `limit` connections, a ClientTimeout and
    #       raise_for_status; fetch every sensor at once with fetch_reading.
    raise NotImplementedError
