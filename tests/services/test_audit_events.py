"""What an audit event records, written by the services themselves
(gateway/services/audit_events.py, through `writes.record`)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest

from gateway.errors import Throttled, Unauthenticated
from gateway.models import Account, AuditEvent, PrincipalKind
from gateway.policy import Decision, Effect
from gateway.services import writes
from gateway.services.audit import record_denial
from gateway.services.audit_events import request_arguments
from gateway.services.login_profiles import create_login_profile
from gateway.services.principal import Principal
from gateway.services.signin import sign_in_root, sign_in_user
from gateway.services.signin_throttling import Lockout
from gateway.services.users import create_user
from tests.helpers import GOOD_PASSWORD, ROOT_EMAIL
from tests.services.helpers import last_event

TTL = 3600
ISSUED = datetime(2026, 3, 1, 9, 30, tzinfo=UTC)


@pytest.fixture
def request_context() -> Iterator[None]:
    """What the HTTP layer sets around an API call: its id, user agent and arguments."""
    tokens = [
        (writes.request_id, writes.request_id.set("req-123")),
        (writes.user_agent, writes.user_agent.set("curl/8.5.0")),
    ]
    yield
    for var, token in reversed(tokens):
        var.reset(token)


@pytest.mark.usefixtures("request_context")
async def test_a_write_is_recorded_in_cloudtrails_vocabulary(account: Account) -> None:
    root = Principal.root(
        account.id, session_id="s1", session_issued_at=ISSUED, source_ip="192.0.2.7"
    )
    token = request_arguments.set({"userName": "Bob", "path": "/shop/"})
    try:
        user = await create_user(root, user_name="Bob", path="/shop/")
    finally:
        request_arguments.reset(token)
    event = await last_event("iam:CreateUser")
    assert (event.event_source, event.event_name, event.event_type, event.read_only) == (
        "iam.amazonaws.com",
        "CreateUser",
        "AwsApiCall",
        False,
    )
    assert event.user_identity == {
        "type": "Root",
        "principalId": account.id,
        "arn": f"arn:aws:iam::{account.id}:root",
        "accountId": account.id,
        "sessionContext": {
            "attributes": {"creationDate": "2026-03-01T09:30:00Z", "mfaAuthenticated": "false"}
        },
    }
    assert event.request_parameters == {"userName": "Bob", "path": "/shop/"}
    assert event.response_elements == {"user": {"userId": user.id, "arn": user.arn}}
    assert (event.user_agent, event.request_id, event.source_ip) == (
        "curl/8.5.0",
        "req-123",
        "192.0.2.7",
    )
    assert len(event.event_id) == 36


async def test_a_password_never_reaches_the_event_of_the_call_that_carried_it(
    root: Principal,
) -> None:
    await create_user(root, user_name="jorge")
    token = request_arguments.set({"userName": "jorge", "password": GOOD_PASSWORD})
    try:
        await create_login_profile(root, "jorge", password=GOOD_PASSWORD)
    finally:
        request_arguments.reset(token)
    event = await last_event("iam:CreateLoginProfile")
    assert event.request_parameters == {
        "userName": "jorge",
        "password": "HIDDEN_DUE_TO_SECURITY_REASONS",
    }
    stored = await AuditEvent.all().values()
    assert GOOD_PASSWORD not in repr(stored)


async def test_a_failed_write_records_its_error_code_and_message(root: Principal) -> None:
    await create_user(root, user_name="jorge")
    with pytest.raises(Exception, match="already exists"):
        await create_user(root, user_name="JORGE")
    event = await AuditEvent.get(action="iam:CreateUser", outcome="Failed")
    assert event.error_code == "EntityAlreadyExists"
    assert event.error_message == "User with name JORGE already exists."
    assert event.response_elements is None


async def test_a_root_sign_in_is_a_console_login_without_request_parameters(
    account: Account,
) -> None:
    token = request_arguments.set({"email": ROOT_EMAIL, "password": "whatever"})
    try:
        await sign_in_root(ROOT_EMAIL, "Root-Passw0rd", ttl_seconds=TTL, source_ip="192.0.2.9")
    finally:
        request_arguments.reset(token)
    event = await last_event("gateway:SignIn")
    assert (event.event_source, event.event_name, event.event_type) == (
        "signin.amazonaws.com",
        "ConsoleLogin",
        "AwsConsoleSignIn",
    )
    assert event.user_identity["type"] == "Root"
    assert event.request_parameters is None
    assert event.response_elements == {"ConsoleLogin": "Success"}
    assert event.details["MFAUsed"] == "No"


async def test_a_wrong_password_is_a_failed_console_login_as_cloudtrail_records_it(
    root: Principal, account: Account
) -> None:
    await create_user(root, user_name="jorge")
    await create_login_profile(root, "jorge", password=GOOD_PASSWORD)
    with pytest.raises(Unauthenticated):
        await sign_in_user(account.id, "jorge", "Not-The-Password-1", ttl_seconds=TTL)
    event = await last_event("gateway:SignIn")
    assert event.outcome == "Failed"
    assert event.response_elements == {"ConsoleLogin": "Failure"}
    assert event.error_message == "Failed authentication"
    assert event.user_identity == {
        "type": "IAMUser",
        "arn": f"arn:aws:iam::{account.id}:user/jorge",
        "accountId": account.id,
    }


async def test_a_name_typed_for_an_unknown_user_is_never_recorded(account: Account) -> None:
    strict = Lockout(identity_failures=1)
    typed = "Flat-White-99-typed-in-the-name-box"
    with pytest.raises(Unauthenticated):
        await sign_in_user(account.id, typed, "x", ttl_seconds=TTL, lockout=strict)
    with pytest.raises(Throttled):
        await sign_in_user(account.id, typed, "x", ttl_seconds=TTL, lockout=strict)
    event = await last_event("gateway:SignIn")
    assert event.error_code == "Throttled"
    assert event.user_identity["userName"] == "HIDDEN_DUE_TO_SECURITY_REASONS"
    assert typed not in repr(await AuditEvent.all().values())


async def test_a_denial_records_awss_message_and_the_deciding_layer(account: Account) -> None:
    jorge = Principal(
        kind=PrincipalKind.USER,
        account_id=account.id,
        arn=f"arn:aws:iam::{account.id}:user/jorge",
        id="AIDAEXAMPLEJORGE0001",
        name="jorge",
    )
    decision = Decision(effect=Effect.IMPLICIT_DENY, denied_by="identity")
    denied = await record_denial(jorge, "iam:ListUsers", "*", decision)
    event = await last_event("iam:ListUsers")
    assert event.outcome == "Denied"
    assert event.read_only is True
    assert event.error_code == "AccessDenied"
    assert (
        event.error_message
        == denied.message
        == (
            f"User: arn:aws:iam::{account.id}:user/jorge is not authorized to perform: "
            "iam:ListUsers on resource: * because no identity-based policy allows the "
            "iam:ListUsers action"
        )
    )
    assert event.details == {
        "decision": "ImplicitDeny",
        "deniedBy": "identity",
        "statements": [],
        "missingContextKeys": [],
    }
