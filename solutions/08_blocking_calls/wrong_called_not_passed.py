"""Mistake: `asyncio.to_thread(client.read_temperature(station))` calls the blocking
function on the loop first, and hands its result (not the function) to the thread."""

import asyncio
import json
import urllib.request

MISTAKE = (
    "the event loop was blocked by socket.socket.connect",
    "wrong_called_not_passed.py:{line} in read_station()",
    "(the function and its argument, not a call)",
)


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
    return await asyncio.to_thread(client.read_temperature(station))  # <- mistake


async def read_all_stations(client: LegacyWeatherClient, stations: list[str]) -> dict[str, float]:
    readings = await asyncio.gather(*(read_station(client, station) for station in stations))
    return dict(zip(stations, readings))
