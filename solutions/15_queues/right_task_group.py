"""Accepted: producer and workers in one TaskGroup; after join(), the workers are
cancelled inside the group, which waits for them to finish."""

import asyncio
from collections.abc import AsyncIterator

import aiohttp


async def pack_order(session: aiohttp.ClientSession, warehouse_url: str, order_id: str) -> str:
    async with session.post(f"{warehouse_url}/pack/{order_id}") as response:
        response.raise_for_status()
        return (await response.json())["parcel"]


async def produce(incoming: AsyncIterator[str], queue: asyncio.Queue) -> None:
    async for order_id in incoming:
        await queue.put(order_id)


async def work(
    session: aiohttp.ClientSession, warehouse_url: str, queue: asyncio.Queue, parcels: dict
) -> None:
    while True:
        order_id = await queue.get()
        try:
            parcels[order_id] = await pack_order(session, warehouse_url, order_id)
        except aiohttp.ClientResponseError:
            parcels[order_id] = None
        finally:
            queue.task_done()


async def pack_orders(
    warehouse_url: str, incoming: AsyncIterator[str], workers: int, queue_size: int
) -> dict[str, str | None]:
    queue: asyncio.Queue[str] = asyncio.Queue(maxsize=queue_size)
    parcels: dict[str, str | None] = {}
    async with aiohttp.ClientSession() as session, asyncio.TaskGroup() as group:
        packers = [group.create_task(work(session, warehouse_url, queue, parcels)) for _ in range(workers)]
        await group.create_task(produce(incoming, queue))
        await queue.join()
        for packer in packers:
            packer.cancel()
    return parcels
