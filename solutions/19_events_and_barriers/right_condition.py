"""Accepted: a task per shopper that counts itself in, the last one setting `ready`; the runners
wait on an asyncio.Condition (everyone warm, or the race called off) in a TaskGroup."""

import asyncio

import aiohttp


async def post(session: aiohttp.ClientSession, url: str) -> dict:
    async with session.post(url) as response:
        response.raise_for_status()
        return await response.json()


async def flash_sale(
    shop_url: str, shoppers: list[str], ready: asyncio.Event, doors: asyncio.Event
) -> list[dict]:
    signed_in = 0
    async with aiohttp.ClientSession() as session:

        async def shop(shopper: str) -> dict:
            nonlocal signed_in
            await post(session, f"{shop_url}/sign-in/{shopper}")
            signed_in += 1
            if signed_in == len(shoppers):
                ready.set()
            await doors.wait()
            return await post(session, f"{shop_url}/buy/{shopper}")

        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(shop(shopper)) for shopper in shoppers]
    return [task.result() for task in tasks]


class RaceCalledOff(Exception):
    pass


async def race(track_url: str, runners: list[str]) -> list[dict]:
    warm = 0
    called_off = False
    everyone = asyncio.Condition()
    async with aiohttp.ClientSession() as session:

        async def run(runner: str) -> dict:
            nonlocal warm, called_off
            try:
                await post(session, f"{track_url}/warm-up/{runner}")
            except Exception:
                async with everyone:
                    called_off = True
                    everyone.notify_all()
                raise
            async with everyone:
                warm += 1
                everyone.notify_all()
                await everyone.wait_for(lambda: warm == len(runners) or called_off)
            if called_off:
                raise RaceCalledOff(runner)
            return await post(session, f"{track_url}/sprint/{runner}")

        async with asyncio.TaskGroup() as group:
            tasks = [group.create_task(run(runner)) for runner in runners]
    return [task.result() for task in tasks]
