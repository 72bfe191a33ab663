"""Kata 23 — contextvars: a request id that follows the work. A `ContextVar` set at the
start of a request is seen by everything that request runs — the tasks it starts, and
the worker threads of `asyncio.to_thread` — and by nothing of the requests running
beside it. A global variable is shared by all of them at once.

Edit this file until `pytest katas/23_contextvars` is green.
"""

import asyncio
import contextvars
import logging
import time

import aiohttp

log = logging.getLogger("katas.orders")

# TODO: request_id = a contextvars.ContextVar named "request_id", whose default is "-"
# (the id of "no request").


class RequestIdFilter(logging.Filter):
    """Stamps every record logged through `log` with the current request's id."""

    def filter(self, record: logging.LogRecord) -> bool:
        # TODO: record.request_id = the current request's id; return True (keep the record).
        raise NotImplementedError


log.addFilter(RequestIdFilter())


# --- the steps of an order: done for you -------------------------------------------------
async def check_stock(session: aiohttp.ClientSession, shop_url: str, order: dict) -> bool:
    log.info("order %s: checking stock of %s", order["id"], order["sku"])
    async with session.get(f"{shop_url}/stock/{order['sku']}") as response:
        response.raise_for_status()
        in_stock = (await response.json())["in_stock"]
    log.info("order %s: %s in stock", order["id"], in_stock)
    return in_stock > 0


async def reserve_payment(session: aiohttp.ClientSession, shop_url: str, order: dict) -> str:
    log.info("order %s: reserving %s cents", order["id"], order["cents"])
    payment = {"order": order["id"], "cents": order["cents"]}
    async with session.post(f"{shop_url}/payments", json=payment) as response:
        response.raise_for_status()
        reserved = (await response.json())["payment"]
    log.info("order %s: payment %s reserved", order["id"], reserved)
    return reserved


def render_invoice(order: dict) -> str:
    """Legacy and blocking (it renders a PDF): run it in a worker thread."""
    log.info("order %s: rendering the invoice", order["id"])
    time.sleep(0.02)
    return f"invoice-{order['id']}.pdf"


# --- your part ----------------------------------------------------------------------------
async def handle_order(session: aiohttp.ClientSession, shop_url: str, rid: str, order: dict) -> dict:
    """Handle the request `rid` for one order.

    1. log.info("order %s: received", order["id"])
    2. check_stock and reserve_payment AT THE SAME TIME (two tasks);
    3. render_invoice(order) in a worker thread (asyncio.to_thread);
    4. log.info("order %s: done", order["id"]) and return
       {"order": order["id"], "in_stock": ..., "payment": ..., "invoice": ...}.

    Every line logged while handling it — here, in those tasks, in that thread — must
    carry `rid` as record.request_id, even when other requests run at the same time.
    When handle_order returns, the caller's request id is what it was before.
    """
    # TODO: set request_id for this request (and put it back at the end), then the steps.
    raise NotImplementedError
