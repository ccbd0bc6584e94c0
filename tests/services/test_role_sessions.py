"""AssumeRole, role sessions, console switching and revocation: AWS's rules and errors."""

from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway import clock
from gateway.auth.access_keys import authenticate_key
from gateway.auth.sessions import SessionCache, authenticate
from gateway.errors import (
    AccessDenied,
    ExpiredToken,
    GatewayError,
    InvalidInput,
    MalformedPolicyDocument,
    NoSuchEntity,
    PackedPolicyTooLarge,
    Unauthenticated,
    ValidationError,
)
from gateway.models import Account, AuditEvent, PrincipalKind, Role, Session, User
from gateway.policy import Effect
from gateway.services.access_keys import list_access_keys
from gateway.services.accounts import bootstrap_account
from gateway.services.authorization import Authorizer
from gateway.services.bearer_tokens import hash_token
from gateway.services.boundaries import put_role_permissions_boundary
from gateway.services.inline_policies import (
    get_role_policy,
    list_role_policies,
    put_role_policy,
    put_user_policy,
)
from gateway.services.login_profiles import create_login_profile
from gateway.services.mfa_devices import MFA_FAILED, list_mfa_devices
from gateway.services.policies import create_policy
from gateway.services.principal import Principal
from gateway.services.role_revocation import POLICY_NAME, revoke_role_sessions
from gateway.services.role_sessions import (
    EXCEEDS_CHAINED,
    EXCEEDS_MAX_SESSION,
    ROOT_REFUSED,
    SOURCE_IDENTITY_FIXED,
    assume_role,
    check_session_name,
)
from gateway.services.role_switching import (
    CONSOLE_ONLY,
    NOT_SWITCHED,
    assumable_roles,
    switch_back,
    switch_role,
)
from gateway.services.roles import create_role
from gateway.services.seeds import SeedCipher
from gateway.services.sessions import active_sessions
from gateway.services.signin import sign_in_root, sign_in_user, sign_out
from gateway.services.users import create_user
from gateway.services.validation import NON_USER_CREDENTIALS
from tests.helpers import GOOD_PASSWORD, ROOT_EMAIL, ROOT_PASSWORD
from tests.mfa import enroll
from tests.services.helpers import Rejects

ACTION = "sts:AssumeRole"
REGISTER = "arn:aws:pos:::register/1"
INVENTORY = "arn:aws:inventory:::stock/beans"


def document(*statements: dict[str, Any]) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": list(statements)})


def allow(action: str | list[str] = "*", resource: str = "*", **extra: Any) -> dict[str, Any]:
    return {"Effect": "Allow", "Action": action, "Resource": resource, **extra}


def trusting(*principals: str, **condition: Any) -> str:
    statement: dict[str, Any] = {
        "Effect": "Allow",
        "Principal": {"AWS": list(principals)},
        "Action": "sts:AssumeRole",
    }
    if condition:
        statement["Condition"] = condition
    return document(statement)


async def make_role(
    actor: Principal,
    name: str,
    trust: str,
    *,
    allows: str = "pos:*",
    max_session_duration: int = 3600,
) -> Role:
    role = await create_role(
        actor,
        role_name=name,
        assume_role_policy_document=trust,
        max_session_duration=max_session_duration,
    )
    await put_role_policy(
        actor, role_name=name, policy_name="Work", policy_document=document(allow(allows))
    )
    return role


async def may_assume(actor: Principal, user_name: str, resource: str = "*") -> None:
    await put_user_policy(
        actor,
        user_name=user_name,
        policy_name="AssumeRoles",
        policy_document=document(allow("sts:AssumeRole", resource)),
    )


async def may_chain(actor: Principal, role_name: str) -> None:
    """Let a role's sessions assume roles (AWS: the first role needs sts:AssumeRole)."""
    await put_role_policy(
        actor,
        role_name=role_name,
        policy_name="Chain",
        policy_document=document(allow(["sts:AssumeRole", "sts:SetSourceIdentity"])),
    )


async def session_principal(token: str) -> Principal:
    return (await authenticate(token)).principal


async def decide(principal: Principal, action: str, resource: str) -> Effect:
    account = await Account.get(id=principal.account_id)
    decision = await Authorizer().decide(principal, account.authz_generation, action, resource)
    return decision.effect


@pytest.fixture
async def alice_user(root: Principal) -> User:
    return await create_user(root, user_name="alice")


@pytest.fixture
def alice(alice_user: User) -> Principal:
    """Alice with a session (no MFA), as after a sign-in."""
    return Principal.user(alice_user, session_id="s-alice", session_issued_at=clock.now())


@pytest.fixture
async def cashier(root: Principal, alice: Principal) -> Role:
    """A role whose trust policy names alice herself."""
    return await make_role(root, "Cashier", trusting(alice.arn))


# -- issuing ------------------------------------------------------------------------------


