"""The gateway's log lines: uvicorn's plain text by default, or one JSON object per line.

`GATEWAY_LOG_FORMAT=json` (the image's default) makes every line of the server (the gateway's
loggers, uvicorn's, its access log, Tortoise's) a JSON object such as

    {"time": "2026-12-04T10:21:07.412Z", "level": "INFO", "logger": "uvicorn.access",
     "message": "127.0.0.1:50312 - \"POST /graphql HTTP/1.1\" 200", "requestId": "4b1f…"}

with the id of the request being handled (`X-Request-ID`, `gateway.http.request_id`), or null
outside a request. An exception is named by its type only: a traceback could carry SQL or
values, which never reach a log line.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from typing import Any

from uvicorn.config import LOGGING_CONFIG

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
        if record.exc_info and record.exc_info[0] is not None:
            line["exception"] = record.exc_info[0].__name__
        return json.dumps(line, ensure_ascii=False)


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


def uvicorn_log_config(log_format: str) -> dict[str, Any]:
    """What to pass uvicorn as `log_config`: the JSON config, or uvicorn's own text one."""
    return json_config() if log_format == "json" else LOGGING_CONFIG
