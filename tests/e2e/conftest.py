"""Fixtures of the end-to-end tests: `gateway_url`, the real gateway (the real schema) on the
test's own migrated, empty database (`database_url`, SQLite or PostgreSQL per
`GATEWAY_TEST_DB`), served by uvicorn in a subprocess (`tests.servers.serve`)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.servers import ROOT, serve  # noqa: F401  (also importable from here, as they used to be)


@pytest.fixture
def gateway_url(database_url: str) -> Iterator[str]:
    """Base URL of a real gateway (the real schema) on this test's fresh database."""
    with serve("gateway.app:create_app", database_url) as url:
        yield url
