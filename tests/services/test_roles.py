"""IAM roles (gateway/services/roles.py)."""

from __future__ import annotations

import asyncio
import json
import string
from datetime import timedelta

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from tortoise.context import TortoiseContext

from gateway import arns, clock
from gateway.errors import (
    DeleteConflict,
    EntityAlreadyExists,
    GatewayError,
    LimitExceeded,
    MalformedPolicyDocument,
    NoSuchEntity,
    ValidationError,
)
from gateway.ids import new_session_id
from gateway.models import AuditEvent, EntityKind, ManagedPolicy, PrincipalKind, Role, Session
from gateway.policy.document import SYNTAX_ERROR, TRUST_ACTION_ERROR
from gateway.services import roles
from gateway.services.principal import Principal
from gateway.services.roles import (
    DESCRIPTION_PATTERN,
    create_role,
    delete_role,
    get_role,
    update_assume_role_policy,
    update_role,
)
from gateway.services.users import create_user
from gateway.services.validation import NAME_PATTERN, PATH_PATTERN, check_name
from tests.services.helpers import Rejects, Succeeds, attach, embed, make_policy
from tests.services.policy_fixtures import trust_document

NAME_RULE = f"Member must satisfy regular expression pattern: {NAME_PATTERN}"


def invalid(value: str, field: str, constraint: str) -> str:
    return (
        f"1 validation error detected: Value '{value}' at '{field}' failed to satisfy "
        f"constraint: {constraint}"
    )


def trust(root: Principal) -> str:
    """A trust policy letting the account (its root and, by policy, its users) assume."""
    return trust_document(f"arn:aws:iam::{root.account_id}:root")


async def new_role(root: Principal, name: str, **kwargs: object) -> Role:
    return await create_role(
        root,
        role_name=name,
        assume_role_policy_document=trust(root),
        **kwargs,  # type: ignore[arg-type]
    )


def padded_trust(root: Principal, size: int) -> str:
    """A valid trust policy of exactly `size` characters, whitespace excluded."""
    from gateway.policy import policy_size

    base = trust_document(f"arn:aws:iam::{root.account_id}:root", Sid="")
    text = trust_document(
        f"arn:aws:iam::{root.account_id}:root", Sid="x" * (size - policy_size(base))
    )
    assert policy_size(text) == size
    return text


# -- create / get ---------------------------------------------------------------------------------


async def test_create_role(root: Principal, succeeds: Succeeds) -> None:
    arn = arns.role_arn(root.account_id, "/shop/", "Cashier")
    document = trust(root)

    role = await succeeds(
        create_role(
            root,
            role_name="Cashier",
            path="/shop/",
            assume_role_policy_document=document,
            description="Runs the till",
            max_session_duration=7200,
            tags={"Team": "floor"},
        ),
        actor=root,
        action="iam:CreateRole",
        resource=arn,
        policies=False,
    )

    assert (role.name, role.name_lower, role.path, role.arn) == (
        "Cashier",
        "cashier",
        "/shop/",
        arn,
    )
    assert role.id.startswith("AROA")
    assert len(role.id) == 21
    assert (role.description, role.max_session_duration, role.tags) == (
        "Runs the till",
        7200,
        {"Team": "floor"},
    )
    found = await get_role(root, "CASHIER")
    assert (found.id, found.assume_role_policy, found.last_used_at) == (role.id, document, None)


async def test_create_role_defaults(root: Principal) -> None:
    role = await new_role(root, "Plain")
    assert (role.path, role.description, role.max_session_duration, role.tags) == (
        "/",
        "",
        3600,
        {},
    )
    assert role.permissions_boundary_id is None


