"""Accepted: a class-based web.View, the order checked with `match` (a bool excluded by
a guard), an asyncio.Lock held only around taking the id and storing the order (no
await inside), and a cleanup context that closes the session in `finally`."""

import asyncio
import json
import time
from collections.abc import AsyncIterator

import aiohttp
from aiohttp import web

MAX_ORDER_BYTES = 16 * 1024
RECEIPT_SECONDS = 0.02

STOCK_URL = web.AppKey("stock_url", str)
STOCK = web.AppKey("stock", aiohttp.ClientSession)
ORDERS = web.AppKey("orders", dict)
STORING = web.AppKey("storing", asyncio.Lock)


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
    app[STOCK] = aiohttp.ClientSession()
    app[STORING] = asyncio.Lock()
    try:
        yield
    finally:
        await app[STOCK].close()


class Orders(web.View):
    async def post(self) -> web.Response:
        try:
            body = json.loads(await self.request.text())
        except json.JSONDecodeError as problem:
            return error(400, f"invalid JSON: {problem}")
        match body:
            case {"item": str(item), "quantity": int(quantity)} if (
                item and quantity > 0 and not isinstance(quantity, bool)
            ):
                pass
            case {"item": str(item)} if item:
                return error(400, "quantity must be a whole number above 0")
            case dict():
                return error(400, "item must be a name")
            case _:
                return error(400, "the order must be a JSON object")
        app = self.request.app
        if await fetch_stock(app[STOCK], app[STOCK_URL], item) < quantity:
            return error(409, f"not enough {item}")
        async with app[STORING]:
            order_id = max(app[ORDERS], default=0) + 1
            order = app[ORDERS][order_id] = {"id": order_id, "item": item, "quantity": quantity}
        order["receipt"] = await asyncio.to_thread(render_receipt, order)
        return web.json_response(order, status=201)


def create_app(stock_url: str) -> web.Application:
    app = web.Application(client_max_size=MAX_ORDER_BYTES)
    app[STOCK_URL] = stock_url
    app[ORDERS] = {}
    app.cleanup_ctx.append(stock_session)
    app.router.add_view("/orders", Orders)
    app.router.add_get("/orders/{order_id}", get_order)
    return app
