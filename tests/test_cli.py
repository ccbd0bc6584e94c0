"""`gateway serve`: its options beside the environment variables, and its clear refusals."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.databases import BACKEND

ROOT = Path(__file__).resolve().parents[1]


def gateway(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "gateway.cli", *args],
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
        "GATEWAY_HOST",
        "GATEWAY_PORT",
        "GATEWAY_WORKERS",
    ):
        assert text in run.stdout


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


@pytest.mark.e2e
@pytest.mark.skipif(BACKEND != "postgres", reason="several workers need PostgreSQL")
def test_two_workers_serve_on_postgresql(database_url: str, tmp_path: Path) -> None:
    port = free_port()
    log = tmp_path / "serve.log"
    output = log.open("wb")
    process = subprocess.Popen(
        [sys.executable, "-m", "gateway.cli", "serve", "--workers", "2", "--port", str(port)],
        cwd=ROOT,
        env={**os.environ, "GATEWAY_DATABASE_URL": database_url, "GATEWAY_HOST": "127.0.0.1"},
        stdout=output,
        stderr=subprocess.STDOUT,
    )
    try:
        deadline = time.monotonic() + 60
        answers: set[int] = set()
        while time.monotonic() < deadline and len(answers) < 20:
            assert process.poll() is None, log.read_text()
            try:
                response = httpx.post(
                    f"http://127.0.0.1:{port}/graphql", json={"query": "{ __typename }"}, timeout=5
                )
            except httpx.TransportError:
                time.sleep(0.2)
                continue
            assert response.json() == {"data": {"__typename": "Query"}}
            answers.add(len(answers))
        assert len(answers) == 20
        children = Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text().split()
        assert len(children) >= 2  # the workers (uvicorn's supervisor is the parent)
    finally:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        output.close()
