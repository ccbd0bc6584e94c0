"""IAM users (gateway/services/users.py)."""

from __future__ import annotations

import asyncio
import string

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from tortoise.context import TortoiseContext

from gateway import arns
from gateway.errors import (
    DeleteConflict,
    EntityAlreadyExists,
    GatewayError,
    InvalidInput,
    LimitExceeded,
    NoSuchEntity,
    ValidationError,
)
from gateway.models import AuditEvent, EntityKind, ManagedPolicy, User
from gateway.services import users
from gateway.services.groups import add_user_to_group, create_group
from gateway.services.login_profiles import create_login_profile
from gateway.services.principal import Principal
from gateway.services.users import (
    create_user,
    delete_user,
    find_user,
    get_user,
    list_users,
    update_user,
)
from gateway.services.validation import NAME_PATTERN, PATH_PATTERN, check_name
from tests.helpers import GOOD_PASSWORD
from tests.services.helpers import Rejects, Succeeds, attach, embed, make_policy

NAME_RULE = f"Member must satisfy regular expression pattern: {NAME_PATTERN}"


def invalid(value: str, field: str, constraint: str) -> str:
    return (
        f"1 validation error detected: Value '{value}' at '{field}' failed to satisfy "
        f"constraint: {constraint}"
    )


# -- create / get ---------------------------------------------------------------------------------


async def test_create_user(root: Principal, succeeds: Succeeds) -> None:
    arn = arns.user_arn(root.account_id, "/eng/", "Alice")

    user = await succeeds(
        create_user(root, user_name="Alice", path="/eng/", tags={"team": "coffee"}),
        actor=root,
        action="iam:CreateUser",
        resource=arn,
        policies=False,
    )

    assert user.name == "Alice"
    assert user.name_lower == "alice"
    assert user.path == "/eng/"
    assert user.arn == arn
    assert user.id.startswith("AIDA")
    assert len(user.id) == 21
    assert user.tags == {"team": "coffee"}
    assert user.permissions_boundary_id is None
    stored = await User.get(id=user.id)
    assert (stored.name, stored.arn, stored.account_id) == ("Alice", arn, root.account_id)
    event = await AuditEvent.filter(action="iam:CreateUser").order_by("-id").first()
    assert event is not None
    assert event.details == {"userName": "Alice", "userId": user.id}


async def test_find_user_for_sign_in(root: Principal) -> None:
    created = await create_user(root, user_name="Alice")

    found = await find_user(root.account_id, "alice")

    assert found is not None
    assert found.id == created.id
    assert await find_user(root.account_id, "nobody") is None
    assert await find_user("999999999999", "alice") is None
    for junk in ("", "a\x00b", "x" * 5000, "a b"):
        assert await find_user(root.account_id, junk) is None


async def test_a_rejected_name_is_audited_escaped(root: Principal, rejects: Rejects) -> None:
    await rejects(
        create_user(root, user_name="nul\x00"),
        ValidationError,
        invalid("nul\x00", "userName", NAME_RULE),
        action="iam:CreateUser",
    )

    event = await AuditEvent.get(action="iam:CreateUser", outcome="Failed")
    assert event.resource == f"arn:aws:iam::{root.account_id}:user/nul\\x00"


@pytest.mark.parametrize(
    ("kwargs", "error", "message"),
    [
        (
            {"user_name": ""},
            ValidationError,
            invalid("", "userName", "Member must have length greater than or equal to 1"),
        ),
        (
            {"user_name": "a" * 65},
            ValidationError,
            invalid("a" * 65, "userName", "Member must have length less than or equal to 64"),
        ),
        ({"user_name": "a b"}, ValidationError, invalid("a b", "userName", NAME_RULE)),
        ({"user_name": "zoë"}, ValidationError, invalid("zoë", "userName", NAME_RULE)),
        (
            {"user_name": "ok", "path": "eng"},
            ValidationError,
            invalid(
                "eng", "path", f"Member must satisfy regular expression pattern: {PATH_PATTERN}"
            ),
        ),
        (
            {"user_name": "ok", "path": "/a b/"},
            ValidationError,
            invalid(
                "/a b/", "path", f"Member must satisfy regular expression pattern: {PATH_PATTERN}"
            ),
        ),
        (
            {"user_name": "ok", "permissions_boundary": "arn:short"},
            ValidationError,
            invalid(
                "arn:short",
                "permissionsBoundary",
                "Member must have length greater than or equal to 20",
            ),
        ),
    ],
)
async def test_create_user_validates_its_input(
    root: Principal,
    rejects: Rejects,
    kwargs: dict[str, object],
    error: type[GatewayError],
    message: str,
) -> None:
    await rejects(create_user(root, **kwargs), error, message, action="iam:CreateUser")  # type: ignore[arg-type]


