"""The listening sockets of `gateway serve --workers N`: one per worker, on the same port.

uvicorn's supervisor binds one socket and hands it to every worker, so the workers accept
from one queue and whichever wakes first takes every connection waiting. A client or a load
balancer that opens its pool of keep-alive connections at once then lands most of them on one
worker while the others idle (measured here: 29, 30 and 27 of 32 connections on one of two
workers). With SO_REUSEPORT each worker listens on a socket of its own bound to the same
address, and the kernel spreads new connections across them by a hash of each connection's
addresses and ports, as nginx's `listen … reuseport` and gunicorn's `--reuse-port` do.

`bind_per_worker` keeps uvicorn's supervisor (start-up checks, restarts, signals): uvicorn
passes the socket it returns to each worker it spawns, and each worker receives, instead of a
copy of it, a new socket of its own bound to the same address (`PerWorkerSocket.__reduce__`).
The supervisor's socket is bound but never listens, so the kernel never hands it a
connection; it holds the port while workers restart. Only processes of the same user can
join the port (Linux's rule for SO_REUSEPORT), and a program that binds without the option
is refused as before.
"""

from __future__ import annotations

import socket
from typing import Any

HAS_REUSE_PORT = hasattr(socket, "SO_REUSEPORT")
"""Whether this platform lets several sockets listen on one port (Linux, the BSDs)."""


class PerWorkerSocket(socket.socket):
    """A socket that, sent to a spawned worker, arrives as a new socket bound to its address."""

    def __reduce__(self) -> tuple[Any, ...]:
        return bind_per_worker, (self.family, self.getsockname())


def bind_per_worker(family: socket.AddressFamily, address: tuple[Any, ...]) -> PerWorkerSocket:
    """A TCP socket bound to `address` that other sockets of this user may bind too, each
    getting its share of the connections once it listens (SO_REUSEPORT). Raises OSError when
    the address is taken by a socket without the option, or when the platform has none."""
    sock = PerWorkerSocket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind(address)
    except BaseException:
        sock.close()
        raise
    return sock


__all__ = ["HAS_REUSE_PORT", "PerWorkerSocket", "bind_per_worker"]
