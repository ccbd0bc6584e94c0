"""Keyset pagination: opaque cursors over a unique, ordered sort key."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from gateway.errors import InvalidInput
from gateway.services.validation import CURSOR_MAX, INVALID_CURSOR

__all__ = [
    "DEFAULT_PAGE",
    "INVALID_CURSOR",
    "MAX_PAGE",
    "Page",
    "decode_cursor",
    "encode_cursor",
    "page_size",
]

T = TypeVar("T")

DEFAULT_PAGE = 100
MAX_PAGE = 1000


@dataclass(frozen=True, slots=True)
class Page(Generic[T]):
    """One page of a list, in order, and whether more follow."""

    items: Sequence[T]
    has_next: bool
    cursor_of: Callable[[T], str]

    @property
    def end_cursor(self) -> str | None:
        """The cursor after the last item, or None for an empty page."""
        return self.cursor_of(self.items[-1]) if self.items else None


def encode_cursor(key: str) -> str:
    """An opaque cursor for a sort key."""
    return base64.urlsafe_b64encode(key.encode()).decode()


def decode_cursor(cursor: str | None) -> str | None:
    """The sort key inside a cursor; InvalidInput for a cursor we did not issue (the message
    never repeats the cursor: it is the caller's text, of any size)."""
    if cursor is None:
        return None
    if len(cursor) > CURSOR_MAX:
        raise InvalidInput(INVALID_CURSOR)
    try:
        return base64.b64decode(cursor.encode(), altchars=b"-_", validate=True).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError) as error:
        raise InvalidInput(INVALID_CURSOR) from error


def page_size(first: int | None) -> int:
    """The number of items to return: AWS's MaxItems rules (1..1000, default 100)."""
    if first is None:
        return DEFAULT_PAGE
    if not 1 <= first <= MAX_PAGE:
        raise InvalidInput(f"'first' must be between 1 and {MAX_PAGE}, got {first}.")
    return first
