"""Mistake: nobody is ever removed from the room: the next message is sent to a
closed websocket, which raises in the handler of whoever spoke, and that client is cut off."""

from aiohttp import WSMsgType, web

MISTAKE = ("and bo got", "Cannot write to closing transport")

ROOM = web.AppKey("room", dict)


async def broadcast(room: dict, event: dict) -> None:
    for ws in list(room.values()):
        await ws.send_json(event)


async def chat(request: web.Request) -> web.WebSocketResponse:
    name = request.query["name"]
    ws = web.WebSocketResponse()
    await ws.prepare(request)
    room = request.app[ROOM]
    room[name] = ws
    await broadcast(room, {"event": "join", "name": name})
    async for message in ws:  # <- mistake
        if message.type == WSMsgType.TEXT:
            await broadcast(room, {"event": "message", "name": name, "text": message.data})
    return ws


def create_app() -> web.Application:
    app = web.Application()
    app[ROOM] = {}
    app.router.add_get("/chat", chat)
    return app