async def test_credentials_act_as_the_role_session(
    root: Principal, alice: Principal, cashier: Role
) -> None:
    fake = clock.FrozenClock(clock.SystemClock().now())
    with clock.using(fake):
        assumed = await assume_role(alice, role_arn=cashier.arn, role_session_name="till-1")
        credentials = assumed.credentials
        assert credentials.access_key_id.startswith("ASIA")
        assert (credentials.expiration - fake.now()).total_seconds() == 3600
        arn = f"arn:aws:sts::{root.account_id}:assumed-role/Cashier/till-1"
        assert assumed.arn == arn
        assert assumed.assumed_role_id == f"{cashier.id}:till-1"
        assert assumed.packed_policy_size is None
        by_token = await authenticate(credentials.session_token)
        by_key = await authenticate_key(
            f"{credentials.access_key_id}:{credentials.secret_access_key}"
        )
        for auth in (by_token, by_key):
            principal = auth.principal
            assert principal.kind is PrincipalKind.ROLE
            assert principal.arn == arn
            assert principal.id.startswith("AROA")
            assert principal.id.endswith(":till-1")
            assert principal.policy_type == "AssumedRole"
            assert principal.request_context()["aws:PrincipalArn"] == cashier.arn
            assert not principal.temporary_without_mfa
        stored = await Session.get(access_key_id=credentials.access_key_id)
        assert stored.assumed_by_arn == alice.arn
        assert not stored.chained
        assert credentials.secret_access_key not in (stored.secret_hash or "")
        assert (await Role.get(id=cashier.id)).last_used_at == fake.now()
        assert [s.id for s in await active_sessions(by_token.principal)] == [stored.id]
        event = await AuditEvent.filter(action=ACTION, outcome="Allowed").order_by("-id").first()
        assert event is not None
        assert event.principal_arn == alice.arn
        assert event.resource == cashier.arn
        assert event.details["assumedRoleArn"] == arn


async def test_a_role_session_has_only_the_roles_permissions(
    root: Principal, alice: Principal, cashier: Role
) -> None:
    await put_user_policy(
        root, user_name="alice", policy_name="Everything", policy_document=document(allow())
    )
    assert await decide(alice, "inventory:Update", INVENTORY) is Effect.ALLOW
    assumed = await assume_role(alice, role_arn=cashier.arn, role_session_name="till")
    session = await session_principal(assumed.credentials.session_token)
    assert await decide(session, "pos:OpenDrawer", REGISTER) is Effect.ALLOW
    assert await decide(session, "inventory:Update", INVENTORY) is Effect.IMPLICIT_DENY
    assert await decide(session, "iam:CreateUser", "*") is Effect.IMPLICIT_DENY


async def test_the_role_boundary_caps_the_session(
    root: Principal, alice: Principal, cashier: Role
) -> None:
    cap = await create_policy(
        root, policy_name="OnlyOpen", policy_document=document(allow("pos:OpenDrawer"))
    )
    await put_role_permissions_boundary(root, role_name="Cashier", permissions_boundary=cap.arn)
    assumed = await assume_role(alice, role_arn=cashier.arn, role_session_name="till")
    session = await session_principal(assumed.credentials.session_token)
    assert await decide(session, "pos:OpenDrawer", REGISTER) is Effect.ALLOW
    assert await decide(session, "pos:CloseDrawer", REGISTER) is Effect.IMPLICIT_DENY


async def test_session_policies_intersect_with_the_role(
    root: Principal, alice: Principal, cashier: Role
) -> None:
    managed = await create_policy(
        root,
        policy_name="Drawers",
        policy_document=document(allow("pos:*Drawer"), allow("inventory:*")),
    )
    inline = document(allow("pos:OpenDrawer"), allow("inventory:*"))
    assumed = await assume_role(
        alice,
        role_arn=cashier.arn,
        role_session_name="till",
        policy=inline,
        policy_arns=[managed.arn],
    )
    assert assumed.packed_policy_size is not None
    assert 0 < assumed.packed_policy_size <= 100
    session = await session_principal(assumed.credentials.session_token)
    assert await decide(session, "pos:OpenDrawer", REGISTER) is Effect.ALLOW
    # Allowed by the managed session policy only: both session policies are one layer.
    assert await decide(session, "pos:CloseDrawer", REGISTER) is Effect.ALLOW
    assert await decide(session, "pos:Refund", REGISTER) is Effect.IMPLICIT_DENY
    # Allowed by both session policies, but not by the role: nothing beyond the role.
    assert await decide(session, "inventory:Update", INVENTORY) is Effect.IMPLICIT_DENY
    # Another session of the same role, without session policies, keeps the role's own.
    plain = await assume_role(alice, role_arn=cashier.arn, role_session_name="till-2")
    other = await session_principal(plain.credentials.session_token)
    assert await decide(other, "pos:Refund", REGISTER) is Effect.ALLOW


async def test_one_authorizer_keeps_each_sessions_own_policies(
    root: Principal, alice: Principal, cashier: Role
) -> None:
    narrow = await assume_role(
        alice,
        role_arn=cashier.arn,
        role_session_name="narrow",
        policy=document(allow("pos:OpenDrawer")),
    )
    wide = await assume_role(alice, role_arn=cashier.arn, role_session_name="wide")
    authorizer = Authorizer()
    generation = (await Account.get(id=root.account_id)).authz_generation
    for token, refund in ((narrow, Effect.IMPLICIT_DENY), (wide, Effect.ALLOW)) * 2:
        principal = await session_principal(token.credentials.session_token)
        decision = await authorizer.decide(principal, generation, "pos:Refund", REGISTER)
        assert decision.effect is refund


