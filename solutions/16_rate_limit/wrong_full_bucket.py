"""Mistake: a token bucket that starts full (rate tokens) and refills continuously: the
burst of a full bucket plus the tokens refilled meanwhile lets up to 2 x rate - 1
through in one window."""

import asyncio

import aiohttp

MISTAKE = ("messages were let go within", "the provider allows 5 in any 0.2 s")


class RateLimiter:
    def __init__(self, rate: int, per: float) -> None:
        self.rate = rate
        self.per = per
        self._tokens = float(rate)  # <- mistake
        self._refilled: float | None = None
        self._turn = asyncio.Lock()

    async def acquire(self) -> None:
        async with self._turn:
            loop = asyncio.get_running_loop()
            while True:
                now = loop.time()
                if self._refilled is not None:
                    self._tokens = min(self.rate, self._tokens + (now - self._refilled) * self.rate / self.per)
                self._refilled = now
                if self._tokens >= 1:
                    self._tokens -= 1
                    return
                await asyncio.sleep((1 - self._tokens) * self.per / self.rate)


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

