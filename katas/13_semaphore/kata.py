"""Kata 13 — semaphores: bounded concurrency. The billing service serves at most a few
requests per customer at once; `asyncio.Semaphore(limit)` lets `limit` requests through
together and the next one in as soon as one of them is done, even when it failed.

Edit this file until `pytest katas/13_semaphore` is green.
"""

import asyncio

import aiohttp


async def fetch_invoice(session: aiohttp.ClientSession, billing_url: str, invoice_id: int) -> dict:
    """GET {billing_url}/invoices/{invoice_id} and return the invoice (JSON).

    Raises aiohttp.ClientResponseError when the billing service answers an error status.
    This one is done for you.
    """
    async with session.get(f"{billing_url}/invoices/{invoice_id}") as response:
        response.raise_for_status()
        return await response.json()


async def fetch_invoices(billing_url: str, invoice_ids: list[int], limit: int) -> dict[int, dict | None]:
    """Fetch every invoice with at most `limit` requests in flight at once.

    As soon as one request ends, successful or not, the next invoice starts. Returns
    {invoice_id: invoice} for every id, with None for an invoice the service failed on:

    fetch_invoices(url, [7, 8], limit=5) -> {7: {"id": 7, ...}, 8: None}
    """
    async with aiohttp.ClientSession() as session:
        # TODO: share one asyncio.Semaphore(limit) among the requests, and turn an
        # invoice that fails (aiohttp.ClientResponseError) into None.
        raise NotImplementedError
