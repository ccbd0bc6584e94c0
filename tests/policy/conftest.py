"""Builders shared by the policy-engine unit tests (tests/policy only).

Exposed as fixtures returning plain callables, so a test asks for `policy` or `principal`
and calls it:

- `policy(*statements, version=..., **top_level)`: a policy document as JSON text;
- `principal(**overrides)`: a request's principal dict, by default the IAM user `alice` of
  account 111122223333.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

ACCOUNT = "111122223333"
CURRENT = "2012-10-17"

PolicyBuilder = Callable[..., str]
PrincipalFactory = Callable[..., dict[str, Any]]


def build_policy(*statements: dict[str, Any], version: str | None = CURRENT, **top: Any) -> str:
    """A policy document with the given statements; `version=None` leaves Version out."""
    document: dict[str, Any] = {}
    if version is not None:
        document["Version"] = version
    document.update(top)
    document["Statement"] = list(statements)
    return json.dumps(document)


def build_principal(**overrides: Any) -> dict[str, Any]:
    """The IAM user alice of account 111122223333, with `overrides` applied."""
    principal: dict[str, Any] = {
        "arn": f"arn:aws:iam::{ACCOUNT}:user/alice",
        "type": "User",
        "username": "alice",
        "userid": "AIDAALICE",
        "account": ACCOUNT,
        "tags": {},
    }
    principal.update(overrides)
    return principal


@pytest.fixture
def policy() -> PolicyBuilder:
    """`policy(*statements, version="2012-10-17", **top_level)` → JSON text."""
    return build_policy


@pytest.fixture
def principal() -> PrincipalFactory:
    """`principal(**overrides)` → principal dict (default: user alice)."""
    return build_principal
