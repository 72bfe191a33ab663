"""Kata 29 — TCP streams. Run: pytest katas/29_tcp_streams"""

import asyncio
import contextlib
import socket
import struct
import sys

import pytest

from harness.judge import expect, fail

HOST = "127.0.0.1"
# A reply on loopback comes within a few milliseconds; a missing one is given 1 s
# (over 100x that) before the test says so. Only a failing test waits this long.
REPLY_WITHIN = 1.0
# How long a handler may take to end once its client has gone (it takes < 10 ms).
ENDS_WITHIN = 1.0
# How long start() may take: start_server listens at once (a few ms; 0.5 s is 100x that).
STARTS_WITHIN = 0.5

# The drain test: a client asks for 100 replies of 50 KB (5 MB) and reads none of them.
# The kernel holds at most a few hundred KB of them (both socket buffers are set small
# below); with `await writer.drain()` the server's own buffer stays under its high-water
# mark plus one reply (64 KiB + 50 KB ≈ 0.11 MB); without it, it takes everything the
# kernel does not (≈ 4.5 MB). BUFFERED_TOO_MUCH sits 9x above the first, 4.5x below the second.
BIG_VALUE = "x" * 50_000
BIG_REPLIES = 100
BUFFERED_TOO_MUCH = 1_000_000
SOCKET_BUFFER = 64 * 1024
# A client that resets its connection: SO_LINGER on, 0 s (Windows' struct has two shorts).
RESET = struct.pack("HH" if sys.platform == "win32" else "ii", 1, 0)
# Replies that keep coming after the end of the stream: a session that never ends.
FLOOD = 1_000_000

START_FIX = (
    "start listening with `server = await asyncio.start_server(self.handle_client, host, port)` "
    "and return the server: it serves clients in the background on its own."
)
SESSION_FIX = (
    "end the session when `await reader.readline()` returns b'' (the client closed its side), "
    "and close the connection on every path: `writer.close()` then `await writer.wait_closed()` "
    "in a `finally:` block."
)
CRASH_FIXES = {
    UnicodeDecodeError: "a client can send any bytes: catch UnicodeDecodeError (or decode with "
    "errors='replace') and reply with an ERROR line.",
    ConnectionError: "a client can vanish at any moment: catch ConnectionError (reset, broken "
    "pipe) around the session — it ends the session, it is not an error of the server — and "
    "around `await writer.wait_closed()` too.",
    asyncio.IncompleteReadError: "at the end of the stream, readuntil raises IncompleteReadError: "
    "its `.partial` is what came before it (b'' when the client closed between lines).",
}
CRASH_FIX = "catch what a client can cause and answer it with an ERROR line; the server carries on."
REPLY_FIX = (
    "answer each line as soon as it has arrived: `line = await reader.readline()` waits for "
    "one line, then `writer.write(reply)` and `await writer.drain()`."
)
STALLED_FIX = (
    "answer each line as soon as it has arrived, and let a session wait for its own client "
    "only: hold no lock (nor anything another session needs) across `reader.readline()` or "
    "`writer.drain()`. The dict needs no lock: no other task runs between two awaits."
)
FRAMING_FIX = (
    "read line by line, `await reader.readline()`: it waits for the newline, however the "
    "bytes were split on the way. A read returns whatever has arrived: two lines, or half of one."
)


def shown(data: bytes | str) -> str:
    """A command as the learner would type it: the text, or the bytes if they are not UTF-8."""
    if isinstance(data, bytes):
        try:
            data = data.decode("utf-8")
        except UnicodeDecodeError:
            return repr(data)
    return repr(data) if len(data) <= 40 else f"{data[:30]!r}… ({len(data)} characters)"


# --- the server side: every connection the learner's handler serves --------------------------
class Session:
    """One connection, as the server saw it."""

    __test__ = False

    def __init__(self, writer: asyncio.StreamWriter, task: asyncio.Task | None) -> None:
        self.writer = writer
        self.task = task
        self.ended = False
        self.crash: Exception | None = None
        self.left_open = False


