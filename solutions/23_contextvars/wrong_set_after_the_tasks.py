"""Mistake: the id is set after the tasks are started: each task took its copy of the
context when it was created, without the id."""

import asyncio
import contextvars
import logging
import time

import aiohttp

log = logging.getLogger("katas.orders")

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")

MISTAKE = "a task takes a copy of the context when it is created"


class RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id.get()
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
    in_stock = asyncio.create_task(check_stock(session, shop_url, order))
    payment = asyncio.create_task(reserve_payment(session, shop_url, order))
    token = request_id.set(rid)  # <- mistake
    try:
        log.info("order %s: received", order["id"])
        await asyncio.gather(in_stock, payment)
        invoice = await asyncio.to_thread(render_invoice, order)
        log.info("order %s: done", order["id"])
        return {
            "order": order["id"],
            "in_stock": in_stock.result(),
            "payment": payment.result(),
            "invoice": invoice,
        }
    finally:
        request_id.reset(token)