async def test_role_names_do_not_clash_with_users_or_other_accounts(
    root: Principal, other_root: Principal
) -> None:

    await create_user(root, user_name="Cashier")
    await new_role(root, "Cashier")
    await new_role(other_root, "Cashier")
    with pytest.raises(NoSuchEntity):
        await get_role(root, "Inventory")
    assert await Role.filter(name_lower="cashier").count() == 2


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        (
            {"role_name": ""},
            ValidationError,
            invalid("", "roleName", "Member must have length greater than or equal to 1"),
        ),
        (
            {"role_name": "a" * 65},
            ValidationError,
            invalid("a" * 65, "roleName", "Member must have length less than or equal to 64"),
        ),
        ({"role_name": "a b"}, ValidationError, invalid("a b", "roleName", NAME_RULE)),
        ({"role_name": "caixa/1"}, ValidationError, invalid("caixa/1", "roleName", NAME_RULE)),
        ({"role_name": "zoë"}, ValidationError, invalid("zoë", "roleName", NAME_RULE)),
        (
            {"path": "shop"},
            ValidationError,
            invalid(
                "shop", "path", f"Member must satisfy regular expression pattern: {PATH_PATTERN}"
            ),
        ),
        (
            {"description": "d" * 1001},
            ValidationError,
            invalid(
                "d" * 1001, "description", "Member must have length less than or equal to 1000"
            ),
        ),
        (
            {"description": "bell\x07"},
            ValidationError,
            invalid(
                "bell\x07",
                "description",
                f"Member must satisfy regular expression pattern: {DESCRIPTION_PATTERN}",
            ),
        ),
        (
            {"max_session_duration": 3599},
            ValidationError,
            invalid(
                "3599", "maxSessionDuration", "Member must have value greater than or equal to 3600"
            ),
        ),
        (
            {"max_session_duration": 43201},
            ValidationError,
            invalid(
                "43201", "maxSessionDuration", "Member must have value less than or equal to 43200"
            ),
        ),
        (
            {"permissions_boundary": "arn:short"},
            ValidationError,
            invalid(
                "arn:short",
                "permissionsBoundary",
                "Member must have length greater than or equal to 20",
            ),
        ),
    ],
)
async def test_create_role_validates_its_input(
    root: Principal,
    rejects: Rejects,
    kwargs: dict[str, object],
    error: type[GatewayError],
    message: str,
) -> None:
    arguments: dict[str, object] = {
        "role_name": "Cashier",
        "assume_role_policy_document": trust(root),
        **kwargs,
    }
    await rejects(create_role(root, **arguments), error, message, action="iam:CreateRole")  # type: ignore[arg-type]


def _statement(**elements: object) -> str:
    return json.dumps({"Version": "2012-10-17", "Statement": [{"Effect": "Allow", **elements}]})


ROOT_OF = {"AWS": "arn:aws:iam::111122223333:root"}


@pytest.mark.parametrize(
    ("document", "error", "message"),
    [
        ("{not json", MalformedPolicyDocument, SYNTAX_ERROR),
        (
            _statement(Action="sts:AssumeRole"),
            MalformedPolicyDocument,
            "Missing required field Principal",
        ),
        (
            _statement(Principal=ROOT_OF, Action="sts:AssumeRole", Resource="*"),
            MalformedPolicyDocument,
            "Has prohibited field Resource",
        ),
        (
            _statement(Principal=ROOT_OF, Action="iam:CreateUser"),
            MalformedPolicyDocument,
            TRUST_ACTION_ERROR,
        ),
        (
            _statement(Principal=ROOT_OF),
            MalformedPolicyDocument,
            "Policy statement must contain actions.",
        ),
        (
            "",
            ValidationError,
            invalid(
                "", "assumeRolePolicyDocument", "Member must have length greater than or equal to 1"
            ),
        ),
    ],
)
async def test_create_role_refuses_a_bad_trust_policy(
    root: Principal,
    rejects: Rejects,
    document: str,
    error: type[GatewayError],
    message: str,
) -> None:
    await rejects(
        create_role(root, role_name="Cashier", assume_role_policy_document=document),
        error,
        message,
        action="iam:CreateRole",
    )


async def test_trust_policy_size_quota_is_2048_characters_without_whitespace(
    root: Principal, rejects: Rejects
) -> None:
    largest = padded_trust(root, 2048)
    spaced = largest.replace(",", ",   ")  # whitespace does not count
    await create_role(root, role_name="Largest", assume_role_policy_document=spaced)

    await rejects(
        create_role(
            root, role_name="TooLarge", assume_role_policy_document=padded_trust(root, 2049)
        ),
        LimitExceeded,
        "Cannot exceed quota for ACLSizePerRole: 2048",
        action="iam:CreateRole",
    )


async def test_trust_policy_conditions_and_service_principals_are_kept(root: Principal) -> None:
    await create_user(root, user_name="alice")
    document = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"AWS": f"arn:aws:iam::{root.account_id}:user/alice"},
                    "Action": ["sts:AssumeRole", "sts:TagSession"],
                    "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
                },
            ],
        }
    )
    role = await create_role(root, role_name="Guarded", assume_role_policy_document=document)
    assert (
        (await get_role(root, "guarded")).assume_role_policy == document == role.assume_role_policy
    )