class Connections:
    """Stands in for store.handle_client: runs the learner's handler for each connection
    and notes how many ran at once, whether it crashed, and whether it closed its end."""

    __test__ = False

    def __init__(self, handler, kata_file) -> None:
        self.handler = handler
        self.kata_file = kata_file
        self.sessions: list[Session] = []
        self.peak = 0

    @property
    def running(self) -> list[Session]:
        return [s for s in self.sessions if not s.ended]

    async def __call__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        session = Session(writer, asyncio.current_task())
        self.sessions.append(session)
        self.peak = max(self.peak, len(self.running))
        with contextlib.suppress(OSError):  # keep the kernel from hiding an unbounded buffer
            writer.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, SOCKET_BUFFER)
        try:
            await self.handler(reader, writer)
        except Exception as error:  # noqa: BLE001 - a crash is the finding
            session.crash = error
        finally:
            session.ended = True
            session.left_open = session.crash is None and not writer.is_closing()
            writer.close()  # so that no client of a broken handler waits for ever

    def where_waiting(self, session: Session) -> tuple:
        return tuple(self.kata_file.awaiting(session.task.get_coro())) if session.task else ()

    def assert_no_crash(self, *, after: str = "") -> None:
        __tracebackhide__ = True
        for session in self.sessions:
            error = session.crash
            if error is None:
                continue
            if isinstance(error, NotImplementedError):
                raise error  # still a stub: the judge names it as such
            fix = next((f for kind, f in CRASH_FIXES.items() if isinstance(error, kind)), CRASH_FIX)
            fail(
                f"handle_client crashed with {type(error).__name__}" + (f": {error}" if str(error) else "")
                + (f" {after}" if after else "")
                + ". The client's connection died with it.",
                where=self.kata_file.traceback(error.__traceback__),
                fix=fix,
            )

    async def assert_all_ended_and_closed(self, *, clients_did: str) -> None:
        """Once every client has gone, every handler has ended and closed its connection."""
        __tracebackhide__ = True
        loop = asyncio.get_running_loop()
        deadline = loop.time() + ENDS_WITHIN
        while self.running and loop.time() < deadline:
            await asyncio.sleep(0.005)
        self.assert_no_crash(after=f"(after {clients_did})")
        if self.running:
            fail(
                f"handle_client was still running {ENDS_WITHIN:g} s after {clients_did}: it "
                "never noticed that its client had gone, and its connection stays open.",
                where=self.where_waiting(self.running[0]),
                fix=SESSION_FIX,
            )
        if any(s.left_open for s in self.sessions):
            fail(
                f"handle_client returned without closing its connection (after {clients_did}): "
                "the socket stays open, and a client that waits for the end of the stream "
                "waits for ever.",
                fix="close it on every path: `writer.close()` then `await writer.wait_closed()`, "
                "in a `finally:` block.",
            )


# --- the client side: the test is the client ----------------------------------------------------
class Client:
    __test__ = False

    def __init__(self, name: str, reader, writer, connections: Connections) -> None:
        self.name = name
        self.reader = reader
        self.writer = writer
        self.connections = connections

    async def send(self, data: bytes) -> None:
        self.writer.write(data)
        await self.writer.drain()

    async def reply(self, sent: str, *, fix: str | None = None) -> str:
        """The next reply line; no reply (or the connection closed instead) fails the test."""
        __tracebackhide__ = True
        try:
            line = await asyncio.wait_for(self.reader.readline(), REPLY_WITHIN)
        except TimeoutError:
            line = None
        except ConnectionError:
            line = b""
        if line:
            return line.decode("utf-8", "backslashreplace").rstrip("\n")
        self.connections.assert_no_crash(after=f"when {self.name} sent {sent}")
        if line == b"":
            fail(
                f"{self.name} sent {sent} and the server closed the connection without a reply.",
                fix="answer every line with one reply line before anything else; close only "
                "after QUIT or when the client has gone.",
            )
        waiting = self.connections.running
        where = self.connections.where_waiting(waiting[-1]) if waiting else ()
        fail(
            f"{self.name} sent {sent} and got no reply within {REPLY_WITHIN:g} s"
            + (", while handle_client waited here:" if where else "."),
            where=where,
            fix=fix or REPLY_FIX,
        )

    async def check(self, command: str, expected: str, *, fix: str | None = None) -> None:
        """Send one command line; its reply is `expected`."""
        __tracebackhide__ = True
        await self.send(f"{command}\n".encode())
        got = await self.reply(shown(command), fix=fix)
        expect(
            got == expected,
            f"{self.name} sent {shown(command)} and got {shown(got)}; expected {shown(expected)}.",
            fix="send back store.answer(command) for each command, as one line.",
        )

    async def rest(self, sent: str) -> bytes:
        """Everything the server sends until it closes the connection."""
        __tracebackhide__ = True
        loop = asyncio.get_running_loop()
        deadline = loop.time() + REPLY_WITHIN
        got = bytearray()
        while len(got) < FLOOD:
            try:
                chunk = await asyncio.wait_for(self.reader.read(65536), deadline - loop.time())
            except TimeoutError:
                break
            except ConnectionError:
                chunk = b""
            if not chunk:
                return bytes(got)
            got += chunk
        self.connections.assert_no_crash(after=f"when {self.name} sent {sent}")
        lines = bytes(got[: got.rfind(b"\n") + 1]).splitlines()  # complete lines only
        fail(
            f"{self.name} sent {sent}, and waited {REPLY_WITHIN:g} s for the server to close "
            "the connection; it stayed open"
            + (f", and sent {len(lines)} lines, the last {shown(lines[-1])}." if lines else "."),
            fix=SESSION_FIX,
        )
        raise AssertionError  # fail() raised already

    def reset(self) -> None:
        """Vanish: close with a TCP reset, as a client that crashed or lost its network does."""
        self.writer.get_extra_info("socket").setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, RESET)
        self.writer.transport.abort()


