"""Mistake: awaiting each message before asking for the next slot: the limiter is right,
but one message at a time never reaches the allowed rate."""

import asyncio
from collections import deque

import aiohttp

MISTAKE = "were sent one at a time"


class RateLimiter:
    def __init__(self, rate: int, per: float) -> None:
        self.rate = rate
        self.per = per
        self._starts: deque[float] = deque(maxlen=rate)
        self._turn = asyncio.Lock()

    async def acquire(self) -> None:
        async with self._turn:
            loop = asyncio.get_running_loop()
            if len(self._starts) == self.rate and self._starts[0] + self.per > loop.time():
                await asyncio.sleep(self._starts[0] + self.per - loop.time())
            self._starts.append(loop.time())


async def send_reminder(session: aiohttp.ClientSession, sms_url: str, phone: str) -> dict:
    async with session.post(f"{sms_url}/sms/{phone}") as response:
        response.raise_for_status()
        return await response.json()


async def send_reminders(sms_url: str, phones: list[str], limiter: RateLimiter) -> list[dict]:
    receipts = []
    async with aiohttp.ClientSession() as session:
        for phone in phones:
            await limiter.acquire()
            receipts.append(await send_reminder(session, sms_url, phone))  # <- mistake
    return receipts
