"""Kata 28 — websockets. Run: pytest katas/28_websockets"""

import asyncio
import base64
import json
import os
import socket
import time

import aiohttp
import pytest
from aiohttp import web

from harness.judge import fail, serve_app, wrote

PATIENCE = 1.0  # seconds to wait for what takes a few ms here
SETTLE = 0.05  # let the room take in a departure before anyone speaks
# A client that stops reading holds up the room's writes to it after ~200 KB here: it
# connects to the app's port with 4 KB send buffers, with a 4 KB receive buffer of its
# own (aiohttp and asyncio buffer 64 KB each on top). 16 messages of 64 KB are 1 MB, 4x
# that. The other clients connect to the usual port, with the usual buffers.
BUFFER = 4096
BIG = 64 * 1024
BIG_MESSAGES = 16
CHATTER = {"ana": ["ana 1", "ana 2", "ana 3"], "bo": ["bo 1", "bo 2", "bo 3"], "cy": ["cy 1", "cy 2", "cy 3"]}


def joined(name: str) -> dict:
    return {"event": "join", "name": name}


def left(name: str) -> dict:
    return {"event": "leave", "name": name}


class Member:
    """A chat client that reads everything the room sends it, as it comes."""

    __test__ = False

    def __init__(self, name: str, ws: aiohttp.ClientWebSocketResponse) -> None:
        self.name = name
        self.ws = ws
        self.events: list[object] = []
        self.arrived = asyncio.Event()
        self.closing = False  # the test closed it (not the room)
        self.reader = asyncio.create_task(self._read(), name=f"{name} reads")

    async def _read(self) -> None:
        try:
            async for message in self.ws:
                if message.type == aiohttp.WSMsgType.TEXT:
                    try:
                        self.events.append(json.loads(message.data))
                    except ValueError:
                        self.events.append(message.data)
                    self.arrived.set()
        finally:
            self.arrived.set()  # closed: whoever waits can stop waiting

    async def say(self, text: str) -> None:
        await self.ws.send_str(text)

    def messages(self) -> list[tuple[str, str]]:
        """(who, text) of each message event, in the order received."""
        return [
            (e.get("name"), e.get("text"))
            for e in self.events
            if isinstance(e, dict) and e.get("event") == "message"
        ]

    async def until(self, condition, within: float = PATIENCE) -> bool:
        """Wait until condition(self) holds (True), or `within` seconds pass (False)."""
        deadline = time.perf_counter() + within
        while not condition(self):
            left = deadline - time.perf_counter()
            if left <= 0 or self.reader.done():
                return condition(self)
            self.arrived.clear()
            try:
                await asyncio.wait_for(self.arrived.wait(), left)
            except TimeoutError:
                pass
        return True

    async def close(self) -> None:
        self.closing = True
        await self.ws.close()
        await asyncio.wait({self.reader})


class Stalled:
    """A client that joins, then never reads a byte: a raw socket with a tiny receive
    buffer, which sends the websocket handshake and stops there."""

    __test__ = False

    def __init__(self, name: str, sock: socket.socket) -> None:
        self.name = name
        self.sock = sock

    @classmethod
    async def connect(cls, name: str, host: str, port: int) -> "Stalled":
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, BUFFER)
        sock.setblocking(False)
        loop = asyncio.get_running_loop()
        await loop.sock_connect(sock, (host, port))
        key = base64.b64encode(os.urandom(16)).decode()
        handshake = (
            f"GET /chat?name={name} HTTP/1.1\r\nHost: {host}:{port}\r\n"
            "Upgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n"
        )
        await loop.sock_sendall(sock, handshake.encode())
        return cls(name, sock)

    async def close(self) -> None:
        self.sock.close()  # with unread data: the connection is reset, not closed politely


class Room:
    """The learner's app on loopback, and the clients the test connects to it."""

    __test__ = False

    def __init__(self, app, session: aiohttp.ClientSession) -> None:
        self.app = app
        self.session = session
        self.members: dict[str, Member] = {}
        self.others: list[Stalled] = []

    async def join(self, name: str) -> Member:
        ws = await self.session.ws_connect(self.app.url(f"/chat?name={name}"), compress=0)
        member = Member(name, ws)
        self.members[name] = member
        await self.all_see(joined(name), f"{name} joined")
        return member

    async def join_stalled(self, name: str) -> Stalled:
        host, port = self.app.small_buffer_base_url.removeprefix("http://").rsplit(":", 1)
        client = await Stalled.connect(name, host, int(port))
        self.others.append(client)
        await self.all_see(joined(name), f"{name} joined", but=name)
        return client

    async def all_see(self, event: dict, what: str, but: str | None = None) -> None:
        """Every member in the room (but one) gets `event` within PATIENCE."""
        __tracebackhide__ = True
        for member in self.members.values():
            if member.name == but:
                continue
            if not await member.until(lambda m: event in m.events):
                self.fail_with_handler_errors(f"{what}, but {member.name} never got {json.dumps(event)}")

    def fail_with_handler_errors(self, what: str, fix: str | None = None) -> None:
        """Fail with `what`, and with what the room's handlers raised, if anything."""
        __tracebackhide__ = True
        what = what.rstrip(".:")
        closed = [m for m in self.members.values() if m.reader.done() and not m.closing]
        if closed and not self.app.errors:
            member = closed[0]
            if member.ws.close_code == 1000:  # a close frame, sent when chat() returned
                fail(
                    f"{what}: the room closed {member.name}'s websocket while {member.name} "
                    "was still there, without an error: chat() returned.",
                    fix="stay in `async for message in ws:` for as long as the client is "
                    "connected. (A plain `for` over the websocket loops over the response's "
                    "own dict of data, which is empty, and ends at once.)",
                )
            fail(
                f"{what}: the room dropped {member.name}'s connection (no close frame, "
                f"close code {member.ws.close_code}) while {member.name} was still there "
                "and reading.",
                fix="cut off only a client that cannot keep up: one that reads what it is "
                "sent stays in the room.",
            )
        if self.app.errors:
            handler = self.app.errors[0]
            if handler.error is not None and not isinstance(handler.error, ConnectionError):
                raise handler.error  # a stub, a TypeError...: the judge explains it as it is
            fail(
                f"{what}: the room's handler {handler.what}.",
                where=handler.where,
                fix=fix or "a client that is gone makes a send fail: catch ConnectionError "
                "around sending to it, and remove it from the room in `finally:`.",
            )
        fail(what + ".", fix=fix)

    async def close(self) -> None:
        for client in self.others:
            await client.close()
        for member in self.members.values():
            await member.close()


