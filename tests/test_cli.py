"""`gateway serve`: its options beside the environment variables, and its clear refusals."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.databases import BACKEND

ROOT = Path(__file__).resolve().parents[1]


def gateway(
    *args: str, env: dict[str, str] | None = None, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gateway.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        cwd=ROOT,
        env={**os.environ, **(env or {})},
    )


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_serve_help_lists_the_options_and_their_environment_variables() -> None:
    run = gateway("serve", "--help")
    assert run.returncode == 0
    for text in (
        "--host",
        "--port",
        "--workers",
        "--access-log",
        "--no-access-log",
        "GATEWAY_HOST",
        "GATEWAY_PORT",
        "GATEWAY_WORKERS",
        "GATEWAY_ACCESS_LOG",
    ):
        assert text in run.stdout


def test_the_command_hashes_passwords_with_the_configured_parameters(tmp_path: Path) -> None:
    database = tmp_path / "g.db"
    run = gateway(
        "bootstrap",
        "--email",
        "owner@example.com",
        "--password-stdin",
        stdin="Root-Passw0rd-1\n",
        env={
            "GATEWAY_DATABASE_URL": f"sqlite://{database}",
            "GATEWAY_PASSWORD_HASH_MEMORY_KIB": "8192",
            "GATEWAY_PASSWORD_HASH_ITERATIONS": "2",
            "GATEWAY_PASSWORD_HASH_PARALLELISM": "2",
        },
    )
    assert run.returncode == 0, run.stderr
    with contextlib.closing(sqlite3.connect(database)) as connection:
        (stored,) = connection.execute("SELECT password_hash FROM root_users").fetchone()
    assert stored.startswith("$argon2id$v=19$m=8192,t=2,p=2$")
    assert "Root-Passw0rd-1" not in run.stdout + run.stderr


@pytest.mark.parametrize(
    ("args", "env"),
    [
        (("--workers", "2"), {}),
        ((), {"GATEWAY_WORKERS": "3"}),
    ],
)
def test_more_than_one_worker_on_sqlite_is_refused_in_one_line(
    tmp_path: Path, args: tuple[str, ...], env: dict[str, str]
) -> None:
    run = gateway(
        "serve",
        "--port",
        str(free_port()),
        *args,
        env={"GATEWAY_DATABASE_URL": f"sqlite://{tmp_path / 'g.db'}", **env},
    )
    assert run.returncode == 2
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1, run.stderr
    assert "need PostgreSQL" in lines[0]
    assert "SQLite is for one process" in lines[0]
    assert not (tmp_path / "g.db").exists()  # refused before anything was touched


def test_a_busy_port_is_one_clear_line_not_errno_98(tmp_path: Path) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        run = gateway(
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            env={"GATEWAY_DATABASE_URL": f"sqlite://{tmp_path / 'g.db'}"},
        )
    assert run.returncode == 2
    assert run.stderr.strip() == (
        f"gateway serve: port {port} on 127.0.0.1 is already in use (another gateway, or "
        "another program): stop it, or choose another port with --port or GATEWAY_PORT"
    )
    assert "Errno" not in run.stderr + run.stdout


@pytest.mark.parametrize("args", [("--port", "0"), ("--port", "x"), ("--workers", "0")])
def test_bad_option_values_are_usage_errors(args: tuple[str, ...]) -> None:
    run = gateway("serve", *args)
    assert run.returncode == 2
    assert "must be" in run.stderr


@contextlib.contextmanager
def serving(
    *args: str, env: dict[str, str], log: Path, started: int = 1
) -> Iterator[tuple[subprocess.Popen[bytes], int]]:
    """`gateway serve` with `args` and `env` (its output in `log`) until the block ends, then
    SIGINT: the process and its port, once it answers and `started` workers have started."""
    port = free_port()
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "gateway.cli", "serve", "--port", str(port), *args],
            cwd=ROOT,
            env={**os.environ, "GATEWAY_HOST": "127.0.0.1", **env},
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 60
            while True:
                assert process.poll() is None, log.read_text()
                assert time.monotonic() < deadline, log.read_text()
                try:
                    httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=5)
                except httpx.TransportError:
                    time.sleep(0.2)
                    continue
                if log.read_text().count("Application startup complete.") >= started:
                    break  # every worker listens
                time.sleep(0.2)
            yield process, port
        finally:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


@pytest.mark.e2e
@pytest.mark.parametrize(
    ("args", "env", "logged"),
    [
        ((), {}, False),
        (("--access-log",), {}, True),
        ((), {"GATEWAY_ACCESS_LOG": "true"}, True),
        (("--no-access-log",), {"GATEWAY_ACCESS_LOG": "true"}, False),
    ],
    ids=["default", "--access-log", "GATEWAY_ACCESS_LOG=true", "--no-access-log over it"],
)
def test_a_line_per_request_only_when_the_access_log_is_asked_for(
    tmp_path: Path, args: tuple[str, ...], env: dict[str, str], logged: bool
) -> None:
    database = {"GATEWAY_DATABASE_URL": f"sqlite://{tmp_path / 'g.db'}"}
    log = tmp_path / "serve.log"
    with serving(*args, env={**database, **env}, log=log) as (_, port):
        answer = httpx.post(f"http://127.0.0.1:{port}/graphql", json={"query": "{ __typename }"})
        assert answer.json() == {"data": {"__typename": "Query"}}
    output = log.read_text()
    assert "Application startup complete" in output  # the server's own lines are written
    assert ('"POST /graphql HTTP/1.1" 200' in output) is logged


@pytest.fixture
def two_workers(database_url: str, tmp_path: Path) -> Iterator[TwoWorkers]:
    """`gateway serve --workers 2` on PostgreSQL, answering; stopped with SIGINT afterwards."""
    if BACKEND != "postgres":
        pytest.skip("several workers need PostgreSQL")
    log = tmp_path / "serve.log"
    workers = serving(
        "--workers", "2", env={"GATEWAY_DATABASE_URL": database_url}, log=log, started=2
    )
    with workers as (process, port):
        yield TwoWorkers(process, port, log)


@dataclass
class TwoWorkers:
    process: subprocess.Popen[bytes]
    port: int
    log: Path


@pytest.mark.e2e
def test_two_workers_serve_on_postgresql(two_workers: TwoWorkers) -> None:
    for _ in range(20):
        response = httpx.post(
            f"http://127.0.0.1:{two_workers.port}/graphql",
            json={"query": "{ __typename }"},
            timeout=5,
        )
        assert response.json() == {"data": {"__typename": "Query"}}
    assert len(_children(two_workers.process.pid)) == 2  # uvicorn's supervisor is the parent


@pytest.mark.e2e
def test_each_worker_listens_on_a_socket_of_its_own(two_workers: TwoWorkers) -> None:
    listening = _listening(two_workers.port)
    workers = _children(two_workers.process.pid)
    assert len(listening) == 2
    assert {owner for inode in listening for owner in _owners(inode, workers)} == set(workers)
    assert "each on a socket of its own" in two_workers.log.read_text()


@pytest.mark.e2e
def test_connections_opened_at_once_spread_over_the_workers(two_workers: TwoWorkers) -> None:
    """32 keep-alive connections opened together, as a load balancer's pool: with one shared
    socket one worker took 27 to 30 of them; with a socket each, the kernel's hash spreads
    them (fewer than 4 on a worker has a chance of about 1 in 400,000 on either)."""
    request = (f"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:{two_workers.port}\r\n\r\n").encode()
    connections = [
        socket.create_connection(("127.0.0.1", two_workers.port), timeout=10) for _ in range(32)
    ]
    try:
        for connection in connections:
            connection.sendall(request)
        for connection in connections:
            assert connection.recv(65536).startswith(b"HTTP/1.1 200")
        ours = {str(c.getsockname()[1]) for c in connections}
        per_worker = {
            pid: sum(1 for local in _peer_ports(pid, two_workers.port) if local in ours)
            for pid in _children(two_workers.process.pid)
        }
        assert sum(per_worker.values()) == 32
        assert min(per_worker.values()) >= 4, per_worker
    finally:
        for connection in connections:
            connection.close()


def _children(pid: int) -> list[int]:
    """The worker processes of uvicorn's supervisor `pid` (not multiprocessing's resource
    tracker, also its child)."""
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [int(c) for c in children if b"spawn_main" in Path(f"/proc/{c}/cmdline").read_bytes()]


def _tcp_table() -> list[list[str]]:
    rows: list[list[str]] = []
    for name in ("tcp", "tcp6"):
        lines = Path(f"/proc/net/{name}").read_text().splitlines()[1:]
        rows += [line.split() for line in lines]
    return rows


def _listening(port: int) -> list[str]:
    """The inodes of the sockets listening on `port` (state 0A in /proc/net/tcp)."""
    return [
        row[9] for row in _tcp_table() if int(row[1].split(":")[1], 16) == port and row[3] == "0A"
    ]


def _owners(inode: str, pids: list[int]) -> list[int]:
    return [pid for pid in pids if f"socket:[{inode}]" in _socket_links(pid)]


def _socket_links(pid: int) -> set[str]:
    links = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        with contextlib.suppress(OSError):
            links.add(os.readlink(fd))
    return links


def _peer_ports(pid: int, port: int) -> list[str]:
    """The client ports of the connections to `port` that process `pid` holds."""
    links = _socket_links(pid)
    return [
        str(int(row[2].split(":")[1], 16))
        for row in _tcp_table()
        if int(row[1].split(":")[1], 16) == port
        and row[3] == "01"
        and f"socket:[{row[9]}]" in links
    ]
