"""Accepted: the grace period as `async with asyncio.timeout(...)` around a gather of the
orders: at the deadline the gather is cancelled, which cancels the late orders and waits
for them; connections closed in a TaskGroup; the signal handler sets the event itself."""

import asyncio
import signal
from collections.abc import Awaitable, Callable, Iterable

Kitchen = Callable[[str], Awaitable[str]]
REFUSED = "refused, the desk is closing"


class OrderDesk:
    def __init__(self, kitchen: Kitchen, grace: float) -> None:
        self.kitchen = kitchen
        self.grace = grace
        self.port: int | None = None
        self.listening = asyncio.Event()
        self.stopping = asyncio.Event()
        self.orders: set[asyncio.Task[None]] = set()
        self.clients: set[asyncio.StreamWriter] = set()

    def request_stop(self) -> None:
        self.stopping.set()

    async def serve(self) -> None:
        server = await asyncio.start_server(self.handle_client, "127.0.0.1", 0)
        self.port = server.sockets[0].getsockname()[1]
        self.listening.set()
        await self.stopping.wait()
        server.close()
        try:
            async with asyncio.timeout(self.grace):
                await asyncio.gather(*self.orders, return_exceptions=True)
        except TimeoutError:
            pass  # the cancelled gather has cancelled the late orders, and waited for them
        async with asyncio.TaskGroup() as closing:
            for writer in list(self.clients):
                writer.close()
                closing.create_task(writer.wait_closed())
        await server.wait_closed()

    async def handle_client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.clients.add(writer)
        try:
            while line := await reader.readline():
                order = line.decode().strip()
                if self.stopping.is_set():
                    await answer(writer, f"{order}: {REFUSED}")
                    continue
                task = asyncio.create_task(self.prepare(order, writer))
                self.orders.add(task)
                task.add_done_callback(self.orders.discard)
        except ConnectionError:
            pass
        finally:
            self.clients.discard(writer)

    async def prepare(self, order: str, writer: asyncio.StreamWriter) -> None:
        said = await self.kitchen(order)
        await answer(writer, f"{order}: {said}")


async def answer(writer: asyncio.StreamWriter, text: str) -> None:
    if writer.is_closing():
        return
    writer.write(f"{text}\n".encode())
    try:
        await writer.drain()
    except ConnectionError:
        pass


def stop_on_signals(desk: OrderDesk, signals: Iterable[signal.Signals] = (signal.SIGINT, signal.SIGTERM)) -> bool:
    loop = asyncio.get_running_loop()
    for sig in signals:
        try:
            loop.add_signal_handler(sig, desk.stopping.set)
        except NotImplementedError:  # Windows: no signal handlers on the event loop
            return False
    return True
