"""Mistake: decoding every line as UTF-8 without a fallback: a client that sends other
bytes crashes its session."""

import asyncio
import contextlib

MISTAKE = ('handle_client crashed with UnicodeDecodeError', 'wrong_decode_crashes.py:{line}')

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
        return await asyncio.start_server(self.handle_client, host, port)

    async def handle_client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                line = await reader.readline()
                if not line:
                    break  # the client closed its side: the session is over
                if not line.endswith(b"\n"):
                    reply = "ERROR incomplete line: the connection closed before its newline"
                else:
                    reply = self.answer(line.decode(ENCODING))  # <- mistake
                writer.write(f"{reply}\n".encode(ENCODING))
                await writer.drain()
                if reply == "BYE" or not line.endswith(b"\n"):
                    break
        except ConnectionError:
            pass  # the client went away: nobody is left to answer
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()
