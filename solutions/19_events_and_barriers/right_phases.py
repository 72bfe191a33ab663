"""Accepted: each step as its own TaskGroup — sign-ins, then buys; warm-ups, then sprints — so
the end of one group is the signal for the next (no Barrier needed when one function drives all)."""

import asyncio

import aiohttp


async def post(session: aiohttp.ClientSession, url: str) -> dict:
    async with session.post(url) as response:
        response.raise_for_status()
        return await response.json()


async def flash_sale(
    shop_url: str, shoppers: list[str], ready: asyncio.Event, doors: asyncio.Event
) -> list[dict]:
    async with aiohttp.ClientSession() as session:
        async with asyncio.TaskGroup() as signing_in:
            for shopper in shoppers:
                signing_in.create_task(post(session, f"{shop_url}/sign-in/{shopper}"))
        ready.set()
        await doors.wait()
        async with asyncio.TaskGroup() as buying:
            buys = [buying.create_task(post(session, f"{shop_url}/buy/{s}")) for s in shoppers]
        return [buy.result() for buy in buys]


async def race(track_url: str, runners: list[str]) -> list[dict]:
    async with aiohttp.ClientSession() as session:
        async with asyncio.TaskGroup() as warming_up:
            for runner in runners:
                warming_up.create_task(post(session, f"{track_url}/warm-up/{runner}"))
        async with asyncio.TaskGroup() as sprinting:
            sprints = [
                sprinting.create_task(post(session, f"{track_url}/sprint/{r}")) for r in runners
            ]
        return [sprint.result() for sprint in sprints]
