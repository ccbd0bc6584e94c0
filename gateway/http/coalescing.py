"""Each answer in one write: uvicorn's HTTP protocol with the writes of one loop step joined.

uvicorn writes a response's status line and headers to the socket when the app sends
`http.response.start`, and its body when the app sends `http.response.body`: two system calls
and two TCP segments for every answer, however small, each written in the middle of the
request's task; the client reads twice. `CoalescingHttpProtocol` is uvicorn's httptools
protocol whose transport (`CoalescingTransport`) keeps what is written during one step of the
event loop and writes it in one call once the step is over: the headers and a body sent in the
same step leave in one segment, as aiohttp's server does for small answers
(aio-libs/aiohttp#10991).

Measured (`bench/README.md`, "One write per answer"): with the bench's Python client, an
`authorize` cost the server 68 µs of CPU this way against 82 with uvicorn's own protocol (one
run each, minutes apart); with wrk the difference came and went (88 against 63 µs in one
interleaved run, none an hour later). What helped was writing after the step rather than in
it: one write made at the end of the answer, inside the step, was as slow as two.

Nothing waits longer than the step that wrote it: a streaming answer whose app awaits between
chunks sends each chunk when it awaits, as before, and one that never waits still writes every
64 KiB (`WRITE_AT_BYTES`), meeting the socket's back-pressure. Closing, aborting and handing
the connection to another protocol (a WebSocket upgrade) write what is pending first (or,
for an abort, drop it). Everything else is uvicorn's, unchanged.

`gateway serve` serves with it (`HTTP_PROTOCOL`, uvicorn's `--http` option), and so do the
test servers.
"""

from __future__ import annotations

import asyncio
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

HTTP_PROTOCOL = "gateway.http.coalescing:CoalescingHttpProtocol"
"""uvicorn's `--http` option naming this protocol (an import string)."""
WRITE_AT_BYTES = 65_536
"""Pending bytes that are written at once rather than at the end of the step: an app that
streams a large body without ever waiting must still meet the socket's back-pressure
(uvicorn waits for a transport over its high-water mark, 64 KiB by default, to drain) instead
of piling the whole body up here."""


class CoalescingTransport(asyncio.Transport):
    """A transport writing through `transport` once per event-loop step (see the module)."""

    __slots__ = ("_loop", "_pending", "_pending_bytes", "_transport")

    def __init__(self, transport: asyncio.Transport, loop: asyncio.AbstractEventLoop) -> None:
        super().__init__()
        self._transport = transport
        self._loop = loop
        self._pending: list[bytes | bytearray | memoryview] | None = None
        self._pending_bytes = 0

    def write(self, data: bytes | bytearray | memoryview) -> None:
        """Write `data` at the end of this loop step, with whatever else is written in it
        (at once when WRITE_AT_BYTES are pending)."""
        if not data:
            return
        pending = self._pending
        if pending is not None:
            pending.append(data)
            self._pending_bytes += len(data)
        elif self._transport.is_closing():
            return  # nowhere to go: dropped, as asyncio's transports drop it
        else:
            self._pending = [data]
            self._pending_bytes = len(data)
            self._loop.call_soon(self.flush)
        if self._pending_bytes >= WRITE_AT_BYTES:
            self.flush()

    def writelines(self, list_of_data: Any) -> None:
        """Write each of `list_of_data`, as `write` does."""
        for data in list_of_data:
            self.write(data)

    def flush(self) -> None:
        """Write what is pending now (the end of the step calls this); drop it if the
        connection was closed meanwhile (the client went away). A write to a closed uvloop
        transport raises, and here it would be raised into the event loop, which logs it
        with its traceback."""
        pending = self._pending
        if pending is None:
            return
        self._pending = None
        self._pending_bytes = 0
        if not self._transport.is_closing():
            self._transport.write(pending[0] if len(pending) == 1 else b"".join(pending))

    def write_eof(self) -> None:
        self.flush()
        self._transport.write_eof()

    def can_write_eof(self) -> bool:
        return self._transport.can_write_eof()

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def abort(self) -> None:
        self._pending = None
        self._pending_bytes = 0
        self._transport.abort()

    def is_closing(self) -> bool:
        return self._transport.is_closing()

    def set_protocol(self, protocol: asyncio.BaseProtocol) -> None:
        self.flush()  # what the old protocol wrote goes first
        self._transport.set_protocol(protocol)

    def get_protocol(self) -> asyncio.BaseProtocol:
        return self._transport.get_protocol()

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return self._transport.get_extra_info(name, default)

    def is_reading(self) -> bool:
        return self._transport.is_reading()

    def pause_reading(self) -> None:
        self._transport.pause_reading()

    def resume_reading(self) -> None:
        self._transport.resume_reading()

    def set_write_buffer_limits(self, high: int | None = None, low: int | None = None) -> None:
        self._transport.set_write_buffer_limits(high, low)

    def get_write_buffer_size(self) -> int:
        return self._transport.get_write_buffer_size() + self._pending_bytes

    def get_write_buffer_limits(self) -> tuple[int, int]:
        return self._transport.get_write_buffer_limits()


class CoalescingHttpProtocol(HttpToolsProtocol):
    """uvicorn's httptools HTTP/1.1 protocol writing through a `CoalescingTransport`."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)  # flow control and addresses: the socket's own
        self.transport = CoalescingTransport(transport, self.loop)


__all__ = ["HTTP_PROTOCOL", "CoalescingHttpProtocol", "CoalescingTransport"]
