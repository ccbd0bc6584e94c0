"""Every guarded field, attacked as issue 9 found them attacked: generated from the schema.

The attacker may do anything (`Allow *`) except touch a few protected entities, each denied
by its exact canonical ARN (`user/priv/admin`, `group/priv/PrivGroup`, …), and except moving
anything under `/vault/`. For every root field whose `@authorize` names an entity by an
argument (read from the SDL clients see, so a new field is covered without editing this file),
each such argument is given, in turn:

- the protected entity's name in other cases (`ADMIN`, `Admin`, `aDMIN`): refused with
  AccessDenied naming the entity's canonical ARN (so the stored entity was authorized, not
  the text typed), whatever the other arguments name;
- the protected entity's ARN, and the same ARN in another case or of another account: refused
  (AccessDenied for the exact ARN; for the others, whatever error, since nothing is stored
  under them in the caller's account);
- for renames and moves (`destination`), a new path under `/vault/`: refused;

and after every attempt, no row of any table has changed (audit events aside).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    ListValueNode,
    StringValueNode,
    build_schema,
    get_named_type,
)

from gateway.config import Settings
from gateway.graphql.schema import build_schema as build_gateway_schema
from gateway.models import Account, Session, SignInThrottle
from gateway.services import groups, inline_policies, policies, roles, users
from gateway.services.accounts import bootstrap_account
from gateway.services.mfa_devices import create_virtual_mfa_device
from gateway.services.principal import Principal
from gateway.services.seeds import SeedCipher
from tests.api import Api
from tests.helpers import GOOD_PASSWORD, TEST_SECRET_KEY, snapshot

SDL = build_schema(str(build_gateway_schema(Settings())))

TRUST = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": "*"}, "Action": "sts:AssumeRole"}],
    }
)
DOCUMENT = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}],
    }
)

UNRELATED = (Session, SignInThrottle)
"""What the attacker's own requests may change: its session's last use, throttling counters."""

# The kind of entity each ARN argument names (a new ARN argument needs a line here).
ARN_ARGUMENT_KINDS = {
    "policyArn": "policy",
    "permissionsBoundary": "policy",
    "serialNumber": "mfa",
    "policySourceArn": "user",
    "arn": "role",  # generateServiceLastAccessedDetails: a user, group, role or policy
}


@dataclass(frozen=True)
class Slot:
    """An argument through which a field names an entity its authorization is about."""

    argument: str
    kind: str
    by: str  # "name", "arn" or "newPath"
    in_context: bool = False


@dataclass(frozen=True)
class GuardedField:
    """A root field with `@authorize` templates naming its arguments."""

    operation: str  # "query" or "mutation"
    name: str
    field: GraphQLField
    slots: tuple[Slot, ...]

    def __str__(self) -> str:
        return self.name


def _directive_arguments(field: GraphQLField) -> dict[str, Any]:
    node = field.ast_node
    assert node is not None
    for directive in node.directives or ():
        if directive.name.value != "authorize":
            continue
        found: dict[str, Any] = {}
        for argument in directive.arguments or ():
            value = argument.value
            if isinstance(value, StringValueNode):
                found[argument.name.value] = value.value
            elif isinstance(value, ListValueNode):
                found[argument.name.value] = [
                    item.value for item in value.values if isinstance(item, StringValueNode)
                ]
        return found
    return {}


def _argument_names(field: GraphQLField) -> set[str]:
    names = set(field.args)
    for argument in field.args.values():
        named = get_named_type(argument.type)
        if isinstance(named, GraphQLInputObjectType):
            names |= set(named.fields)
    return names


def _slots(field: GraphQLField, directive: dict[str, Any]) -> tuple[Slot, ...]:
    arguments = _argument_names(field)
    slots: list[Slot] = []

    def add(template: str, in_context: bool = False) -> None:
        if template.startswith("arn:aws:iam::{account}:"):
            kind, _, rest = template.removeprefix("arn:aws:iam::{account}:").partition("{")
            name = rest.rsplit("{", 1)[1].rstrip("}")
            slots.append(Slot(name, kind, "name", in_context))
        elif template.startswith("{") and template[1:-1] in arguments:
            argument = template[1:-1]
            assert argument in ARN_ARGUMENT_KINDS, f"add {argument!r} to ARN_ARGUMENT_KINDS"
            slots.append(Slot(argument, ARN_ARGUMENT_KINDS[argument], "arn", in_context))

    add(directive.get("resource", ""))
    for entry in directive.get("context") or []:
        add(entry.partition("=")[2], in_context=True)
    destination = directive.get("destination")
    if destination:
        kind = destination.removeprefix("arn:aws:iam::{account}:").partition("{")[0]
        slots.append(Slot("newPath", kind, "newPath"))
    return tuple(slots)


def guarded_fields() -> list[GuardedField]:
    """Every root field whose `@authorize` names an entity by one of its arguments."""
    found = []
    for operation, root in (("query", SDL.query_type), ("mutation", SDL.mutation_type)):
        assert root is not None
        for name, field in root.fields.items():
            directive = _directive_arguments(field)
            slots = _slots(field, directive) if directive else ()
            if slots:
                found.append(GuardedField(operation, name, field, slots))
    return found


GUARDED = guarded_fields()


def test_the_walk_covers_the_fields_issue_9_found_open() -> None:
    covered = {field.name for field in GUARDED}
    assert {
        "updateLoginProfile",
        "attachUserPolicy",
        "createAccessKey",
        "putUserPolicy",
        "updateAssumeRolePolicy",
        "putRolePolicy",
        "revokeRoleSessions",
        "attachGroupPolicy",
        "addUserToGroup",
        "removeUserFromGroup",
        "updateUser",
        "updateGroup",
        "simulatePrincipalPolicy",
        "deleteVirtualMfaDevice",
    } <= covered
    assert len(covered) >= 60


# -- the world ----------------------------------------------------------------------------------


@dataclass
class World:
    """The protected and unprotected entities of the attacked account, and another account."""

    account: str
    other_account: str
    protected: dict[str, tuple[str, str]]  # kind → (name, canonical ARN)
    ordinary: dict[str, tuple[str, str]]
    foreign: dict[str, str]  # kind → ARN of the same-named entity in the other account
    token: str


async def _populate(
    root: Principal, cipher: SeedCipher, path: str, suffix: str
) -> dict[str, tuple[str, str]]:
    made: dict[str, tuple[str, str]] = {}
    user = await users.create_user(root, user_name=f"admin{suffix}", path=path)
    made["user"] = (user.name, user.arn)
    group = await groups.create_group(root, group_name=f"PrivGroup{suffix}", path=path)
    made["group"] = (group.name, group.arn)
    role = await roles.create_role(
        root, role_name=f"PrivRole{suffix}", assume_role_policy_document=TRUST, path=path
    )
    made["role"] = (role.name, role.arn)
    policy = await policies.create_policy(
        root, policy_name=f"PrivPolicy{suffix}", policy_document=DOCUMENT, path=path
    )
    made["policy"] = (policy.name, policy.arn)
    device = await create_virtual_mfa_device(
        root, name=f"PrivDevice{suffix}", path=path, cipher=cipher
    )
    made["mfa"] = (device.device.name, device.device.serial_number)
    for put, name_argument in (
        (inline_policies.put_user_policy, {"user_name": user.name}),
        (inline_policies.put_group_policy, {"group_name": group.name}),
        (inline_policies.put_role_policy, {"role_name": role.name}),
    ):
        await put(root, policy_name="Inline", policy_document=DOCUMENT, **name_argument)
    return made


def _attacker_policy(account: str, protected: dict[str, tuple[str, str]]) -> str:
    policy_arn = protected["policy"][1]
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {"Sid": "AllowAll", "Effect": "Allow", "Action": "*", "Resource": "*"},
                {
                    "Sid": "ProtectEntities",
                    "Effect": "Deny",
                    "Action": "*",
                    "Resource": sorted(arn for _, arn in protected.values()),
                },
                {
                    "Sid": "ProtectVault",
                    "Effect": "Deny",
                    "Action": "*",
                    "Resource": [
                        f"arn:aws:iam::{account}:user/vault/*",
                        f"arn:aws:iam::{account}:group/vault/*",
                    ],
                },
                {
                    "Sid": "ProtectPolicyUse",
                    "Effect": "Deny",
                    "Action": "*",
                    "Resource": "*",
                    "Condition": {"ArnEquals": {"iam:PolicyARN": policy_arn}},
                },
                {
                    "Sid": "ProtectBoundaryUse",
                    "Effect": "Deny",
                    "Action": "*",
                    "Resource": "*",
                    "Condition": {"ArnEquals": {"iam:PermissionsBoundary": policy_arn}},
                },
            ],
        }
    )


@pytest.fixture
async def world(local_api: Api, account: Account, root: Principal) -> World:
    cipher = SeedCipher(TEST_SECRET_KEY)
    protected = await _populate(root, cipher, "/priv/", "")
    ordinary = await _populate(root, cipher, "/pub/", "2")
    other, _ = await bootstrap_account(email="other@example.com", password=GOOD_PASSWORD)
    foreign = await _populate(Principal.root(other.id), cipher, "/priv/", "")
    await users.create_user(root, user_name="mallory", path="/pub/")
    await policies.create_policy(
        root, policy_name="Attacker", policy_document=_attacker_policy(account.id, protected)
    )
    from gateway.services import attachments, login_profiles

    await attachments.attach_user_policy(
        root, user_name="mallory", policy_arn=f"arn:aws:iam::{account.id}:policy/Attacker"
    )
    await login_profiles.create_login_profile(root, "mallory", password=GOOD_PASSWORD)
    token = await local_api.sign_in(account.id, "mallory", GOOD_PASSWORD)
    return World(
        account.id,
        other.id,
        protected,
        ordinary,
        {kind: arn for kind, (_, arn) in foreign.items()},
        token,
    )


# -- requests -----------------------------------------------------------------------------------


def _value(kind: GraphQLInputType, world: World, overrides: dict[str, Any]) -> Any:
    """A value of `kind` for an argument no slot names (the attack never gets past
    authorization, so any well-typed value serves)."""
    if isinstance(kind, GraphQLNonNull):
        return _value(kind.of_type, world, overrides)
    if isinstance(kind, GraphQLList):
        return [_value(kind.of_type, world, overrides)]
    if isinstance(kind, GraphQLEnumType):
        return next(iter(kind.values))
    if isinstance(kind, GraphQLInputObjectType):
        built = {}
        for name, member in kind.fields.items():
            if name in overrides:
                built[name] = overrides[name]
            elif isinstance(member.type, GraphQLNonNull):
                built[name] = _ordinary(name, member.type, world)
        return built
    assert isinstance(kind, GraphQLScalarType)
    return {"Int": 3600, "Boolean": False, "String": "x"}.get(kind.name, "x")


def _ordinary(name: str, kind: GraphQLInputType, world: World) -> Any:
    """The value of argument `name` naming an unprotected entity, where it names one."""
    names = {"userName": "user", "groupName": "group", "roleName": "role"}
    if name in names:
        return world.ordinary[names[name]][0]
    if name in ARN_ARGUMENT_KINDS:
        return world.ordinary[ARN_ARGUMENT_KINDS[name]][1]
    if name in {"policyDocument", "assumeRolePolicyDocument"}:
        return DOCUMENT
    if name == "path":
        return "/pub/"
    return _value(kind, world, {})


def _request(
    field: GuardedField, world: World, overrides: dict[str, Any]
) -> tuple[str, dict[str, Any]]:
    """The operation calling `field` with `overrides` and ordinary values elsewhere."""
    declared, passed, variables = [], [], {}
    for index, (name, argument) in enumerate(field.field.args.items()):
        named = get_named_type(argument.type)
        if name in overrides:
            value = overrides[name]
        elif isinstance(named, GraphQLInputObjectType):
            value = _value(argument.type, world, overrides)
        elif isinstance(argument.type, GraphQLNonNull):
            value = _ordinary(name, argument.type, world)
        else:
            continue
        declared.append(f"$a{index}: {argument.type}")
        passed.append(f"{name}: $a{index}")
        variables[f"a{index}"] = value
    returned = get_named_type(field.field.type)
    selection = " { __typename }" if isinstance(returned, GraphQLObjectType) else ""
    head = f"({', '.join(declared)})" if declared else ""
    call = f"({', '.join(passed)})" if passed else ""
    return f"{field.operation}{head} {{ {field.name}{call}{selection} }}", variables


def _case_variants(name: str) -> list[str]:
    variants = [name.upper(), name.lower(), name.swapcase(), name[0].swapcase() + name[1:]]
    return [v for v in dict.fromkeys(variants) if v != name] or [name]


def _attacks(slot: Slot, world: World) -> list[tuple[str, str, bool]]:
    """(value, what it is, whether AccessDenied naming the canonical ARN is expected)."""
    name, arn = world.protected[slot.kind]
    if slot.by == "name":
        return [
            (variant, f"{name} as {variant}", True) for variant in [name, *_case_variants(name)]
        ]
    if slot.by == "arn":
        head, _, last = arn.rpartition("/")
        return [
            (arn, "the exact ARN", True),
            (f"{head}/{last.swapcase()}", "the ARN in another case", False),
            (world.foreign[slot.kind], "the other account's ARN", False),
        ]
    return [("/vault/", "a move into /vault/", True)]


def _overrides_for(slot: Slot, value: str, field: GuardedField, world: World) -> dict[str, Any]:
    overrides = {slot.argument: value}
    if slot.by == "newPath":
        kind_argument = {"user": "userName", "group": "groupName"}[slot.kind]
        overrides[kind_argument] = world.ordinary[slot.kind][0]
    return overrides


@pytest.mark.parametrize("field", GUARDED, ids=str)
async def test_every_way_of_naming_a_protected_entity_is_refused_and_changes_nothing(
    field: GuardedField, world: World, local_api: Api
) -> None:
    before = await snapshot(also_excluding=UNRELATED)
    for slot in field.slots:
        for value, what, names_canonical in _attacks(slot, world):
            query, variables = _request(field, world, _overrides_for(slot, value, field, world))
            result = await local_api(query, variables, token=world.token)
            where = f"{field.name}({slot.argument}: {what})"
            assert result.errors, f"{where} was not refused"
            error = result.errors[0]
            if names_canonical:
                assert error["extensions"]["code"] == "AccessDenied", (where, error)
                assert error["extensions"]["decision"] == "ExplicitDeny", (where, error)
                if slot.by == "name" and not slot.in_context:
                    canonical = world.protected[slot.kind][1]
                    assert f"on resource: {canonical} " in error["message"], (where, error)
            assert await snapshot(also_excluding=UNRELATED) == before, (
                f"{where} changed the database"
            )
