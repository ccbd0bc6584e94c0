"""Groups and memberships (gateway/services/groups.py)."""

from __future__ import annotations

from typing import Any

import pytest
from tortoise.context import TortoiseContext

from gateway import arns
from gateway.errors import (
    DeleteConflict,
    EntityAlreadyExists,
    LimitExceeded,
    NoSuchEntity,
    ValidationError,
)
from gateway.models import EntityKind, Group, GroupMembership, InlinePolicy, PolicyAttachment
from gateway.services import groups
from gateway.services.groups import (
    add_user_to_group,
    create_group,
    delete_group,
    get_group,
    groups_for_users,
    list_groups_for_user,
    list_users_in_group,
    remove_user_from_group,
    update_group,
    users_for_groups,
)
from gateway.services.principal import Principal
from gateway.services.users import create_user
from gateway.services.validation import NAME_PATTERN
from tests.services.helpers import Rejects, Succeeds, attach, embed, make_policy


def invalid(value: str, field: str, constraint: str) -> str:
    return (
        f"1 validation error detected: Value '{value}' at '{field}' failed to satisfy "
        f"constraint: {constraint}"
    )


# -- create / get / list --------------------------------------------------------------------------


async def test_create_group(root: Principal, succeeds: Succeeds) -> None:
    arn = arns.group_arn(root.account_id, "/staff/", "Cashiers")

    group = await succeeds(
        create_group(root, group_name="Cashiers", path="/staff/"),
        actor=root,
        action="iam:CreateGroup",
        resource=arn,
        policies=False,
    )

    assert (group.name, group.name_lower, group.path, group.arn) == (
        "Cashiers",
        "cashiers",
        "/staff/",
        arn,
    )
    assert group.id.startswith("AGPA")
    assert len(group.id) == 21
    assert (await get_group(root, "CASHIERS")).id == group.id


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (
            {"group_name": "g" * 129},
            invalid("g" * 129, "groupName", "Member must have length less than or equal to 128"),
        ),
        (
            {"group_name": "two words"},
            invalid(
                "two words",
                "groupName",
                f"Member must satisfy regular expression pattern: {NAME_PATTERN}",
            ),
        ),
        (
            {"group_name": "ok", "path": "/no-end"},
            invalid(
                "/no-end",
                "path",
                "Member must satisfy regular expression pattern: "
                "(\\u002F)|(\\u002F[\\u0021-\\u007E]+\\u002F)",
            ),
        ),
    ],
)
async def test_create_group_validates_its_input(
    root: Principal, rejects: Rejects, kwargs: dict[str, str], message: str
) -> None:
    await rejects(create_group(root, **kwargs), ValidationError, message, action="iam:CreateGroup")


async def test_group_names_may_be_128_characters(root: Principal) -> None:
    group = await create_group(root, group_name="g" * 128)

    assert group.name == "g" * 128


# -- update / delete ------------------------------------------------------------------------------


async def test_update_group(root: Principal, succeeds: Succeeds) -> None:
    group = await create_group(root, group_name="Cashiers")

    updated = await succeeds(
        update_group(root, "cashiers", new_group_name="Baristas", new_path="/staff/"),
        actor=root,
        action="iam:UpdateGroup",
        resource=group.arn,
    )

    assert updated.id == group.id
    assert updated.arn == arns.group_arn(root.account_id, "/staff/", "Baristas")
    stored = await Group.get(id=group.id)
    assert (stored.name, stored.name_lower, stored.path) == ("Baristas", "baristas", "/staff/")


async def test_update_group_errors(root: Principal, rejects: Rejects) -> None:
    await create_group(root, group_name="Cashiers")
    await create_group(root, group_name="Baristas")

    await rejects(
        update_group(root, "Cashiers", new_group_name="BARISTAS"),
        EntityAlreadyExists,
        "Group with name BARISTAS already exists.",
        action="iam:UpdateGroup",
    )
    await rejects(
        update_group(root, "Nobody", new_group_name="x"),
        NoSuchEntity,
        "The group with name Nobody cannot be found.",
        action="iam:UpdateGroup",
    )
    await rejects(
        update_group(root, "Cashiers", new_group_name="a/b"),
        ValidationError,
        invalid(
            "a/b", "newGroupName", f"Member must satisfy regular expression pattern: {NAME_PATTERN}"
        ),
        action="iam:UpdateGroup",
    )


async def test_delete_group(root: Principal, succeeds: Succeeds) -> None:
    group = await create_group(root, group_name="Cashiers")

    await succeeds(
        delete_group(root, "CASHIERS"), actor=root, action="iam:DeleteGroup", resource=group.arn
    )

    assert not await Group.filter(id=group.id).exists()


