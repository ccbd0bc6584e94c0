"""AWS's constraints on names, paths and descriptions, with AWS's messages (tags:
gateway.services.tags)."""

from __future__ import annotations

import re

from gateway.errors import ValidationError

NAME_PATTERN = r"[\w+=,.@-]+"
PATH_PATTERN = r"(\u002F)|(\u002F[\u0021-\u007E]+\u002F)"

_NAME = re.compile(r"[\w+=,.@-]+")
_PATH = re.compile(r"/|/[\x21-\x7e]+/")


NON_USER_CREDENTIALS = "Must specify userName when calling with non-User credentials"
"""AWS's answer when a role session leaves out the userName that would mean "myself"."""


def violation(value: str, field: str, constraint: str) -> ValidationError:
    """AWS's ValidationError for `value` of `field` breaking `constraint`."""
    return ValidationError(
        f"1 validation error detected: Value '{value}' at '{field}' failed to satisfy "
        f"constraint: {constraint}"
    )


def check_length(value: str, field: str, *, minimum: int = 1, maximum: int) -> str:
    """`value` if its length is within bounds; else AWS's ValidationError."""
    if len(value) < minimum:
        raise violation(value, field, f"Member must have length greater than or equal to {minimum}")
    if len(value) > maximum:
        raise violation(value, field, f"Member must have length less than or equal to {maximum}")
    return value


def check_range(value: int, field: str, *, minimum: int, maximum: int) -> int:
    """`value` if it lies within bounds; else AWS's ValidationError."""
    if value < minimum:
        raise violation(
            str(value), field, f"Member must have value greater than or equal to {minimum}"
        )
    if value > maximum:
        raise violation(
            str(value), field, f"Member must have value less than or equal to {maximum}"
        )
    return value


def check_name(value: str, field: str, *, maximum: int) -> str:
    """A user, group, role or policy name: 1..maximum characters of `[\\w+=,.@-]`."""
    check_length(value, field, maximum=maximum)
    if not _NAME.fullmatch(value) or not value.isascii():
        raise violation(
            value, field, f"Member must satisfy regular expression pattern: {NAME_PATTERN}"
        )
    return value


def check_path(value: str, field: str = "path") -> str:
    """An IAM path: `/` or `/a/b/`, at most 512 characters."""
    check_length(value, field, maximum=512)
    if not _PATH.fullmatch(value):
        raise violation(
            value, field, f"Member must satisfy regular expression pattern: {PATH_PATTERN}"
        )
    return value


def check_path_prefix(value: str, field: str = "pathPrefix") -> str:
    """A path prefix for list filters: starts with `/`, printable ASCII, ≤ 512."""
    check_length(value, field, maximum=512)
    if not value.startswith("/") or not all("\x21" <= ch <= "\x7e" for ch in value):
        raise violation(
            value,
            field,
            "Member must satisfy regular expression pattern: \\u002F[\\u0021-\\u007F]*",
        )
    return value


def check_description(value: str, field: str = "description") -> str:
    """A description: at most 1000 characters."""
    return check_length(value, field, minimum=0, maximum=1000)
