"""Kata 34 — graceful shutdown. Run: pytest katas/34_graceful_shutdown"""

import asyncio
import contextlib
import os
import signal
import sys
import threading
import time

import pytest

from harness.judge import Budget, expect, fail

# An order that takes SOUP seconds is in flight when the stop is asked, with a long grace
# period: the desk closes once the soup is served (≈ SOUP after the stop), not when the
# grace period is over (LONG_GRACE, 6x SOUP). Budget: bound 2 x SOUP, grace 3x the bound.
SOUP = 0.2
LONG_GRACE = 1.2
DRAIN = Budget(ideal=SOUP, sequential=LONG_GRACE)
# An order that never ends and a short grace period: the desk cancels it after SHORT_GRACE,
# waits PUT_AWAY for it to end, and closes; the bound is 2x that.
SHORT_GRACE = 0.2
# How long serve() may take after the stop before the test gives up on it: longer than
# the long grace period and the soup together.
PATIENCE = LONG_GRACE + 0.6
PUT_AWAY = 0.05  # the kitchen takes this long to put a cancelled order away
SETTLE = 0.05  # a moment for the desk to see the stop, before the test tries new work
HEARD_WITHIN = 0.25  # a signal handled by the loop is seen in ms; one that waits for the loop's
# next wake-up is seen when the test's own timeout wakes it, 2 x HEARD_WITHIN later

NO_LOOP_SIGNALS = (
    "loop.add_signal_handler is POSIX-only (Windows' event loop raises NotImplementedError): "
    "a real signal is sent on Linux and macOS only; the Windows answer (False) is checked "
    "by the next test"
)
SHUTDOWN_STEPS = (
    "after the stop: server.close(); `await asyncio.wait(orders, timeout=self.grace)`; "
    "cancel what is still pending and await it; close every client writer and await "
    "wait_closed(); then `await server.wait_closed()`."
)


# --- the kitchen and the clients ------------------------------------------------------------
class Kitchen:
    """Prepares orders: ``menu`` says how long each takes, in seconds, or an asyncio.Event
    the test sets when it is done, or None: never. It notes what it started, finished,
    and had cancelled (putting a cancelled order away takes PUT_AWAY seconds)."""

    __test__ = False

    def __init__(self, menu: dict) -> None:
        self.menu = menu
        self.started: list[str] = []
        self.finished: list[str] = []
        self.cancelled: list[str] = []
        self.put_away: list[str] = []
        self._started = asyncio.Event()

    async def __call__(self, order: str) -> str:
        self.started.append(order)
        self._started.set()
        takes = self.menu.get(order, 0)
        try:
            if isinstance(takes, asyncio.Event):
                await takes.wait()
            else:
                await asyncio.sleep(3600 if takes is None else takes)
        except asyncio.CancelledError:
            self.cancelled.append(order)
            await asyncio.sleep(PUT_AWAY)
            self.put_away.append(order)
            raise
        self.finished.append(order)
        return "ready"

    async def until_started(self, order: str) -> None:
        async with asyncio.timeout(PATIENCE):
            while order not in self.started:
                self._started.clear()
                await self._started.wait()


class Client:
    __test__ = False

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    async def order(self, order: str) -> None:
        self.writer.write(f"{order}\n".encode())
        await self.writer.drain()

    async def line(self, wait: float = PATIENCE) -> str | None:
        """The next line from the desk; "" at the end of the connection; None if nothing came."""
        try:
            async with asyncio.timeout(wait):
                return (await self.reader.readline()).decode().strip()
        except TimeoutError:
            return None
        except ConnectionError:
            return ""

    async def closed_by_desk(self, wait: float = SETTLE * 10) -> bool:
        """True once the desk has closed the connection (what is left unread is dropped)."""
        while (line := await self.line(wait)) is not None:
            if line == "":
                return True
        return False

    def close(self) -> None:
        self.writer.close()


