"""Accepted: one `with ThreadPoolExecutor(max_workers=1)` per call, left only after its
job is awaited, so leaving the block joins a thread that has finished."""

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


async def read_station(client: LegacyWeatherClient, station: str) -> float:
    loop = asyncio.get_running_loop()
    with ThreadPoolExecutor(max_workers=1) as pool:
        return await loop.run_in_executor(pool, client.read_temperature, station)


async def read_all_stations(client: LegacyWeatherClient, stations: list[str]) -> dict[str, float]:
    readings = await asyncio.gather(*(read_station(client, station) for station in stations))
    return dict(zip(stations, readings))
