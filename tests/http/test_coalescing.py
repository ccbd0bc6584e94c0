"""Each answer in one write: what one loop step writes leaves in one call, nothing waits past
its step, nothing is lost or reordered, and closing writes what is pending first.

Served over real sockets on 127.0.0.1 by uvicorn's protocol, with the socket's transport
wrapped to count the writes that reach it (`Counted`)."""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from uvicorn.server import ServerState

from gateway.http.coalescing import WRITE_AT_BYTES, CoalescingHttpProtocol, CoalescingTransport

App = Callable[[dict[str, Any], Any, Any], Awaitable[None]]
REQUEST = b"GET / HTTP/1.1\r\nHost: test\r\n\r\n"


class Counted(CoalescingTransport):
    """The socket's transport as the protocol sees it, passing each write on at once and
    keeping a copy: the writes that reach the socket."""

    def __init__(self, transport: asyncio.Transport, writes: list[bytes]) -> None:
        super().__init__(transport, asyncio.get_running_loop())
        self.writes = writes

    def write(self, data: bytes | bytearray | memoryview) -> None:
        self.writes.append(bytes(data))
        self._transport.write(data)


@contextlib.asynccontextmanager
async def served(
    app: App, protocol: type[HttpToolsProtocol] = CoalescingHttpProtocol
) -> AsyncIterator[tuple[int, list[bytes]]]:
    """`app` served on a free port of 127.0.0.1 by `protocol`; the port, and the writes that
    reached the sockets."""
    config = Config(app, lifespan="off", log_level="warning")
    config.load()
    state = ServerState()
    writes: list[bytes] = []

    class Counting(protocol):  # type: ignore[valid-type,misc]
        def connection_made(self, transport: asyncio.Transport) -> None:
            super().connection_made(Counted(transport, writes))

    server = await asyncio.get_running_loop().create_server(
        lambda: Counting(config, state, {}), "127.0.0.1", 0
    )
    try:
        yield server.sockets[0].getsockname()[1], writes
    finally:
        server.close()
        for connection in list(state.connections):
            connection.shutdown()
        await server.wait_closed()


def answering(*chunks: bytes, headers: list[tuple[bytes, bytes]] | None = None) -> App:
    """An app answering 200 with `chunks` as its body, all sent in one step."""

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": headers or []})
        for index, chunk in enumerate(chunks):
            more = index < len(chunks) - 1
            await send({"type": "http.response.body", "body": chunk, "more_body": more})

    return app


async def exchange(port: int, request: bytes = REQUEST) -> bytes:
    """Send `request` and read the whole answer (the server closes: `Connection: close`)."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(request.replace(b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n", 1))
    answer = await asyncio.wait_for(reader.read(), 10)
    writer.close()
    return answer


def body_of(answer: bytes) -> bytes:
    head, _, body = answer.partition(b"\r\n\r\n")
    assert b"transfer-encoding: chunked" not in head.lower()
    return body


async def test_a_small_answer_leaves_in_one_write() -> None:
    body = b'{"data":{"authorize":{"effect":"ALLOW"}}}'
    length = [(b"content-length", b"%d" % len(body))]
    async with served(answering(body, headers=length)) as (port, writes):
        answer = await exchange(port)
    assert answer.startswith(b"HTTP/1.1 200 OK\r\n")
    assert body_of(answer) == body
    assert len(writes) == 1
    assert writes[0] == answer


async def test_uvicorns_own_protocol_writes_the_headers_and_the_body_apart() -> None:
    """What the gateway's protocol changes (and what makes the first test able to fail)."""
    body = b"{}"
    length = [(b"content-length", b"2")]
    async with served(answering(body, headers=length), HttpToolsProtocol) as (port, writes):
        answer = await exchange(port)
    assert body_of(answer) == body
    assert len(writes) == 2


