"""Mistake: a synchronous HTTP client (urllib) inside a coroutine blocks the loop."""

import asyncio
import json
import urllib.request

MISTAKE = ("the event loop was blocked by socket.socket.connect", "wrong_sync_http.py:{line}")


async def fetch_dish(session: object, kitchen_url: str, dish: str) -> dict:
    with urllib.request.urlopen(f"{kitchen_url}/dishes/{dish}") as response:  # <- mistake
        return json.load(response)


async def make_breakfast(kitchen_url: str, menu: list[str]) -> list[dict]:
    return await asyncio.gather(*(fetch_dish(None, kitchen_url, dish) for dish in menu))
