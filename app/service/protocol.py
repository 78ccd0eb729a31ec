"""The HTTP protocol ``wallet serve`` gives uvicorn: httptools, each response in one write."""

from __future__ import annotations

import asyncio
from typing import Any, cast

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol


class OneWritePerTurn:
    """A connection's transport that sends a response's head and body in one ``write``.

    uvicorn writes the status line and headers, then the body, in two system calls: with
    TCP_NODELAY two segments and two wake-ups of the client. Here a write is held back until
    the next write of the same turn of the event loop, and the two leave together at once (a
    response's body follows its head in the same turn: nothing waits for a later turn); a
    write that no other follows leaves at the start of the loop's next turn. Everything else
    is the transport's; ``close`` sends what is held first."""

    __slots__ = ("_held", "_loop", "_transport")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._held: bytes | None = None

    def write(self, data: bytes) -> None:
        held = self._held
        if held is None:
            self._held = bytes(data)
            self._loop.call_soon(self._flush)
        else:
            self._held = None  # the scheduled flush finds nothing
            self._transport.write(held + data)

    def _flush(self) -> None:
        held, self._held = self._held, None
        if held is not None and not self._transport.is_closing():
            self._transport.write(held)

    def close(self) -> None:
        self._flush()
        self._transport.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class HttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, each response sent in one write (``OneWritePerTurn``):
    one segment instead of two, and less CPU per request for the worker and the client
    (``bench/bench_protocol.py``)."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        stream = cast("asyncio.Transport", transport)
        super().connection_made(OneWritePerTurn(stream, self.loop))  # type: ignore[arg-type]
