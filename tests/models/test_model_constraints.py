"""What the database itself guarantees about the identity store, whatever the services do."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from tortoise.context import TortoiseContext
from tortoise.exceptions import IntegrityError

from gateway import arns
from gateway.ids import GROUP_PREFIX, POLICY_PREFIX, USER_PREFIX, new_account_id, new_unique_id
from gateway.models import (
    Account,
    EntityKind,
    Group,
    GroupMembership,
    InlinePolicy,
    ManagedPolicy,
    PolicyAttachment,
    PolicyVersion,
    PrincipalKind,
    RootUser,
    Session,
    User,
)


async def _account() -> Account:
    return await Account.create(id=new_account_id())


async def _user(account: Account, name: str, path: str = "/") -> User:
    return await User.create(
        id=new_unique_id(USER_PREFIX),
        account=account,
        name=name,
        name_lower=name.lower(),
        path=path,
        arn=arns.user_arn(account.id, path, name),
    )


async def _group(account: Account, name: str) -> Group:
    return await Group.create(
        id=new_unique_id(GROUP_PREFIX),
        account=account,
        name=name,
        name_lower=name.lower(),
        arn=arns.group_arn(account.id, "/", name),
    )


async def _policy(account: Account | None, name: str) -> ManagedPolicy:
    arn = arns.policy_arn(account.id, "/", name) if account else arns.aws_managed_policy_arn(name)
    return await ManagedPolicy.create(
        id=new_unique_id(POLICY_PREFIX),
        account=account,
        name=name,
        name_lower=name.lower(),
        arn=arn,
    )


async def test_user_names_are_unique_per_account_ignoring_case(db: TortoiseContext) -> None:
    account = await _account()
    await _user(account, "Alice")

    with pytest.raises(IntegrityError):
        await _user(account, "alice", path="/other/")


async def test_the_same_user_name_may_exist_in_two_accounts(db: TortoiseContext) -> None:
    first, second = await _account(), await _account()

    await _user(first, "alice")
    await _user(second, "alice")

    assert await User.filter(name_lower="alice").count() == 2


async def test_group_names_are_unique_per_account_ignoring_case(db: TortoiseContext) -> None:
    account = await _account()
    await _group(account, "Cashiers")

    with pytest.raises(IntegrityError):
        await _group(account, "CASHIERS")


async def test_a_user_joins_a_group_once(db: TortoiseContext) -> None:
    account = await _account()
    user = await _user(account, "bob")
    group = await _group(account, "Cashiers")
    await GroupMembership.create(user=user, group=group)

    with pytest.raises(IntegrityError):
        await GroupMembership.create(user=user, group=group)


async def test_policy_version_ids_are_unique_per_policy(db: TortoiseContext) -> None:
    policy = await _policy(await _account(), "ListBucket")
    await PolicyVersion.create(policy=policy, version_id="v1", document="{}", is_default=True)

    with pytest.raises(IntegrityError):
        await PolicyVersion.create(policy=policy, version_id="v1", document="{}")


async def test_a_policy_attaches_to_an_entity_once(db: TortoiseContext) -> None:
    account = await _account()
    policy = await _policy(account, "ListBucket")
    user = await _user(account, "carol")
    await PolicyAttachment.create(policy=policy, entity_kind=EntityKind.USER, entity_id=user.id)

    with pytest.raises(IntegrityError):
        await PolicyAttachment.create(policy=policy, entity_kind=EntityKind.USER, entity_id=user.id)


async def test_inline_policy_names_are_unique_per_entity(db: TortoiseContext) -> None:
    user_id = new_unique_id(USER_PREFIX)
    await InlinePolicy.create(entity_kind="user", entity_id=user_id, name="p", document="{}")
    await InlinePolicy.create(
        entity_kind="user", entity_id=new_unique_id(USER_PREFIX), name="p", document="{}"
    )

    with pytest.raises(IntegrityError):
        await InlinePolicy.create(entity_kind="user", entity_id=user_id, name="p", document="{}")


async def test_aws_managed_policies_belong_to_no_account(db: TortoiseContext) -> None:
    policy = await _policy(None, "IAMReadOnlyAccess")

    loaded = await ManagedPolicy.get(arn="arn:aws:iam::aws:policy/IAMReadOnlyAccess")

    assert loaded.id == policy.id
    assert loaded.account_id is None


async def test_a_policy_in_use_as_a_boundary_cannot_be_deleted(db: TortoiseContext) -> None:
    account = await _account()
    boundary = await _policy(account, "Boundary")
    user = await _user(account, "dave")
    user.permissions_boundary = boundary
    await user.save()

    with pytest.raises(IntegrityError):
        await boundary.delete()


async def test_tags_and_datetimes_round_trip_as_utc(db: TortoiseContext) -> None:
    account = await _account()
    user = await _user(account, "erin")
    user.tags = {"team": "coffee", "cost-center": "42"}
    await user.save()

    loaded = await User.get(id=user.id)

    assert loaded.tags == {"team": "coffee", "cost-center": "42"}
    assert loaded.created_at.utcoffset() == timedelta(0)
    assert abs(datetime.now(UTC) - loaded.created_at) < timedelta(minutes=1)


async def test_session_tokens_are_unique_by_hash(db: TortoiseContext) -> None:
    account = await _account()
    root = await RootUser.create(account=account, email="root@example.com", password_hash="x")
    expires = datetime.now(UTC) + timedelta(hours=12)
    await Session.create(
        id="a" * 32,
        token_hash="h" * 64,
        account=account,
        principal_kind=PrincipalKind.ROOT,
        root=root,
        expires_at=expires,
    )

    with pytest.raises(IntegrityError):
        await Session.create(
            id="b" * 32,
            token_hash="h" * 64,
            account=account,
            principal_kind=PrincipalKind.ROOT,
            root=root,
            expires_at=expires,
        )


async def test_each_test_starts_with_an_empty_database(db: TortoiseContext) -> None:
    # Paired with the tests above, which leave rows behind: none of them is visible here.
    assert await Account.all().count() == 0
    assert await User.all().count() == 0