# -- refusals -----------------------------------------------------------------------------


async def test_root_cannot_assume_roles(root: Principal, cashier: Role, rejects: Rejects) -> None:
    await rejects(
        assume_role(root, role_arn=cashier.arn, role_session_name="root"),
        AccessDenied,
        ROOT_REFUSED,
        action=ACTION,
    )


def name_error(value: str, constraint: str, field: str = "roleSessionName") -> str:
    return (
        f"1 validation error detected: Value '{value}' at '{field}' failed to satisfy "
        f"constraint: {constraint}"
    )


@pytest.mark.parametrize(
    ("name", "constraint"),
    [
        ("a", "Member must have length greater than or equal to 2"),
        ("a" * 65, "Member must have length less than or equal to 64"),
        ("till 1", "Member must satisfy regular expression pattern: [\\w+=,.@-]*"),
        ("till/1", "Member must satisfy regular expression pattern: [\\w+=,.@-]*"),
        ("kassé", "Member must satisfy regular expression pattern: [\\w+=,.@-]*"),
    ],
)
async def test_bad_session_names_are_refused(
    alice: Principal, cashier: Role, rejects: Rejects, name: str, constraint: str
) -> None:
    await rejects(
        assume_role(alice, role_arn=cashier.arn, role_session_name=name),
        ValidationError,
        name_error(name, constraint),
        action=ACTION,
    )


@settings(max_examples=60, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.text(min_size=2, max_size=64))
def test_session_names_are_exactly_awss_pattern(name: str) -> None:
    valid = all(c.isascii() and (c.isalnum() or c in "_+=,.@-") for c in name)
    try:
        check_session_name(name)
    except ValidationError:
        assert not valid
    else:
        assert valid


@pytest.mark.parametrize(
    ("duration", "message"),
    [
        (
            899,
            name_error(
                "899", "Member must have value greater than or equal to 900", "durationSeconds"
            ),
        ),
        (
            43_201,
            name_error(
                "43201", "Member must have value less than or equal to 43200", "durationSeconds"
            ),
        ),
        (3_601, EXCEEDS_MAX_SESSION),
    ],
)
async def test_durations_outside_the_roles_range_are_refused(
    alice: Principal, cashier: Role, rejects: Rejects, duration: int, message: str
) -> None:
    await rejects(
        assume_role(
            alice, role_arn=cashier.arn, role_session_name="till", duration_seconds=duration
        ),
        ValidationError,
        message,
        action=ACTION,
    )


async def test_a_role_with_a_longer_maximum_allows_longer_sessions(
    root: Principal, alice: Principal
) -> None:
    role = await make_role(root, "Night", trusting(alice.arn), max_session_duration=43_200)
    fake = clock.FrozenClock(clock.SystemClock().now())
    with clock.using(fake):
        assumed = await assume_role(
            alice, role_arn=role.arn, role_session_name="night", duration_seconds=43_200
        )
        assert (assumed.credentials.expiration - fake.now()).total_seconds() == 43_200
        default = await assume_role(alice, role_arn=role.arn, role_session_name="night")
        assert (default.credentials.expiration - fake.now()).total_seconds() == 3_600


async def test_an_unknown_role_and_an_untrusting_one_look_the_same(
    root: Principal, alice: Principal, rejects: Rejects
) -> None:
    bob = await create_user(root, user_name="bob")
    stranger = await make_role(root, "Vault", trusting(bob.arn))
    unknown = f"arn:aws:iam::{root.account_id}:role/Nowhere"
    for arn in (unknown, stranger.arn):
        await rejects(
            assume_role(alice, role_arn=arn, role_session_name="try"),
            AccessDenied,
            f"User: {alice.arn} is not authorized to perform: sts:AssumeRole on resource: {arn}",
            action=ACTION,
        )


def explained(error: GatewayError) -> dict[str, Any]:
    """The refusal's explanation, without the audit-only parts."""
    keys = ("decision", "deniedBy", "statements", "missingContextKeys")
    return {key: error.extensions[key] for key in keys}


async def test_a_refusal_explains_the_callers_side_alike_for_unknown_and_untrusting_roles(
    root: Principal, alice: Principal, rejects: Rejects
) -> None:
    bob = await create_user(root, user_name="bob")
    stranger = await make_role(root, "Vault", trusting(bob.arn))
    account_wide = await make_role(root, "Open", trusting(root.account_id))
    unknown = f"arn:aws:iam::{root.account_id}:role/Nowhere"
    other_account = "arn:aws:iam::999999999999:role/Nowhere"
    answers = []
    for arn in (unknown, stranger.arn, account_wide.arn, other_account):
        error = await rejects(
            assume_role(alice, role_arn=arn, role_session_name="try"),
            AccessDenied,
            f"User: {alice.arn} is not authorized to perform: sts:AssumeRole on resource: {arn}",
            action=ACTION,
        )
        answers.append(explained(error))
    nothing_allows = {
        "decision": "ImplicitDeny",
        "deniedBy": "identity",
        "statements": [],
        "missingContextKeys": [],
    }
    assert answers == [nothing_allows] * 4

    await may_assume(root, "alice")  # now her side allows every role: the trust side refuses
    answers = []
    for arn in (unknown, stranger.arn, other_account):
        error = await rejects(
            assume_role(alice, role_arn=arn, role_session_name="try"),
            AccessDenied,
            f"User: {alice.arn} is not authorized to perform: sts:AssumeRole on resource: {arn}",
            action=ACTION,
        )
        answers.append(explained(error))
    policy = f"{alice.arn}:inline/AssumeRoles"
    her_allow = {"layer": "identity", "policy": policy, "sid": None, "index": 0}
    assert (
        answers
        == [
            {
                "decision": "ImplicitDeny",
                "deniedBy": "trust",
                "statements": [her_allow],
                "missingContextKeys": [],
            }
        ]
        * 3
    )