async def test_roles_per_account_quota(
    root: Principal, rejects: Rejects, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert roles.ROLES_PER_ACCOUNT == 1000
    monkeypatch.setattr(roles, "ROLES_PER_ACCOUNT", 2)
    await new_role(root, "a")
    await new_role(root, "b")

    await rejects(
        new_role(root, "c"),
        LimitExceeded,
        "Cannot exceed quota for RolesPerAccount: 2",
        action="iam:CreateRole",
    )


async def test_create_role_with_a_boundary(
    root: Principal, other_root: Principal, rejects: Rejects
) -> None:
    policy = await make_policy(root.account_id, "Boundary")
    role = await new_role(root, "Bounded", permissions_boundary=policy.arn)
    assert role.permissions_boundary_id == policy.id
    assert (await ManagedPolicy.get(id=policy.id)).boundary_usage_count == 1

    foreign = await make_policy(other_root.account_id, "Theirs")
    await rejects(
        new_role(root, "Other", permissions_boundary=foreign.arn),
        NoSuchEntity,
        f"Policy {foreign.arn} does not exist or is not attachable.",
        action="iam:CreateRole",
    )


async def test_get_role_errors(root: Principal) -> None:
    with pytest.raises(NoSuchEntity) as raised:
        await get_role(root, "nobody")
    assert raised.value.message == "The role with name nobody cannot be found."
    with pytest.raises(ValidationError):
        await get_role(root, "a" * 65)


# -- update ---------------------------------------------------------------------------------------


async def test_update_role(root: Principal, succeeds: Succeeds) -> None:
    role = await new_role(root, "Cashier", description="old")

    updated = await succeeds(
        update_role(root, "cashier", max_session_duration=43200),
        actor=root,
        action="iam:UpdateRole",
        resource=role.arn,
        policies=False,
    )
    assert (updated.description, updated.max_session_duration) == ("old", 43200)

    cleared = await update_role(root, "Cashier", description="")
    assert (cleared.description, cleared.max_session_duration) == ("", 43200)
    stored = await Role.get(id=role.id)
    assert (stored.description, stored.max_session_duration) == ("", 43200)


async def test_update_role_errors(root: Principal, rejects: Rejects) -> None:
    await new_role(root, "Cashier")
    await rejects(
        update_role(root, "Cashier", max_session_duration=60),
        ValidationError,
        invalid("60", "maxSessionDuration", "Member must have value greater than or equal to 3600"),
        action="iam:UpdateRole",
    )
    await rejects(
        update_role(root, "nobody", description="x"),
        NoSuchEntity,
        "The role with name nobody cannot be found.",
        action="iam:UpdateRole",
    )


async def test_update_assume_role_policy(
    root: Principal, succeeds: Succeeds, rejects: Rejects
) -> None:
    role = await new_role(root, "Cashier")
    alice = await create_user(root, user_name="alice")
    replacement = trust_document(alice.arn)

    updated = await succeeds(
        update_assume_role_policy(root, role_name="CASHIER", policy_document=replacement),
        actor=root,
        action="iam:UpdateAssumeRolePolicy",
        resource=role.arn,
    )
    assert updated.assume_role_policy == replacement
    assert (await Role.get(id=role.id)).assume_role_policy == replacement

    await rejects(
        update_assume_role_policy(
            root, role_name="Cashier", policy_document=_statement(Action="sts:AssumeRole")
        ),
        MalformedPolicyDocument,
        "Missing required field Principal",
        action="iam:UpdateAssumeRolePolicy",
    )
    await rejects(
        update_assume_role_policy(root, role_name="Cashier", policy_document=""),
        ValidationError,
        invalid("", "policyDocument", "Member must have length greater than or equal to 1"),
        action="iam:UpdateAssumeRolePolicy",
    )
    await rejects(
        update_assume_role_policy(root, role_name="nobody", policy_document=replacement),
        NoSuchEntity,
        "The role with name nobody cannot be found.",
        action="iam:UpdateAssumeRolePolicy",
    )


# -- delete ---------------------------------------------------------------------------------------


async def test_delete_role(root: Principal, succeeds: Succeeds) -> None:
    role = await new_role(root, "Cashier")

    await succeeds(
        delete_role(root, "CASHIER"), actor=root, action="iam:DeleteRole", resource=role.arn
    )

    assert not await Role.filter(id=role.id).exists()
    await new_role(root, "Cashier")  # the name is free again


async def test_delete_unknown_role(root: Principal, rejects: Rejects) -> None:
    await rejects(
        delete_role(root, "nobody"),
        NoSuchEntity,
        "The role with name nobody cannot be found.",
        action="iam:DeleteRole",
    )


async def test_delete_role_refuses_while_policies_remain(root: Principal, rejects: Rejects) -> None:
    role = await new_role(root, "Busy")
    await embed(EntityKind.ROLE, role.id)
    await attach(await make_policy(root.account_id, "Attached"), EntityKind.ROLE, role.id)

    await rejects(
        delete_role(root, "Busy"),
        DeleteConflict,
        "Cannot delete entity, must delete policies first.",
        action="iam:DeleteRole",
    )
    from gateway.models import InlinePolicy, PolicyAttachment

    await InlinePolicy.filter(entity_id=role.id).delete()
    await rejects(
        delete_role(root, "Busy"),
        DeleteConflict,
        "Cannot delete entity, must detach all policies first.",
        action="iam:DeleteRole",
    )
    await PolicyAttachment.filter(entity_id=role.id).delete()

    await delete_role(root, "Busy")
    assert not await Role.filter(id=role.id).exists()


async def test_delete_role_releases_its_boundary_and_ends_its_sessions(root: Principal) -> None:
    policy = await make_policy(root.account_id, "Boundary")
    role = await new_role(root, "Bounded", permissions_boundary=policy.arn)
    session = await Session.create(
        id=new_session_id(),
        token_hash="hash-of-a-role-session",
        account_id=root.account_id,
        principal_kind=PrincipalKind.ROLE.value,
        role_id=role.id,
        role_session_name="till",
        expires_at=clock.now() + timedelta(hours=1),
    )

    await delete_role(root, "Bounded")

    assert (await ManagedPolicy.get(id=policy.id)).boundary_usage_count == 0
    assert not await Session.filter(id=session.id).exists()


# -- properties and concurrency -------------------------------------------------------------------


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    name=st.one_of(
        st.text(max_size=70),
        st.text(alphabet=string.ascii_letters + string.digits + "+=,.@_-", min_size=1, max_size=70),
    )
)
@example(name="\x00")
async def test_any_role_name_is_refused_or_round_trips(root: Principal, name: str) -> None:
    try:
        check_name(name, "roleName", maximum=64)
    except ValidationError:
        with pytest.raises(ValidationError):
            await new_role(root, name)
        return
    created = await new_role(root, name)
    try:
        found = await get_role(root, name.swapcase())
        assert (found.id, found.name) == (created.id, name)
        assert found.arn == arns.role_arn(root.account_id, "/", name)
    finally:
        await delete_role(root, name)