async def test_users_per_account_quota(
    root: Principal, rejects: Rejects, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert users.USERS_PER_ACCOUNT == 5000
    monkeypatch.setattr(users, "USERS_PER_ACCOUNT", 3)
    for name in ("a", "b", "c"):
        await create_user(root, user_name=name)

    await rejects(
        create_user(root, user_name="d"),
        LimitExceeded,
        "Cannot exceed quota for UsersPerAccount: 3",
        action="iam:CreateUser",
    )


# -- permissions boundary -------------------------------------------------------------------------


async def test_create_user_with_an_account_policy_as_boundary(root: Principal) -> None:
    policy = await make_policy(root.account_id, "Boundary")

    user = await create_user(root, user_name="bounded", permissions_boundary=policy.arn)

    assert user.permissions_boundary_id == policy.id
    assert (await ManagedPolicy.get(id=policy.id)).boundary_usage_count == 1


async def test_create_user_with_an_aws_managed_policy_as_boundary(root: Principal) -> None:
    policy = await make_policy(None, "PowerUserAccess")

    user = await create_user(root, user_name="bounded", permissions_boundary=policy.arn)

    assert user.permissions_boundary_id == policy.id
    assert (await ManagedPolicy.get(id=policy.id)).boundary_usage_count == 1


async def test_boundary_must_exist_in_the_account(
    root: Principal, other_root: Principal, rejects: Rejects
) -> None:
    foreign = await make_policy(other_root.account_id, "Theirs")
    missing = arns.policy_arn(root.account_id, "/", "Missing")

    for arn in (missing, foreign.arn):
        await rejects(
            create_user(root, user_name="bounded", permissions_boundary=arn),
            NoSuchEntity,
            f"Policy {arn} does not exist or is not attachable.",
            action="iam:CreateUser",
        )


# -- list -----------------------------------------------------------------------------------------


async def test_list_users_pages_by_name_ignoring_case(root: Principal) -> None:
    names = ["delta", "Alpha", "charlie", "Echo", "bravo", "golf", "Foxtrot"]
    for name in names:
        await create_user(root, user_name=name)

    first = await list_users(root, first=3)
    second = await list_users(root, first=3, after=first.end_cursor)
    third = await list_users(root, first=3, after=second.end_cursor)

    assert [u.name for u in first.items] == ["Alpha", "bravo", "charlie"]
    assert [u.name for u in second.items] == ["delta", "Echo", "Foxtrot"]
    assert [u.name for u in third.items] == ["golf"]
    assert (first.has_next, second.has_next, third.has_next) == (True, True, False)
    # A cursor of any item resumes right after it.
    resumed = await list_users(root, first=2, after=first.cursor_of(first.items[1]))
    assert [u.name for u in resumed.items] == ["charlie", "delta"]
    everything = await list_users(root)
    assert [u.name for u in everything.items] == sorted(names, key=str.lower)
    assert not everything.has_next


async def test_list_users_refuses_a_bad_cursor_or_page_size(root: Principal) -> None:
    with pytest.raises(InvalidInput) as raised:
        await list_users(root, after="not a cursor!")
    assert raised.value.message == "Invalid pagination cursor."
    with pytest.raises(InvalidInput):
        await list_users(root, first=0)


async def test_list_users_refuses_an_invalid_path_prefix(root: Principal) -> None:
    with pytest.raises(ValidationError):
        await list_users(root, path_prefix="eng/")


# -- update ---------------------------------------------------------------------------------------


async def test_update_user_renames_and_moves(root: Principal, succeeds: Succeeds) -> None:
    user = await create_user(root, user_name="alice")

    updated = await succeeds(
        update_user(root, "ALICE", new_user_name="Alicia", new_path="/ops/"),
        actor=root,
        action="iam:UpdateUser",
        resource=user.arn,
    )

    assert updated.id == user.id
    assert (updated.name, updated.path) == ("Alicia", "/ops/")
    assert updated.arn == arns.user_arn(root.account_id, "/ops/", "Alicia")
    stored = await User.get(id=user.id)
    assert (stored.name, stored.name_lower, stored.arn) == ("Alicia", "alicia", updated.arn)
    with pytest.raises(NoSuchEntity):
        await get_user(root, "alice")


async def test_update_user_may_change_only_the_case(root: Principal) -> None:
    await create_user(root, user_name="alice")

    updated = await update_user(root, "alice", new_user_name="Alice")

    assert updated.name == "Alice"
    assert updated.path == "/"


async def test_update_user_refuses_a_taken_name(root: Principal, rejects: Rejects) -> None:
    await create_user(root, user_name="alice")
    await create_user(root, user_name="bob")

    await rejects(
        update_user(root, "alice", new_user_name="BOB"),
        EntityAlreadyExists,
        "User with name BOB already exists.",
        action="iam:UpdateUser",
    )


async def test_update_user_errors(root: Principal, rejects: Rejects) -> None:
    await create_user(root, user_name="alice")

    await rejects(
        update_user(root, "nobody", new_user_name="x"),
        NoSuchEntity,
        "The user with name nobody cannot be found.",
        action="iam:UpdateUser",
    )
    await rejects(
        update_user(root, "alice", new_user_name="no way"),
        ValidationError,
        invalid("no way", "newUserName", NAME_RULE),
        action="iam:UpdateUser",
    )
    await rejects(
        update_user(root, "alice", new_path="ops"),
        ValidationError,
        invalid(
            "ops", "newPath", f"Member must satisfy regular expression pattern: {PATH_PATTERN}"
        ),
        action="iam:UpdateUser",
    )


# -- delete ---------------------------------------------------------------------------------------


async def test_delete_user(root: Principal, succeeds: Succeeds) -> None:
    user = await create_user(root, user_name="alice")

    await succeeds(
        delete_user(root, "Alice"), actor=root, action="iam:DeleteUser", resource=user.arn
    )

    assert not await User.filter(id=user.id).exists()
    await create_user(root, user_name="alice")  # the name is free again


async def test_delete_unknown_user(root: Principal, rejects: Rejects) -> None:
    await rejects(
        delete_user(root, "nobody"),
        NoSuchEntity,
        "The user with name nobody cannot be found.",
        action="iam:DeleteUser",
    )


async def test_delete_user_conflicts_come_in_aws_order(root: Principal, rejects: Rejects) -> None:
    user = await create_user(root, user_name="busy")
    await create_login_profile(root, "busy", password=GOOD_PASSWORD)
    await embed(EntityKind.USER, user.id)
    await attach(await make_policy(root.account_id, "Attached"), EntityKind.USER, user.id)
    await create_group(root, group_name="team")
    await add_user_to_group(root, group_name="team", user_name="busy")

    for message, clear in [
        ("Cannot delete entity, must delete login profile first.", "LoginProfile"),
        ("Cannot delete entity, must delete policies first.", "InlinePolicy"),
        ("Cannot delete entity, must detach all policies first.", "PolicyAttachment"),
        ("Cannot delete entity, must remove users from group first.", "GroupMembership"),
    ]:
        await rejects(delete_user(root, "busy"), DeleteConflict, message, action="iam:DeleteUser")
        await _clear(clear, user.id)

    await delete_user(root, "busy")
    assert not await User.filter(id=user.id).exists()


async def _clear(table: str, user_id: str) -> None:
    from gateway import models

    model = getattr(models, table)
    if table in {"InlinePolicy", "PolicyAttachment"}:
        await model.filter(entity_id=user_id).delete()
    else:
        await model.filter(user_id=user_id).delete()


async def test_delete_user_releases_its_boundary(root: Principal) -> None:
    policy = await make_policy(root.account_id, "Boundary")
    await create_user(root, user_name="bounded", permissions_boundary=policy.arn)
    await create_user(root, user_name="also", permissions_boundary=policy.arn)
    assert (await ManagedPolicy.get(id=policy.id)).boundary_usage_count == 2

    await delete_user(root, "bounded")

    assert (await ManagedPolicy.get(id=policy.id)).boundary_usage_count == 1


# -- properties and concurrency -------------------------------------------------------------------


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    name=st.one_of(
        st.text(max_size=70),
        st.text(alphabet=string.ascii_letters + string.digits + "+=,.@_-", min_size=1, max_size=70),
    )
)
@example(name="\x00")
@example(name="é" * 3)
async def test_any_user_name_is_refused_or_round_trips(root: Principal, name: str) -> None:
    try:
        check_name(name, "userName", maximum=64)
    except ValidationError:
        with pytest.raises(ValidationError):
            await create_user(root, user_name=name)
        return
    created = await create_user(root, user_name=name)
    try:
        assert created.name == name
        found = await get_user(root, name.swapcase())
        assert (found.id, found.name) == (created.id, name)
        assert found.arn == arns.user_arn(root.account_id, "/", name)
    finally:
        await delete_user(root, name)


async def test_concurrent_creates_of_one_name_let_exactly_one_win(
    db: TortoiseContext, root: Principal
) -> None:
    # Each call opens its own write; on PostgreSQL each takes its own pooled connection, so the
    # existence checks can both pass and the unique index decides. On SQLite the writes
    # serialise on the connection's lock and the loser sees the winner's row.
    results = await asyncio.gather(
        *(create_user(root, user_name="Race") for _ in range(4)),
        return_exceptions=True,
    )

    winners = [r for r in results if isinstance(r, User)]
    losers = [r for r in results if not isinstance(r, User)]
    assert len(winners) == 1
    assert all(isinstance(r, EntityAlreadyExists) for r in losers), losers
    assert {r.message for r in losers if isinstance(r, EntityAlreadyExists)} == {
        "User with name Race already exists."
    }
    assert await User.filter(name_lower="race").count() == 1
    failed = await AuditEvent.filter(action="iam:CreateUser", outcome="Failed").count()
    assert failed == 3
