"""Mistake: a queue without a maxsize: the producer takes every order at once, however
far behind the workers are."""

import asyncio
from collections.abc import AsyncIterator

import aiohttp

MISTAKE = "orders more than the warehouse had finished"


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
    queue: asyncio.Queue[str] = asyncio.Queue()  # <- mistake
    parcels: dict[str, str | None] = {}
    async with aiohttp.ClientSession() as session:
        packers = [asyncio.create_task(work(session, warehouse_url, queue, parcels)) for _ in range(workers)]
        await produce(incoming, queue)
        await queue.join()
        for packer in packers:
            packer.cancel()
        await asyncio.gather(*packers, return_exceptions=True)
    return parcels
