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

    def url(self, path: str = "") -> str:
        return self.base_url + path

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
            self.errors.append(HandlerError(f"raised {type(error).__name__}: {error}", where))
        else:  # aiohttp's own complaint, e.g. "Missing return statement on request handler"
            self.errors.append(HandlerError(f'failed: aiohttp says "{record.getMessage()}"'))
        return False


@asynccontextmanager
async def serve_app(
    app: web.Application, kata_file: LearnerFile, *, send_buffer: int | None = None
) -> AsyncIterator[ServedApp]:
    """Serve ``app`` on 127.0.0.1 (a free port) until the block ends, then shut it down.

    ``send_buffer`` sets SO_SNDBUF on the listening socket, which the connections it
    accepts inherit: a small one makes a client that stops reading hold up the app's
    writes to it after a few kilobytes, not after the megabytes a loopback socket buffers.
    """
    listening = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if send_buffer is not None:
        listening.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, send_buffer)
    listening.bind(("127.0.0.1", 0))
    host, port = listening.getsockname()[:2]
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=SHUTDOWN_TIMEOUT)
    served = ServedApp(runner, f"http://{host}:{port}", kata_file)
    logger = logging.getLogger(SERVER_LOGGER)
    logger.addFilter(served._take)
    try:
        try:
            await runner.setup()  # the app's startup: on_startup, cleanup_ctx up to `yield`
        except BaseException:
            listening.close()
            raise
        await web.SockSite(runner, listening).start()
        yield served
    finally:
        try:
            await served.close()
        finally:
            logger.removeFilter(served._take)