@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(seconds=st.integers(min_value=-(2**31), max_value=2**31 - 1))
@example(seconds=3599)
@example(seconds=3600)
@example(seconds=43200)
@example(seconds=43201)
async def test_a_max_session_duration_is_stored_exactly_when_within_one_to_twelve_hours(
    root: Principal, seconds: int
) -> None:
    within = 3600 <= seconds <= 43200
    try:
        role = await new_role(root, "Timed", max_session_duration=seconds)
    except ValidationError:
        assert not within
        return
    assert within
    assert (await Role.get(id=role.id)).max_session_duration == seconds
    await delete_role(root, "Timed")


async def test_concurrent_creates_of_one_name_let_exactly_one_win(
    db: TortoiseContext, root: Principal
) -> None:
    results = await asyncio.gather(
        *(new_role(root, "Race") for _ in range(4)), return_exceptions=True
    )

    winners = [r for r in results if isinstance(r, Role)]
    losers = [r for r in results if not isinstance(r, Role)]
    assert len(winners) == 1
    assert all(isinstance(r, EntityAlreadyExists) for r in losers), losers
    assert await Role.filter(name_lower="race").count() == 1
    assert await AuditEvent.filter(action="iam:CreateRole", outcome="Failed").count() == 3


async def test_a_trust_policy_naming_a_principal_that_does_not_exist_is_malformed(
    root: Principal, other_root: Principal, rejects: Rejects
) -> None:
    missing = [
        f"arn:aws:iam::{root.account_id}:user/nobody",
        f"arn:aws:iam::{root.account_id}:role/Nothing",
        "arn:aws:iam::999999999999:root",
        "999999999999",
    ]
    for principal in missing:
        shown = "arn:aws:iam::999999999999:root" if principal.isdigit() else principal
        await rejects(
            create_role(
                root, role_name="Vault", assume_role_policy_document=trust_document(principal)
            ),
            MalformedPolicyDocument,
            f'Invalid principal in policy: "AWS":"{shown}"',
            action="iam:CreateRole",
        )
    alice = await create_user(root, user_name="alice")
    for principal in (alice.arn, other_root.account_id, f"arn:aws:iam::{root.account_id}:root"):
        role = await create_role(
            root,
            role_name=f"r{len(principal)}",
            assume_role_policy_document=trust_document(principal),
        )
        assert role.assume_role_policy == trust_document(principal)
