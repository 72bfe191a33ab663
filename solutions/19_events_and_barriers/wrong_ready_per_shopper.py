"""Mistake: each shopper sets `ready` after its own sign-in: the first one sets it for all."""

import asyncio

import aiohttp

MISTAKE = "`ready` was set before"


async def post(session: aiohttp.ClientSession, url: str) -> dict:
    async with session.post(url) as response:
        response.raise_for_status()
        return await response.json()


async def flash_sale(
    shop_url: str, shoppers: list[str], ready: asyncio.Event, doors: asyncio.Event
) -> list[dict]:
    async with aiohttp.ClientSession() as session:

        async def shop(shopper: str) -> dict:
            await post(session, f"{shop_url}/sign-in/{shopper}")
            ready.set()  # <- mistake
            await doors.wait()
            return await post(session, f"{shop_url}/buy/{shopper}")

        return await asyncio.gather(*(shop(shopper) for shopper in shoppers))


async def race(track_url: str, runners: list[str]) -> list[dict]:
    start = asyncio.Barrier(len(runners))
    async with aiohttp.ClientSession() as session:

        async def run(runner: str) -> dict:
            try:
                await post(session, f"{track_url}/warm-up/{runner}")
            except BaseException:
                await start.abort()  # the others get BrokenBarrierError instead of waiting forever
                raise
            await start.wait()
            return await post(session, f"{track_url}/sprint/{runner}")

        return await asyncio.gather(*(run(runner) for runner in runners))
