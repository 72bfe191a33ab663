"""Mistake: read_station returns loop.run_in_executor's future without awaiting it."""

import asyncio
import json
import urllib.request

MISTAKE = ("`read_station` returned a Future", "awaitables nobody awaited")


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
    return loop.run_in_executor(None, client.read_temperature, station)  # <- mistake


async def read_all_stations(client: LegacyWeatherClient, stations: list[str]) -> dict[str, float]:
    readings = await asyncio.gather(*(read_station(client, station) for station in stations))
    return dict(zip(stations, readings))
