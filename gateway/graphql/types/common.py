"""Types shared by every aggregate: Relay connections, tags, policy documents."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any, Generic, TypeVar

import strawberry
from strawberry.scalars import JSON

from gateway.services.pagination import Page, decode_cursor, encode_cursor, page_size

T = TypeVar("T")
M = TypeVar("M")


@strawberry.type(description="Where a page of a list ends, Relay style.")
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type(description="One item of a list and the cursor just after it.")
class Edge(Generic[T]):
    cursor: str
    node: T


@strawberry.type(description="A page of a list (keyset pagination: `first`, `after`).")
class Connection(Generic[T]):
    edges: list[Edge[T]]
    page_info: PageInfo

    @strawberry.field(description="The items of this page, without cursors.")
    def nodes(self) -> list[T]:
        return [edge.node for edge in self.edges]


def connection(page: Page[M], node: Callable[[M], T]) -> Connection[T]:
    """A service `Page` as a GraphQL connection."""
    edges = [Edge(cursor=page.cursor_of(item), node=node(item)) for item in page.items]
    return Connection(
        edges=edges, page_info=PageInfo(has_next_page=page.has_next, end_cursor=page.end_cursor)
    )


def slice_connection(
    items: Sequence[M],
    key: Callable[[M], str],
    node: Callable[[M], T],
    first: int | None,
    after: str | None,
) -> Connection[T]:
    """A connection over a list already in memory (loaded by a DataLoader), sorted by `key`."""
    size = page_size(first)
    start = decode_cursor(after)
    ordered = sorted(items, key=key)
    if start is not None:
        ordered = [item for item in ordered if key(item) > start]
    chosen = ordered[:size]
    page = Page(chosen, len(ordered) > size, lambda item: encode_cursor(key(item)))
    return connection(page, node)


@strawberry.type(description="A key-value tag on an IAM entity.")
class Tag:
    key: str
    value: str

    @staticmethod
    def list_of(tags: dict[str, str]) -> list[Tag]:
        """Tags in key order."""
        return [Tag(key=k, value=v) for k, v in sorted(tags.items())]


@strawberry.input(description="A tag to set.")
class TagInput:
    key: str
    value: str = ""


def tag_pairs(tags: list[TagInput] | None) -> list[tuple[str, str]]:
    """Tag inputs as key/value pairs, in order: a key given twice stays twice, for the service
    to refuse (gateway.services.tags), never silently collapsed."""
    return [(t.key, t.value) for t in tags or []]


@strawberry.type(description="A policy document: the text as stored, and the same parsed.")
class PolicyDocument:
    text: str

    @strawberry.field(description="The document as JSON.")
    def json(self) -> JSON:
        parsed: Any = json.loads(self.text)
        return parsed  # type: ignore[no-any-return]
