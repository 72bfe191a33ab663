"""Accepted: asyncio.to_thread for each station, started in a TaskGroup and keyed by
station as the tasks are made."""

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
    return await asyncio.to_thread(client.read_temperature, station)


async def read_all_stations(client: LegacyWeatherClient, stations: list[str]) -> dict[str, float]:
    async with asyncio.TaskGroup() as group:
        tasks = {s: group.create_task(read_station(client, s)) for s in stations}
    return {station: task.result() for station, task in tasks.items()}
