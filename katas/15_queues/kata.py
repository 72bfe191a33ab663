"""Kata 15 — queues: a producer puts orders on an `asyncio.Queue`, a fixed number of
workers take them off and pack them. A queue with a `maxsize` makes the producer wait
while the workers are behind; `join()` waits until every order is done; then the
workers are stopped, so nothing is left running.

Edit this file until `pytest katas/15_queues` is green.
"""

import asyncio
from collections.abc import AsyncIterator

import aiohttp


async def pack_order(session: aiohttp.ClientSession, warehouse_url: str, order_id: str) -> str:
    """Ask the warehouse to pack one order: POST {warehouse_url}/pack/{order_id}.

    Returns the parcel id. Raises aiohttp.ClientResponseError when the warehouse answers
    an error status. This one is done for you.
    """
    async with session.post(f"{warehouse_url}/pack/{order_id}") as response:
        response.raise_for_status()
        return (await response.json())["parcel"]


async def produce(incoming: AsyncIterator[str], queue: asyncio.Queue) -> None:
    """Put every order id from `incoming` on the queue, in order.

    When the queue is full, wait for room before taking the next order.
    """
    # TODO
    raise NotImplementedError


async def work(
    session: aiohttp.ClientSession, warehouse_url: str, queue: asyncio.Queue, parcels: dict
) -> None:
    """Forever: take an order off the queue, pack it, note parcels[order_id] (None if the
    warehouse failed on it), and mark the order done on the queue. One failed order
    must not end the worker.
    """
    # TODO
    raise NotImplementedError


async def pack_orders(
    warehouse_url: str, incoming: AsyncIterator[str], workers: int, queue_size: int
) -> dict[str, str | None]:
    """Pack every order from `incoming` with `workers` workers fed by one
    asyncio.Queue(maxsize=queue_size). Return {order_id: parcel id, or None if the
    warehouse failed on it}, once every order is done and no worker is left running.
    """
    async with aiohttp.ClientSession() as session:
        # TODO: make the queue, start the workers, produce, wait until every order is
        # done (queue.join()), then stop the workers.
        raise NotImplementedError
