"""Mistake: task_done() only after a successful order: join() counts the failed ones as
never done and waits for ever."""

import asyncio
from collections.abc import AsyncIterator

import aiohttp

MISTAKE = "queue.join() waits until task_done() has been called once for every order"


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
            queue.task_done()  # <- mistake
        except aiohttp.ClientResponseError:
            parcels[order_id] = None


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
