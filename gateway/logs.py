"""The gateway's log lines: uvicorn's plain text by default, or one JSON object per line.

In both formats every logger's records (the gateway's, uvicorn's, Tortoise's) go through the
gateway's formatter, and an exception is named by its type only, never traced: a traceback
could carry SQL or values, which never reach a log line. A text line reads as uvicorn's:

    ERROR:    The recognized lane failed; the stack answers instead [KeyError]

`GATEWAY_LOG_FORMAT=json` (the image's default) makes every line of the server (the gateway's
loggers, uvicorn's, its access log when `GATEWAY_ACCESS_LOG` turns it on, Tortoise's) a JSON
object such as

    {"time": "2026-12-04T10:21:07.412Z", "level": "INFO", "logger": "uvicorn.access",
     "message": "127.0.0.1:50312 - \"POST /graphql HTTP/1.1\" 200", "requestId": "4b1f…"}

with the id of the request being handled (`X-Request-ID`, `gateway.http.request_id`), or null
outside a request.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from copy import copy
from datetime import UTC, datetime
from typing import Any

from uvicorn.config import LOGGING_CONFIG
from uvicorn.logging import DefaultFormatter

from gateway.http.request_id import current_request_id

FORMATS = ("text", "json")


class RequestIdFilter(logging.Filter):
    """Puts the current request's id on every record (`record.request_id`)."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Annotate the record; never drops one."""
        record.request_id = current_request_id()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, message, requestId (and the exception's
    type, if any)."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as one line of JSON."""
        moment = datetime.fromtimestamp(record.created, UTC)
        line: dict[str, Any] = {
            "time": moment.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "requestId": getattr(record, "request_id", None) or current_request_id(),
        }
        exception = exception_name(record)
        if exception is not None:
            line["exception"] = exception
        return json.dumps(line, ensure_ascii=False)


class TextFormatter(DefaultFormatter):
    """uvicorn's text line (`LEVEL:    message`), with an exception's type in brackets at its
    end instead of its traceback."""

    def format(self, record: logging.LogRecord) -> str:
        """The record as one line of text (more only if its message has several)."""
        return _untraced(super().format, record)


def exception_name(record: logging.LogRecord) -> str | None:
    """The type of the exception a record carries, if any."""
    if record.exc_info and record.exc_info[0] is not None:
        return record.exc_info[0].__name__
    return None


def _untraced(format_: Callable[[logging.LogRecord], str], record: logging.LogRecord) -> str:
    name = exception_name(record)
    plain = copy(record)  # another handler may still want the record as it came
    plain.exc_info = None
    plain.exc_text = None
    plain.stack_info = None
    line = format_(plain)
    return line if name is None else f"{line} [{name}]"


def json_config(level: str = "INFO") -> dict[str, Any]:
    """A `logging.config.dictConfig` (and uvicorn `log_config`) that writes every logger's
    records as JSON lines to stderr."""
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {"request_id": {"()": f"{__name__}.RequestIdFilter"}},
        "formatters": {"json": {"()": f"{__name__}.JsonFormatter"}},
        "handlers": {
            "stderr": {
                "class": "logging.StreamHandler",
                "formatter": "json",
                "filters": ["request_id"],
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"level": level, "handlers": ["stderr"]},
        "loggers": {
            **{
                name: {"level": level, "handlers": [], "propagate": True}
                for name in ("uvicorn", "uvicorn.error", "uvicorn.access")
            },
            # Tortoise's INFO lines repeat its connection objects at every start and stop.
            "tortoise": {"level": "WARNING", "handlers": [], "propagate": True},
        },
    }


def text_config(level: str = "INFO") -> dict[str, Any]:
    """uvicorn's own text logging config (`uvicorn.config.LOGGING_CONFIG`: its lines to
    stderr, the access log to stdout), with `TextFormatter` for its lines and every other
    logger's (the root logger writes them: without a handler, Python's last resort would
    write their tracebacks)."""
    formatters = LOGGING_CONFIG["formatters"]
    return {
        **LOGGING_CONFIG,
        "formatters": {
            **formatters,
            "default": {**formatters["default"], "()": f"{__name__}.TextFormatter"},
        },
        "root": {"level": level, "handlers": ["default"]},
        "loggers": {
            **LOGGING_CONFIG["loggers"],
            "tortoise": {"level": "WARNING", "handlers": [], "propagate": True},
        },
    }


def uvicorn_log_config(log_format: str) -> dict[str, Any]:
    """What to pass uvicorn as `log_config`: the JSON config, or the text one."""
    return json_config() if log_format == "json" else text_config()
