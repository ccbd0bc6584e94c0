"""The stored entities a request names: what it is authorized on, and exactly what it acts on.

Names of users, groups, roles, managed policies and MFA devices are unique in their account
ignoring case, so `ADMIN` and `admin` name one user, stored as `admin` under its own path.
Whatever the caller typed, authorization and the operation must see that one stored entity:

1. `gateway.graphql.authorize` finds every entity a field names (`find_named`, `find_by_arn`),
   authorizes the entity's canonical ARN, and hands the canonical name on to the resolver;
2. while the resolver runs, those entities are *pinned* (`pinned`): every look-up the services
   make by name or ARN goes through `confirm`, which raises ConcurrentModification if it finds
   another entity than the one authorized (or one where none was): a rename, delete or create
   in between can never make an operation act on an entity it was not authorized on.

Only the caller's account is searched (and AWS-managed policies, which every account sees): a
name or ARN of another account finds nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType
from typing import Any

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import Q

from gateway import arns
from gateway.errors import ConcurrentModification
from gateway.models import Group, ManagedPolicy, MfaDevice, Role, User
from gateway.services.prepared import PreparedSelect, prepared_select


class Kind(StrEnum):
    """The kinds of stored entity a request can name."""

    USER = "user"
    GROUP = "group"
    ROLE = "role"
    POLICY = "policy"
    MFA = "mfa"


Stored = User | Group | Role | ManagedPolicy | MfaDevice
"""A stored entity that requests name."""

_MODELS: Mapping[Kind, type[Stored]] = {
    Kind.USER: User,
    Kind.GROUP: Group,
    Kind.ROLE: Role,
    Kind.POLICY: ManagedPolicy,
    Kind.MFA: MfaDevice,
}
_ARN_COLUMN: Mapping[Kind, str] = {Kind.MFA: "serial_number"}


@dataclass(frozen=True, slots=True)
class Target:
    """One stored entity: its kind, id, canonical name and path, and ARN."""

    kind: Kind
    id: str
    name: str
    path: str
    arn: str


def name_key(name: str) -> str:
    """The key a name is stored and looked up under (names compare ignoring case)."""
    return name.lower()


def kind_of_arn(arn: str, account_id: str) -> Kind | None:
    """The kind of entity an IAM ARN of this account (or an AWS-managed policy) names, or None
    for any other ARN."""
    try:
        parsed = arns.parse_arn(arn)
    except ValueError:
        return None
    if parsed.service != "iam" or parsed.region:
        return None
    kind_name = parsed.resource.partition("/")[0]
    if kind_name not in Kind.__members__.values():
        return None
    kind = Kind(kind_name)
    if parsed.account == account_id or (parsed.account == arns.AWS_ACCOUNT and kind is Kind.POLICY):
        return kind
    return None


def _in_account(kind: Kind, account_id: str) -> Q:
    if kind is Kind.POLICY:
        return Q(account_id=account_id) | Q(account_id__isnull=True)
    return Q(account_id=account_id)


def _target(kind: Kind, row: Stored) -> Target:
    arn = row.serial_number if isinstance(row, MfaDevice) else row.arn
    return Target(kind, str(row.pk), row.name, row.path, arn)


_STORABLE_NAME = re.compile(r"[\w+=,.@-]+", re.ASCII)


def _storable(value: str, kind: Kind, column: str) -> bool:
    """Whether `value` could be stored in the column at all (a name or ARN that cannot is
    found without asking the database, which would refuse some of them outright)."""
    field = _MODELS[kind]._meta.fields_map[column]
    limit = getattr(field, "max_length", None)
    if limit is not None and len(value) > limit:
        return False
    if column == "name_lower":
        return _STORABLE_NAME.fullmatch(value) is not None
    return value.isascii() and value.isprintable()


def _named(kind: Kind, *, lock: bool) -> PreparedSelect[Any]:
    model: Any = _MODELS[kind]  # one statement per kind: each is a plain QuerySet of its model

    def by_name(account: str, key: str) -> Any:
        found = model.filter(account_id=account, name_lower=key)
        return (found.select_for_update() if lock else found).limit(1)

    return prepared_select(by_name)


# Looking an entity up by name is most of what a request does before and inside a write: its
# SQL is made once (gateway.services.prepared), not for every request.
_NAMED = {kind: _named(kind, lock=False) for kind in Kind}
_NAMED_LOCKED = {kind: _named(kind, lock=True) for kind in Kind}


async def find_named(account_id: str, kind: Kind, names: Sequence[str]) -> dict[str, Target]:
    """The account's stored entities of `kind` under these names (any case), keyed by
    `name_key`; names that find nothing are left out. One query. For policies, only the
    account's own (AWS-managed policies are named by ARN)."""
    keys = list({name_key(name) for name in names if _storable(name, kind, "name_lower")})
    if not keys:
        return {}
    rows: Sequence[Stored]
    if len(keys) == 1:  # what nearly every request names (and names are unique in an account)
        rows = await _NAMED[kind].fetch(account_id, keys[0])
    else:
        rows = await _MODELS[kind].filter(account_id=account_id, name_lower__in=keys)
    return {row.name_lower: _target(kind, row) for row in rows}


