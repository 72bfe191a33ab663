"""Accepted: the producer ends with one stop value (None) per worker; each worker returns
when it takes one, so gather() ends with every worker done. No join(), no cancel()."""

import asyncio
from collections.abc import AsyncIterator

import aiohttp


async def pack_order(session: aiohttp.ClientSession, warehouse_url: str, order_id: str) -> str:
    async with session.post(f"{warehouse_url}/pack/{order_id}") as response:
        response.raise_for_status()
        return (await response.json())["parcel"]


async def produce(incoming: AsyncIterator[str], queue: asyncio.Queue, workers: int = 0) -> None:
    async for order_id in incoming:
        await queue.put(order_id)
    for _ in range(workers):
        await queue.put(None)


async def work(
    session: aiohttp.ClientSession, warehouse_url: str, queue: asyncio.Queue, parcels: dict
) -> None:
    while (order_id := await queue.get()) is not None:
        try:
            parcels[order_id] = await pack_order(session, warehouse_url, order_id)
        except aiohttp.ClientResponseError:
            parcels[order_id] = None


async def pack_orders(
    warehouse_url: str, incoming: AsyncIterator[str], workers: int, queue_size: int
) -> dict[str, str | None]:
    queue: asyncio.Queue[str | None] = asyncio.Queue(maxsize=queue_size)
    parcels: dict[str, str | None] = {}
    async with aiohttp.ClientSession() as session:
        await asyncio.gather(
            produce(incoming, queue, workers),
            *(work(session, warehouse_url, queue, parcels) for _ in range(workers)),
        )
    return parcels
