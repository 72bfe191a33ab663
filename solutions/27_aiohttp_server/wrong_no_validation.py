"""Mistake: trusting the body: a missing field or a wrong type raises in the handler,
and the client gets a 500."""

import asyncio
import json
import time
from collections.abc import AsyncIterator

import aiohttp
from aiohttp import web

MISTAKE = 'answered 500 Internal Server Error: your handler raised'

MAX_ORDER_BYTES = 16 * 1024
RECEIPT_SECONDS = 0.02

STOCK_URL = web.AppKey("stock_url", str)
STOCK = web.AppKey("stock", aiohttp.ClientSession)
ORDERS = web.AppKey("orders", dict)


def render_receipt(order: dict) -> str:
    time.sleep(RECEIPT_SECONDS)
    return f"Receipt #{order['id']}: {order['quantity']} x {order['item']}"


def error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


async def fetch_stock(session: aiohttp.ClientSession, stock_url: str, item: str) -> int:
    async with session.get(f"{stock_url}/stock/{item}") as response:
        response.raise_for_status()
        return (await response.json())["available"]


async def get_order(request: web.Request) -> web.Response:
    order_id = int(request.match_info["order_id"])
    order = request.app[ORDERS].get(order_id)
    if order is None:
        return error(404, f"no order {order_id}")
    return web.json_response(order)


async def stock_session(app: web.Application) -> AsyncIterator[None]:
    async with aiohttp.ClientSession() as session:
        app[STOCK] = session
        yield


async def create_order(request: web.Request) -> web.Response:
    try:
        order = await request.json()
    except json.JSONDecodeError:
        return error(400, "the body is not valid JSON")
    item, quantity = order["item"], order["quantity"]  # <- mistake
    available = await fetch_stock(request.app[STOCK], request.app[STOCK_URL], item)
    if available < quantity:
        return error(409, f"only {available} {item} in stock")
    orders = request.app[ORDERS]
    order = {"id": len(orders) + 1, "item": item, "quantity": quantity}
    orders[order["id"]] = order
    order["receipt"] = await asyncio.to_thread(render_receipt, order)
    return web.json_response(order, status=201)


def create_app(stock_url: str) -> web.Application:
    app = web.Application(client_max_size=MAX_ORDER_BYTES)
    app[STOCK_URL] = stock_url
    app[ORDERS] = {}
    app.cleanup_ctx.append(stock_session)
    app.router.add_post("/orders", create_order)
    app.router.add_get("/orders/{order_id:\\d+}", get_order)
    return app
