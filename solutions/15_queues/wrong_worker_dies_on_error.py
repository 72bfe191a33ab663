"""Mistake: a worker without its own error handling: the first failed order ends the
worker for good, and join() waits for its task_done() for ever."""

import asyncio
from collections.abc import AsyncIterator

import aiohttp

MISTAKE = "each failed order ended its worker"


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
        parcels[order_id] = await pack_order(session, warehouse_url, order_id)  # <- mistake
        queue.task_done()


async def pack_orders(
    warehouse_url: str, incoming: AsyncIterator[str], workers: int, queue_size: int
) -> dict[str, str | None]:
    queue: asyncio.Queue[str] = asyncio.Queue(maxsize=queue_size)
    parcels: dict[str, str | None] = {}
    async with aiohttp.ClientSession() as session:
        packers = [asyncio.create_task(work(session, warehouse_url, queue, parcels)) for _ in range(workers)]
        await produce(incoming, queue)
        await queue.join()
        for packer in packers:
            packer.cancel()
        await asyncio.gather(*packers, return_exceptions=True)
    return parcels
