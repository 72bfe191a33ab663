"""Accepted: a leaky bucket (a token bucket that holds one token): requests leave evenly
spaced, one every per / rate seconds; each caller books the next free moment."""

import asyncio

import aiohttp


class RateLimiter:
    def __init__(self, rate: int, per: float) -> None:
        self.rate = rate
        self.per = per
        self._next_free = 0.0

    async def acquire(self) -> None:
        loop = asyncio.get_running_loop()
        mine = max(loop.time(), self._next_free)
        self._next_free = mine + self.per / self.rate  # booked before awaiting: no race
        await asyncio.sleep(mine - loop.time())


async def send_reminder(session: aiohttp.ClientSession, sms_url: str, phone: str) -> dict:
    async with session.post(f"{sms_url}/sms/{phone}") as response:
        response.raise_for_status()
        return await response.json()


async def send_reminders(sms_url: str, phones: list[str], limiter: RateLimiter) -> list[dict]:
    async def send_one(session: aiohttp.ClientSession, phone: str) -> dict:
        await limiter.acquire()
        return await send_reminder(session, sms_url, phone)

    async with aiohttp.ClientSession() as session, asyncio.TaskGroup() as group:
        tasks = [group.create_task(send_one(session, phone)) for phone in phones]
    return [task.result() for task in tasks]
