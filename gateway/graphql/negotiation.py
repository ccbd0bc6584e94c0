"""The media types of the GraphQL endpoint: which one an answer is in, which bodies it reads.

- The response is `application/graphql-response+json` or `application/json`, the one the
  Accept header prefers (`negotiate`); a missing or empty header means the former (the
  GraphQL-over-HTTP spec's rule since 2025-01-01); None means neither is acceptable (406).
- A POST body must be `application/json` in UTF-8 (`content_type_refusal`), whatever the case
  of its media type (`MediaTypeInLowerCase`): form, multipart and text bodies are refused
  (415), so that only non-simple requests run (CSRF).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from strawberry.http.parse_content_type import parse_content_type

GRAPHQL_RESPONSE_JSON = "application/graphql-response+json"
APPLICATION_JSON = "application/json"
MAX_REMEMBERED_ACCEPT = 256
"""Longest Accept (or Content-Type) header whose answer is remembered."""


def negotiate(accept: str | None) -> str | None:
    """The response media type for an Accept header, or None when none is acceptable.

    Clients send the same few headers on every request: short ones are decided once.

    A missing or empty header means `application/graphql-response+json` (the spec's rule
    since its 2025 watershed). Among the acceptable types the highest quality wins, then
    the one the client listed first, then `application/graphql-response+json`.
    """
    if accept is None or not accept.strip():
        return GRAPHQL_RESPONSE_JSON
    if len(accept) <= MAX_REMEMBERED_ACCEPT:
        return _negotiated(accept)
    return _negotiate(accept)


@lru_cache(maxsize=64)
def _negotiated(accept: str) -> str | None:
    return _negotiate(accept)


def _negotiate(accept: str) -> str | None:
    best: tuple[float, int, int] | None = None
    chosen: str | None = None
    for preference, supported in enumerate((GRAPHQL_RESPONSE_JSON, APPLICATION_JSON)):
        quality, position = _quality(accept, supported)
        if quality <= 0:
            continue
        rank = (-quality, position, preference)
        if best is None or rank < best:
            best, chosen = rank, supported
    return chosen


def _quality(accept: str, media_type: str) -> tuple[float, int]:
    """The quality the header gives `media_type` (most specific range wins) and its position."""
    major = media_type.split("/")[0]
    found: tuple[int, float, int] | None = None  # (specificity, quality, position)
    for position, item in enumerate(accept.split(",")):
        parts = [part.strip() for part in item.split(";")]
        media_range = parts[0].lower()
        quality = 1.0
        for parameter in parts[1:]:
            key, _, value = parameter.partition("=")
            if key.strip().lower() == "q":
                try:
                    quality = float(value)
                except ValueError:
                    quality = 0.0
        if media_range == media_type:
            specificity = 3
        elif media_range == f"{major}/*":
            specificity = 2
        elif media_range == "*/*":
            specificity = 1
        else:
            continue
        if found is None or specificity > found[0]:
            found = (specificity, quality, position)
    if found is None:
        return 0.0, 0
    return found[1], found[2]


def content_type_refusal(raw: str | None) -> str | None:
    """Why a POST with this Content-Type header is refused, or None for JSON in UTF-8.

    Like Accept headers, the same few are sent on every request: short ones are judged once
    (parsing one goes through the standard library's e-mail header parser)."""
    if not raw:
        return "A POST request needs 'Content-Type: application/json'."
    if len(raw) <= MAX_REMEMBERED_ACCEPT:
        return _content_type_judged(raw)
    return _content_type_refusal(raw)


@lru_cache(maxsize=64)
def _content_type_judged(raw: str) -> str | None:
    return _content_type_refusal(raw)


def _content_type_refusal(raw: str) -> str | None:
    content_type, params = parse_content_type(raw)
    charset = params.get("charset", "utf-8").lower()
    if content_type.lower() != APPLICATION_JSON or charset not in ("utf-8", "utf8"):
        return f"POST bodies must be 'application/json' in UTF-8, not {raw!r}."
    return None


class MediaTypeInLowerCase:
    """A request adapter whose `Content-Type` reads in lower case: media types are
    case-insensitive (RFC 9110, 8.3.1), and Strawberry compares them as typed."""

    def __init__(self, request: Any) -> None:
        self._request = request

    def __getattr__(self, name: str) -> Any:
        return getattr(self._request, name)

    @property
    def content_type(self) -> str | None:
        raw: str | None = self._request.content_type
        return raw.lower() if raw else raw


__all__ = [
    "APPLICATION_JSON",
    "GRAPHQL_RESPONSE_JSON",
    "MediaTypeInLowerCase",
    "content_type_refusal",
    "negotiate",
]