@pytest.fixture
async def room(kata, kata_file):
    app = kata.create_app()
    if not isinstance(app, web.Application):
        fail(f"create_app() returned {app!r}; expected an aiohttp.web.Application.")
    async with (
        serve_app(app, kata_file, small_send_buffer=BUFFER) as served,
        aiohttp.ClientSession() as session,
    ):
        room = Room(served, session)
        try:
            yield room
        finally:
            await room.close()


def shown(pairs: list[tuple[str, str]]) -> str:
    return ", ".join(repr(text) for _, text in pairs)


# --- the tests -----------------------------------------------------------------------------
async def test_everyone_gets_every_message_once_in_the_order_it_was_sent(room):
    """Three people talking at once: each of them reads all nine messages, in order."""
    members = [await room.join(name) for name in CHATTER]

    async def talk(member: Member) -> None:
        for text in CHATTER[member.name]:
            await member.say(text)

    await asyncio.gather(*(talk(member) for member in members))
    sent = [(name, text) for name, texts in CHATTER.items() for text in texts]
    for member in members:
        await member.until(lambda m: len(m.messages()) >= len(sent))
    await asyncio.sleep(SETTLE)  # a message delivered twice shows up here
    for member in members:
        got = member.messages()
        missing = [pair for pair in sent if pair not in got]
        if missing:
            room.fail_with_handler_errors(
                f"{member.name} got {len(got)} of the {len(sent)} messages sent; never "
                f"{shown(missing)}",
                fix="relay each text message to everyone in the room, its sender included.",
            )
        twice = [pair for pair in sent if got.count(pair) > 1]
        if twice:
            fail(
                f"{member.name} got {shown(twice)} more than once: each message is "
                "delivered once.",
                fix="send each message once to each client in the room, once.",
            )
        for name, texts in CHATTER.items():
            order = [text for who, text in got if who == name]
            if order != texts:
                fail(
                    f"{member.name} got {name}'s messages as {order}; {name} sent "
                    f"{texts}, in that order.",
                    fix="deliver each client's events in the order they happened, "
                    "one at a time (a queue per client keeps that order).",
                )


async def test_a_client_that_leaves_is_removed_and_the_room_goes_on(room):
    """A websocket closed, a connection dropped: the room says so, and goes on."""
    ana, bo, cy = [await room.join(name) for name in ("ana", "bo", "cy")]
    dan = await room.join_stalled("dan")
    await cy.close()
    await dan.close()
    await asyncio.sleep(SETTLE)
    await ana.say("still here?")
    await ana.say("anyone?")
    expected = [("ana", "still here?"), ("ana", "anyone?")]
    if not await bo.until(lambda m: m.messages()[-2:] == expected):
        room.fail_with_handler_errors(
            f"after cy closed her websocket and dan's connection dropped, ana said "
            f"'still here?' and 'anyone?', and bo got {shown(bo.messages()[-2:]) or 'nothing'}"
        )
    for member in (ana, bo):
        for gone in ("cy", "dan"):
            if not await member.until(lambda m, gone=gone: left(gone) in m.events):
                fail(
                    f"{gone} left, but {member.name} never got {json.dumps(left(gone))}.",
                    fix="when a client's `async for message in ws` loop ends, however it "
                    "ends, remove the client from the room and announce it: in `finally:`.",
                )


async def test_a_client_that_stops_reading_does_not_stall_the_room(kata, room):
    """One client who reads nothing: everybody else still gets every message, at once."""
    ana, bo = await room.join("ana"), await room.join("bo")
    await room.join_stalled("zed")
    texts = [f"{n:02d} " + "·" * (BIG // 2) for n in range(1, BIG_MESSAGES + 1)]
    started = time.perf_counter()
    for text in texts:
        await ana.say(text)
    everything = [("ana", text) for text in texts]
    if await bo.until(lambda m: m.messages() == everything):
        return
    got = len(bo.messages())
    gather = " asyncio.gather waits for every send, zed's too, before ana's next message is read." if wrote(kata, "gather") else ""
    room.fail_with_handler_errors(
        f"the room stalled: zed joined and stopped reading, ana sent {BIG_MESSAGES} messages "
        f"of {BIG // 1024} KB, and after {time.perf_counter() - started:.1f} s bo had got "
        f"{got} of them: the room was waiting for zed to take his.{gather}",
        fix="never await one client's delivery while relaying to the others: give each "
        "client a queue and a task of its own that sends from it (or a deadline per send, "
        "dropping the client who misses it).",
    )
