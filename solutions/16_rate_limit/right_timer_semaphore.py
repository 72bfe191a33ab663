"""Accepted: a semaphore of `rate` slots, each slot given back `per` seconds after it
was taken (loop.call_later): any window of `per` seconds sees at most `rate` starts."""

import asyncio

import aiohttp


class RateLimiter:
    def __init__(self, rate: int, per: float) -> None:
        self.rate = rate
        self.per = per
        self._slots = asyncio.Semaphore(rate)

    async def acquire(self) -> None:
        await self._slots.acquire()
        asyncio.get_running_loop().call_later(self.per, self._slots.release)


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

