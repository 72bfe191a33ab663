"""Mistake: each threaded call is awaited before the next one starts."""

import asyncio
import json
import urllib.request

MISTAKE = "ran one at a time"


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
    return {station: await read_station(client, station) for station in stations}  # <- mistake
