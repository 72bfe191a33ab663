"""Accepted: the docs' loop.run_in_executor idiom, one pool for the batch in a `with`
block that ends after every job is awaited, and logging from the coroutines."""

import asyncio
import json
import urllib.request
import logging
from concurrent.futures import ThreadPoolExecutor

log = logging.getLogger(__name__)


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
    celsius = await loop.run_in_executor(None, client.read_temperature, station)
    log.warning("station %s reads %.1f °C", station, celsius)
    return celsius


async def read_all_stations(client: LegacyWeatherClient, stations: list[str]) -> dict[str, float]:
    loop = asyncio.get_running_loop()
    log.warning("reading %d stations", len(stations))
    with ThreadPoolExecutor(max_workers=len(stations)) as pool:
        temps = await asyncio.gather(
            *(loop.run_in_executor(pool, client.read_temperature, s) for s in stations)
        )
    return dict(zip(stations, temps))
