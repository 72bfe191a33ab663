"""Kata 13 — reference solution."""

import asyncio

import aiohttp


async def fetch_invoice(session: aiohttp.ClientSession, billing_url: str, invoice_id: int) -> dict:
    async with session.get(f"{billing_url}/invoices/{invoice_id}") as response:
        response.raise_for_status()
        return await response.json()


async def fetch_invoices(billing_url: str, invoice_ids: list[int], limit: int) -> dict[int, dict | None]:
    slots = asyncio.Semaphore(limit)

    async def fetch_one(session: aiohttp.ClientSession, invoice_id: int) -> dict | None:
        async with slots:
            try:
                return await fetch_invoice(session, billing_url, invoice_id)
            except aiohttp.ClientResponseError:
                return None

    async with aiohttp.ClientSession() as session:
        invoices = await asyncio.gather(*(fetch_one(session, i) for i in invoice_ids))
    return dict(zip(invoice_ids, invoices))
