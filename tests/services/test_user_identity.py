"""CloudTrail's userIdentity element (gateway/services/user_identity.py), checked against the
examples of https://docs.aws.amazon.com/awscloudtrail/latest/userguide/cloudtrail-event-reference-user-identity.html
(the field names and their shape; the values are the gateway's)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from gateway.models import Role, User
from gateway.services.principal import Principal
from gateway.services.user_identity import (
    HIDDEN_USER_NAME,
    caller_account,
    cloudtrail_time,
    unknown_user,
    user_identity,
)

# Model instances (unsaved) need the ORM initialised.
pytestmark = pytest.mark.usefixtures("db")

ACCOUNT = "123456789012"
ISSUED = datetime(2013, 11, 2, 1, 6, 28, tzinfo=UTC)


def alice() -> User:
    return User(
        id="AIDAJ45Q7YFFAREXAMPLE",
        account_id=ACCOUNT,
        name="Alice",
        path="/",
        arn=f"arn:aws:iam::{ACCOUNT}:user/Alice",
        tags={},
    )


def test_a_user_signing_with_an_access_key_is_an_iam_user_with_its_key() -> None:
    principal = Principal.user(alice(), access_key_id="AKIAI44QH8DHBEXAMPLE")
    assert user_identity(principal) == {
        "type": "IAMUser",
        "principalId": "AIDAJ45Q7YFFAREXAMPLE",
        "arn": "arn:aws:iam::123456789012:user/Alice",
        "accountId": ACCOUNT,
        "accessKeyId": "AKIAI44QH8DHBEXAMPLE",
        "userName": "Alice",
    }


def test_a_signed_in_user_has_a_session_context_with_its_creation_date_and_mfa() -> None:
    principal = Principal.user(
        alice(), session_id="s1", session_issued_at=ISSUED, mfa_authenticated_at=ISSUED
    )
    identity = user_identity(principal)
    assert identity["sessionContext"] == {
        "attributes": {"creationDate": "2013-11-02T01:06:28Z", "mfaAuthenticated": "true"}
    }
    assert "accessKeyId" not in identity


def test_a_role_session_is_an_assumed_role_issued_by_its_role() -> None:
    role = Role(
        id="AROAIDPPEZS35WEXAMPLE",
        account_id=ACCOUNT,
        name="RoleToBeAssumed",
        path="/",
        arn=f"arn:aws:iam::{ACCOUNT}:role/RoleToBeAssumed",
        tags={},
    )
    principal = Principal.role_session(
        role,
        "MySessionName",
        session_id="s2",
        session_issued_at=ISSUED,
        access_key_id="ASIAEXAMPLEKEY000001",
        source_identity="jorge",
    )
    assert user_identity(principal) == {
        "type": "AssumedRole",
        "principalId": "AROAIDPPEZS35WEXAMPLE:MySessionName",
        "arn": "arn:aws:sts::123456789012:assumed-role/RoleToBeAssumed/MySessionName",
        "accountId": ACCOUNT,
        "accessKeyId": "ASIAEXAMPLEKEY000001",
        "sessionContext": {
            "sessionIssuer": {
                "type": "Role",
                "principalId": "AROAIDPPEZS35WEXAMPLE",
                "arn": "arn:aws:iam::123456789012:role/RoleToBeAssumed",
                "accountId": ACCOUNT,
                "userName": "RoleToBeAssumed",
            },
            "attributes": {"creationDate": "2013-11-02T01:06:28Z", "mfaAuthenticated": "false"},
            "sourceIdentity": "jorge",
        },
    }


def test_root_is_root_with_the_account_as_its_principal_id() -> None:
    assert user_identity(Principal.root(ACCOUNT)) == {
        "type": "Root",
        "principalId": ACCOUNT,
        "arn": f"arn:aws:iam::{ACCOUNT}:root",
        "accountId": ACCOUNT,
    }


def test_another_accounts_caller_is_only_its_account_and_id() -> None:
    caller = Principal.user(alice())
    assert caller_account(caller) == {
        "type": "AWSAccount",
        "principalId": "AIDAJ45Q7YFFAREXAMPLE",
        "accountId": ACCOUNT,
    }


def test_an_unknown_user_name_is_hidden_as_aws_hides_it() -> None:
    assert unknown_user(ACCOUNT) == {
        "type": "IAMUser",
        "accountId": ACCOUNT,
        "userName": HIDDEN_USER_NAME,
    }
    assert HIDDEN_USER_NAME == "HIDDEN_DUE_TO_SECURITY_REASONS"


def test_times_are_written_as_cloudtrail_writes_them() -> None:
    assert cloudtrail_time(datetime(2014, 7, 16, 15, 49, 27, 123456, tzinfo=UTC)) == (
        "2014-07-16T15:49:27Z"
    )
