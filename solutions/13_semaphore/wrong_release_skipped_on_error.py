"""Mistake: acquire() and release() by hand, with the release skipped when the request
raises: every failed invoice keeps its slot for good."""

import asyncio

import aiohttp

MISTAKE = "each failed invoice kept its slot for good"


async def fetch_invoice(session: aiohttp.ClientSession, billing_url: str, invoice_id: int) -> dict:
    async with session.get(f"{billing_url}/invoices/{invoice_id}") as response:
        response.raise_for_status()
        return await response.json()


async def fetch_invoices(billing_url: str, invoice_ids: list[int], limit: int) -> dict[int, dict | None]:
    slots = asyncio.Semaphore(limit)

    async def fetch_one(session: aiohttp.ClientSession, invoice_id: int) -> dict | None:
        try:
            await slots.acquire()
            invoice = await fetch_invoice(session, billing_url, invoice_id)
            slots.release()  # <- mistake
            return invoice
        except aiohttp.ClientResponseError:
            return None

    async with aiohttp.ClientSession() as session:
        invoices = await asyncio.gather(*(fetch_one(session, i) for i in invoice_ids))
    return dict(zip(invoice_ids, invoices))
