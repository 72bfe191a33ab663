"""Kata 29 — TCP streams: `asyncio.start_server` gives each client its own task and a
(reader, writer) pair; read one line at a time, answer it, `await writer.drain()`, and
close the connection on every path — whatever the client sends, or however it leaves.

Edit this file until `pytest katas/29_tcp_streams` is green.
"""

import asyncio
import contextlib  # noqa: F401 - contextlib.suppress may help

ENCODING = "utf-8"


class KeyValueStore:
    """A tiny key-value store that speaks a line protocol over TCP, one command per line:

        SET <key> <value>   ->  OK
        GET <key>           ->  VALUE <value>   or  NOT_FOUND
        DEL <key>           ->  DELETED         or  NOT_FOUND
        QUIT                ->  BYE             (then the server closes the connection)
        anything else       ->  ERROR <why>

    Every reply is one line that ends with b"\\n". All clients share one store.
    """

    def __init__(self) -> None:
        self.values: dict[str, str] = {}

    def answer(self, command: str) -> str:
        """The reply to one command line (its trailing newline is ignored), without a newline.

        This one is done for you.
        """
        command = command.rstrip("\r\n")
        if "\n" in command:
            return "ERROR one command per line"
        name, _, rest = command.partition(" ")
        if name == "SET":
            key, _, value = rest.partition(" ")
            if not key or not value:
                return "ERROR usage: SET <key> <value>"
            self.values[key] = value
            return "OK"
        if name in ("GET", "DEL"):
            if not rest or " " in rest:
                return f"ERROR usage: {name} <key>"
            if rest not in self.values:
                return "NOT_FOUND"
            if name == "DEL":
                del self.values[rest]
                return "DELETED"
            return f"VALUE {self.values[rest]}"
        if name == "QUIT" and not rest:
            return "BYE"
        return f"ERROR unknown command {name[:20]!r}"

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> asyncio.Server:
        """Listen on host:port (port 0: any free port) and serve every client with
        self.handle_client. Return the server at once: it serves in the background, and
        its port is `server.sockets[0].getsockname()[1]`.
        """
        # TODO: start a stream server on host and port, and return it.
        raise NotImplementedError

    async def handle_client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Serve one client, one line at a time, until it says QUIT or goes away.

        - Each complete line gets one reply line (`self.answer`), sent at once.
        - A line that is not valid UTF-8 gets an ERROR reply; the session goes on.
        - At the end of the stream (the client closed its side) a last line without its
          newline may be cut short: reply ERROR instead of running it, then stop.
        - After each write, wait until the client can take more (drain).
        - A client that vanishes (ConnectionError) ends its session; it is not a crash.
        - However the session ends, close the connection.
        """
        # TODO: the session loop, and closing the connection on every path.
        raise NotImplementedError
