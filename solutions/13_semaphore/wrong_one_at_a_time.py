"""Mistake: awaiting each request in a loop inside the semaphore: the limit is never
reached, the requests run one at a time."""

import asyncio

import aiohttp

MISTAKE = "your 40 requests ran one at a time; the billing service allows 5 at once"


async def fetch_invoice(session: aiohttp.ClientSession, billing_url: str, invoice_id: int) -> dict:
    async with session.get(f"{billing_url}/invoices/{invoice_id}") as response:
        response.raise_for_status()
        return await response.json()


async def fetch_invoices(billing_url: str, invoice_ids: list[int], limit: int) -> dict[int, dict | None]:
    slots = asyncio.Semaphore(limit)
    invoices: dict[int, dict | None] = {}
    async with aiohttp.ClientSession() as session:
        for invoice_id in invoice_ids:
            async with slots:
                try:
                    invoices[invoice_id] = await fetch_invoice(session, billing_url, invoice_id)  # <- mistake
                except aiohttp.ClientResponseError:
                    invoices[invoice_id] = None
    return invoices
