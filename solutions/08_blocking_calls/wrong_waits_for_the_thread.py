"""Mistake: handing the call to a thread pool, then blocking the loop to wait for it."""

import asyncio
import json
import urllib.request

from concurrent.futures import ThreadPoolExecutor

MISTAKE = ("the event loop was blocked by concurrent.futures.Future.result", "wrong_waits_for_the_thread.py:{line}")

POOL = ThreadPoolExecutor(max_workers=8)


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
    return POOL.submit(client.read_temperature, station).result()  # <- mistake


async def read_all_stations(client: LegacyWeatherClient, stations: list[str]) -> dict[str, float]:
    readings = await asyncio.gather(*(read_station(client, station) for station in stations))
    return dict(zip(stations, readings))
