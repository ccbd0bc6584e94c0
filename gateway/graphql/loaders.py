"""DataLoaders: one query per kind of nested data, whatever the page size."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Hashable, Sequence
from functools import partial
from typing import Any, TypeVar

from strawberry.dataloader import DataLoader

from gateway.models import Group, ManagedPolicy, PolicyVersion, User
from gateway.services import targets
from gateway.services.attachments import attached_policies_for
from gateway.services.groups import groups_for_users, users_for_groups
from gateway.services.policies import arns_by_id
from gateway.services.policy_versions import default_versions
from gateway.services.targets import Kind, Target, name_key
from gateway.services.writes import local_write_count

AccountKey = tuple[str, str]
"""(account id, entity id)"""


TargetKey = tuple[str, Kind, str, str]
"""(account id, kind, "name" or "arn", the name or ARN as typed)"""


async def _targets(keys: Sequence[TargetKey]) -> list[Target | None]:
    """The stored entities named by these names or ARNs, None where nothing is stored."""
    wanted: dict[tuple[str, Kind, str], list[str]] = defaultdict(list)
    for account, kind, mode, value in keys:
        wanted[(account, kind, mode)].append(value)
    found: dict[tuple[str, Kind, str], dict[str, Target]] = {}
    for (account, kind, mode), values in wanted.items():
        if mode == "name":
            found[(account, kind, mode)] = await targets.find_named(account, kind, values)
        else:
            found[(account, kind, mode)] = await targets.find_by_arn(account, kind, values)
    return [
        found[(account, kind, mode)].get(name_key(value) if mode == "name" else value)
        for account, kind, mode, value in keys
    ]


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


async def _policy_arns(keys: Sequence[str]) -> list[str | None]:
    arns = await arns_by_id(keys)
    return [arns.get(key) for key in keys]


class ReadCache:
    """Loader results kept across requests, keyed by the account's authorization generation.

    Exact, not approximate: every write to an account's users, groups, memberships or
    policies bumps its generation in the same transaction, and each request reads the
    generation with its session, so an entry of an older generation is never asked for again
    (it ages out when the cache is full).
    """

    def __init__(self, size: int = 50_000) -> None:
        self.size = size
        self._entries: dict[Hashable, Any] = {}

    def get(self, key: Hashable) -> Any:
        """The cached value, or MISSING."""
        return self._entries.get(key, MISSING)

    def put(self, key: Hashable, value: Any) -> None:
        """Remember a value."""
        if len(self._entries) >= self.size:
            self._entries.clear()
        self._entries[key] = value


MISSING = object()
K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class Loaders:
    """The DataLoaders of one request, answering from the read cache where they can.

    Each loader is made on first use, and its batch function holds only the cache and the
    (account, generation) scope, not this object: no reference cycle, so a request's loaders
    are freed by reference counting as soon as it ends rather than by the cyclic collector.

    The request's generation was read when it started; once this process commits a write (this
    request's own mutations, say), what was loaded or cached under it may be stale, so from
    then on the loaders start afresh and read the database, bypassing the cache.
    """

    def __init__(self, cache: ReadCache, account_id: str, generation: int) -> None:
        self.cache: ReadCache | None = cache
        self.scope = (account_id, generation)
        self._made: dict[str, DataLoader[Any, Any]] = {}
        self._writes = local_write_count()

    @property
    def target(self) -> DataLoader[TargetKey, Target | None]:
        """(account, kind, "name" or "arn", value) → the stored entity it names, or None."""
        return self._loader("target", _targets)

    @property
    def groups_of_user(self) -> DataLoader[AccountKey, list[Group]]:
        """(account, user id) → the user's groups."""
        return self._loader("groups", _groups_of_users)

    @property
    def users_of_group(self) -> DataLoader[AccountKey, list[User]]:
        """(account, group id) → the group's members."""
        return self._loader("members", _users_of_groups)

    @property
    def attached_policies(self) -> DataLoader[tuple[str, str], list[ManagedPolicy]]:
        """(entity kind, entity id) → managed policies attached to it."""
        return self._loader("attached", _attached)

    @property
    def default_version(self) -> DataLoader[str, PolicyVersion | None]:
        """Managed policy id → its default version."""
        return self._loader("version", _default_versions)

    @property
    def policy_arn(self) -> DataLoader[str, str | None]:
        """Managed policy id → its ARN."""
        return self._loader("policy-arn", _policy_arns)

    def _loader(
        self, name: str, load: Callable[[Sequence[K]], Awaitable[list[V]]]
    ) -> DataLoader[K, V]:
        if self._writes != local_write_count():
            self._writes = local_write_count()
            self._made.clear()
            self.cache = None
        loader = self._made.get(name)
        if loader is None:
            if self.cache is None:
                loader = DataLoader(load_fn=load)
            else:
                loader = DataLoader(
                    load_fn=partial(_cached_load, self.cache, (name, self.scope), load)
                )
            self._made[name] = loader
        made: DataLoader[K, V] = loader
        return made


async def _cached_load(
    cache: ReadCache,
    prefix: tuple[str, tuple[str, int]],
    load: Callable[[Sequence[K]], Awaitable[list[V]]],
    keys: Sequence[K],
) -> list[V]:
    found = {key: cache.get((prefix, key)) for key in keys}
    missing = [key for key, value in found.items() if value is MISSING]
    if missing:
        for key, value in zip(missing, await load(missing), strict=True):
            found[key] = value
            cache.put((prefix, key), value)
    return [found[key] for key in keys]
