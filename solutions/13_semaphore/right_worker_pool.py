"""Accepted: a fixed pool of `limit` worker tasks taking invoice ids from a queue."""

import asyncio

import aiohttp


async def fetch_invoice(session: aiohttp.ClientSession, billing_url: str, invoice_id: int) -> dict:
    async with session.get(f"{billing_url}/invoices/{invoice_id}") as response:
        response.raise_for_status()
        return await response.json()


async def fetch_invoices(billing_url: str, invoice_ids: list[int], limit: int) -> dict[int, dict | None]:
    todo: asyncio.Queue[int] = asyncio.Queue()
    for invoice_id in invoice_ids:
        todo.put_nowait(invoice_id)
    invoices: dict[int, dict | None] = {}

    async def worker(session: aiohttp.ClientSession) -> None:
        while not todo.empty():
            invoice_id = todo.get_nowait()
            try:
                invoices[invoice_id] = await fetch_invoice(session, billing_url, invoice_id)
            except aiohttp.ClientResponseError:
                invoices[invoice_id] = None

    async with aiohttp.ClientSession() as session:
        await asyncio.gather(*(worker(session) for _ in range(limit)))
    return {invoice_id: invoices[invoice_id] for invoice_id in invoice_ids}
