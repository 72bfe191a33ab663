"""Mistake: time.sleep in the limiter: the wait stops the whole event loop."""

import asyncio
import time

import aiohttp

MISTAKE = ("the event loop was blocked by time.sleep", "wrong_time_sleep.py:{line}")


class RateLimiter:
    def __init__(self, rate: int, per: float) -> None:
        self.rate = rate
        self.per = per
        self._next = 0.0

    async def acquire(self) -> None:
        now = time.monotonic()
        wait = max(0.0, self._next - now)
        self._next = max(now, self._next) + self.per / self.rate
        time.sleep(wait)  # <- mistake


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