class Desk:
    """The learner's OrderDesk, served in a task, and the clients the test opened."""

    __test__ = False

    def __init__(self, kata, kitchen: Kitchen, grace: float) -> None:
        self.desk = kata.OrderDesk(kitchen, grace=grace)
        self.kitchen = kitchen
        self.grace = grace
        self.clients: list[Client] = []
        self.serving: asyncio.Task | None = None
        self.stopped_at: float | None = None
        self.tasks_before: set[asyncio.Task] = set()

    async def start(self) -> None:
        self.tasks_before = asyncio.all_tasks()
        self.serving = asyncio.create_task(self.desk.serve())
        listening = asyncio.create_task(self.desk.listening.wait())
        await asyncio.wait({self.serving, listening}, timeout=PATIENCE, return_when=asyncio.FIRST_COMPLETED)
        listening.cancel()
        if self.serving.done():
            await self.serving  # serve() failed before listening: its error is the report
        expect(self.desk.port, "serve() never started listening.", fix="keep the provided start of serve().")

    async def client(self) -> Client:
        client = Client(*await asyncio.open_connection("127.0.0.1", self.desk.port))
        self.clients.append(client)
        return client

    def stop(self) -> None:
        self.stopped_at = time.perf_counter()
        self.desk.request_stop()

    async def closed(self) -> float:
        """Wait for serve() to return after the stop; the seconds it took."""
        __tracebackhide__ = True
        assert self.serving is not None and self.stopped_at is not None
        done, _ = await asyncio.wait({self.serving}, timeout=PATIENCE)
        took = time.perf_counter() - self.stopped_at
        if not done:
            open_clients = [c for c in self.clients if not c.reader.at_eof()]
            running = [o for o in self.kitchen.started if o not in self.kitchen.finished + self.kitchen.cancelled]
            still = []
            if running:
                still.append(f"the orders {running} still in the kitchen")
            if open_clients:
                count = len(open_clients)
                still.append(f"{count} client connection{'s' if count > 1 else ''} still open")
            fail(
                f"serve() was still shutting down {took:.1f} s after the stop (grace period "
                f"{self.grace:.1f} s)" + (f", with {' and '.join(still)}." if still else "."),
                fix=SHUTDOWN_STEPS,
            )
        await self.serving  # its error, if it failed, is the report
        return took

    async def close(self) -> None:
        for client in self.clients:
            client.close()
        if self.serving is not None and not self.serving.done():
            self.serving.cancel()
            await asyncio.wait({self.serving}, timeout=PATIENCE)

    def tasks_left(self) -> list[str]:
        """The tasks the desk started that are still running."""
        mine = asyncio.current_task()
        left = [t for t in asyncio.all_tasks() - self.tasks_before if t is not mine and not t.done()]
        return [t.get_coro().__qualname__ + "()" for t in left]


@pytest.fixture
async def open_desk(kata):
    """A factory: ``desk = await open_desk(kitchen, grace=...)``; everything closed after."""
    desks = []

    async def start(kitchen: Kitchen, grace: float) -> Desk:
        desk = Desk(kata, kitchen, grace)
        desks.append(desk)
        await desk.start()
        return desk

    yield start
    for desk in desks:
        await desk.close()


# --- the tests ---------------------------------------------------------------------------------
@pytest.mark.workload
async def test_an_order_in_flight_is_finished_and_answered_before_the_desk_closes(open_desk):
    """A graceful stop lets the work in flight finish, and returns as soon as it has."""
    kitchen = Kitchen({"soup": SOUP})
    desk = await open_desk(kitchen, grace=LONG_GRACE)
    client = await desk.client()
    await client.order("soup")
    await kitchen.until_started("soup")
    desk.stop()
    took = await desk.closed()
    answered = await client.line()
    expect(
        "soup" not in kitchen.cancelled,
        f"the soup was cancelled {took:.2f} s after the stop, while it had {SOUP:.1f} s to go "
        f"and the grace period is {LONG_GRACE:.1f} s: an order in flight gets the grace period "
        "to finish.",
        fix="wait for the orders in flight first, with the grace period as a timeout "
        "(`await asyncio.wait(orders, timeout=self.grace)`); cancel only what is still pending.",
    )
    expect(
        answered == "soup: ready",
        "the soup was ready, but its client never got 'soup: ready': the connection was "
        "closed before the answer went out." if answered == "" else
        f"the soup was ready, but its client got {answered!r} instead of 'soup: ready'.",
        fix="close the client connections after the orders in flight have finished.",
    )
    expect(
        took <= DRAIN.bound,
        f"serve() returned {took:.2f} s after the stop, though its only order was ready after "
        f"≈ {SOUP:.1f} s: it waited for the whole grace period ({LONG_GRACE:.1f} s), not for the orders.",
        fix="wait for the orders themselves, with the grace period as the timeout: "
        "`await asyncio.wait(orders, timeout=self.grace)` returns as soon as they are done.",
    )


