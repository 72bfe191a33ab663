"""Kata 16 — rate limits: the SMS provider accepts at most `rate` messages in any `per`
seconds. A rate limiter makes each sender wait its turn — with `await`, so the event
loop runs everything else meanwhile — and lets through as many as the limit allows.

Edit this file until `pytest katas/16_rate_limit` is green.
"""

import asyncio

import aiohttp


class RateLimiter:
    """At most `rate` acquisitions in any window of `per` seconds, shared by every
    caller that holds this limiter."""

    def __init__(self, rate: int, per: float) -> None:
        self.rate = rate
        self.per = per
        # TODO: the state your limiter needs (e.g. when the recent requests started).

    async def acquire(self) -> None:
        """Return when one more request may start; wait (awaiting, never blocking) until then."""
        # TODO
        raise NotImplementedError


async def send_reminder(session: aiohttp.ClientSession, sms_url: str, phone: str) -> dict:
    """Send one SMS: POST {sms_url}/sms/{phone}. Returns the provider's receipt.

    This one is done for you.
    """
    async with session.post(f"{sms_url}/sms/{phone}") as response:
        response.raise_for_status()
        return await response.json()


async def send_reminders(sms_url: str, phones: list[str], limiter: RateLimiter) -> list[dict]:
    """Send a reminder to every phone, all concurrently, each one starting only after
    `await limiter.acquire()`. Returns the receipts in the order of `phones`."""
    async with aiohttp.ClientSession() as session:
        # TODO
        raise NotImplementedError