class Serving:
    """The learner's store, started by its own start(), with every connection watched."""

    __test__ = False

    def __init__(self, kata, kata_file) -> None:
        self.store = kata.KeyValueStore()
        self.connections = Connections(self.store.handle_client, kata_file)
        self.store.handle_client = self.connections
        self.clients: list[Client] = []
        self.server: asyncio.Server | None = None
        self.port = 0

    async def __aenter__(self) -> "Serving":
        __tracebackhide__ = True
        call = f"store.start({HOST!r}, 0)"
        try:
            server = await asyncio.wait_for(self.store.start(HOST, 0), STARTS_WITHIN)
        except TimeoutError:
            fail(
                f"{call} did not return within {STARTS_WITHIN:g} s. asyncio.start_server is "
                "already listening when it returns; awaiting server.serve_forever() (or "
                "anything else that runs until the server stops) keeps start() from returning.",
                fix=START_FIX,
            )
        if not isinstance(server, asyncio.Server):
            fail(f"{call} returned {server!r}; expected the asyncio.Server it started.", fix=START_FIX)
        self.server = server
        host, self.port = server.sockets[0].getsockname()[:2]
        expect(
            (host, self.port != 0) == (HOST, True),
            f"{call} listens on {host}:{self.port}; it was asked for {HOST}, port 0 (any free port).",
            fix="pass the host and port you are given to asyncio.start_server.",
        )
        return self

    async def client(self, name: str, *, receive_buffer: int | None = None) -> Client:
        __tracebackhide__ = True
        if receive_buffer is None:
            reader, writer = await asyncio.open_connection(HOST, self.port)
        else:
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, receive_buffer)
            sock.setblocking(False)
            await asyncio.get_running_loop().sock_connect(sock, (HOST, self.port))
            reader, writer = await asyncio.open_connection(sock=sock)
        client = Client(name, reader, writer, self.connections)
        self.clients.append(client)
        await self._seen(len(self.clients))
        return client

    async def every_client_leaves(self) -> None:
        """Every client closes its connection: every session ends, and closes its end."""
        __tracebackhide__ = True
        for client in self.clients:
            client.writer.close()
        await self.connections.assert_all_ended_and_closed(clients_did="every client closed its connection")

    async def _seen(self, count: int) -> None:
        __tracebackhide__ = True
        loop = asyncio.get_running_loop()
        deadline = loop.time() + REPLY_WITHIN
        while len(self.connections.sessions) < count and loop.time() < deadline:
            await asyncio.sleep(0.002)
        expect(
            len(self.connections.sessions) >= count,
            "the server accepted a connection, but self.handle_client never ran for it.",
            fix=START_FIX,
        )

    async def __aexit__(self, *exc_info) -> None:
        for client in self.clients:
            client.writer.transport.abort()
        for session in self.connections.running:
            if session.task is not None:
                session.task.cancel()
        tasks = [s.task for s in self.connections.sessions if s.task is not None]
        await asyncio.wait(tasks, timeout=ENDS_WITHIN) if tasks else None
        if self.server is not None:
            self.server.close()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self.server.wait_closed(), ENDS_WITHIN)


