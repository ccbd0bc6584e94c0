"""Helpers for the tests of the policy services (policies, attachments, inline policies,
boundaries, built-ins, effective policies, authorization details).

The fixtures themselves (`db`, `account`, `root`, `rejects`, `succeeds`) are in conftest.py;
these are plain functions: policy documents of a given shape or size, and a counter of the
SQL statements a block runs.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from gateway.policy import policy_size

ACCOUNT_WIDE = "*"


def document(*actions: str, resource: str = ACCOUNT_WIDE, effect: str = "Allow") -> str:
    """An identity policy with one statement."""
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": effect, "Action": list(actions), "Resource": resource}],
        }
    )


def trust_document(principal: str, *, action: str = "sts:AssumeRole", **extra: object) -> str:
    """A role trust policy with one statement letting `principal` (an AWS ARN or account id)
    take `action`; `extra` adds statement elements (a Condition, say)."""
    statement = {"Effect": "Allow", "Principal": {"AWS": principal}, "Action": action, **extra}
    return json.dumps({"Version": "2012-10-17", "Statement": [statement]})


def sized_document(size: int) -> str:
    """A valid policy document of exactly `size` characters, whitespace excluded."""
    text = document("s3:GetObject", resource="arn:aws:s3:::b/")
    padding = size - policy_size(text)
    assert padding >= 0, f"{size} is below the smallest document ({policy_size(text)})"
    padded = document("s3:GetObject", resource="arn:aws:s3:::b/" + "x" * padding)
    assert policy_size(padded) == size
    return padded


@dataclass
class QueryLog:
    """The SQL statements seen while counting."""

    statements: list[str] = field(default_factory=list)

    @property
    def selects(self) -> int:
        """How many of them were SELECTs."""
        return sum(1 for s in self.statements if s.lstrip().upper().startswith("SELECT"))


class _Collector(logging.Handler):
    def __init__(self, log: QueryLog) -> None:
        super().__init__(logging.DEBUG)
        self.log = log

    def emit(self, record: logging.LogRecord) -> None:
        self.log.statements.append(record.getMessage())


@contextmanager
def counting_queries() -> Iterator[QueryLog]:
    """Collect every statement Tortoise runs in the block (its `tortoise.db_client` log)."""
    logger = logging.getLogger("tortoise.db_client")
    log = QueryLog()
    handler = _Collector(log)
    level = logger.level
    logger.setLevel(logging.DEBUG)
    logger.addHandler(handler)
    try:
        yield log
    finally:
        logger.removeHandler(handler)
        logger.setLevel(level)