async def test_a_refusal_names_the_callers_own_explicit_deny(
    root: Principal, alice: Principal, cashier: Role, rejects: Rejects
) -> None:
    await put_user_policy(
        root,
        user_name="alice",
        policy_name="NoRoles",
        policy_document=document(
            {"Sid": "NoRoles", "Effect": "Deny", "Action": "sts:*", "Resource": "*"}
        ),
    )
    for arn in (cashier.arn, f"arn:aws:iam::{root.account_id}:role/Nowhere"):
        error = await rejects(
            assume_role(alice, role_arn=arn, role_session_name="s1"),
            AccessDenied,
            f"User: {alice.arn} is not authorized to perform: sts:AssumeRole on resource: {arn}",
            action=ACTION,
        )
        assert explained(error) == {
            "decision": "ExplicitDeny",
            "deniedBy": "identity",
            "statements": [
                {
                    "layer": "identity",
                    "policy": f"{alice.arn}:inline/NoRoles",
                    "sid": "NoRoles",
                    "index": 0,
                }
            ],
            "missingContextKeys": [],
        }


async def test_a_refusal_names_the_mfa_a_trust_policy_naming_the_caller_asked_for(
    root: Principal, alice: Principal, rejects: Rejects
) -> None:
    await may_assume(root, "alice")
    role = await make_role(
        root, "Till", trusting(root.account_id, Bool={"aws:MultiFactorAuthPresent": "true"})
    )
    error = await rejects(
        assume_role(alice, role_arn=role.arn, role_session_name="s1"),
        AccessDenied,
        f"User: {alice.arn} is not authorized to perform: sts:AssumeRole on resource: {role.arn}",
        action=ACTION,
    )
    assert error.extensions["deniedBy"] == "trust"
    assert error.extensions["missingContextKeys"] == ["aws:MultiFactorAuthPresent"]
    # A trust policy asking the same of someone else tells alice nothing.
    bob = await create_user(root, user_name="bob")
    other = await make_role(
        root, "BobsTill", trusting(bob.arn, Bool={"aws:MultiFactorAuthPresent": "true"})
    )
    error = await rejects(
        assume_role(alice, role_arn=other.arn, role_session_name="s1"),
        AccessDenied,
        f"User: {alice.arn} is not authorized to perform: sts:AssumeRole on resource: {other.arn}",
        action=ACTION,
    )
    assert error.extensions["missingContextKeys"] == []


async def test_a_trust_policy_naming_the_account_needs_the_callers_permission_too(
    root: Principal, alice: Principal, rejects: Rejects
) -> None:
    role = await make_role(root, "Inventory", trusting(root.account_id))
    await rejects(
        assume_role(alice, role_arn=role.arn, role_session_name="s1"),
        AccessDenied,
        f"User: {alice.arn} is not authorized to perform: sts:AssumeRole on resource: {role.arn}",
        action=ACTION,
    )
    await may_assume(root, "alice", role.arn)
    assumed = await assume_role(alice, role_arn=role.arn, role_session_name="s1")
    assert assumed.arn.endswith(":assumed-role/Inventory/s1")


async def test_an_explicit_deny_beats_a_trust_policy_naming_the_caller(
    root: Principal, alice: Principal, cashier: Role, rejects: Rejects
) -> None:
    await put_user_policy(
        root,
        user_name="alice",
        policy_name="NoRoles",
        policy_document=document({"Effect": "Deny", "Action": "sts:*", "Resource": "*"}),
    )
    await rejects(
        assume_role(alice, role_arn=cashier.arn, role_session_name="s1"),
        AccessDenied,
        f"User: {alice.arn} is not authorized to perform: sts:AssumeRole on resource: "
        f"{cashier.arn}",
        action=ACTION,
    )


async def test_a_trust_policy_requiring_mfa_refuses_a_session_without_it(
    root: Principal, alice: Principal, rejects: Rejects
) -> None:
    role = await make_role(
        root, "Safe", trusting(alice.arn, Bool={"aws:MultiFactorAuthPresent": "true"})
    )
    await rejects(
        assume_role(alice, role_arn=role.arn, role_session_name="s1"),
        AccessDenied,
        f"User: {alice.arn} is not authorized to perform: sts:AssumeRole on resource: {role.arn}",
        action=ACTION,
    )
    with_mfa = replace(alice, mfa_authenticated_at=clock.now())
    assumed = await assume_role(with_mfa, role_arn=role.arn, role_session_name="s1")
    session = await session_principal(assumed.credentials.session_token)
    assert session.request_context()["aws:MultiFactorAuthPresent"] == "true"


