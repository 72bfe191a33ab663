"""Mistake: each runner sprints as soon as it is warm: nobody waits for the others."""

import asyncio

import aiohttp

MISTAKE = "was still warming up"


async def post(session: aiohttp.ClientSession, url: str) -> dict:
    async with session.post(url) as response:
        response.raise_for_status()
        return await response.json()


async def flash_sale(
    shop_url: str, shoppers: list[str], ready: asyncio.Event, doors: asyncio.Event
) -> list[dict]:
    async with aiohttp.ClientSession() as session:
        await asyncio.gather(*(post(session, f"{shop_url}/sign-in/{s}") for s in shoppers))
        ready.set()
        await doors.wait()
        return await asyncio.gather(*(post(session, f"{shop_url}/buy/{s}") for s in shoppers))


async def race(track_url: str, runners: list[str]) -> list[dict]:
    async with aiohttp.ClientSession() as session:

        async def run(runner: str) -> dict:
            await post(session, f"{track_url}/warm-up/{runner}")
            return await post(session, f"{track_url}/sprint/{runner}")  # <- mistake

        return await asyncio.gather(*(run(runner) for runner in runners))
