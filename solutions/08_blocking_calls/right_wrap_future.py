"""Accepted: a thread pool of the module's own, its concurrent future made awaitable
with asyncio.wrap_future (the docs' bridge from concurrent.futures to asyncio)."""

import asyncio
import json
import urllib.request
from concurrent.futures import ThreadPoolExecutor


class LegacyWeatherClient:
    """A synchronous client from an old library. Provided: do not change it.

    Every call blocks the thread that makes it until the station answers.
    """

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url

    def read_temperature(self, station: str) -> float:
        """GET {base_url}/stations/{station} and return its temperature in °C."""
        with urllib.request.urlopen(f"{self.base_url}/stations/{station}", timeout=2) as reply:
            return json.load(reply)["celsius"]


POOL = ThreadPoolExecutor(max_workers=8, thread_name_prefix="weather")


async def read_station(client: LegacyWeatherClient, station: str) -> float:
    return await asyncio.wrap_future(POOL.submit(client.read_temperature, station))


async def read_all_stations(client: LegacyWeatherClient, stations: list[str]) -> dict[str, float]:
    readings = await asyncio.gather(*(read_station(client, station) for station in stations))
    return dict(zip(stations, readings))
