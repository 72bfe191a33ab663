"""Accepted: each task handles its own quote the moment it arrives, in a TaskGroup; the
task that brings the k-th quote cancels its siblings."""

import asyncio
from collections.abc import Callable

import aiohttp


async def fetch_quote(session: aiohttp.ClientSession, quotes_url: str, carrier: str) -> dict:
    async with session.get(f"{quotes_url}/quotes/{carrier}") as response:
        response.raise_for_status()
        return await response.json()


async def show_quotes_as_they_arrive(
    session: aiohttp.ClientSession, quotes_url: str, carriers: list[str], show: Callable[[dict], None]
) -> None:
    async def ask_and_show(carrier: str) -> None:
        show(await fetch_quote(session, quotes_url, carrier))

    async with asyncio.TaskGroup() as group:
        for carrier in carriers:
            group.create_task(ask_and_show(carrier))


async def first_quotes(
    session: aiohttp.ClientSession, quotes_url: str, carriers: list[str], k: int
) -> list[dict]:
    quotes: list[dict] = []
    tasks: list[asyncio.Task] = []

    async def ask(carrier: str) -> None:
        quotes.append(await fetch_quote(session, quotes_url, carrier))
        if len(quotes) == k:
            for task in tasks:
                if task is not asyncio.current_task():
                    task.cancel()

    async with asyncio.TaskGroup() as group:
        tasks += [group.create_task(ask(carrier)) for carrier in carriers]
    return quotes[:k]
