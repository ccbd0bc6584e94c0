"""AWS's reserved tag prefix: `aws:` in any case starts no tag key a caller sets."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.errors import InvalidInput
from gateway.services import tags as tagging

PREFIXES = st.sampled_from(["aws:", "AWS:", "Aws:", "aWs:", "awS:"])
REST = st.text(alphabet="abcXYZ019_.:/=+-@ ", max_size=40)


@given(PREFIXES, REST)
def test_a_tag_key_in_the_reserved_prefix_is_refused_in_any_case(prefix: str, rest: str) -> None:
    with pytest.raises(InvalidInput) as raised:
        tagging.checked({"team": "ops", prefix + rest: "x"})
    assert raised.value.message == tagging.RESERVED_KEY


@pytest.mark.parametrize("key", ["aws", "awsome:x", "x:aws:y", "my-aws:", "team"])
def test_keys_merely_containing_aws_are_fine(key: str) -> None:
    tagging.checked({key: "value"})


def test_values_may_start_with_aws() -> None:
    tagging.checked({"source": "aws:cloudformation"})
