"""`python -m harness dojo serve`: the room's dashboard, an aiohttp app.

Teams post their test runs as JSON (room.py checks each one); the page, served from
page/ (no CDN: it works offline), follows the room live.

Live updates use server-sent events rather than a websocket: the data only flows one
way (server to page), SSE is plain HTTP that aiohttp streams with no extra code, and
the browser's EventSource reconnects by itself and sends the id of the last event it
saw (Last-Event-ID), so the server replays what the page missed and no light is lost.

Safe by default: it binds 127.0.0.1 unless told otherwise, every room URL holds the
room's code, bodies are capped (413), bad posts get a 4xx with a sentence, pages get a
Content-Security-Policy that forbids inline script, and a client that vanishes in the
middle of a request or a stream ends only its own handler.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from aiohttp import web

from harness.catalog import Kata
from harness.dojo import room as room_module
from harness.dojo.room import DEFAULT_HOST, Rejected, Room
from harness.state import harness_dir, write_atomically
from harness.terminal import Console

PAGE = Path(__file__).resolve().parent / "page"
ASSETS = {
    "dashboard.js": "text/javascript",
    "dashboard.css": "text/css",
}
HEARTBEAT = 15.0  # seconds between two comments on an idle stream: finds vanished pages
RETRY_MS = 1000  # how soon a page reconnects after losing the stream
SHUTDOWN_TIMEOUT = 2.0


SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
        "img-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",  # the room code is in the URL: keep it in the room
    "Cache-Control": "no-store",
}
OPEN = "Dojo room open{on}. The room code is {code}: share it with the room only."
DASHBOARD_AT = "  The dashboard (open it on the projector): {url}"
JOIN_WITH = "  Each team joins from its own machine with:\n    python -m harness dojo {kata} --join {url} --team NAME"
LOCAL_ONLY = "  Only this machine can join ({host}); `--host 0.0.0.0` lets the room's machines in."
OPEN_TO_NETWORK = (
    "  Listening on {host}: anyone on this network who has the address (with its code) can "
    "post runs and see the page. Close the room when the dojo is over."
)
STOP_WITH = "  Ctrl-C closes the room; its history is saved in {folder}."
CANNOT_LISTEN = (
    "Cannot open the room on {host}:{port}: {error}. Try another --port (0 picks a free one)."
)
HISTORY_SAVED = "Room closed. Its history ({teams} team(s), {runs} test runs) is in {path}."
NOT_HERE = "This is an asyncio katas dojo dashboard. Open the address the server printed: it holds the room's code.\n"
NOT_JSON = "the body must be JSON (Content-Type: application/json)"
BAD_JSON = "the body is not valid JSON: {error}"
TOO_BIG = "the body is larger than {limit} bytes"


class Hub:
    """Wakes the streams when the room's log grows (or the server closes)."""

    def __init__(self) -> None:
        self._condition = asyncio.Condition()
        self.closed = False

    async def notify(self) -> None:
        async with self._condition:
            self._condition.notify_all()

    async def close(self) -> None:
        self.closed = True
        await self.notify()

    async def wait(self, ready: Callable[[], bool], timeout: float) -> bool:
        """True when ``ready()`` (or the hub closed), False after ``timeout`` seconds."""
        async with self._condition:
            try:
                async with asyncio.timeout(timeout):
                    await self._condition.wait_for(lambda: self.closed or ready())
            except TimeoutError:
                return False
        return True


ROOM = web.AppKey("room", Room)
HUB = web.AppKey("hub", Hub)
PAGE_HTML = web.AppKey("page_html", bytes)
ASSET_BYTES = web.AppKey("asset_bytes", dict)


# --- responses ---------------------------------------------------------------------------------
def error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


@web.middleware
async def secure(request: web.Request, handler: Callable) -> web.StreamResponse:
    response = await handler(request)
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    return response


def room_of(request: web.Request) -> Room:
    """The room the URL names; an unknown code is a 404 (compared in constant time)."""
    room = request.app[ROOM]
    if not room.knows(request.match_info["code"]):
        raise web.HTTPNotFound(
            text=json.dumps({"error": room_module.UNKNOWN_ROOM}), content_type="application/json"
        )
    return room


# --- pages -------------------------------------------------------------------------------------
async def home(request: web.Request) -> web.Response:
    return web.Response(text=NOT_HERE)