async def test_mfa_arguments_come_together(
    alice: Principal, cashier: Role, rejects: Rejects
) -> None:
    await rejects(
        assume_role(alice, role_arn=cashier.arn, role_session_name="s1", token_code="123456"),
        InvalidInput,
        "serialNumber and tokenCode must be given together.",
        action=ACTION,
    )


# -- chaining -----------------------------------------------------------------------------


async def test_role_chaining_is_capped_at_one_hour(
    root: Principal, alice: Principal, cashier: Role, rejects: Rejects
) -> None:
    long = await make_role(
        root, "Long", trusting(cashier.arn), max_session_duration=43_200, allows="inventory:*"
    )
    await may_chain(root, "Cashier")
    first = await assume_role(alice, role_arn=cashier.arn, role_session_name="first")
    as_cashier = await session_principal(first.credentials.session_token)
    await rejects(
        assume_role(
            as_cashier, role_arn=long.arn, role_session_name="second", duration_seconds=3_601
        ),
        ValidationError,
        EXCEEDS_CHAINED,
        action=ACTION,
    )
    fake = clock.FrozenClock(clock.SystemClock().now())
    with clock.using(fake):
        chained = await assume_role(as_cashier, role_arn=long.arn, role_session_name="second")
        assert (chained.credentials.expiration - fake.now()).total_seconds() == 3_600
    stored = await Session.get(access_key_id=chained.credentials.access_key_id)
    assert stored.chained
    assert stored.assumed_by_arn == as_cashier.arn
    as_long = await session_principal(chained.credentials.session_token)
    assert await decide(as_long, "inventory:Update", INVENTORY) is Effect.ALLOW
    assert await decide(as_long, "pos:OpenDrawer", REGISTER) is Effect.IMPLICIT_DENY


async def test_a_trust_policy_naming_a_role_lets_its_sessions_chain_capped_by_its_boundary(
    root: Principal, alice: Principal, cashier: Role, rejects: Rejects
) -> None:
    # AWS: a resource-based (here trust) policy granting the role ARN applies to the role's
    # sessions; only the role's permissions boundary or session policies limit it, so the
    # Cashier role needs no sts:AssumeRole of its own (no may_chain here).
    night = await make_role(root, "Night", trusting(cashier.arn), allows="inventory:*")
    first = await assume_role(alice, role_arn=cashier.arn, role_session_name="first")
    as_cashier = await session_principal(first.credentials.session_token)
    chained = await assume_role(as_cashier, role_arn=night.arn, role_session_name="second")
    as_night = await session_principal(chained.credentials.session_token)
    assert await decide(as_night, "inventory:Update", INVENTORY) is Effect.ALLOW

    cap = await create_policy(
        root, policy_name="TillOnly", policy_document=document(allow("pos:*"))
    )
    await put_role_permissions_boundary(root, role_name="Cashier", permissions_boundary=cap.arn)
    capped = await assume_role(alice, role_arn=cashier.arn, role_session_name="capped")
    as_capped = await session_principal(capped.credentials.session_token)
    await rejects(
        assume_role(as_capped, role_arn=night.arn, role_session_name="third"),
        AccessDenied,
        f"User: {as_capped.arn} is not authorized to perform: sts:AssumeRole on resource: "
        f"{night.arn}",
        action=ACTION,
    )


async def test_a_source_identity_needs_the_trust_policy_and_never_changes(
    root: Principal, alice: Principal, cashier: Role, rejects: Rejects
) -> None:
    await rejects(
        assume_role(alice, role_arn=cashier.arn, role_session_name="s1", source_identity="alice"),
        AccessDenied,
        f"User: {alice.arn} is not authorized to perform: sts:SetSourceIdentity on resource: "
        f"{cashier.arn}",
        action=ACTION,
    )
    trust = document(
        {
            "Effect": "Allow",
            "Principal": {"AWS": [alice.arn]},
            "Action": ["sts:AssumeRole", "sts:SetSourceIdentity"],
        }
    )
    role = await make_role(root, "Audited", trust)
    chained_trust = document(
        {
            "Effect": "Allow",
            "Principal": {"AWS": [role.arn]},
            "Action": ["sts:AssumeRole", "sts:SetSourceIdentity"],
        }
    )
    next_role = await make_role(root, "Next", chained_trust)
    await may_chain(root, "Audited")
    first = await assume_role(
        alice, role_arn=role.arn, role_session_name="s1", source_identity="alice"
    )
    assert first.source_identity == "alice"
    session = await session_principal(first.credentials.session_token)
    assert session.request_context()["aws:SourceIdentity"] == "alice"
    await rejects(
        assume_role(session, role_arn=next_role.arn, role_session_name="s2", source_identity="bob"),
        AccessDenied,
        SOURCE_IDENTITY_FIXED,
        action=ACTION,
    )
    kept = await assume_role(session, role_arn=next_role.arn, role_session_name="s2")
    assert kept.source_identity == "alice"


# -- session policy limits ----------------------------------------------------------------


