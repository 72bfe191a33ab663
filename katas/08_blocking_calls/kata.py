"""Kata 08 — blocking calls: a synchronous library call stops the whole event loop
while it waits. Run it in a worker thread (`asyncio.to_thread`) so the loop stays free,
and run several such calls in threads at once.

Edit this file until `pytest katas/08_blocking_calls` is green.
"""

import asyncio
import json
import urllib.request


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
    """Read one station's temperature without blocking the event loop.

    await read_station(client, "oslo") -> 3.5
    """
    # TODO: run client.read_temperature(station) in a worker thread and await it.
    raise NotImplementedError


async def read_all_stations(client: LegacyWeatherClient, stations: list[str]) -> dict[str, float]:
    """Read every station at the same time, each call in its own worker thread.

    await read_all_stations(client, ["oslo", "lima"]) -> {"oslo": 3.5, "lima": 18.0}
    """
    # TODO: start one threaded read per station, await them together, key them by station.
    raise NotImplementedError
