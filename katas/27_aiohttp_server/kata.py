"""Kata 27 — aiohttp server: an application is routes to handlers plus the resources
they share. Each request runs in its own task, so a handler must never block the loop;
it answers bad input with a 4xx and a message, never a 500; and what the app opens at
startup it closes at shutdown (`cleanup_ctx`).

Edit this file until `pytest katas/27_aiohttp_server` is green.
"""

import asyncio
import json
import time
from collections.abc import AsyncIterator

import aiohttp
from aiohttp import web

MAX_ORDER_BYTES = 16 * 1024  # an order is small: a bigger body is refused (413)
RECEIPT_SECONDS = 0.02

# What the application keeps (app[KEY]), shared by every request.
STOCK_URL = web.AppKey("stock_url", str)  # where the stock service is
STOCK = web.AppKey("stock", aiohttp.ClientSession)  # one session to it, for all requests
ORDERS = web.AppKey("orders", dict)  # order id -> order


def render_receipt(order: dict) -> str:
    """The order's receipt, from a receipt library that has no async version: it BLOCKS
    for RECEIPT_SECONDS. Never call it on the event loop. Done for you."""
    time.sleep(RECEIPT_SECONDS)
    return f"Receipt #{order['id']}: {order['quantity']} x {order['item']}"


def error(status: int, message: str) -> web.Response:
    """An error answer: {"error": message} with that status. Done for you."""
    return web.json_response({"error": message}, status=status)


async def fetch_stock(session: aiohttp.ClientSession, stock_url: str, item: str) -> int:
    """How many `item` the stock service has: GET {stock_url}/stock/{item}
    -> {"item": "coffee", "available": 12}. Done for you."""
    async with session.get(f"{stock_url}/stock/{item}") as response:
        response.raise_for_status()
        return (await response.json())["available"]


async def get_order(request: web.Request) -> web.Response:
    """GET /orders/{order_id}: 200 with the order, or 404. Done for you."""
    order_id = int(request.match_info["order_id"])
    order = request.app[ORDERS].get(order_id)
    if order is None:
        return error(404, f"no order {order_id}")
    return web.json_response(order)


async def stock_session(app: web.Application) -> AsyncIterator[None]:
    """A cleanup context: open app[STOCK], a ClientSession, when the app starts (the
    code before `yield`), and close it when the app shuts down (the code after)."""
    # TODO
    raise NotImplementedError
    yield


async def create_order(request: web.Request) -> web.Response:
    """POST /orders with a JSON body like {"item": "coffee", "quantity": 2}.

    - 400 with a message if the body is not JSON, not a JSON object, or if `item` is not
      a non-empty string or `quantity` not a positive whole number (name the field);
    - 409 if the stock service has fewer than `quantity` of the item (fetch_stock);
    - else store the order under the next id (1, 2, ...) in request.app[ORDERS], add
      its receipt (render_receipt, off the event loop) and answer 201 with
      {"id": 1, "item": "coffee", "quantity": 2, "receipt": "Receipt #1: 2 x coffee"}.

    A body over MAX_ORDER_BYTES is refused with 413 by aiohttp itself (see create_app).
    """
    # TODO
    raise NotImplementedError


def create_app(stock_url: str) -> web.Application:
    """The shop: POST /orders (create_order) and GET /orders/{order_id} (get_order);
    bodies over MAX_ORDER_BYTES refused; app[STOCK_URL] and app[ORDERS] set; the stock
    session opened and closed by the stock_session cleanup context."""
    # TODO: web.Application(client_max_size=...), the app's state, routes, cleanup_ctx.
    raise NotImplementedError
