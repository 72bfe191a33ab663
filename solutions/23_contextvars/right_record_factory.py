"""Accepted: a log record factory (instead of a filter) stamps every record with the
request id; a context manager sets the id and resets it; explicit tasks awaited in turn."""

import asyncio
import contextlib
import contextvars
import logging
import time
from collections.abc import Iterator

import aiohttp

log = logging.getLogger("katas.orders")

REQUEST_ID: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
_make_record = logging.getLogRecordFactory()


def _record_with_request_id(*args, **kwargs) -> logging.LogRecord:
    record = _make_record(*args, **kwargs)
    record.request_id = REQUEST_ID.get()
    return record


logging.setLogRecordFactory(_record_with_request_id)


@contextlib.contextmanager
def request(rid: str) -> Iterator[None]:
    token = REQUEST_ID.set(rid)
    try:
        yield
    finally:
        REQUEST_ID.reset(token)


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
    log.info("order %s: rendering the invoice", order["id"])
    time.sleep(0.02)
    return f"invoice-{order['id']}.pdf"


async def handle_order(session: aiohttp.ClientSession, shop_url: str, rid: str, order: dict) -> dict:
    with request(rid):
        log.info("order %s: received", order["id"])
        stock = asyncio.create_task(check_stock(session, shop_url, order))
        payment = asyncio.create_task(reserve_payment(session, shop_url, order))
        result = {"order": order["id"], "in_stock": await stock, "payment": await payment}
        result["invoice"] = await asyncio.to_thread(render_invoice, order)
        log.info("order %s: done", order["id"])
        return result