async def test_a_malformed_session_policy_is_refused(
    alice: Principal, cashier: Role, rejects: Rejects
) -> None:
    await rejects(
        assume_role(alice, role_arn=cashier.arn, role_session_name="s1", policy='{"Version": 1'),
        MalformedPolicyDocument,
        "Syntax errors in policy.",
        action=ACTION,
    )


async def test_at_most_ten_managed_session_policies(
    root: Principal, alice: Principal, cashier: Role, rejects: Rejects
) -> None:
    arns = [f"arn:aws:iam::{root.account_id}:policy/P{i}" for i in range(11)]
    error = await rejects(
        assume_role(alice, role_arn=cashier.arn, role_session_name="s1", policy_arns=arns),
        ValidationError,
        name_error(
            "[" + ", ".join(arns) + "]",
            "Member must have length less than or equal to 10",
            "policyArns",
        ),
        action=ACTION,
    )
    assert error.code == "ValidationError"


async def test_packed_session_policies_have_a_size_limit(
    root: Principal, alice: Principal, cashier: Role, rejects: Rejects
) -> None:
    big = document(*(allow(f"pos:Action{i:04d}", REGISTER) for i in range(20)))
    assert len(big) <= 2048
    arns = [f"arn:aws:iam::{root.account_id}:policy/{'P' * 100}{i}" for i in range(10)]
    with pytest.raises(PackedPolicyTooLarge) as raised:
        await assume_role(
            alice, role_arn=cashier.arn, role_session_name="s1", policy=big, policy_arns=arns
        )
    assert raised.value.message.startswith("Packed policy consumes ")
    assert raised.value.message.endswith(
        "% of allotted space, please use smaller policy for serialization."
    )
    assert await Session.filter(principal_kind="role").count() == 0


async def test_an_unknown_managed_session_policy_is_refused(
    root: Principal, alice: Principal, cashier: Role, rejects: Rejects
) -> None:
    arn = f"arn:aws:iam::{root.account_id}:policy/Missing"
    await rejects(
        assume_role(alice, role_arn=cashier.arn, role_session_name="s1", policy_arns=[arn]),
        NoSuchEntity,
        f"Policy {arn} does not exist or is not attachable.",
        action=ACTION,
    )


# -- across accounts ----------------------------------------------------------------------


@pytest.fixture
async def other_root(db: object) -> Principal:
    created, _ = await bootstrap_account(email="b@example.com", password="Other-Passw0rd")
    return Principal.root(created.id)


async def test_a_role_trusting_another_account_needs_that_accounts_permission(
    root: Principal, other_root: Principal, alice: Principal, rejects: Rejects
) -> None:
    role = await make_role(other_root, "Auditor", trusting(f"arn:aws:iam::{root.account_id}:root"))
    message = (
        f"User: {alice.arn} is not authorized to perform: sts:AssumeRole on resource: {role.arn}"
    )
    await rejects(
        assume_role(alice, role_arn=role.arn, role_session_name="s1"),
        AccessDenied,
        message,
        action=ACTION,
    )
    await may_assume(root, "alice", role.arn)
    assumed = await assume_role(alice, role_arn=role.arn, role_session_name="s1")
    session = await session_principal(assumed.credentials.session_token)
    assert session.account_id == other_root.account_id
    assert session.arn == f"arn:aws:sts::{other_root.account_id}:assumed-role/Auditor/s1"
    assert await decide(session, "pos:OpenDrawer", REGISTER) is Effect.ALLOW
    owner_events = AuditEvent.filter(account_id=other_root.account_id, action=ACTION)
    assert await owner_events.filter(outcome="Allowed", principal_arn=alice.arn).count() == 1
    # The role's owner sees the caller as CloudTrail shows it there: an account, and its id.
    seen = await owner_events.get(outcome="Allowed")
    assert seen.user_identity == {
        "type": "AWSAccount",
        "principalId": alice.id,
        "accountId": root.account_id,
    }


async def test_a_role_trusting_a_user_of_another_account_still_needs_its_permission(
    root: Principal, other_root: Principal, alice: Principal, rejects: Rejects
) -> None:
    role = await make_role(other_root, "Partner", trusting(alice.arn))
    await rejects(
        assume_role(alice, role_arn=role.arn, role_session_name="s1"),
        AccessDenied,
        f"User: {alice.arn} is not authorized to perform: sts:AssumeRole on resource: {role.arn}",
        action=ACTION,
    )
    await may_assume(root, "alice")
    await assume_role(alice, role_arn=role.arn, role_session_name="s1")


# -- expiry and revocation ----------------------------------------------------------------


async def test_role_sessions_expire(alice: Principal, cashier: Role) -> None:
    fake = clock.FrozenClock(clock.SystemClock().now())
    with clock.using(fake):
        assumed = await assume_role(
            alice, role_arn=cashier.arn, role_session_name="s1", duration_seconds=900
        )
        await authenticate(assumed.credentials.session_token)
        fake.advance(seconds=901)
        with pytest.raises(ExpiredToken):
            await authenticate(assumed.credentials.session_token)


