"""Mistake: the request id in a threading.local: every task of the loop runs on the
same thread, so requests running at once share it (and a worker thread has none)."""

import asyncio
import contextvars
import logging
import threading
import time

import aiohttp

log = logging.getLogger("katas.orders")

current = threading.local()

MISTAKE = "threading.local holds one value per thread"


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = getattr(current, "request_id", "-")
        return True


log.addFilter(RequestIdFilter())


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
    current.request_id = rid  # <- mistake
    try:
        log.info("order %s: received", order["id"])
        async with asyncio.TaskGroup() as group:
            in_stock = group.create_task(check_stock(session, shop_url, order))
            payment = group.create_task(reserve_payment(session, shop_url, order))
        invoice = await asyncio.to_thread(render_invoice, order)
        log.info("order %s: done", order["id"])
        return {
            "order": order["id"],
            "in_stock": in_stock.result(),
            "payment": payment.result(),
            "invoice": invoice,
        }
    finally:
        current.request_id = "-"
