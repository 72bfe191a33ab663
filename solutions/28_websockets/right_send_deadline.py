"""Accepted: no queues — each send gets a deadline (asyncio.timeout), and a client who
misses it, or whose connection is gone, is dropped from the room on the spot."""

import asyncio

from aiohttp import WSMsgType, web

ROOM = web.AppKey("room", dict)
SEND_DEADLINE = 0.2  # seconds a client gets to take one message


async def broadcast(room: dict, event: dict) -> None:
    for name, ws in list(room.items()):
        try:
            async with asyncio.timeout(SEND_DEADLINE):
                await ws.send_json(event)
        except (TimeoutError, ConnectionError):
            room.pop(name, None)  # too slow, or gone: out of the room


async def chat(request: web.Request) -> web.WebSocketResponse:
    name = request.query["name"]
    ws = web.WebSocketResponse()
    await ws.prepare(request)
    room = request.app[ROOM]
    room[name] = ws
    await broadcast(room, {"event": "join", "name": name})
    try:
        async for message in ws:
            if message.type == WSMsgType.TEXT:
                await broadcast(room, {"event": "message", "name": name, "text": message.data})
    finally:
        room.pop(name, None)
        await broadcast(room, {"event": "leave", "name": name})
    return ws


def create_app() -> web.Application:
    app = web.Application()
    app[ROOM] = {}
    app.router.add_get("/chat", chat)
    return app
