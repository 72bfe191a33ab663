"""Mistake: running the producer as a task and calling join() straight away: nothing is
on the queue yet, so join() returns at once, the workers are stopped, and the producer
then waits at put() for ever."""

import asyncio
from collections.abc import AsyncIterator

import aiohttp

MISTAKE = "the queue full and no worker taking orders off it"


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
    async with aiohttp.ClientSession() as session:
        packers = [asyncio.create_task(work(session, warehouse_url, queue, parcels)) for _ in range(workers)]
        producer = asyncio.create_task(produce(incoming, queue))
        await queue.join()  # <- mistake
        for packer in packers:
            packer.cancel()
        await producer
    return parcels
