"""`gateway.listeners`: a socket per worker on one port."""

from __future__ import annotations

import pickle
import socket

import pytest

from gateway.listeners import HAS_REUSE_PORT, PerWorkerSocket, bind_per_worker

pytestmark = pytest.mark.skipif(not HAS_REUSE_PORT, reason="no SO_REUSEPORT on this platform")


def test_a_socket_sent_to_a_worker_arrives_as_a_new_socket_on_the_same_address() -> None:
    with (
        bind_per_worker(socket.AF_INET, ("127.0.0.1", 0)) as held,
        pickle.loads(pickle.dumps(held)) as received,
    ):
        assert isinstance(received, PerWorkerSocket)
        assert received.fileno() != held.fileno()
        assert received.getsockname() == held.getsockname()
        assert received.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT) == 1


def test_each_listening_socket_gets_connections_and_the_held_one_none() -> None:
    with bind_per_worker(socket.AF_INET, ("127.0.0.1", 0)) as held:
        address = held.getsockname()
        workers = [pickle.loads(pickle.dumps(held)) for _ in range(2)]
        for worker in workers:
            worker.listen()
            worker.settimeout(5)
        clients = [socket.create_connection(address, timeout=5) for _ in range(64)]
        accepted = []
        for worker in workers:
            worker.setblocking(False)
            count = 0
            while True:
                try:
                    connection, _ = worker.accept()
                except BlockingIOError:
                    break
                connection.close()
                count += 1
            accepted.append(count)
        for client in clients + workers:
            client.close()
        assert sum(accepted) == 64  # none went to the held socket, which never listens
        assert min(accepted) >= 8, accepted  # the kernel spreads them (fails ~1 in 10^10)


def test_a_program_binding_without_the_option_is_refused_while_the_port_is_held() -> None:
    with (
        bind_per_worker(socket.AF_INET, ("127.0.0.1", 0)) as held,
        socket.socket(socket.AF_INET, socket.SOCK_STREAM) as other,
        pytest.raises(OSError, match="in use"),
    ):
        other.bind(held.getsockname())


def test_a_port_taken_without_the_option_cannot_be_held() -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as other:
        other.bind(("127.0.0.1", 0))
        other.listen()
        with pytest.raises(OSError, match="in use"):
            bind_per_worker(socket.AF_INET, other.getsockname())
