"""Mistake: the jobs are started inside the executor's `with` block but awaited after
it: leaving the block waits for the running threads, on the event loop."""

import asyncio
import json
import urllib.request
from concurrent.futures import ThreadPoolExecutor

MISTAKE = ("leaving an executor's `with` block while its jobs still run",)


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
    return await asyncio.to_thread(client.read_temperature, station)


async def read_all_stations(client: LegacyWeatherClient, stations: list[str]) -> dict[str, float]:
    loop = asyncio.get_running_loop()
    with ThreadPoolExecutor(max_workers=len(stations)) as pool:
        jobs = [loop.run_in_executor(pool, client.read_temperature, s) for s in stations]
    temps = await asyncio.gather(*jobs)  # <- mistake
    return dict(zip(stations, temps))
