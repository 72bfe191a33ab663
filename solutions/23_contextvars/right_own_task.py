"""Accepted: each request runs in a task of its own, so what it sets stays in that
task's context (no reset needed); gather for the two steps; the invoice in
run_in_executor, through contextvars.copy_context().run."""

import asyncio
import contextvars
import functools
import logging
import time

import aiohttp

log = logging.getLogger("katas.orders")

request_id = contextvars.ContextVar("request_id", default="-")


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
    return await asyncio.create_task(_handle(session, shop_url, rid, order))


async def _handle(session: aiohttp.ClientSession, shop_url: str, rid: str, order: dict) -> dict:
    request_id.set(rid)  # in this task's own context: the caller's is untouched
    log.info("order %s: received", order["id"])
    in_stock, payment = await asyncio.gather(
        check_stock(session, shop_url, order), reserve_payment(session, shop_url, order)
    )
    loop = asyncio.get_running_loop()
    context = contextvars.copy_context()
    invoice = await loop.run_in_executor(None, functools.partial(context.run, render_invoice, order))
    log.info("order %s: done", order["id"])
    return {"order": order["id"], "in_stock": in_stock, "payment": payment, "invoice": invoice}
