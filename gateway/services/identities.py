"""The shared kernel of users, groups and roles: one `Identity` description per kind, and the
code the three kinds have in common, written once against it.

An identity's name is unique in its account ignoring case (`name_lower`) and keeps the case it
was created with; it lives under a path, and its ARN follows both. Look-ups by name go through
`gateway.services.targets` (`by_name`), so an operation acts on exactly the entity the request
was authorized on. Writes read the entity again inside their transaction (`reload`, row-locked
on PostgreSQL), since it may have changed since the pre-check.

Also here: keyset pages by name and path filters (`page_by_name`, `under_path`), renames and
moves (`rename`), the permissions-boundary bookkeeping users and roles share
(`attachable_policy`, `count_boundary_use`), and tagging for the taggable kinds (users and
roles; groups are not taggable in AWS) on top of `gateway.services.tags`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError
from tortoise.expressions import F, Q, RawSQL
from tortoise.queryset import QuerySet

from gateway import arns
from gateway.errors import EntityAlreadyExists, NoSuchEntity
from gateway.models import EntityKind, Group, ManagedPolicy, Role, User
from gateway.services import tags as tagging
from gateway.services import targets
from gateway.services.pagination import Page, decode_cursor, encode_cursor, page_size
from gateway.services.principal import Principal
from gateway.services.targets import Kind
from gateway.services.validation import check_name, check_path_prefix
from gateway.services.writes import audit_safe, audited_precheck, writing

# The IAM actions of this module's operations, per kind (`Identity.action`): the
# resolvers' @authorize reads them too.
TAG = "Tag{kind}"
UNTAG = "Untag{kind}"

Entity = User | Group | Role
"""An identity: what policies attach to."""
E = TypeVar("E", User, Group, Role)
Tagged = TypeVar("Tagged", User, Role)

POLICIES_PER_USER = 10
"""Managed policies attached to one user at most (AWS's default quota)."""
POLICIES_PER_GROUP = 10
"""Managed policies attached to one group at most (AWS's default quota)."""
POLICIES_PER_ROLE = 10
"""Managed policies attached to one role at most (AWS's default quota)."""


@dataclass(frozen=True, slots=True)
class Identity(Generic[E]):
    """How one kind of identity is named, found, and limited."""

    kind: EntityKind
    model: type[E]
    label: str  # "user": in messages, ARNs and the `userName` field name
    title: str  # "User": in action names (`iam:AttachUserPolicy`) and messages
    max_name: int  # in look-ups: AWS accepts up to 128 characters for users and groups (and
    # finds nothing), 64 for roles
    policy_quota: int
    inline_size: int  # aggregate inline policy characters, whitespace excluded

    @property
    def name_field(self) -> str:
        """The API parameter that names it: `userName`, `groupName`, `roleName`."""
        return f"{self.label}Name"

    @property
    def target_kind(self) -> Kind:
        """Its kind among the stored targets requests name (gateway.services.targets)."""
        return Kind(self.label)

    def arn(self, account_id: str, name: str, path: str = "/") -> str:
        """The identity's ARN."""
        return arns.iam_arn(account_id, self.label, path, name)

    def action(self, operation: str) -> str:
        """The IAM action of a per-kind operation: `action("Attach{kind}Policy")` is
        `iam:AttachUserPolicy` for users."""
        return "iam:" + operation.format(kind=self.title)

    def not_found(self, name: str) -> NoSuchEntity:
        """AWS's NoSuchEntity for an unknown name."""
        return NoSuchEntity(f"The {self.label} with name {name} cannot be found.")

    def exists(self, name: str) -> EntityAlreadyExists:
        """AWS's EntityAlreadyExists for a name another identity of this kind has."""
        return EntityAlreadyExists(f"{self.title} with name {name} already exists.")


USER = Identity(EntityKind.USER, User, "user", "User", 128, POLICIES_PER_USER, 2048)
GROUP = Identity(EntityKind.GROUP, Group, "group", "Group", 128, POLICIES_PER_GROUP, 5120)
ROLE = Identity(EntityKind.ROLE, Role, "role", "Role", 64, POLICIES_PER_ROLE, 10240)


def entity_kind(entity: Entity) -> Identity[User] | Identity[Group] | Identity[Role]:
    """The `Identity` description of a user, group or role instance."""
    if isinstance(entity, User):
        return USER
    return GROUP if isinstance(entity, Group) else ROLE


def attempted_arn(resource_type: str, account_id: str, path: str, name: str) -> str:
    """The ARN a request names, for its audit event, even when its path or name is invalid."""
    if not (path.startswith("/") and path.endswith("/")):
        path = "/"
    return audit_safe(arns.iam_arn(account_id, resource_type, path, name))


async def by_name(
    identity: Identity[E],
    account_id: str,
    name: str,
    *,
    using: BaseDBAsyncClient | None = None,
    lock: bool = False,
) -> E:
    """The account's identity of this kind called `name` (any case); ValidationError for a
    name no identity can have, NoSuchEntity if there is none.

    `lock` takes a row lock (PostgreSQL) so that one writer at a time changes the identity.
    """
    check_name(name, identity.name_field, maximum=identity.max_name)
    entity = await targets.stored(identity.target_kind, account_id, name, using=using, lock=lock)
    if not isinstance(entity, identity.model):
        raise identity.not_found(name)
    return entity


async def reload(identity: Identity[E], entity: E, using: BaseDBAsyncClient) -> E:
    """`entity` read again inside a write (row-locked where the database can)."""
    fresh = await identity.model.filter(id=entity.id).using_db(using).select_for_update().first()
    if fresh is None:
        raise identity.not_found(entity.name)
    return fresh


def under_path(query: QuerySet[E], path_prefix: str) -> QuerySet[E]:
    """Only the entities whose path starts with `path_prefix` (case-sensitively, as AWS).

    Compares a SUBSTR of the path for equality rather than using LIKE, which SQLite treats
    case-insensitively and which would need escaping.
    """
    check_path_prefix(path_prefix)
    if path_prefix == "/":
        return query
    head = RawSQL(f"SUBSTR(path, 1, {len(path_prefix)})")
    return query.annotate(path_head=head).filter(path_head=path_prefix)


async def page_by_name(query: QuerySet[E], *, first: int | None, after: str | None) -> Page[E]:
    """One keyset page of `query` in `name_lower` order, after the cursor `after`."""
    size = page_size(first)
    key = decode_cursor(after)
    if key is not None:
        query = query.filter(name_lower__gt=key)
    rows = await query.order_by("name_lower").limit(size + 1)
    return Page(rows[:size], len(rows) > size, _name_cursor)


def _name_cursor(item: Entity) -> str:
    return encode_cursor(item.name_lower)


async def rename(
    identity: Identity[E],
    entity: E,
    connection: BaseDBAsyncClient,
    new_name: str | None,
    new_path: str | None,
) -> None:
    """Give an identity a new name and/or path (and so a new ARN), in `connection`'s
    transaction; EntityAlreadyExists when another of its kind has the name (ignoring case)."""
    name = new_name if new_name is not None else entity.name
    path = new_path if new_path is not None else entity.path
    if name.lower() != entity.name_lower:
        taken = identity.model.filter(account_id=entity.account_id, name_lower=name.lower())
        if await taken.using_db(connection).exists():
            raise identity.exists(name)
    entity.name, entity.name_lower, entity.path = name, name.lower(), path
    entity.arn = identity.arn(entity.account_id, name, path)
    try:
        await entity.save(using_db=connection, update_fields=["name", "name_lower", "path", "arn"])
    except IntegrityError as error:
        raise identity.exists(name) from error


# -- permissions boundaries ----------------------------------------------------------------------


async def attachable_policy(
    account_id: str, policy_arn: str, using: BaseDBAsyncClient
) -> ManagedPolicy:
    """The managed policy `policy_arn` that this account may attach (its own or AWS-managed)."""
    policy = (
        await ManagedPolicy.filter(Q(account_id=account_id) | Q(account_id__isnull=True))
        .filter(arn=policy_arn, is_attachable=True)
        .using_db(using)
        .first()
    )
    if policy is None:
        raise NoSuchEntity(f"Policy {policy_arn} does not exist or is not attachable.")
    return policy


async def count_boundary_use(policy_id: str, delta: int, using: BaseDBAsyncClient) -> None:
    """Move the policy's boundary usage count by `delta`, atomically, in `using`'s write."""
    await (
        ManagedPolicy.filter(id=policy_id)
        .using_db(using)
        .update(boundary_usage_count=F("boundary_usage_count") + delta)
    )


# -- tags (users and roles) ----------------------------------------------------------------------


async def tag(
    actor: Principal, identity: Identity[Tagged], name: str, tags: tagging.TagsIn
) -> Tagged:
    """Tag<Kind>: add tags, replacing those with the same key (gateway.services.tags)."""
    action = identity.action(TAG)
    attempted = attempted_arn(identity.label, actor.account_id, "/", name)
    async with audited_precheck(actor, action, attempted):
        new_tags = tagging.checked(tags)

    # Found (and locked) inside the write: one look-up, not one before and one in. Tags change
    # decisions only through the request context, so compiled policies stay cached.
    async with writing(actor, action, attempted, changes_policies=False) as tx:
        entity = await by_name(identity, actor.account_id, name, using=tx.connection, lock=True)
        tx.resource = entity.arn
        entity.tags = tagging.merged(entity.tags, new_tags)
        await entity.save(using_db=tx.connection, update_fields=["tags"])
        tx.details.update({identity.name_field: entity.name, "tagKeys": sorted(new_tags)})
    return entity


async def untag(
    actor: Principal, identity: Identity[Tagged], name: str, tag_keys: Sequence[str]
) -> Tagged:
    """Untag<Kind>: remove the tags with these keys (ignoring case); absent keys are fine."""
    action = identity.action(UNTAG)
    attempted = attempted_arn(identity.label, actor.account_id, "/", name)
    async with audited_precheck(actor, action, attempted):
        keys = tagging.checked_keys(tag_keys)

    async with writing(actor, action, attempted, changes_policies=False) as tx:
        entity = await by_name(identity, actor.account_id, name, using=tx.connection, lock=True)
        tx.resource = entity.arn
        entity.tags = tagging.without(entity.tags, keys)
        await entity.save(using_db=tx.connection, update_fields=["tags"])
        tx.details.update({identity.name_field: entity.name, "tagKeys": keys})
    return entity