def serving(kata, kata_file) -> Serving:
    return Serving(kata, kata_file)


# --- the tests ---------------------------------------------------------------------------------------
async def test_the_store_listens_on_a_free_port_of_the_host_it_is_given(kata, kata_file):
    """start() listens at once and returns the server; port 0 asks the OS for a free port."""
    async with serving(kata, kata_file) as running:
        client = await running.client("a client")
        await client.check("SET espresso 1299", "OK")
        await running.every_client_leaves()


async def test_each_command_is_answered_before_the_next_is_sent(kata, kata_file):
    """A line protocol: read one line, write one reply line, and wait for the next."""
    expected = [
        ("SET order-7 oat milk latte", "OK"),
        ("GET order-7", "VALUE oat milk latte"),
        ("GET order-8", "NOT_FOUND"),
        ("DEL order-7", "DELETED"),
        ("GET order-7", "NOT_FOUND"),
    ]
    async with serving(kata, kata_file) as running:
        client = await running.client("the client")
        for command, reply in expected:
            await client.check(command, reply)
        await client.check("QUIT", "BYE")
        rest = await client.rest("'QUIT'")
        expect(rest == b"", f"after BYE the server sent {shown(rest)}; expected the end of the stream.")
        await running.connections.assert_all_ended_and_closed(clients_did="the client said QUIT")


async def test_commands_are_framed_by_newlines_not_by_reads(kata, kata_file):
    """TCP is a stream of bytes: one read may hold two lines, or half of one."""
    async with serving(kata, kata_file) as running:
        client = await running.client("the client")
        await client.send(b"SET mug ceramic\nGET mug\n")
        both = "'SET mug ceramic\\nGET mug\\n' (two lines in one write)"
        for reply in ("OK", "VALUE ceramic"):
            got = await client.reply(both, fix=FRAMING_FIX)
            expect(
                got == reply,
                f"two commands sent in one write, b'SET mug ceramic\\nGET mug\\n', got {got!r}; "
                f"expected {reply!r}.",
                fix=FRAMING_FIX,
            )
        await client.send(b"GE")
        await asyncio.sleep(0.1)  # the first half arrives on its own
        await client.send(b"T mug\n")
        got = await client.reply("'GET mug\\n' in two writes, 'GE' then 'T mug\\n'", fix=FRAMING_FIX)
        expect(
            got == "VALUE ceramic",
            f"'GET mug\\n' sent in two writes, 'GE' then 'T mug\\n', got {got!r}; expected 'VALUE ceramic'.",
            fix=FRAMING_FIX,
        )
        await running.every_client_leaves()


async def test_garbage_lines_get_an_error_reply_and_the_session_goes_on(kata, kata_file):
    """Bytes from the network are untrusted: a bad line gets an ERROR reply, never a crash."""
    garbage = [b"\xff\xfe\xfa\n", b"BREW espresso\n", b"SET lonely-key\n", b"\n"]
    async with serving(kata, kata_file) as running:
        client = await running.client("the client")
        for line in garbage:
            await client.send(line)
            got = await client.reply(shown(line))
            expect(
                got.startswith("ERROR"),
                f"the client sent {shown(line)} and got {got!r}; expected an ERROR reply.",
                fix="reply to a line that is not a command with an ERROR line.",
            )
        await client.check("SET mug ceramic", "OK")
        await running.every_client_leaves()


