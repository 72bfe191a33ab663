"""Mistake: starting every request at once ignores the service's limit."""

import asyncio

import aiohttp

MISTAKE = "40 requests were in flight at once; the billing service allows 5"


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

    async with aiohttp.ClientSession() as session:
        invoices = await asyncio.gather(*(fetch_one(session, i) for i in invoice_ids))  # <- mistake
    return dict(zip(invoice_ids, invoices))
