"""Accepted: `async for line in reader` (a StreamReader yields its lines, the cut-off last
one included), `decode(errors="replace")` so that any bytes become some command (an
unknown one gets ERROR from answer), and a helper that writes and drains."""

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
        server = await asyncio.start_server(self.handle_client, host=host, port=port)
        return server

    async def send(self, writer: asyncio.StreamWriter, reply: str) -> None:
        writer.write(reply.encode(ENCODING) + b"\n")
        await writer.drain()

    async def handle_client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            async for line in reader:
                if not line.endswith(b"\n"):
                    await self.send(writer, "ERROR the line ended without a newline")
                    return
                reply = self.answer(line.decode(ENCODING, errors="replace"))
                await self.send(writer, reply)
                if reply == "BYE":
                    return
        except (ConnectionResetError, BrokenPipeError, ConnectionAbortedError):
            return
        finally:
            writer.close()
            try:
                await writer.wait_closed()
            except ConnectionError:
                pass
