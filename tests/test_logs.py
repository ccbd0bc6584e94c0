"""GATEWAY_LOG_FORMAT=json: every line a JSON object carrying the request id; an exception by
its type only."""

from __future__ import annotations

import json
import logging
import logging.config
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from gateway.logs import JsonFormatter, RequestIdFilter, json_config, uvicorn_log_config
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


def test_text_keeps_uvicorns_own_format() -> None:
    from uvicorn.config import LOGGING_CONFIG

    assert uvicorn_log_config("text") is LOGGING_CONFIG
    assert uvicorn_log_config("json") == json_config()


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
