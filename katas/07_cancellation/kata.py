"""Kata 07 — cancellation: `task.cancel()` raises CancelledError inside the task at its
current `await`; clean up in `finally:`, let the cancellation out, and protect work
that must finish with `asyncio.shield`.

Edit this file until `pytest katas/07_cancellation` is green.
"""

import asyncio

import aiohttp


async def read_sensor(session: aiohttp.ClientSession, base_url: str) -> float:
    """Read the temperature once: GET {base_url}/reading -> {"celsius": 21.5}.

    This one is done for you.
    """
    async with session.get(f"{base_url}/reading") as response:
        response.raise_for_status()
        return (await response.json())["celsius"]


async def flush_batch(session: aiohttp.ClientSession, base_url: str, batch: list[float]) -> None:
    """Store a batch of readings: POST {base_url}/batches with {"readings": [...]}.

    This one is done for you.
    """
    async with session.post(f"{base_url}/batches", json={"readings": batch}) as response:
        response.raise_for_status()


async def poll_sensor(base_url: str, interval: float = 0.02) -> None:
    """Read the sensor every `interval` seconds, collecting the readings in a batch,
    until the task running this coroutine is cancelled. When it is cancelled, flush
    the batch with `flush_batch`, then stay cancelled.

        task = asyncio.create_task(poll_sensor(url))  # reads 20.0, 20.5, 21.0, ...
        task.cancel()  # then: POST /batches {"readings": [20.0, 20.5, 21.0]}
        await task     # raises CancelledError
    """
    async with aiohttp.ClientSession() as session:
        batch: list[float] = []
        # TODO: loop forever: read the sensor into the batch, then sleep `interval`.
        # TODO: however the loop ends (a cancellation!), flush the batch.
        raise NotImplementedError


async def capture_payment(base_url: str, order_id: str) -> dict:
    """Charge the order: POST {base_url}/payments with {"order": order_id}; return the receipt.

    It opens its own session, so it can outlive its caller. This one is done for you.
    """
    async with aiohttp.ClientSession() as session:
        async with session.post(f"{base_url}/payments", json={"order": order_id}) as response:
            response.raise_for_status()
            return await response.json()


async def checkout(base_url: str, order_id: str) -> dict:
    """Capture the payment for the order and return the receipt.

    The shopper may close the tab (the checkout task is cancelled) while the payment
    is in flight. The payment must still finish, and checkout itself still ends
    cancelled.

        await checkout(url, "order-7") -> {"order": "order-7", "status": "captured"}
    """
    # TODO: capture the payment so that cancelling checkout does not cancel the payment.
    raise NotImplementedError
