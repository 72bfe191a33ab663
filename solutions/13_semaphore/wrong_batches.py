"""Mistake: gathering the invoices in batches of `limit`: each batch waits for its
slowest invoice while the other slots sit idle."""

import asyncio

import aiohttp

MISTAKE = "the free slots waited for it"


async def fetch_invoice(session: aiohttp.ClientSession, billing_url: str, invoice_id: int) -> dict:
    async with session.get(f"{billing_url}/invoices/{invoice_id}") as response:
        response.raise_for_status()
        return await response.json()


async def fetch_invoices(billing_url: str, invoice_ids: list[int], limit: int) -> dict[int, dict | None]:
    async def fetch_one(session: aiohttp.ClientSession, invoice_id: int) -> dict | None:
        try:
            return await fetch_invoice(session, billing_url, invoice_id)
        except aiohttp.ClientResponseError:
            return None

    invoices: dict[int, dict | None] = {}
    async with aiohttp.ClientSession() as session:
        for start in range(0, len(invoice_ids), limit):
            batch = invoice_ids[start : start + limit]
            results = await asyncio.gather(*(fetch_one(session, i) for i in batch))  # <- mistake
            invoices.update(zip(batch, results))
    return invoices