async def find_by_arn(account_id: str, kind: Kind, arn_list: Sequence[str]) -> dict[str, Target]:
    """The stored entities of `kind` with these exact ARNs (serial numbers for MFA devices)
    that the account can see, keyed by ARN; ARNs that find nothing are left out. One query."""
    column = _ARN_COLUMN.get(kind, "arn")
    wanted = list({arn for arn in arn_list if _storable(arn, kind, column)})
    if not wanted:
        return {}
    rows = await _MODELS[kind].filter(_in_account(kind, account_id), **{f"{column}__in": wanted})
    found = [_target(kind, row) for row in rows]
    return {target.arn: target for target in found}


# -- pins ----------------------------------------------------------------------------------------

PinKey = tuple[Kind, str]
"""(kind, `name:<name key>` or `arn:<ARN>`)"""
_NO_PINS: Mapping[PinKey, str | None] = MappingProxyType({})
_pins: ContextVar[Mapping[PinKey, str | None]] = ContextVar(
    "gateway_pinned_targets", default=_NO_PINS
)


def by_name(kind: Kind, name: str) -> PinKey:
    """The pin key of a look-up by name."""
    return (kind, "name:" + name_key(name))


def by_arn(kind: Kind, arn: str) -> PinKey:
    """The pin key of a look-up by ARN."""
    return (kind, "arn:" + arn)


@contextmanager
def pinned(entities: Mapping[PinKey, Target | None]) -> Iterator[None]:
    """Within the block, look-ups under these keys must find these entities (None: nothing)."""
    pins = {key: (target.id if target is not None else None) for key, target in entities.items()}
    token = _pins.set({**_pins.get(), **pins})
    try:
        yield
    finally:
        _pins.reset(token)


def confirm(key: PinKey, found_id: str | None) -> None:
    """Raise ConcurrentModification if this request was authorized on another entity under
    `key` than the one just found (`found_id`, None when nothing was found). Every look-up
    the services make by a name or ARN the caller gave calls this."""
    pins = _pins.get()
    if key in pins and pins[key] != found_id:
        typed = key[1].partition(":")[2]
        raise ConcurrentModification(
            f"The {key[0]} {typed} changed while the request was being authorized; nothing "
            "was done. Send the request again."
        )


async def stored(
    kind: Kind,
    account_id: str,
    name: str,
    *,
    using: BaseDBAsyncClient | None = None,
    lock: bool = False,
) -> Stored | None:
    """The account's entity of `kind` called `name` (any case), or None; confirmed against
    the request's pins. `lock` takes a row lock where the database has them (PostgreSQL)."""
    if not _storable(name, kind, "name_lower"):
        confirm(by_name(kind, name), None)
        return None
    statement = _NAMED_LOCKED[kind] if lock else _NAMED[kind]
    row: Stored | None = await statement.first(account_id, name_key(name), using=using)
    confirm(by_name(kind, name), str(row.pk) if row is not None else None)
    return row


async def stored_by_arn(
    kind: Kind,
    account_id: str,
    arn: str,
    *,
    using: BaseDBAsyncClient | None = None,
    extra: Q | None = None,
) -> Stored | None:
    """The entity of `kind` with exactly this ARN (serial number for MFA devices) that the
    account can see, or None; confirmed against the request's pins. `extra` narrows the
    search (an owner, say)."""
    column = _ARN_COLUMN.get(kind, "arn")
    if not _storable(arn, kind, column):
        confirm(by_arn(kind, arn), None)
        return None
    query = _MODELS[kind].filter(_in_account(kind, account_id), **{column: arn})
    if extra is not None:
        query = query.filter(extra)
    row = await query.using_db(using).first()
    if row is not None or extra is None:
        confirm(by_arn(kind, arn), str(row.pk) if row is not None else None)
    return row


def pin_keys(targets: Iterable[tuple[PinKey, Target | None]]) -> dict[PinKey, Target | None]:
    """Pins for resolved targets, also under their canonical ARN when they exist (a service
    may look an entity up by ARN that the request named by name)."""
    pins: dict[PinKey, Target | None] = {}
    for key, target in targets:
        pins[key] = target
        if target is not None:
            pins[by_arn(target.kind, target.arn)] = target
    return pins