async def test_no_new_connection_and_no_new_order_is_taken_once_the_desk_is_closing(open_desk):
    """Stopping starts by refusing new work: new connections, and new orders on open ones."""
    stew_done = asyncio.Event()  # the stew is in flight until the test has tried new work
    kitchen = Kitchen({"stew": stew_done})
    desk = await open_desk(kitchen, grace=LONG_GRACE)
    cooking, idle = await desk.client(), await desk.client()
    await cooking.order("stew")
    await kitchen.until_started("stew")
    desk.stop()
    await asyncio.sleep(SETTLE)
    try:
        try:
            await idle.order("salad")
        except ConnectionError:
            pass  # the desk closed it: the refusal check below says so
        refusal = await idle.line()
        accepted = await try_to_connect(desk.desk.port)
    finally:
        stew_done.set()
    await desk.closed()
    expect(
        "stew" not in kitchen.cancelled,
        "the stew, in flight when the stop came, was cancelled before it was ready: an order "
        "in flight gets the grace period to finish.",
        fix="wait for the orders in flight first, with the grace period as a timeout; cancel "
        "only what is still pending after it.",
    )
    expect(
        "salad" not in kitchen.started,
        "an order sent after the stop (salad) went to the kitchen: a closing desk takes no new orders.",
        fix="in handle_client, once self.stopping is set, answer f\"{order}: {REFUSED}\" "
        "instead of starting the order.",
    )
    got = {None: "no answer", "": "no answer: the desk closed the connection"}.get(refusal, repr(refusal))
    expect(
        refusal is not None and refusal.startswith("salad:") and "refused" in refusal,
        f"an order sent after the stop (salad) got {got}; expected the answer "
        "'salad: refused, the desk is closing'.",
        fix="answer it at once: `await answer(writer, f\"{order}: {REFUSED}\")`, then go on reading.",
    )
    expect(
        not accepted,
        "the desk accepted a new connection after the stop: it was still listening.",
        fix="close the server first, `server.close()`: it stops listening at once.",
    )


async def try_to_connect(port: int) -> bool:
    """True if a new connection to the port was accepted."""
    try:
        async with asyncio.timeout(1.0):  # Windows retries a refused connection for ~2 s
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
    except (OSError, TimeoutError):
        return False
    writer.close()
    return True


async def test_an_order_past_the_grace_period_is_cancelled_and_the_desk_closes_on_time(open_desk):
    """What does not finish within the grace period is cancelled, and waited for."""
    kitchen = Kitchen({"stew": None})  # never ready
    desk = await open_desk(kitchen, grace=SHORT_GRACE)
    client = await desk.client()
    await client.order("stew")
    await kitchen.until_started("stew")
    desk.stop()
    took = await desk.closed()
    put_away = list(kitchen.put_away)
    expect(
        "stew" in kitchen.cancelled,
        f"serve() returned {took:.2f} s after the stop, and the stew, which never ends, was "
        "never cancelled: it is still in the kitchen.",
        fix="cancel the orders still pending after the grace period: `task.cancel()` for each.",
    )
    expect(
        "stew" in put_away,
        "serve() returned while the cancelled stew was still being put away: cancel() only "
        "asks a task to stop, and nothing waited for it to end.",
        fix="after cancelling, await the cancelled tasks: "
        "`await asyncio.gather(*late, return_exceptions=True)`.",
    )
    expect(
        took <= 2 * (SHORT_GRACE + PUT_AWAY),
        f"serve() returned {took:.2f} s after the stop, with a grace period of {SHORT_GRACE:.1f} s: "
        "cancel what is left as soon as the grace period is over.",
        fix="`await asyncio.wait(orders, timeout=self.grace)`, then cancel what is still pending.",
    )
    expect(
        await client.closed_by_desk(),
        "the stew's client connection was still open after serve() returned.",
        fix="close every client connection: `writer.close()` and `await writer.wait_closed()`.",
    )


async def test_every_connection_is_closed_and_no_task_is_left_running(open_desk):
    """A stopped service leaves nothing behind: every connection closed, every task ended."""
    kitchen = Kitchen({"tea": 0.05})
    desk = await open_desk(kitchen, grace=LONG_GRACE)
    clients = [await desk.client() for _ in range(3)]
    await clients[0].order("tea")
    await kitchen.until_started("tea")
    desk.stop()
    await desk.closed()
    closed = await asyncio.gather(*(client.closed_by_desk() for client in clients))
    still_open = [client for client, done in zip(clients, closed) if not done]
    expect(
        not still_open,
        f"after serve() returned, {len(still_open)} of the {len(clients)} client connections were "
        "still open (the desk never closed them).",
        fix="close every client connection: `writer.close()` for each in self.clients, then "
        "`await writer.wait_closed()`.",
    )
    waited = time.perf_counter()  # the connections' own tasks end a moment after they close
    while desk.tasks_left() and time.perf_counter() - waited < PATIENCE:
        await asyncio.sleep(0.01)
    left = desk.tasks_left()
    expect(
        not left,
        f"{PATIENCE:.1f} s after serve() returned, tasks it started were still running: "
        f"{', '.join(sorted(set(left)))}.",
        fix="cancel what is still pending after the grace period and await it; close every "
        "connection so that its handle_client ends.",
    )