async def test_delete_unknown_group(root: Principal, rejects: Rejects) -> None:
    await rejects(
        delete_group(root, "Nobody"),
        NoSuchEntity,
        "The group with name Nobody cannot be found.",
        action="iam:DeleteGroup",
    )


async def test_delete_group_conflicts(root: Principal, rejects: Rejects) -> None:
    group = await create_group(root, group_name="Cashiers")
    await create_user(root, user_name="bob")
    await add_user_to_group(root, group_name="Cashiers", user_name="bob")
    await embed(EntityKind.GROUP, group.id)
    await attach(await make_policy(root.account_id, "Cashiering"), EntityKind.GROUP, group.id)

    await rejects(
        delete_group(root, "Cashiers"),
        DeleteConflict,
        "Cannot delete entity, must remove users from group first.",
        action="iam:DeleteGroup",
    )
    await remove_user_from_group(root, group_name="Cashiers", user_name="bob")
    await rejects(
        delete_group(root, "Cashiers"),
        DeleteConflict,
        "Cannot delete entity, must delete policies first.",
        action="iam:DeleteGroup",
    )
    await InlinePolicy.filter(entity_id=group.id).delete()
    await rejects(
        delete_group(root, "Cashiers"),
        DeleteConflict,
        "Cannot delete entity, must detach all policies first.",
        action="iam:DeleteGroup",
    )
    await PolicyAttachment.filter(entity_id=group.id).delete()
    await delete_group(root, "Cashiers")


# -- membership -----------------------------------------------------------------------------------


async def test_add_user_to_group(root: Principal, succeeds: Succeeds) -> None:
    group = await create_group(root, group_name="Cashiers")
    user = await create_user(root, user_name="bob")

    await succeeds(
        add_user_to_group(root, group_name="cashiers", user_name="BOB"),
        actor=root,
        action="iam:AddUserToGroup",
        resource=group.arn,
    )

    assert await GroupMembership.filter(user_id=user.id, group_id=group.id).count() == 1
    assert [g.name for g in (await list_groups_for_user(root, "bob")).items] == ["Cashiers"]
    assert [u.name for u in (await list_users_in_group(root, "Cashiers")).items] == ["bob"]


async def test_adding_a_member_again_succeeds_and_changes_nothing(
    root: Principal, succeeds: Succeeds
) -> None:
    group = await create_group(root, group_name="Cashiers")
    user = await create_user(root, user_name="bob")
    await add_user_to_group(root, group_name="Cashiers", user_name="bob")

    await succeeds(
        add_user_to_group(root, group_name="Cashiers", user_name="bob"),
        actor=root,
        action="iam:AddUserToGroup",
        resource=group.arn,
    )

    assert await GroupMembership.filter(user_id=user.id, group_id=group.id).count() == 1


async def test_add_user_to_group_errors(root: Principal, rejects: Rejects) -> None:
    await create_group(root, group_name="Cashiers")
    await create_user(root, user_name="bob")

    await rejects(
        add_user_to_group(root, group_name="Nobody", user_name="bob"),
        NoSuchEntity,
        "The group with name Nobody cannot be found.",
        action="iam:AddUserToGroup",
    )
    await rejects(
        add_user_to_group(root, group_name="Cashiers", user_name="ghost"),
        NoSuchEntity,
        "The user with name ghost cannot be found.",
        action="iam:AddUserToGroup",
    )


async def test_groups_per_user_quota(root: Principal, rejects: Rejects) -> None:
    assert groups.GROUPS_PER_USER == 10
    await create_user(root, user_name="bob")
    for number in range(11):
        await create_group(root, group_name=f"g{number:02}")
    for number in range(10):
        await add_user_to_group(root, group_name=f"g{number:02}", user_name="bob")

    await rejects(
        add_user_to_group(root, group_name="g10", user_name="bob"),
        LimitExceeded,
        "Cannot exceed quota for GroupsPerUser: 10",
        action="iam:AddUserToGroup",
    )
    # Re-adding to a group the user is in is not a new membership: no quota error.
    await add_user_to_group(root, group_name="g00", user_name="bob")


async def test_remove_user_from_group(root: Principal, succeeds: Succeeds) -> None:
    group = await create_group(root, group_name="Cashiers")
    await create_user(root, user_name="bob")
    await add_user_to_group(root, group_name="Cashiers", user_name="bob")

    await succeeds(
        remove_user_from_group(root, group_name="CASHIERS", user_name="Bob"),
        actor=root,
        action="iam:RemoveUserFromGroup",
        resource=group.arn,
    )

    assert await GroupMembership.all().count() == 0


