"""Unique ids and account ids have AWS's shapes (`gateway/ids.py`)."""

from __future__ import annotations

import re

import pytest

from gateway.ids import PREFIXES, new_account_id, new_unique_id


@pytest.mark.parametrize("prefix", sorted(PREFIXES))
def test_unique_ids_are_the_prefix_and_17_random_upper_case_characters(prefix: str) -> None:
    ids = {new_unique_id(prefix) for _ in range(200)}

    assert len(ids) == 200
    for unique_id in ids:
        assert re.fullmatch(rf"{prefix}[A-Z0-9]{{17}}", unique_id)


def test_unknown_prefixes_are_refused() -> None:
    with pytest.raises(ValueError, match="AIDX"):
        new_unique_id("AIDX")


def test_account_ids_are_12_digits_not_starting_with_zero() -> None:
    for _ in range(500):
        assert re.fullmatch(r"[1-9][0-9]{11}", new_account_id())