async def test_a_client_that_half_closes_gets_every_reply_then_the_connection_ends(kata, kata_file):
    """After the client's EOF, answer what came, refuse a cut-off last line, then close."""
    async with serving(kata, kata_file) as running:
        client = await running.client("the client")
        # "SET price 12" may be "SET price 1299" cut short: it must not be stored.
        await client.send(b"SET price 1299\nGET price\nSET price 12")
        client.writer.write_eof()
        sent = "three lines, the last without its newline, then closed its side"
        rest = await client.rest(sent)
        running.connections.assert_no_crash(after="the client closed its side")
        replies = rest.decode("utf-8", "backslashreplace").splitlines()
        expect(
            replies[:2] == ["OK", "VALUE 1299"],
            f"the client sent {sent}, and got {replies}; expected 'OK' and 'VALUE 1299' first.",
            fix="answer every complete line before you close: the client still reads after "
            "closing its own side.",
        )
        expect(
            len(replies) == 3 and replies[2].startswith("ERROR"),
            f"the last line, 'SET price 12' with no newline, got {replies[2:] or 'no reply'}; "
            "expected an ERROR reply: a line cut off by the end of the stream may be cut short "
            "('SET price 12' of 'SET price 1299'), so it is refused, never run.",
            fix="`reader.readline()` returns the cut-off last line without b'\\n': check "
            "`line.endswith(b'\\n')`, and reply ERROR if it does not.",
        )
        await running.connections.assert_all_ended_and_closed(clients_did="the client closed its side")
        second = await running.client("a second client")
        await second.check("GET price", "VALUE 1299")
        await running.every_client_leaves()


@pytest.mark.workload
async def test_a_slow_client_does_not_stall_the_others(kata, kata_file):
    """Each connection has its own task: one that waits for its client holds up nobody."""
    async with serving(kata, kata_file) as running:
        slow = await running.client("a slow client")
        await slow.send(b"SET order-1 espr")  # ... and the rest of its line comes later

        async def order(number: int) -> None:
            client = await running.client(f"client {number}")
            await client.check(f"SET order-{number} latte", "OK", fix=STALLED_FIX)
            await client.check(f"GET order-{number}", "VALUE latte", fix=STALLED_FIX)

        await asyncio.gather(*(order(number) for number in range(2, 12)))
        expect(
            running.connections.peak >= 11,
            f"at most {running.connections.peak} connections were served at once; expected all 11.",
        )
        await slow.send(b"esso\n")
        got = await slow.reply("the rest of its line, 'esso\\n'")
        expect(got == "OK", f"the slow client's 'SET order-1 espresso' got {got!r}; expected 'OK'.")
        await running.every_client_leaves()


async def test_a_client_that_reads_nothing_holds_back_only_its_own_replies(kata, kata_file):
    """writer.write only queues bytes; `await writer.drain()` waits while the queue is full."""
    async with serving(kata, kata_file) as running:
        greedy = await running.client("a client that reads nothing", receive_buffer=SOCKET_BUFFER)
        await greedy.check(f"SET catalog {BIG_VALUE}", "OK")
        await greedy.send(b"GET catalog\n" * BIG_REPLIES)
        transport = running.connections.sessions[0].writer.transport
        queued = 0
        for _ in range(20):  # 0.2 s: plenty for the server to queue everything it will
            await asyncio.sleep(0.01)
            queued = max(queued, transport.get_write_buffer_size())
        other = await running.client("another client")
        await other.check("GET catalog", f"VALUE {BIG_VALUE}", fix=STALLED_FIX)
        expect(
            queued < BUFFERED_TOO_MUCH,
            f"a client asked for {BIG_REPLIES} replies of 50 KB and read none of them; the "
            f"server kept {queued / 1e6:.1f} MB of them queued in memory for it. writer.write "
            "only queues bytes: nothing held handle_client back.",
            fix="after each `writer.write(...)`, `await writer.drain()`: it waits while the "
            "client is not reading, so a slow reader holds back its own handler, not the "
            "server's memory.",
        )
        received = 0
        while received < BIG_REPLIES:  # now it reads: every reply arrives
            got = await greedy.reply(f"'GET catalog' {BIG_REPLIES} times")
            expect(got == f"VALUE {BIG_VALUE}", f"reply {received + 1} to GET catalog was {shown(got)}.")
            received += 1
        await running.every_client_leaves()


async def test_a_client_that_vanishes_ends_its_session_without_a_crash(kata, kata_file):
    """A reset connection ends the session: catch ConnectionError; the server serves on."""
    async with serving(kata, kata_file) as running:
        vanishing = await running.client("a client")
        await vanishing.check("SET cart espresso", "OK")
        vanishing.reset()
        await running.connections.assert_all_ended_and_closed(clients_did="its client reset the connection")
        after = await running.client("the next client")
        await after.check("GET cart", "VALUE espresso")
        await running.every_client_leaves()
