"""Mistake: cancelling the late orders without awaiting them: cancel() only asks, so serve()
returns while they are still ending."""

import asyncio
import signal
from collections.abc import Awaitable, Callable, Iterable

Kitchen = Callable[[str], Awaitable[str]]
REFUSED = "refused, the desk is closing"
MISTAKE = "nothing waited for it to end"


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
        server.close()  # 1. no new connections
        if self.orders:  # 2. the orders in flight get the grace period
            _, late = await asyncio.wait(set(self.orders), timeout=self.grace)
            for order in late:  # 3. the rest are cancelled
                order.cancel()  # <- mistake
        clients = list(self.clients)  # 4. every connection closed
        for writer in clients:
            writer.close()
        await asyncio.gather(*(writer.wait_closed() for writer in clients), return_exceptions=True)
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
    try:
        for sig in signals:
            loop.add_signal_handler(sig, desk.request_stop)
    except NotImplementedError:
        return False
    return True
