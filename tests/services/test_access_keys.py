"""Access keys: quota, rotation, last use, root keys, and the user-deletion rule."""

from __future__ import annotations

import pytest

from gateway.auth.access_keys import authenticate_key
from gateway.errors import (
    AccessDenied,
    DeleteConflict,
    LimitExceeded,
    NoSuchEntity,
    Unauthenticated,
    ValidationError,
)
from gateway.models import AccessKey, AuditEvent, User
from gateway.services.access_keys import (
    ROOT_KEYS_DISABLED,
    create_access_key,
    delete_access_key,
    get_access_key_last_used,
    hash_secret,
    list_access_keys,
    update_access_key,
)
from gateway.services.principal import Principal
from gateway.services.users import delete_user
from tests.services.helpers import Rejects, Succeeds

CREATE = "iam:CreateAccessKey"
UPDATE = "iam:UpdateAccessKey"
DELETE = "iam:DeleteAccessKey"


async def test_a_new_key_is_active_and_only_its_secrets_hash_is_stored(
    root: Principal, admin_user: User, succeeds: Succeeds
) -> None:
    created = await succeeds(
        create_access_key(root, "admin"),
        actor=root,
        action=CREATE,
        resource=admin_user.arn,
        bumps=False,
    )
    assert created.key.id.startswith("AKIA")
    assert len(created.key.id) == 21
    assert len(created.secret) == 40
    assert created.user_name == "admin"
    stored = await AccessKey.get(id=created.key.id)
    assert stored.status == "Active"
    assert stored.user_id == admin_user.id
    assert stored.secret_hash == hash_secret(created.key.id, created.secret)
    assert created.secret not in stored.secret_hash
    events = await AuditEvent.filter(action=CREATE).values_list("details", flat=True)
    assert all(created.secret not in str(details) for details in events)


async def test_a_third_key_exceeds_the_quota(
    root: Principal, admin_user: User, rejects: Rejects
) -> None:
    await create_access_key(root, "admin")
    await create_access_key(root, "admin")
    await rejects(
        create_access_key(root, "admin"),
        LimitExceeded,
        "Cannot exceed quota for AccessKeysPerUser: 2",
        action=CREATE,
    )


async def test_without_a_user_name_the_callers_own_keys_are_meant(
    admin: Principal, admin_user: User
) -> None:
    created = await create_access_key(admin)
    owner, keys = await list_access_keys(admin)
    assert owner.arn == admin_user.arn
    assert [k.id for k in keys] == [created.key.id]


async def test_root_keys_are_refused_unless_enabled(root: Principal, rejects: Rejects) -> None:
    await rejects(create_access_key(root), AccessDenied, ROOT_KEYS_DISABLED, action=CREATE)
    created = await create_access_key(root, root_keys_allowed=True)
    assert created.user_name is None
    event = await AuditEvent.filter(action=CREATE, outcome="Allowed").first()
    assert event is not None
    assert event.details["rootAccessKey"] is True
    auth = await authenticate_key(f"{created.key.id}:{created.secret}")
    assert auth.principal.is_root


async def test_rotation_second_key_then_deactivate_then_delete_the_first(
    root: Principal, admin_user: User
) -> None:
    first = await create_access_key(root, "admin")
    second = await create_access_key(root, "admin")
    await authenticate_key(f"{first.key.id}:{first.secret}")
    await update_access_key(root, first.key.id, "Inactive", "admin")
    with pytest.raises(Unauthenticated):
        await authenticate_key(f"{first.key.id}:{first.secret}")
    assert (await authenticate_key(f"{second.key.id}:{second.secret}")).principal.name == "admin"
    await update_access_key(root, first.key.id, "Active", "admin")
    await authenticate_key(f"{first.key.id}:{first.secret}")
    await delete_access_key(root, first.key.id, "admin")
    with pytest.raises(Unauthenticated):
        await authenticate_key(f"{first.key.id}:{first.secret}")
    _, keys = await list_access_keys(root, "admin")
    assert [k.id for k in keys] == [second.key.id]


async def test_updating_or_deleting_an_unknown_key_is_no_such_entity(
    root: Principal, admin_user: User, rejects: Rejects
) -> None:
    missing = "AKIA" + "X" * 17
    message = f"The Access Key with id {missing} cannot be found."
    await rejects(
        update_access_key(root, missing, "Inactive", "admin"), NoSuchEntity, message, action=UPDATE
    )
    await rejects(delete_access_key(root, missing, "admin"), NoSuchEntity, message, action=DELETE)


async def test_a_key_of_another_user_is_not_found_under_this_one(
    root: Principal, admin_user: User, rejects: Rejects
) -> None:
    from gateway.services.users import create_user

    await create_user(root, user_name="bob")
    bobs = await create_access_key(root, "bob")
    await rejects(
        delete_access_key(root, bobs.key.id, "admin"),
        NoSuchEntity,
        f"The Access Key with id {bobs.key.id} cannot be found.",
        action=DELETE,
    )


async def test_a_bad_status_is_a_validation_error(
    root: Principal, admin_user: User, rejects: Rejects
) -> None:
    created = await create_access_key(root, "admin")
    await rejects(
        update_access_key(root, created.key.id, "Paused", "admin"),
        ValidationError,
        "1 validation error detected: Value 'Paused' at 'status' failed to satisfy constraint: "
        "Member must satisfy enum value set: [Active, Inactive]",
        action=UPDATE,
    )


async def test_keys_of_an_unknown_user_are_no_such_entity(
    root: Principal, rejects: Rejects
) -> None:
    await rejects(
        create_access_key(root, "ghost"),
        NoSuchEntity,
        "The user with name ghost cannot be found.",
        action=CREATE,
    )


async def test_last_used_is_not_applicable_until_the_key_authenticates(
    root: Principal, admin_user: User
) -> None:
    created = await create_access_key(root, "admin")
    never = await get_access_key_last_used(root, created.key.id)
    assert (never.user_name, never.used_at, never.service_name, never.region) == (
        "admin",
        None,
        "N/A",
        "N/A",
    )
    await authenticate_key(f"{created.key.id}:{created.secret}")
    used = await get_access_key_last_used(root, created.key.id)
    assert used.used_at is not None
    assert (used.service_name, used.region) == ("gateway", "N/A")


async def test_last_used_of_another_accounts_key_is_not_found(
    root: Principal, other_root: Principal, admin_user: User
) -> None:
    created = await create_access_key(root, "admin")
    with pytest.raises(NoSuchEntity):
        await get_access_key_last_used(other_root, created.key.id)


async def test_a_user_with_access_keys_cannot_be_deleted(
    root: Principal, admin_user: User, rejects: Rejects
) -> None:
    created = await create_access_key(root, "admin")
    await rejects(
        delete_user(root, "admin"),
        DeleteConflict,
        "Cannot delete entity, must delete access keys first.",
        action="iam:DeleteUser",
    )
    await delete_access_key(root, created.key.id, "admin")
    await delete_user(root, "admin")
