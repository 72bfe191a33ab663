"""Mistake: waiting by checking the clock in a loop: nothing else runs until the time
comes, not even the requests already sent."""

import asyncio
import time

import aiohttp

MISTAKE = ("while the limiter waited", "wrong_spin_wait.py:{line}")


class RateLimiter:
    def __init__(self, rate: int, per: float) -> None:
        self.rate = rate
        self.per = per
        self._starts: list[float] = []

    async def acquire(self) -> None:
        while len(self._starts) >= self.rate and time.monotonic() - self._starts[-self.rate] < self.per:  # <- mistake
            pass
        self._starts.append(time.monotonic())


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

