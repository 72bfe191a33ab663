"""Mistake: relaying by awaiting each client's send in turn: once one client stops
reading, its send waits, and so does everyone after it, and the sender's next message."""

from aiohttp import WSMsgType, web

MISTAKE = "the room stalled: zed joined and stopped reading"

ROOM = web.AppKey("room", dict)


async def broadcast(room: dict, event: dict) -> None:
    for ws in list(room.values()):
        await ws.send_json(event)  # <- mistake


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
