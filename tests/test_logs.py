"""GATEWAY_LOG_FORMAT=json: every line a JSON object carrying the request id; in both formats
an exception by its type only."""

from __future__ import annotations

import json
import logging
import logging.config
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from gateway.logs import (
    JsonFormatter,
    RequestIdFilter,
    TextFormatter,
    json_config,
    text_config,
    uvicorn_log_config,
)
from gateway.services import writes
from tests.servers import serve


def _record(message: str, *, exc: BaseException | None = None) -> logging.LogRecord:
    info = (type(exc), exc, exc.__traceback__) if exc is not None else None
    record = logging.LogRecord("gateway.test", logging.WARNING, __file__, 1, message, (), info)
    RequestIdFilter().filter(record)
    return record


@pytest.fixture
def in_request() -> Iterator[str]:
    token = writes.request_id.set("req-42")
    try:
        yield "req-42"
    finally:
        writes.request_id.reset(token)


def test_a_line_inside_a_request_carries_its_id(in_request: str) -> None:
    line = json.loads(JsonFormatter().format(_record("signed in")))

    assert line["requestId"] == in_request
    assert (line["level"], line["logger"], line["message"]) == (
        "WARNING",
        "gateway.test",
        "signed in",
    )
    assert line["time"].endswith("Z")


def test_a_line_outside_a_request_has_a_null_id() -> None:
    assert json.loads(JsonFormatter().format(_record("started")))["requestId"] is None


def test_an_exception_is_named_by_its_type_and_never_traced() -> None:
    try:
        raise ValueError("SELECT secret FROM users")
    except ValueError as error:
        text = JsonFormatter().format(_record("failed", exc=error))

    line = json.loads(text)
    assert line["exception"] == "ValueError"
    assert "SELECT" not in text
    assert "Traceback" not in text


def test_text_names_an_exception_by_its_type_and_never_traces_it() -> None:
    try:
        raise ValueError("SELECT secret FROM users")
    except ValueError as error:
        record = _record("failed", exc=error)
    formatter = TextFormatter(fmt="%(levelprefix)s %(message)s", use_colors=False)

    assert formatter.format(record) == "WARNING:  failed [ValueError]"
    assert record.exc_info is not None  # left as it came, for any other handler


def test_the_formats_configs() -> None:
    from uvicorn.config import LOGGING_CONFIG

    assert uvicorn_log_config("json") == json_config()
    text = uvicorn_log_config("text")
    assert text == text_config()
    assert text["formatters"]["default"]["()"] == "gateway.logs.TextFormatter"
    assert text["formatters"]["access"] == LOGGING_CONFIG["formatters"]["access"]
    assert text["loggers"]["uvicorn.access"] == LOGGING_CONFIG["loggers"]["uvicorn.access"]


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_no_logger_writes_a_traceback_in_either_format(log_format: str) -> None:
    """The gateway's loggers (which uvicorn's config leaves without a handler, so that Python's
    last resort wrote their tracebacks) and uvicorn's own, as `gateway serve` configures them."""
    script = textwrap.dedent(
        f"""
        import logging, logging.config
        from gateway.logs import uvicorn_log_config
        logging.config.dictConfig(uvicorn_log_config({log_format!r}))
        for name in ("gateway.graphql.lane", "uvicorn.error", "asyncio"):
            try:
                raise KeyError("SELECT password_hash FROM users")
            except KeyError:
                logging.getLogger(name).exception("It failed in %s", name)
        logging.getLogger("gateway.app").info("started")
        """
    )
    done = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
        cwd=Path(__file__).resolve().parents[1],
    )

    lines = done.stderr.splitlines()
    assert "Traceback" not in done.stderr
    assert "SELECT" not in done.stderr
    assert len(lines) == 4
    if log_format == "json":
        parsed = [json.loads(line) for line in lines]
        assert [line.get("exception") for line in parsed] == ["KeyError"] * 3 + [None]
    else:
        assert lines == [
            "ERROR:    It failed in gateway.graphql.lane [KeyError]",
            "ERROR:    It failed in uvicorn.error [KeyError]",
            "ERROR:    It failed in asyncio [KeyError]",
            "INFO:     started",
        ]


@pytest.mark.e2e
def test_a_real_server_writes_json_lines_with_the_request_id(
    database_url: str, tmp_path: Path
) -> None:
    config = tmp_path / "log.json"
    config.write_text(json.dumps(json_config()))
    captured: list[str] = []

    with serve(
        "gateway.app:create_app",
        database_url,
        {"GATEWAY_LOG_FORMAT": "json"},
        log_level="info",
        log_config=config,
        captured=captured,
    ) as url:
        for _ in range(2):
            response = httpx.post(
                f"{url}/graphql",
                json={"query": "{ whoAmI { arn } }"},
                headers={"X-Request-ID": "trace-me-1"},
            )
            assert response.headers["X-Request-ID"] == "trace-me-1"

    lines = [line for line in captured[0].splitlines() if line.strip()]
    parsed = [json.loads(line) for line in lines]  # every line is JSON
    access = [line for line in parsed if line["logger"] == "uvicorn.access"]
    assert len(access) >= 2
    assert all(
        line["requestId"] == "trace-me-1" for line in access if "/graphql" in line["message"]
    )
    assert any(line["message"].startswith("Application startup complete") for line in parsed)