async def room_page(request: web.Request) -> web.StreamResponse:
    room_of(request)
    if not request.path.endswith("/"):
        raise web.HTTPFound(request.path + "/")  # the page's relative links need the slash
    return web.Response(body=request.app[PAGE_HTML], content_type="text/html", charset="utf-8")


async def asset(request: web.Request) -> web.Response:
    name = request.match_info["name"]
    if name not in ASSETS:
        raise web.HTTPNotFound()
    return web.Response(
        body=request.app[ASSET_BYTES][name], content_type=ASSETS[name], charset="utf-8"
    )


async def history(request: web.Request) -> web.Response:
    room = room_of(request)
    stamp = "".join(ch for ch in str(room.kata or "room") if ch.isalnum() or ch in "_-")
    return web.json_response(
        room.history(),
        headers={"Content-Disposition": f'attachment; filename="dojo-{stamp}.json"'},
        dumps=lambda data: json.dumps(data, indent=1),
    )


# --- the live stream ---------------------------------------------------------------------------
def sse(event: dict[str, Any]) -> bytes:
    data = json.dumps(event["data"], separators=(",", ":"))
    return f"id: {event['id']}\nevent: {event['type']}\ndata: {data}\n\n".encode()


def first_unseen(request: web.Request) -> int:
    """The index of the first event the page has not seen (Last-Event-ID + 1)."""
    seen = request.headers.get("Last-Event-ID", "")
    return int(seen) + 1 if seen.isdigit() and len(seen) < 12 else 0


async def events(request: web.Request) -> web.StreamResponse:
    room = room_of(request)
    hub = request.app[HUB]
    response = web.StreamResponse(
        headers={"Content-Type": "text/event-stream", "X-Accel-Buffering": "no"}
    )
    for name, value in SECURITY_HEADERS.items():
        response.headers[name] = value
    sent = first_unseen(request)
    try:
        await response.prepare(request)
        hello = json.dumps(room.describe())
        await response.write(f"retry: {RETRY_MS}\nevent: room\ndata: {hello}\n\n".encode())
        while not hub.closed:
            if sent < len(room.events):
                batch, sent = room.events[sent:], len(room.events)
                await response.write(b"".join(sse(event) for event in batch))
                continue
            if not await hub.wait(lambda seen=sent: len(room.events) > seen, HEARTBEAT):
                await response.write(b": still here\n\n")
    except ConnectionError:
        pass  # the page went away (aiohttp's ClientConnectionResetError is one)
    return response


# --- posts -------------------------------------------------------------------------------------
def poster(
    parse: Callable[[Any], dict[str, Any]], act: Callable[[Room, dict[str, Any]], dict[str, Any]]
) -> Callable:
    async def handle(request: web.Request) -> web.StreamResponse:
        room = room_of(request)
        try:
            room.throttle(request.remote or "unknown")
            if request.content_type != "application/json":
                raise Rejected(415, NOT_JSON)
            try:
                body = await request.read()
            except web.HTTPRequestEntityTooLarge:
                raise Rejected(413, TOO_BIG.format(limit=room_module.MAX_BODY)) from None
            try:
                data = json.loads(body)
            except ValueError as problem:  # UnicodeDecodeError too
                raise Rejected(400, BAD_JSON.format(error=problem)) from None
            post = parse(data)
            room.throttle(request.remote or "unknown", post["team"])
            answer = act(room, post)
        except Rejected as rejected:
            return error(rejected.status, rejected.message)
        await request.app[HUB].notify()
        return web.json_response(answer)

    return handle


def make_app(room: Room) -> web.Application:
    app = web.Application(client_max_size=room_module.MAX_BODY, middlewares=[secure])
    app[ROOM] = room
    app[HUB] = Hub()
    app[PAGE_HTML] = (PAGE / "index.html").read_bytes()
    app[ASSET_BYTES] = {name: (PAGE / name).read_bytes() for name in ASSETS}

    async def close_streams(app: web.Application) -> None:
        await app[HUB].close()

    app.on_shutdown.append(close_streams)
    app.router.add_get("/", home)
    app.router.add_get("/static/{name}", asset)
    app.router.add_get("/room/{code}", room_page)
    app.router.add_get("/room/{code}/", room_page)
    app.router.add_get("/room/{code}/events", events)
    app.router.add_get("/room/{code}/history.json", history)
    app.router.add_post("/room/{code}/join", poster(room_module.parse_join, Room.join))
    app.router.add_post("/room/{code}/turns", poster(room_module.parse_turn, Room.turn))
    app.router.add_post("/room/{code}/runs", poster(room_module.parse_run, Room.run))
    return app


