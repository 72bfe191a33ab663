"""Kata 28 — reference solution."""

import asyncio

from aiohttp import WSMsgType, web

ROOM = web.AppKey("room", dict)


def broadcast(room: dict, event: dict) -> None:
    """Queue the event for everyone in the room: no await, so nobody waits for anybody."""
    for outbox in room.values():
        outbox.put_nowait(event)


async def deliver(ws: web.WebSocketResponse, outbox: asyncio.Queue) -> None:
    """Send one client its events, in order, as fast as it reads them."""
    try:
        while True:
            await ws.send_json(await outbox.get())
    except ConnectionError:
        pass  # the client is gone: its handler removes it from the room


async def chat(request: web.Request) -> web.WebSocketResponse:
    name = request.query["name"]
    ws = web.WebSocketResponse()
    await ws.prepare(request)
    room = request.app[ROOM]
    outbox: asyncio.Queue = asyncio.Queue()
    room[name] = outbox
    writer = asyncio.create_task(deliver(ws, outbox))
    broadcast(room, {"event": "join", "name": name})
    try:
        async for message in ws:
            if message.type == WSMsgType.TEXT:
                broadcast(room, {"event": "message", "name": name, "text": message.data})
    finally:
        del room[name]
        writer.cancel()
        await asyncio.wait({writer})
        broadcast(room, {"event": "leave", "name": name})
    return ws


def create_app() -> web.Application:
    app = web.Application()
    app[ROOM] = {}
    app.router.add_get("/chat", chat)
    return app
