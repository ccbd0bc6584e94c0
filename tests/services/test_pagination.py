"""Cursors: what the gateway issued decodes; anything else, of any size, is InvalidInput
without the cursor in the message."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.errors import InvalidInput
from gateway.services.pagination import INVALID_CURSOR, decode_cursor, encode_cursor


@given(st.text(max_size=500))
def test_an_issued_cursor_decodes_to_its_key(key: str) -> None:
    assert decode_cursor(encode_cursor(key)) == key


@pytest.mark.parametrize("cursor", ["not a cursor!", "QUJD" * 25_000, "%%%", "gA=="])
def test_a_cursor_the_gateway_did_not_issue_is_invalid_input(cursor: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        decode_cursor(cursor)
    assert raised.value.message == INVALID_CURSOR