async def start(room: Room, host: str, port: int) -> tuple[web.AppRunner, int]:
    """Serve ``room`` on ``host:port`` (0: any free port); the runner and the port."""
    runner = web.AppRunner(make_app(room), shutdown_timeout=SHUTDOWN_TIMEOUT, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    return runner, runner.addresses[0][1]


def room_url(host: str, port: int, room: Room) -> str:
    shown = f"[{host}]" if ":" in host else host
    return f"http://{shown}:{port}/room/{room.code}/"


class ServerThread:
    """The dashboard in a thread with its own event loop (the tests, the benchmark).

    ``with ServerThread(room) as url:`` serves the room on 127.0.0.1, a free port.
    """

    def __init__(self, room: Room, host: str = DEFAULT_HOST, port: int = 0) -> None:
        self.room = room
        self.host = host
        self.port = port
        self.url = ""
        self._ready = threading.Event()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._failure: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="dojo-dashboard", daemon=True)

    def _run(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as failure:  # noqa: BLE001 - handed to the caller
            self._failure = failure
            self._ready.set()

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        runner, port = await start(self.room, self.host, self.port)
        self.url = room_url(self.host, port, self.room)
        self._ready.set()
        try:
            await self._stop.wait()
        finally:
            await runner.cleanup()

    def __enter__(self) -> str:
        self._thread.start()
        self._ready.wait(timeout=10)
        if self._failure is not None:
            raise self._failure
        return self.url

    def __exit__(self, *exc_info: object) -> None:
        if self._loop is not None and self._stop is not None:
            with contextlib.suppress(RuntimeError):  # the loop is already closed
                self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join(timeout=10)


# --- `python -m harness dojo serve` ------------------------------------------------------------
def serve_command(root: Path, kata: Kata | None, console: Console, *, host: str, port: int) -> int:
    room = Room(kata.name if kata else None, kata.title if kata else "")
    try:
        asyncio.run(_serve(room, host, port, console, root))
    except KeyboardInterrupt:
        console.print()
    except OSError as error:
        console.print(CANNOT_LISTEN.format(host=host, port=port, error=error.strerror or error))
        return 1
    save_history(root, room, console)
    return 0


async def _serve(room: Room, host: str, port: int, console: Console, root: Path) -> None:
    runner, bound = await start(room, host, port)
    try:
        everywhere = host in ("0.0.0.0", "::", "")
        url = room_url(socket.gethostname() if everywhere else host, bound, room)
        on = f" for {room.kata}: {room.title}" if room.kata else ""
        console.print(console.style.paint(OPEN.format(on=on, code=room.code), "bold"))
        console.print(DASHBOARD_AT.format(url=url))
        console.print(JOIN_WITH.format(kata=room.kata or "KATA", url=url))
        if host in ("127.0.0.1", "localhost", "::1"):
            console.print(LOCAL_ONLY.format(host=host))
        else:
            console.print(console.style.paint(OPEN_TO_NETWORK.format(host=host), "yellow"))
        folder = (harness_dir(root) / "dojo").relative_to(root).as_posix()
        console.print(STOP_WITH.format(folder=folder + "/"))
        await asyncio.Event().wait()  # until Ctrl-C cancels this task
    finally:
        await runner.cleanup()


def save_history(root: Path, room: Room, console: Console) -> Path | None:
    """The room's history as JSON under .harness/dojo/, when any team joined."""
    if not room.teams:
        return None
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(room.opened_at))
    path = harness_dir(root) / "dojo" / f"room-{stamp}-{room.kata or 'katas'}.json"
    write_atomically(path, json.dumps(room.history(), indent=1) + "\n")
    runs = sum(len(team.runs) for team in room.teams.values())
    shown = path.relative_to(root).as_posix()
    console.print(HISTORY_SAVED.format(teams=len(room.teams), runs=runs, path=shown))
    return path
