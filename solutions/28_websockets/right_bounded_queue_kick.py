"""Accepted: a Client per connection (a dataclass) with a bounded queue and a writer
task in a TaskGroup; a client whose queue is full is cut off (its connection aborted)
instead of holding up the room or growing without limit."""

import asyncio
from dataclasses import dataclass, field

from aiohttp import WSMsgType, web

ROOM = web.AppKey("room", dict)
BACKLOG = 64  # events a client may have waiting before it is cut off (bursts are a dozen)


@dataclass
class Client:
    request: web.Request
    ws: web.WebSocketResponse
    outbox: asyncio.Queue = field(default_factory=lambda: asyncio.Queue(BACKLOG))

    async def deliver(self) -> None:
        try:
            while True:
                event = await self.outbox.get()
                await self.ws.send_json(event)
        except ConnectionError:
            return


def broadcast(room: dict, event: dict) -> None:
    for name, client in list(room.items()):
        try:
            client.outbox.put_nowait(event)
        except asyncio.QueueFull:
            del room[name]
            if client.request.transport is not None:
                client.request.transport.abort()  # its handler's loop ends; it leaves


async def chat(request: web.Request) -> web.WebSocketResponse:
    name = request.query["name"]
    ws = web.WebSocketResponse()
    await ws.prepare(request)
    room = request.app[ROOM]
    client = Client(request, ws)
    room[name] = client
    async with asyncio.TaskGroup() as group:
        writer = group.create_task(client.deliver())
        broadcast(room, {"event": "join", "name": name})
        try:
            async for message in ws:
                if message.type == WSMsgType.TEXT:
                    broadcast(room, {"event": "message", "name": name, "text": message.data})
        finally:
            room.pop(name, None)
            writer.cancel()
            broadcast(room, {"event": "leave", "name": name})
    return ws


def create_app() -> web.Application:
    app = web.Application()
    app[ROOM] = {}
    app.router.add_get("/chat", chat)
    return app
