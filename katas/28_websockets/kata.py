"""Kata 28 — websockets: a chat room. Each client's websocket is a long-lived handler
on one event loop; the room relays every message to everyone, in order, and no client
— gone, or too slow to read — may hold up the others.

Edit this file until `pytest katas/28_websockets` is green.
"""

import asyncio

from aiohttp import WSMsgType, web

# Who is in the room: name -> whatever your room needs to reach that client
# (its websocket, or a queue of what is still to be sent to it).
ROOM = web.AppKey("room", dict)


async def chat(request: web.Request) -> web.WebSocketResponse:
    """GET /chat?name=ana: ana's websocket, for as long as she stays.

    The room sends JSON to everyone in it, ana included:
      {"event": "join", "name": "ana"}                    when she arrives,
      {"event": "message", "name": "ana", "text": "hi"}   for each text she sends,
      {"event": "leave", "name": "ana"}                   to the others when she goes,
                                                          however she goes.
    Everyone gets every message once, in the order it was sent. A client that stops
    reading must not hold up the room: nobody waits for anybody else's delivery.
    """
    name = request.query["name"]
    ws = web.WebSocketResponse()
    await ws.prepare(request)
    # TODO: put ana in request.app[ROOM]; announce her; relay every text message
    #       (`async for message in ws:`, message.type == WSMsgType.TEXT) to everyone;
    #       when the loop ends, remove her and announce it, whatever ended it.
    raise NotImplementedError


def create_app() -> web.Application:
    """The chat room: GET /chat (chat), with app[ROOM] empty at first."""
    # TODO
    raise NotImplementedError