@pytest.mark.skipif(sys.platform == "win32" or not hasattr(signal, "SIGUSR1"), reason=NO_LOOP_SIGNALS)
async def test_a_signal_asks_the_desk_to_stop_at_once(kata, open_desk):
    """loop.add_signal_handler wakes the loop when the signal arrives, and runs the callback on it."""
    desk = await open_desk(Kitchen({}), grace=SHORT_GRACE)
    loop = asyncio.get_running_loop()
    caught_by_test: list[int] = []
    before = signal.signal(signal.SIGUSR1, lambda number, frame: caught_by_test.append(number))
    # The signal comes from another thread while the loop sleeps, as a real one would.
    sender = threading.Timer(SETTLE, os.kill, (os.getpid(), signal.SIGUSR1))
    try:
        installed = kata.stop_on_signals(desk.desk, [signal.SIGUSR1])
        expect(
            installed is True,
            f"stop_on_signals(desk, [SIGUSR1]) returned {installed!r} on {sys.platform}, where "
            "the event loop handles signals; expected True.",
            fix="return True once loop.add_signal_handler has been called for every signal.",
        )
        await asyncio.sleep(0)
        expect(
            not desk.desk.stopping.is_set(),
            "stop_on_signals asked the desk to stop at once, before any signal came.",
            fix="hand add_signal_handler the function to call later, `desk.request_stop`, "
            "not a call, `desk.request_stop()`.",
        )
        sender.start()
        sent = time.perf_counter() + SETTLE
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(desk.desk.stopping.wait(), SETTLE + 2 * HEARD_WITHIN)
        heard = time.perf_counter() - sent
        sender.join()
        expect(
            not caught_by_test,
            "SIGUSR1 arrived, but stop_on_signals had installed no handler for it.",
            fix="`asyncio.get_running_loop().add_signal_handler(sig, desk.request_stop)` for each signal.",
        )
        expect(
            desk.desk.stopping.is_set(),
            "SIGUSR1 arrived, and the desk was not asked to stop.",
            fix="make the handler call desk.request_stop().",
        )
        expect(
            heard <= HEARD_WITHIN,
            f"the desk heard of SIGUSR1 only {heard:.2f} s after it arrived, when the loop woke up "
            "for something else: a handler set with signal.signal runs between two lines of "
            "Python, and a loop asleep waiting for I/O is not woken for it.",
            fix="`loop.add_signal_handler(sig, desk.request_stop)`: asyncio wakes the loop and "
            "runs the callback on it at once.",
        )
        desk.stopped_at = time.perf_counter()
        await desk.closed()
    finally:
        sender.cancel()
        loop.remove_signal_handler(signal.SIGUSR1)
        signal.signal(signal.SIGUSR1, before)


async def test_where_the_loop_cannot_handle_signals_stop_on_signals_returns_false(kata, open_desk, monkeypatch):
    """On Windows, loop.add_signal_handler raises NotImplementedError: say so, do not crash."""
    desk = await open_desk(Kitchen({}), grace=SHORT_GRACE)
    loop = asyncio.get_running_loop()

    def no_signals(*args, **kwargs):
        raise NotImplementedError

    monkeypatch.setattr(loop, "add_signal_handler", no_signals)
    try:
        installed = kata.stop_on_signals(desk.desk, [signal.SIGINT])
    except NotImplementedError as error:
        if raised_by(error, no_signals):
            fail(
                "stop_on_signals let loop.add_signal_handler's NotImplementedError through; "
                "that is what it raises on Windows.",
                fix="catch NotImplementedError around loop.add_signal_handler and return False.",
            )
        raise
    expect(
        installed is False,
        f"stop_on_signals(desk, [SIGINT]) returned {installed!r} where loop.add_signal_handler "
        "raises NotImplementedError (as on Windows); expected False.",
        fix="catch NotImplementedError around loop.add_signal_handler and return False.",
    )


def raised_by(error: BaseException, function) -> bool:
    """Whether ``error`` was raised inside ``function`` (not, say, by a stub)."""
    tb = error.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    return tb is not None and tb.tb_frame.f_code is function.__code__
