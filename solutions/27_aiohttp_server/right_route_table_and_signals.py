"""Accepted: a RouteTableDef with decorators, the session opened in on_startup and closed
in on_cleanup, ids from an itertools.count kept in the app, 400s raised as
web.HTTPBadRequest with a JSON body, and run_in_executor for the receipt."""

import asyncio
import itertools
import json
import time

import aiohttp
from aiohttp import web

MAX_ORDER_BYTES = 16 * 1024
RECEIPT_SECONDS = 0.02

STOCK_URL = web.AppKey("stock_url", str)
STOCK = web.AppKey("stock", aiohttp.ClientSession)
ORDERS = web.AppKey("orders", dict)
NEXT_ID = web.AppKey("next_id", itertools.count)

routes = web.RouteTableDef()


def render_receipt(order: dict) -> str:
    time.sleep(RECEIPT_SECONDS)
    return f"Receipt #{order['id']}: {order['quantity']} x {order['item']}"


def error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


def bad_request(message: str) -> web.HTTPBadRequest:
    return web.HTTPBadRequest(text=json.dumps({"error": message}), content_type="application/json")


async def fetch_stock(session: aiohttp.ClientSession, stock_url: str, item: str) -> int:
    async with session.get(f"{stock_url}/stock/{item}") as response:
        response.raise_for_status()
        return (await response.json())["available"]


@routes.get("/orders/{order_id:\\d+}")
async def get_order(request: web.Request) -> web.Response:
    order_id = int(request.match_info["order_id"])
    order = request.app[ORDERS].get(order_id)
    if order is None:
        return error(404, f"no order {order_id}")
    return web.json_response(order)


async def open_stock_session(app: web.Application) -> None:
    app[STOCK] = aiohttp.ClientSession()


async def close_stock_session(app: web.Application) -> None:
    await app[STOCK].close()


async def read_order(request: web.Request) -> tuple[str, int]:
    try:
        order = await request.json()
    except ValueError:
        raise bad_request("not JSON") from None
    if not isinstance(order, dict):
        raise bad_request("an order is a JSON object")
    item = order.get("item")
    quantity = order.get("quantity")
    if not (isinstance(item, str) and item.strip()):
        raise bad_request("item: give the item's name")
    if isinstance(quantity, bool) or not isinstance(quantity, int) or quantity <= 0:
        raise bad_request(f"quantity: {quantity!r} is not a positive integer")
    return item, quantity


@routes.post("/orders")
async def create_order(request: web.Request) -> web.Response:
    item, quantity = await read_order(request)
    available = await fetch_stock(request.app[STOCK], request.app[STOCK_URL], item)
    if quantity > available:
        return error(409, f"{item}: {available} left, {quantity} ordered")
    order = {"id": next(request.app[NEXT_ID]), "item": item, "quantity": quantity}
    request.app[ORDERS][order["id"]] = order
    loop = asyncio.get_running_loop()
    order["receipt"] = await loop.run_in_executor(None, render_receipt, order)
    return web.json_response(order, status=201)


def create_app(stock_url: str) -> web.Application:
    app = web.Application(client_max_size=MAX_ORDER_BYTES)
    app[STOCK_URL] = stock_url
    app[ORDERS] = {}
    app[NEXT_ID] = itertools.count(1)
    app.on_startup.append(open_stock_session)
    app.on_cleanup.append(close_stock_session)
    app.add_routes(routes)
    return app
