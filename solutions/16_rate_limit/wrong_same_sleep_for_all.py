"""Mistake: every waiter sleeps the same interval at the same time, so they all wake
together and go at once."""

import asyncio

import aiohttp

MISTAKE = "7 messages were let go within"


class RateLimiter:
    def __init__(self, rate: int, per: float) -> None:
        self.rate = rate
        self.per = per

    async def acquire(self) -> None:
        await asyncio.sleep(self.per / self.rate)  # <- mistake


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