async def test_revoking_denies_older_sessions_and_spares_newer_ones(
    root: Principal, alice: Principal, cashier: Role
) -> None:
    fake = clock.FrozenClock(clock.SystemClock().now().replace(microsecond=250_000))
    with clock.using(fake):
        old = await assume_role(alice, role_arn=cashier.arn, role_session_name="old")
        fake.advance(seconds=10)
        await revoke_role_sessions(root, "Cashier")
        assert POLICY_NAME in await list_role_policies(root, "Cashier")
        stored = json.loads((await get_role_policy(root, "Cashier", POLICY_NAME)).document)
        condition = stored["Statement"][0]["Condition"]["DateLessThan"]
        revoked_at = fake.now().replace(microsecond=0).strftime("%Y-%m-%dT%H:%M:%S")
        assert condition["aws:TokenIssueTime"] > revoked_at
        old_session = await session_principal(old.credentials.session_token)
        assert await decide(old_session, "pos:OpenDrawer", REGISTER) is Effect.EXPLICIT_DENY
        fake.advance(seconds=1)
        new = await assume_role(alice, role_arn=cashier.arn, role_session_name="new")
        new_session = await session_principal(new.credentials.session_token)
        assert await decide(new_session, "pos:OpenDrawer", REGISTER) is Effect.ALLOW


async def test_revoking_needs_an_existing_role(root: Principal, rejects: Rejects) -> None:
    await rejects(
        revoke_role_sessions(root, "Nowhere"),
        NoSuchEntity,
        "The role with name Nowhere cannot be found.",
        action="iam:PutRolePolicy",
    )


# -- console switching --------------------------------------------------------------------


async def signed_in(root: Principal, user_name: str) -> tuple[str, Principal]:
    await create_login_profile(root, user_name, password=GOOD_PASSWORD)
    signed = await sign_in_user(root.account_id, user_name, GOOD_PASSWORD, ttl_seconds=7200)
    return signed.token, signed.principal


async def test_switching_roles_and_back(root: Principal, alice: Principal, cashier: Role) -> None:
    inventory = await make_role(root, "Inventory", trusting(alice.arn), allows="inventory:*")
    token, me = await signed_in(root, "alice")
    first = await switch_role(me, role_arn=cashier.arn)
    assert first.principal.arn.endswith(":assumed-role/Cashier/alice")
    as_cashier = await session_principal(first.token)
    assert await decide(as_cashier, "pos:OpenDrawer", REGISTER) is Effect.ALLOW
    # The sign-in stays valid in the background.
    assert (await session_principal(token)).arn == alice.arn

    second = await switch_role(as_cashier, role_arn=inventory.arn, role_session_name="stock")
    as_inventory = await session_principal(second.token)
    assert as_inventory.arn.endswith(":assumed-role/Inventory/stock")
    assert await decide(as_inventory, "inventory:Update", INVENTORY) is Effect.ALLOW
    assert await decide(as_inventory, "pos:OpenDrawer", REGISTER) is Effect.IMPLICIT_DENY
    with pytest.raises(Unauthenticated):  # replaced, not chained
        await authenticate(first.token)
    stored = await Session.get(id=as_inventory.session_id)
    assert stored.switched_from_id == me.session_id
    assert not stored.chained
    assert stored.access_key_id is None

    back = await switch_back(as_inventory)
    assert back.principal.arn == alice.arn
    restored = await session_principal(back.token)
    assert restored.arn == alice.arn
    assert restored.session_id == me.session_id
    for gone in (second.token, token):
        with pytest.raises(Unauthenticated):
            await authenticate(gone)


async def test_signing_out_ends_the_switched_session(
    root: Principal, alice: Principal, cashier: Role
) -> None:
    _token, me = await signed_in(root, "alice")
    switched = await switch_role(me, role_arn=cashier.arn)
    await sign_out(me)
    with pytest.raises(Unauthenticated):
        await authenticate(switched.token)


async def test_switched_sessions_end_with_the_sign_in(
    root: Principal, alice: Principal, cashier: Role
) -> None:
    fake = clock.FrozenClock(clock.SystemClock().now())
    with clock.using(fake):
        await create_login_profile(root, "alice", password=GOOD_PASSWORD)
        signed = await sign_in_user(root.account_id, "alice", GOOD_PASSWORD, ttl_seconds=1200)
        switched = await switch_role(signed.principal, role_arn=cashier.arn)
        assert (switched.expires_at - fake.now()).total_seconds() == 1200


async def test_switching_refuses_what_assume_role_refuses(
    root: Principal, alice: Principal, rejects: Rejects
) -> None:
    x = await create_user(root, user_name="x")
    stranger = await make_role(root, "Vault", trusting(x.arn))
    _, me = await signed_in(root, "alice")
    error = await rejects(
        switch_role(me, role_arn=stranger.arn),
        AccessDenied,
        f"User: {alice.arn} is not authorized to perform: sts:AssumeRole on resource: "
        f"{stranger.arn}",
        action=ACTION,
    )
    assert error.extensions["deniedBy"] == "identity"
    assert error.extensions["missingContextKeys"] == []
    safe = await make_role(
        root, "Safe", trusting(alice.arn, Bool={"aws:MultiFactorAuthPresent": "true"})
    )
    error = await rejects(
        switch_role(me, role_arn=safe.arn),
        AccessDenied,
        f"User: {alice.arn} is not authorized to perform: sts:AssumeRole on resource: {safe.arn}",
        action=ACTION,
    )
    assert error.extensions["missingContextKeys"] == ["aws:MultiFactorAuthPresent"]


