"""Accepted: `reader.readuntil(b"\\n")`, whose IncompleteReadError at the end of the
stream carries the cut-off line in `.partial`; the session in a method of its own, and
the connection closed around it by handle_client."""

import asyncio
import contextlib

ENCODING = "utf-8"


class KeyValueStore:
    def __init__(self) -> None:
        self.values: dict[str, str] = {}

    def answer(self, command: str) -> str:
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
        return await asyncio.start_server(client_connected_cb=self.handle_client, host=host, port=port)

    async def handle_client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await self.session(reader, writer)
        except ConnectionError:
            pass  # the client is gone
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    async def session(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            try:
                line = await reader.readuntil(b"\n")
            except asyncio.IncompleteReadError as end:
                if end.partial:  # the stream ended in the middle of a line
                    writer.write(b"ERROR incomplete line\n")
                    await writer.drain()
                return
            try:
                command = line.decode(ENCODING)
            except UnicodeDecodeError:
                reply = "ERROR a command is UTF-8 text"
            else:
                reply = self.answer(command)
            writer.write(f"{reply}\n".encode(ENCODING))
            await writer.drain()
            if reply == "BYE":
                return
