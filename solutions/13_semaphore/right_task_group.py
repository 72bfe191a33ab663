"""Accepted: a TaskGroup, and the semaphore taken by hand with the release in finally."""

import asyncio

import aiohttp


async def fetch_invoice(session: aiohttp.ClientSession, billing_url: str, invoice_id: int) -> dict:
    async with session.get(f"{billing_url}/invoices/{invoice_id}") as response:
        response.raise_for_status()
        return await response.json()


async def fetch_invoices(billing_url: str, invoice_ids: list[int], limit: int) -> dict[int, dict | None]:
    slots = asyncio.Semaphore(limit)
    invoices: dict[int, dict | None] = {}

    async def fetch_one(session: aiohttp.ClientSession, invoice_id: int) -> None:
        await slots.acquire()
        try:
            invoices[invoice_id] = await fetch_invoice(session, billing_url, invoice_id)
        except aiohttp.ClientResponseError:
            invoices[invoice_id] = None
        finally:
            slots.release()

    async with aiohttp.ClientSession() as session, asyncio.TaskGroup() as group:
        for invoice_id in invoice_ids:
            group.create_task(fetch_one(session, invoice_id))
    return invoices
