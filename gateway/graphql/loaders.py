"""DataLoaders: one query per kind of nested data, whatever the page size."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from strawberry.dataloader import DataLoader

from gateway.models import Group, ManagedPolicy, PolicyVersion, User
from gateway.services.attachments import attached_policies_for
from gateway.services.groups import groups_for_users, users_for_groups
from gateway.services.policies import default_versions

AccountKey = tuple[str, str]
"""(account id, entity id)"""


async def _entity_paths(keys: Sequence[tuple[str, str, str]]) -> list[str | None]:
    """(account, kind, lower-case name) → the entity's path, or None if there is none."""
    found: dict[tuple[str, str, str], str] = {}
    by_kind: dict[tuple[str, str], list[str]] = defaultdict(list)
    for account, kind, name in keys:
        by_kind[(account, kind)].append(name)
    for (account, kind), names in by_kind.items():
        model = {"user": User, "group": Group}.get(kind)
        if model is None:
            continue
        rows = await model.filter(account_id=account, name_lower__in=names).values_list(
            "name_lower", "path"
        )
        for name, path in rows:
            found[(account, kind, name)] = path
    return [found.get(key) for key in keys]


async def _groups_of_users(keys: Sequence[AccountKey]) -> list[list[Group]]:
    account = keys[0][0]
    groups = await groups_for_users(account, [user_id for _, user_id in keys])
    return [groups.get(user_id, []) for _, user_id in keys]


async def _users_of_groups(keys: Sequence[AccountKey]) -> list[list[User]]:
    account = keys[0][0]
    users = await users_for_groups(account, [group_id for _, group_id in keys])
    return [users.get(group_id, []) for _, group_id in keys]


async def _attached(keys: Sequence[tuple[str, str]]) -> list[list[ManagedPolicy]]:
    by_kind: dict[str, list[str]] = defaultdict(list)
    for kind, entity_id in keys:
        by_kind[kind].append(entity_id)
    found: dict[tuple[str, str], list[ManagedPolicy]] = {}
    for kind, ids in by_kind.items():
        for entity_id, policies in (await attached_policies_for(kind, ids)).items():
            found[(kind, entity_id)] = policies
    return [found.get(key, []) for key in keys]


async def _default_versions(keys: Sequence[str]) -> list[PolicyVersion | None]:
    versions = await default_versions(keys)
    return [versions.get(key) for key in keys]


class Loaders:
    """The DataLoaders of one request."""

    def __init__(self) -> None:
        self.entity_path = DataLoader(load_fn=_entity_paths)
        self.groups_of_user = DataLoader(load_fn=_groups_of_users)
        self.users_of_group = DataLoader(load_fn=_users_of_groups)
        self.attached_policies = DataLoader(load_fn=_attached)
        self.default_version = DataLoader(load_fn=_default_versions)