async def test_a_streamed_answer_is_written_whenever_the_app_waits() -> None:
    gate = asyncio.Event()

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"first", "more_body": True})
        await gate.wait()
        await send({"type": "http.response.body", "body": b"second"})

    async with served(app) as (port, writes):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(REQUEST)
        # The headers and the first chunk arrive while the app is still waiting.
        head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
        first = await asyncio.wait_for(reader.readuntil(b"first\r\n"), 10)
        assert head.startswith(b"HTTP/1.1 200 OK")
        assert first == b"5\r\nfirst\r\n"
        assert len(writes) == 1
        gate.set()
        rest = await asyncio.wait_for(reader.readuntil(b"0\r\n\r\n"), 10)
        assert rest == b"6\r\nsecond\r\n0\r\n\r\n"
        writer.close()
    assert len(writes) == 2


async def test_a_100_continue_is_written_while_the_app_waits_for_the_body() -> None:
    """A client that sends `Expect: 100-continue` waits for it before sending its body (curl
    waits a second): it must not wait for the end of the answer."""

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        body = (await receive())["body"]
        length = [(b"content-length", b"%d" % len(body))]
        await send({"type": "http.response.start", "status": 200, "headers": length})
        await send({"type": "http.response.body", "body": body})

    async with served(app) as (port, writes):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(
            b"POST / HTTP/1.1\r\nHost: test\r\nContent-Length: 5\r\n"
            b"Expect: 100-continue\r\nConnection: close\r\n\r\n"
        )
        interim = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
        assert interim == b"HTTP/1.1 100 Continue\r\n\r\n"
        writer.write(b"hello")
        answer = await asyncio.wait_for(reader.read(), 10)
        writer.close()
    assert answer.startswith(b"HTTP/1.1 200 OK")
    assert answer.endswith(b"hello")
    assert len(writes) == 2  # the interim answer, then the answer


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(chunks=st.lists(st.binary(max_size=3000), min_size=1, max_size=6))
def test_whatever_one_step_sends_arrives_whole_and_in_order_in_one_write(
    chunks: list[bytes],
) -> None:
    """Any body in any chunks (empty ones too), sent in one step: the client reads exactly
    those bytes, and one write carried them."""

    async def run() -> None:
        length = [(b"content-length", b"%d" % sum(map(len, chunks)))]
        async with served(answering(*chunks, headers=length)) as (port, writes):
            answer = await exchange(port)
        assert body_of(answer) == b"".join(chunks)
        assert writes == [answer]

    asyncio.run(run())


async def test_a_large_body_sent_without_waiting_is_written_as_it_grows() -> None:
    """An app streaming without ever waiting: the writes leave every WRITE_AT_BYTES, so the
    socket's back-pressure still holds it (nothing piles up here), and the bytes arrive whole
    and in order."""
    chunks = [bytes([index]) * 8192 for index in range(40)]  # 320 KiB in one step
    length = [(b"content-length", b"%d" % sum(map(len, chunks)))]
    async with served(answering(*chunks, headers=length)) as (port, writes):
        answer = await exchange(port)
    assert body_of(answer) == b"".join(chunks)
    assert len(writes) >= sum(map(len, chunks)) // WRITE_AT_BYTES
    assert max(map(len, writes)) < WRITE_AT_BYTES + 8192


async def test_a_closing_connection_writes_what_is_pending_first() -> None:
    """`Connection: close`: uvicorn closes the transport right after the body; the answer is
    whole all the same (the test's `exchange` reads to the end)."""
    body = b"x" * 60_000  # more than the socket takes at once, less than WRITE_AT_BYTES
    length = [(b"content-length", b"%d" % len(body))]
    async with served(answering(body, headers=length)) as (port, writes):
        answer = await exchange(port)
    assert body_of(answer) == body
    assert len(writes) == 1


async def test_an_abort_drops_what_is_pending() -> None:
    loop = asyncio.get_running_loop()
    ours, theirs = socket.socketpair()
    transport, _ = await loop.connect_accepted_socket(asyncio.Protocol, ours)
    coalescing = CoalescingTransport(transport, loop)
    coalescing.write(b"never sent")
    assert coalescing.get_write_buffer_size() == len(b"never sent")
    coalescing.abort()
    await asyncio.sleep(0)  # the step's end: nothing left to flush
    theirs.settimeout(5)
    assert theirs.recv(100) == b""  # closed, nothing written
    theirs.close()
