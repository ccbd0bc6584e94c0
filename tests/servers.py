"""Real gateways over real HTTP: uvicorn in a process of its own, on 127.0.0.1.

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

Each server is a fresh process forked from a server of processes (multiprocessing's
forkserver) that imported the gateway, its schema and uvicorn once for the whole run: started
as a new interpreter, each one spent about 1.6 of its 2 seconds importing them, and the suite
starts some two hundred. Nothing the gateway imports reads the environment (each process gets
the test's before uvicorn starts) or starts a thread, so the fork is the same process a new
interpreter would be, less the imports.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import socket
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from multiprocessing.process import BaseProcess
from pathlib import Path

import httpx
import pytest

from gateway.http.coalescing import HTTP_PROTOCOL

ROOT = Path(__file__).resolve().parents[1]
STARTUP_TIMEOUT = 30.0
STARTS = 3

_PRELOADED = [
    "tests.servers",
    "uvicorn.main",
    "gateway.app",
    "gateway.graphql.schema",
    "gateway.http.coalescing",
]
_PROCESSES = multiprocessing.get_context("forkserver")
_PROCESSES.set_forkserver_preload(_PRELOADED)


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
        arguments = [
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
            "--http",
            HTTP_PROTOCOL,  # as `gateway serve`: each answer in one write
            "--no-access-log" if log_config is None else "--access-log",
            "--log-level",
            log_level,
            *(["--log-config", str(log_config)] if log_config is not None else []),
        ]
        with tempfile.TemporaryDirectory() as directory:
            log = Path(directory) / "server.log"
            log.touch()
            process = _PROCESSES.Process(
                target=_run_uvicorn, args=(arguments, environment, str(log))
            )
            process.start()
            try:
                if not _wait_until_ready(process, base_url, log, last=attempt == STARTS - 1):
                    continue
                yield base_url
                return
            finally:
                process.terminate()
                process.join(timeout=10)
                if process.exitcode is None:  # pragma: no cover - a hung server
                    process.kill()
                    process.join()
                if captured is not None:
                    captured.append(_read(log))


def _run_uvicorn(arguments: Sequence[str], environment: Mapping[str, str], log: str) -> None:
    """In the server's process: uvicorn's command line with `arguments`, in `environment`,
    writing to the file `log`."""
    os.environ.clear()
    os.environ.update(environment)
    output = os.open(log, os.O_WRONLY | os.O_APPEND)
    os.dup2(output, 1)
    os.dup2(output, 2)
    os.close(output)
    os.chdir(ROOT)
    from uvicorn.main import main

    main.main(args=list(arguments), prog_name="uvicorn")


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


def _wait_until_ready(process: BaseProcess, base_url: str, log: Path, *, last: bool) -> bool:
    """True once /healthz answers; False if the port was taken (and this was not the last try)."""
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if process.exitcode is not None:
            output = _read(log)
            if "address already in use" in output.lower() and not last:
                return False
            pytest.fail(f"The gateway exited with {process.exitcode}:\n{output}")
        try:
            if httpx.get(f"{base_url}/healthz", timeout=2).status_code == 200:
                return True
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    pytest.fail(f"The gateway did not answer /healthz within {STARTUP_TIMEOUT} s:\n{_read(log)}")


def _read(log: Path) -> str:
    return log.read_bytes().decode(errors="replace")
