"""The learner's aiohttp application, served on loopback for a kata test.

``serve_app(app, kata_file)`` runs it the way aiohttp runs any application — startup,
the handlers, shutdown and cleanup (``on_startup``, ``cleanup_ctx``, ``on_shutdown``,
``on_cleanup``) — on 127.0.0.1, a free port, in the test's loop, with public aiohttp
API only (``AppRunner`` and a ``SockSite`` on a socket made here).

A handler that raises answers 500, and aiohttp logs the error: the record is taken
here, kept out of pytest's captured log (its traceback is aiohttp's), and turned into
a :class:`HandlerError` with the learner's line, so a test can say "your handler raised
KeyError: 'quantity'" where a client only sees "500 Internal Server Error".
"""

from __future__ import annotations

import logging
import socket
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from aiohttp import web

from harness.judge.frames import LearnerFile
from harness.judge.report import Where

SERVER_LOGGER = "aiohttp.server"  # where aiohttp logs what a handler raised
# How aiohttp's records of an exception raised while handling a request begin.
RAISED = ("Error handling request", "Unhandled exception")
SHUTDOWN_TIMEOUT = 1.0  # seconds cleanup waits for handlers still running, then cancels them


@dataclass(frozen=True)
class HandlerError:
    """What one of the app's handlers raised, as the learner wrote it."""

    # What the handler did, to follow "your handler": "raised KeyError: 'quantity'", or
    # in aiohttp's words when it raised nothing ("failed: aiohttp says ...").
    what: str
    where: tuple[Where, ...] = ()
    error: BaseException | None = None  # what was raised, for the judge to explain as is

    def __str__(self) -> str:
        return f"{self.what} ({self.where[-1]})" if self.where else self.what


@dataclass
class ServedApp:
    """A running application: its address, what its handlers raised, and its shutdown."""

    __test__ = False

    runner: web.AppRunner
    base_url: str
    learner: LearnerFile
    errors: list[HandlerError] = field(default_factory=list)
    closed: bool = False
    small_buffer_base_url: str | None = None  # the port with small send buffers, if asked

    def url(self, path: str = "") -> str:
        return self.base_url + path

    def small_buffer_url(self, path: str = "") -> str:
        assert self.small_buffer_base_url is not None, "serve_app(..., small_send_buffer=N) opens it"
        return self.small_buffer_base_url + path

    async def close(self) -> None:
        """Shut the app down (on_shutdown, cleanup_ctx, on_cleanup), once."""
        if not self.closed:
            self.closed = True
            await self.runner.cleanup()

    def _take(self, record: logging.LogRecord) -> bool:
        """A logger filter: keep an error a handler raised, drop its record."""
        if record.levelno < logging.ERROR:
            return True
        error = record.exc_info[1] if record.exc_info else None
        where = self.learner.traceback(error.__traceback__) if error is not None else ()
        if where or (error is not None and record.getMessage().startswith(RAISED)):
            self.errors.append(HandlerError(f"raised {type(error).__name__}: {error}", where, error))
        else:  # aiohttp's own complaint, e.g. "Missing return statement on request handler"
            self.errors.append(HandlerError(f'failed: aiohttp says "{record.getMessage()}"'))
        return False


@asynccontextmanager
async def serve_app(
    app: web.Application, kata_file: LearnerFile, *, small_send_buffer: int | None = None
) -> AsyncIterator[ServedApp]:
    """Serve ``app`` on 127.0.0.1 (a free port) until the block ends, then shut it down.

    ``small_send_buffer`` opens a second port (``small_buffer_url``) whose connections
    get that SO_SNDBUF (set on its listening socket, which they inherit): a client
    there that stops reading holds up the app's writes to it after a few kilobytes, not
    after the megabytes a loopback socket buffers. Clients on the first port keep the
    usual buffers, and their speed.
    """
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=SHUTDOWN_TIMEOUT)
    listening = [_listening_socket()]
    if small_send_buffer is not None:
        listening.append(_listening_socket(small_send_buffer))
    urls = [_url_of(sock) for sock in listening]
    served = ServedApp(runner, urls[0], kata_file)
    if small_send_buffer is not None:
        served.small_buffer_base_url = urls[1]
    logger = logging.getLogger(SERVER_LOGGER)
    logger.addFilter(served._take)
    try:
        try:
            await runner.setup()  # the app's startup: on_startup, cleanup_ctx up to `yield`
        except BaseException:
            for sock in listening:
                sock.close()
            raise
        for sock in listening:
            await web.SockSite(runner, sock).start()
        yield served
    finally:
        try:
            await served.close()
        finally:
            logger.removeFilter(served._take)


def _listening_socket(send_buffer: int | None = None) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if send_buffer is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, send_buffer)
    sock.bind(("127.0.0.1", 0))
    return sock


def _url_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    return f"http://{host}:{port}"
