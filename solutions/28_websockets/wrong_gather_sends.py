"""Mistake: sending to everyone at once with asyncio.gather: the sender's handler still
waits for every send, the slow client's too, before it reads its next message."""

import asyncio

from aiohttp import WSMsgType, web

MISTAKE = ("the room stalled", "asyncio.gather waits for every send")

ROOM = web.AppKey("room", dict)


async def broadcast(room: dict, event: dict) -> None:
    await asyncio.gather(*(ws.send_json(event) for ws in list(room.values())))  # <- mistake


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
        del room[name]
        await broadcast(room, {"event": "leave", "name": name})
    return ws


def create_app() -> web.Application:
    app = web.Application()
    app[ROOM] = {}
    app.router.add_get("/chat", chat)
    return app