async def test_switching_needs_a_sign_in_and_switching_back_a_switch(
    alice: Principal, cashier: Role, rejects: Rejects
) -> None:
    keyed = replace(alice, session_id=None, access_key_id="AKIA" + "A" * 17)
    await rejects(
        switch_role(keyed, role_arn=cashier.arn), InvalidInput, CONSOLE_ONLY, action=ACTION
    )
    assumed = await assume_role(alice, role_arn=cashier.arn, role_session_name="s1")
    session = await session_principal(assumed.credentials.session_token)
    await rejects(switch_back(session), InvalidInput, NOT_SWITCHED, action="gateway:SwitchBack")
    await rejects(switch_back(alice), InvalidInput, NOT_SWITCHED, action="gateway:SwitchBack")


async def test_assumable_roles_are_those_that_trust_the_caller_and_it_may_assume(
    root: Principal, other_root: Principal, alice: Principal, cashier: Role
) -> None:
    named_account = await make_role(root, "Inventory", trusting(root.account_id))
    await make_role(root, "Vault", trusting((await create_user(root, user_name="bob")).arn))
    elsewhere = await make_role(other_root, "Auditor", trusting(root.account_id))
    assert [r.arn for r in await assumable_roles(alice)] == [cashier.arn]
    await may_assume(root, "alice")
    listed = [r.arn for r in await assumable_roles(alice)]
    expected = sorted(
        [(r.account_id, r.name.lower(), r.arn) for r in (cashier, named_account, elsewhere)]
    )
    assert listed == [arn for _, _, arn in expected]
    assert await assumable_roles(root) == []


async def test_assumable_roles_of_a_switched_session_are_its_identitys(
    root: Principal, alice: Principal, cashier: Role
) -> None:
    inventory = await make_role(root, "Inventory", trusting(alice.arn))
    _, me = await signed_in(root, "alice")
    switched = await switch_role(me, role_arn=cashier.arn)
    listed = await assumable_roles(await session_principal(switched.token))
    assert sorted(r.name for r in listed) == [cashier.name, inventory.name]


async def test_nothing_is_issued_for_a_refused_inline_policy_too_large(
    alice: Principal, cashier: Role, rejects: Rejects
) -> None:
    policy = document(*(allow(f"pos:A{i:05d}", REGISTER) for i in range(60)))
    assert len(policy) > 2048
    await rejects(
        assume_role(alice, role_arn=cashier.arn, role_session_name="s1", policy=policy),
        ValidationError,
        name_error(policy, "Member must have length less than or equal to 2048", "policy"),
        action=ACTION,
    )


# -- MFA codes ----------------------------------------------------------------------------


async def test_a_code_of_the_callers_device_satisfies_a_trust_policy_requiring_mfa(
    root: Principal, alice: Principal, cipher: SeedCipher, rejects: Rejects
) -> None:
    role = await make_role(
        root, "Safe", trusting(alice.arn, Bool={"aws:MultiFactorAuthPresent": "true"})
    )
    app = await enroll(root, cipher, "alice")
    fake = clock.FrozenClock(clock.SystemClock().now())
    with clock.using(fake):
        code = app.code(1)
        assumed = await assume_role(
            alice,
            role_arn=role.arn,
            role_session_name="s1",
            serial_number=app.serial_number,
            token_code=code,
            cipher=cipher,
        )
        session = await session_principal(assumed.credentials.session_token)
        assert session.request_context()["aws:MultiFactorAuthPresent"] == "true"
        assert session.mfa_authenticated_at == fake.now()
        replayed = assume_role(
            alice,
            role_arn=role.arn,
            role_session_name="s2",
            serial_number=app.serial_number,
            token_code=code,
            cipher=cipher,
        )
        with pytest.raises(AccessDenied) as raised:
            await replayed
        assert raised.value.message == MFA_FAILED
    assert await Session.filter(principal_kind="role").count() == 1


async def test_a_role_session_must_name_the_user_whose_credentials_it_manages(
    alice: Principal, cashier: Role
) -> None:
    assumed = await assume_role(alice, role_arn=cashier.arn, role_session_name="till-1")
    session = (await authenticate(assumed.credentials.session_token)).principal
    with pytest.raises(ValidationError) as keys:
        await list_access_keys(session, None)
    with pytest.raises(ValidationError) as devices:
        await list_mfa_devices(session, None)
    assert keys.value.message == devices.value.message == NON_USER_CREDENTIALS


async def test_assuming_a_role_keeps_the_accounts_cached_sessions(
    root: Principal, alice: Principal, cashier: Role
) -> None:
    """Programs assume roles all day: a new role session must not send every cached session
    of the account back to the database."""
    cache = SessionCache(ttl=60, quiet_ttl=60, hearing=lambda: 1)
    signed_in = await sign_in_root(ROOT_EMAIL, ROOT_PASSWORD, ttl_seconds=3600)
    await authenticate(signed_in.token, cache=cache)
    await assume_role(alice, role_arn=cashier.arn, role_session_name="till-1")
    assert cache.get(hash_token(signed_in.token)) is not None