async def test_remove_user_from_group_errors(root: Principal, rejects: Rejects) -> None:
    await create_group(root, group_name="Cashiers")
    await create_user(root, user_name="bob")

    await rejects(
        remove_user_from_group(root, group_name="Cashiers", user_name="bob"),
        NoSuchEntity,
        "User bob is not in group Cashiers.",
        action="iam:RemoveUserFromGroup",
    )
    await rejects(
        remove_user_from_group(root, group_name="Nobody", user_name="bob"),
        NoSuchEntity,
        "The group with name Nobody cannot be found.",
        action="iam:RemoveUserFromGroup",
    )
    await rejects(
        remove_user_from_group(root, group_name="Cashiers", user_name="ghost"),
        NoSuchEntity,
        "The user with name ghost cannot be found.",
        action="iam:RemoveUserFromGroup",
    )


async def test_membership_lists_page_by_name(root: Principal) -> None:
    await create_user(root, user_name="bob")
    await create_group(root, group_name="big")
    for name in ["c", "A", "b", "E", "d"]:
        await create_group(root, group_name=name)
        await add_user_to_group(root, group_name=name, user_name="bob")
        await create_user(root, user_name=f"user-{name}")
        await add_user_to_group(root, group_name="big", user_name=f"user-{name}")

    page1 = await list_groups_for_user(root, "bob", first=2)
    page2 = await list_groups_for_user(root, "bob", first=2, after=page1.end_cursor)
    page3 = await list_groups_for_user(root, "bob", first=2, after=page2.end_cursor)
    members = await list_users_in_group(root, "big", first=3)
    rest = await list_users_in_group(root, "big", first=3, after=members.end_cursor)

    assert [[g.name for g in p.items] for p in (page1, page2, page3)] == [
        ["A", "b"],
        ["c", "d"],
        ["E"],
    ]
    assert page3.has_next is False
    assert [u.name for u in members.items] == ["user-A", "user-b", "user-c"]
    assert [u.name for u in rest.items] == ["user-d", "user-E"]
    assert members.has_next
    assert not rest.has_next
    with pytest.raises(NoSuchEntity):
        await list_groups_for_user(root, "ghost")
    with pytest.raises(NoSuchEntity):
        await list_users_in_group(root, "ghost")


# -- batch loaders --------------------------------------------------------------------------------


@pytest.fixture
def count_queries(db: TortoiseContext, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The SQL statements run on the default connection while the test runs."""
    client = db.db()
    statements: list[str] = []
    for method in ("execute_query", "execute_query_dict"):
        original = getattr(client, method)

        def counting(query: str, *args: Any, _original: Any = original, **kwargs: Any) -> Any:
            statements.append(query)
            return _original(query, *args, **kwargs)

        monkeypatch.setattr(client, method, counting)
    return statements


async def test_batch_loaders_answer_in_one_query(
    root: Principal, other_root: Principal, count_queries: list[str]
) -> None:
    bob = await create_user(root, user_name="bob")
    amy = await create_user(root, user_name="amy")
    loner = await create_user(root, user_name="loner")
    cashiers = await create_group(root, group_name="Cashiers")
    admins = await create_group(root, group_name="admins")
    empty = await create_group(root, group_name="empty")
    for group, user in [("Cashiers", "bob"), ("admins", "bob"), ("Cashiers", "amy")]:
        await add_user_to_group(root, group_name=group, user_name=user)
    stranger = await create_user(other_root, user_name="bob")
    await create_group(other_root, group_name="theirs")
    await add_user_to_group(other_root, group_name="theirs", user_name="bob")

    count_queries.clear()
    by_user = await groups_for_users(root.account_id, [bob.id, amy.id, loner.id, stranger.id])
    assert len(count_queries) == 1
    count_queries.clear()
    by_group = await users_for_groups(root.account_id, [cashiers.id, admins.id, empty.id])
    assert len(count_queries) == 1

    assert {uid: [g.name for g in gs] for uid, gs in by_user.items()} == {
        bob.id: ["admins", "Cashiers"],
        amy.id: ["Cashiers"],
        loner.id: [],
        stranger.id: [],  # another account's user: nothing from this account
    }
    assert {gid: [u.name for u in us] for gid, us in by_group.items()} == {
        cashiers.id: ["amy", "bob"],
        admins.id: ["bob"],
        empty.id: [],
    }
