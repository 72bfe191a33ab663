"""Kata 16 — reference solution: a log of the last `rate` start times (a sliding window)."""

import asyncio
from collections import deque

import aiohttp


class RateLimiter:
    def __init__(self, rate: int, per: float) -> None:
        self.rate = rate
        self.per = per
        self._starts: deque[float] = deque(maxlen=rate)  # the last `rate` start times
        self._turn = asyncio.Lock()  # waiters go one at a time, first come first served

    async def acquire(self) -> None:
        async with self._turn:
            loop = asyncio.get_running_loop()
            if len(self._starts) == self.rate:
                free_at = self._starts[0] + self.per  # the oldest start leaves the window
                if free_at > loop.time():
                    await asyncio.sleep(free_at - loop.time())
            self._starts.append(loop.time())


async def send_reminder(session: aiohttp.ClientSession, sms_url: str, phone: str) -> dict:
    async with session.post(f"{sms_url}/sms/{phone}") as response:
        response.raise_for_status()
        return await response.json()


async def send_reminders(sms_url: str, phones: list[str], limiter: RateLimiter) -> list[dict]:
    async def send_one(session: aiohttp.ClientSession, phone: str) -> dict:
        await limiter.acquire()
        return await send_reminder(session, sms_url, phone)

    async with aiohttp.ClientSession() as session:
        return await asyncio.gather(*(send_one(session, phone) for phone in phones))
