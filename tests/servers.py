"""Real gateways over real HTTP: uvicorn in a subprocess, on 127.0.0.1.

`serve(factory, database_url)`, a context manager, starts any app factory (e.g.
`gateway.app:create_app`) on a database and yields its base URL, e.g. `http://127.0.0.1:40123`
(the `gateway_url` fixture of `tests/e2e/conftest.py` is the real app on the test's own
database). Tests that use it are `e2e`.

uvicorn binds the port itself (`--host/--port`: a socket handed over with `--fd` is taken for a
Unix socket and loses TCP_NODELAY, adding ~40 ms to every response); a free port is picked
first and the start retried if another process took it meanwhile. The server is ready when
`/healthz` answers 200, and is stopped with SIGTERM (then SIGKILL) at the end. Its log is
shown if it fails to start; pass `captured=[]` to get the whole log after the block (with
`log_level` / `log_config` to choose what it holds).
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[1]
STARTUP_TIMEOUT = 30.0
STARTS = 3


@contextlib.contextmanager
def serve(
    factory: str,
    database_url: str,
    env: Mapping[str, str] | None = None,
    *,
    log_level: str = "warning",
    log_config: Path | None = None,
    captured: list[str] | None = None,
) -> Iterator[str]:
    """Run uvicorn with the app factory `module:function` and yield the server's base URL.

    `captured`, if given, receives the server's whole log (stdout and stderr) once it stopped;
    `log_config` is a uvicorn `--log-config` file (JSON dictConfig), for more than its loggers.
    """
    for attempt in range(STARTS):
        port = _free_port()
        base_url = f"http://127.0.0.1:{port}"
        environment = {
            **os.environ,
            "GATEWAY_DATABASE_URL": database_url,
            "GATEWAY_HOST": "127.0.0.1",
            "GATEWAY_PORT": str(port),
            "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
            **(env or {}),
        }
        command = [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            factory,
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--lifespan",
            "on",
            "--ws",
            "websockets-sansio",
            "--no-proxy-headers",  # as `gateway serve`: GATEWAY_TRUSTED_PROXIES decides
            "--no-access-log" if log_config is None else "--access-log",
            "--log-level",
            log_level,
            *(["--log-config", str(log_config)] if log_config is not None else []),
        ]
        with tempfile.TemporaryFile() as log:
            process = subprocess.Popen(
                command, cwd=ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT
            )
            try:
                if not _wait_until_ready(process, base_url, log, last=attempt == STARTS - 1):
                    continue
                yield base_url
                return
            finally:
                process.terminate()
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:  # pragma: no cover - a hung server
                    process.kill()
                    process.wait()
                if captured is not None:
                    captured.append(_read(log))


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _wait_until_ready(
    process: subprocess.Popen[bytes], base_url: str, log: object, *, last: bool
) -> bool:
    """True once /healthz answers; False if the port was taken (and this was not the last try)."""
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            output = _read(log)
            if "address already in use" in output.lower() and not last:
                return False
            pytest.fail(f"The gateway exited with {process.returncode}:\n{output}")
        try:
            if httpx.get(f"{base_url}/healthz", timeout=2).status_code == 200:
                return True
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    pytest.fail(f"The gateway did not answer /healthz within {STARTUP_TIMEOUT} s:\n{_read(log)}")


def _read(log: object) -> str:
    file = log  # a binary temporary file
    file.seek(0)  # type: ignore[attr-defined]
    return file.read().decode(errors="replace")  # type: ignore[attr-defined,no-any-return]
