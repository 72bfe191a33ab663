"""Mistake: a semaphore of `rate` slots, each given back as soon as its request ends:
that limits the requests in flight, not the requests started per window."""

import asyncio

import aiohttp

MISTAKE = "7 messages were let go within"


class RateLimiter:
    def __init__(self, rate: int, per: float) -> None:
        self.rate = rate
        self.per = per
        self._slots = asyncio.Semaphore(rate)

    async def acquire(self) -> None:
        await self._slots.acquire()

    def release(self) -> None:
        self._slots.release()


async def send_reminder(session: aiohttp.ClientSession, sms_url: str, phone: str) -> dict:
    async with session.post(f"{sms_url}/sms/{phone}") as response:
        response.raise_for_status()
        return await response.json()


async def send_reminders(sms_url: str, phones: list[str], limiter: RateLimiter) -> list[dict]:
    async def send_one(session: aiohttp.ClientSession, phone: str) -> dict:
        await limiter.acquire()
        try:
            return await send_reminder(session, sms_url, phone)
        finally:
            limiter.release()  # <- mistake

    async with aiohttp.ClientSession() as session:
        return await asyncio.gather(*(send_one(session, phone) for phone in phones))
