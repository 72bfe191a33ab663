"""Kata 19 — events and barriers: an `asyncio.Event` is a signal that many tasks can
wait for and one sets (the doors open, everyone is ready); an `asyncio.Barrier` holds
each task until all of them have arrived, then lets them all go at once.

Edit this file until `pytest katas/19_events_and_barriers` is green.
"""

import asyncio

import aiohttp


async def post(session: aiohttp.ClientSession, url: str) -> dict:
    """POST url and return the JSON answer. This one is done for you."""
    async with session.post(url) as response:
        response.raise_for_status()
        return await response.json()


async def flash_sale(
    shop_url: str, shoppers: list[str], ready: asyncio.Event, doors: asyncio.Event
) -> list[dict]:
    """Run a flash sale for `shoppers`.

    1. Sign every shopper in, all at once: post(session, f"{shop_url}/sign-in/{shopper}").
       Some take longer than others.
    2. Once every shopper is signed in (not before!), set `ready`: the doorman waits
       for it.
    3. Wait until the doorman sets `doors`. Nobody buys before that.
    4. Every shopper buys, all at once: post(session, f"{shop_url}/buy/{shopper}").

    Return the receipts (what each buy answered) in the order of `shoppers`.
    """
    async with aiohttp.ClientSession() as session:
        # TODO: sign in, signal ready, wait for the doors, buy.
        raise NotImplementedError


async def race(track_url: str, runners: list[str]) -> list[dict]:
    """Run a race: each runner warms up, then all of them sprint together.

    - Warming up takes each runner its own time:
      post(session, f"{track_url}/warm-up/{runner}").
    - Nobody sprints before every runner has warmed up; then all sprint at once:
      post(session, f"{track_url}/sprint/{runner}").
    - If a runner's warm-up fails, the race is called off: nobody sprints, no runner
      is left waiting, and race raises that runner's error (alone, or in an
      ExceptionGroup).

    Return the sprint results in the order of `runners`.
    """
    async with aiohttp.ClientSession() as session:
        # TODO: one task per runner: warm up, wait for the others (asyncio.Barrier), sprint.
        raise NotImplementedError
