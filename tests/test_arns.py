"""ARNs are built in AWS's format and parse back (`gateway/arns.py`)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway import arns
from gateway.arns import Arn, IamResource, parse_arn, parse_iam_resource

ACCOUNT = "123456789012"


@pytest.mark.parametrize(
    ("built", "expected"),
    [
        (arns.user_arn(ACCOUNT, "/", "alice"), "arn:aws:iam::123456789012:user/alice"),
        (
            arns.user_arn(ACCOUNT, "/division/eng/", "alice"),
            "arn:aws:iam::123456789012:user/division/eng/alice",
        ),
        (arns.group_arn(ACCOUNT, "/", "Cashiers"), "arn:aws:iam::123456789012:group/Cashiers"),
        (
            arns.role_arn(ACCOUNT, "/svc/", "Deployer"),
            "arn:aws:iam::123456789012:role/svc/Deployer",
        ),
        (
            arns.policy_arn(ACCOUNT, "/", "ListBucket"),
            "arn:aws:iam::123456789012:policy/ListBucket",
        ),
        (arns.mfa_arn(ACCOUNT, "/", "alice"), "arn:aws:iam::123456789012:mfa/alice"),
        (arns.root_arn(ACCOUNT), "arn:aws:iam::123456789012:root"),
        (
            arns.assumed_role_arn(ACCOUNT, "Deployer", "ci-42"),
            "arn:aws:sts::123456789012:assumed-role/Deployer/ci-42",
        ),
        (
            arns.aws_managed_policy_arn("IAMReadOnlyAccess"),
            "arn:aws:iam::aws:policy/IAMReadOnlyAccess",
        ),
    ],
)
def test_builders_use_aws_formats(built: str, expected: str) -> None:
    assert built == expected


def test_parse_splits_the_five_fields_and_keeps_colons_in_the_resource() -> None:
    arn = parse_arn("arn:aws:s3:::AWSDOC-EXAMPLE-BUCKET/key:with:colons")

    assert arn == Arn("aws", "s3", "", "", "AWSDOC-EXAMPLE-BUCKET/key:with:colons")


@pytest.mark.parametrize(
    "malformed",
    [
        "",
        "arn",
        "arn:aws:iam::123456789012",
        "urn:aws:iam::123456789012:user/alice",
        "arn::iam::123456789012:user/alice",
        "arn:aws:::123456789012:user/alice",
        "arn:aws:iam::123456789012:",
    ],
)
def test_parse_rejects_malformed_arns(malformed: str) -> None:
    with pytest.raises(ValueError, match="is not an ARN"):
        parse_arn(malformed)


@pytest.mark.parametrize("path", ["", "division", "/division", "division/"])
def test_builders_reject_paths_without_both_slashes(path: str) -> None:
    with pytest.raises(ValueError, match="must begin and end with a slash"):
        arns.user_arn(ACCOUNT, path, "alice")


def test_iam_resources_split_into_type_path_and_name() -> None:
    assert parse_iam_resource("user/alice") == IamResource("user", "/", "alice")
    assert parse_iam_resource("user/a/b/alice") == IamResource("user", "/a/b/", "alice")
    assert parse_iam_resource("root") == IamResource("root", "/", "")
    with pytest.raises(ValueError, match="no name"):
        parse_iam_resource("user/a/")


_segment = st.text(alphabet="abcXYZ019+=,.@_-", min_size=1, max_size=8)
_paths = st.lists(_segment, max_size=3).map(lambda parts: "/" + "".join(f"{p}/" for p in parts))


@given(account=st.from_regex(r"[1-9][0-9]{11}", fullmatch=True), path=_paths, name=_segment)
def test_user_arns_round_trip(account: str, path: str, name: str) -> None:
    built = arns.user_arn(account, path, name)
    parsed = parse_arn(built)

    assert str(parsed) == built
    assert (parsed.service, parsed.account) == ("iam", account)
    assert parse_iam_resource(parsed.resource) == IamResource("user", path, name)


def test_templates_for_authorize_have_the_placeholders_in_the_arn_shape() -> None:
    assert (
        arns.iam_arn_template("user", "path", "userName")
        == "arn:aws:iam::{account}:user{path}{userName}"
    )
    filled = arns.iam_arn_template("role", "newPath", "newRoleName").format(
        account="123456789012", newPath="/ops/", newRoleName="Deployer"
    )
    assert filled == arns.role_arn("123456789012", "/ops/", "Deployer")


def test_a_typed_arn_keeps_a_path_the_checked_builder_refuses() -> None:
    assert arns.typed_iam_arn("123456789012", "user", "no-slash", "bob") == (
        "arn:aws:iam::123456789012:userno-slashbob"
    )
    with pytest.raises(ValueError, match="must begin and end with a slash"):
        arns.iam_arn("123456789012", "user", "no-slash", "bob")
