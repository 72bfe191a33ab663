"""Kata 34 — graceful shutdown: when a service is asked to stop, it stops taking new work,
lets the work in flight finish within a grace period, cancels what is left (and waits for
it), and closes every connection, so nothing is cut off half-way and nothing is left
running. A signal (SIGTERM, Ctrl+C) is just one way to ask.

Edit this file until `pytest katas/34_graceful_shutdown` is green.
"""

import asyncio
import signal
from collections.abc import Awaitable, Callable, Iterable

Kitchen = Callable[[str], Awaitable[str]]  # prepares one order; returns what to answer
REFUSED = "refused, the desk is closing"


class OrderDesk:
    """A line-based TCP service on 127.0.0.1: a client sends one order per line, and the
    desk answers one line per order, "<order>: <what the kitchen said>"."""

    def __init__(self, kitchen: Kitchen, grace: float) -> None:
        self.kitchen = kitchen
        self.grace = grace  # seconds the orders in flight get to finish once a stop is asked
        self.port: int | None = None  # set once the desk listens
        self.listening = asyncio.Event()
        self.stopping = asyncio.Event()  # set by request_stop()
        self.orders: set[asyncio.Task[None]] = set()  # the orders being prepared
        self.clients: set[asyncio.StreamWriter] = set()  # the open connections

    def request_stop(self) -> None:
        """Ask for a graceful stop (safe to call from a signal handler). Provided."""
        self.stopping.set()

    async def serve(self) -> None:
        """Listen on a free port, take orders until a stop is requested, then shut down
        gracefully; return once everything is closed."""
        server = await asyncio.start_server(self.handle_client, "127.0.0.1", 0)
        self.port = server.sockets[0].getsockname()[1]
        self.listening.set()
        await self.stopping.wait()
        # TODO: shut down gracefully:
        #   1. stop accepting connections;
        #   2. give the orders in flight up to self.grace seconds to finish;
        #   3. cancel the ones still running, and wait until they have ended;
        #   4. close every client connection, and wait until each is closed.
        raise NotImplementedError

    async def handle_client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """One connection: each line is an order, prepared in a task of its own."""
        self.clients.add(writer)
        try:
            while line := await reader.readline():
                order = line.decode().strip()
                # TODO: once a stop is requested, answer f"{order}: {REFUSED}" instead.
                task = asyncio.create_task(self.prepare(order, writer))
                self.orders.add(task)
                task.add_done_callback(self.orders.discard)
        except ConnectionError:
            pass  # the client went away
        finally:
            self.clients.discard(writer)

    async def prepare(self, order: str, writer: asyncio.StreamWriter) -> None:
        """Have the kitchen prepare one order, and answer it. Provided."""
        said = await self.kitchen(order)
        await answer(writer, f"{order}: {said}")


async def answer(writer: asyncio.StreamWriter, text: str) -> None:
    """Send one line to a client (if it is still there). Provided."""
    if writer.is_closing():
        return
    writer.write(f"{text}\n".encode())
    try:
        await writer.drain()
    except ConnectionError:
        pass  # the client went away


def stop_on_signals(desk: OrderDesk, signals: Iterable[signal.Signals] = (signal.SIGINT, signal.SIGTERM)) -> bool:
    """Make each of `signals` ask `desk` for a graceful stop. Call it from a coroutine.

    Return True once the handlers are installed; False where the event loop cannot handle
    signals (Windows: loop.add_signal_handler raises NotImplementedError).
    """
    # TODO: loop.add_signal_handler for each signal.
    raise NotImplementedError
