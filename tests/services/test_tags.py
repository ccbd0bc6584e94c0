"""Tags on every taggable kind, one set of rules (gateway/services/tags.py).

Users, roles and managed policies are tagged and untagged; virtual MFA devices take tags when
created. Each test runs over the kinds, so a rule cannot hold for one kind and drift for
another. (Groups are not taggable in AWS.)
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway.errors import GatewayError, InvalidInput, LimitExceeded, NoSuchEntity, ValidationError
from gateway.models import ManagedPolicy, MfaDevice, Role, User
from gateway.services import tags as tagging
from gateway.services.mfa_devices import create_virtual_mfa_device
from gateway.services.policies import create_policy, tag_policy, untag_policy
from gateway.services.principal import Principal
from gateway.services.roles import create_role, list_role_tags, tag_role, untag_role
from gateway.services.seeds import SeedCipher
from gateway.services.tags import TagsIn
from gateway.services.users import create_user, list_user_tags, tag_user, untag_user
from tests.services.helpers import Rejects, Succeeds
from tests.services.policy_fixtures import document, trust_document

Tagged = User | Role | ManagedPolicy


@dataclass(frozen=True)
class Kind:
    """How the tests create, tag, untag and read one taggable kind."""

    name: str
    create: Callable[[Principal, str, TagsIn], Awaitable[Tagged]]
    tag: Callable[[Principal, str, TagsIn], Awaitable[Tagged]]
    untag: Callable[[Principal, str, Sequence[str]], Awaitable[Tagged]]
    stored: Callable[[Tagged], Awaitable[dict[str, str]]]
    reference: Callable[[Tagged], str]  # the name or ARN the operations take
    missing: Callable[[Principal], tuple[str, str]]  # a reference that finds nothing, message
    tag_action: str
    untag_action: str


async def _user(root: Principal, name: str, tags: TagsIn) -> Tagged:
    return await create_user(root, user_name=name, tags=tags)


async def _role(root: Principal, name: str, tags: TagsIn) -> Tagged:
    trust = trust_document(f"arn:aws:iam::{root.account_id}:root")
    return await create_role(root, role_name=name, assume_role_policy_document=trust, tags=tags)


async def _policy(root: Principal, name: str, tags: TagsIn) -> Tagged:
    return await create_policy(
        root, policy_name=name, policy_document=document("s3:ListBucket"), tags=tags
    )


async def _tag_policy(root: Principal, arn: str, tags: TagsIn) -> Tagged:
    return await tag_policy(root, arn, tags=tags)


async def _untag_policy(root: Principal, arn: str, keys: Sequence[str]) -> Tagged:
    return await untag_policy(root, arn, tag_keys=keys)


async def _stored(entity: Tagged) -> dict[str, str]:
    fresh = await type(entity).get(id=entity.id)
    return dict(fresh.tags)


USER = Kind(
    "user",
    _user,
    tag_user,
    untag_user,
    _stored,
    lambda entity: entity.name,
    lambda root: ("nobody", "The user with name nobody cannot be found."),
    "iam:TagUser",
    "iam:UntagUser",
)
ROLE = Kind(
    "role",
    _role,
    tag_role,
    untag_role,
    _stored,
    lambda entity: entity.name,
    lambda root: ("nobody", "The role with name nobody cannot be found."),
    "iam:TagRole",
    "iam:UntagRole",
)
POLICY = Kind(
    "policy",
    _policy,
    _tag_policy,
    _untag_policy,
    _stored,
    lambda entity: entity.arn,
    lambda root: (
        arn := f"arn:aws:iam::{root.account_id}:policy/nobody",
        f"Policy {arn} was not found.",
    ),
    "iam:TagPolicy",
    "iam:UntagPolicy",
)
KINDS = [pytest.param(kind, id=kind.name) for kind in (USER, ROLE, POLICY)]


def invalid(value: str, field: str, constraint: str) -> str:
    return (
        f"1 validation error detected: Value '{value}' at '{field}' failed to satisfy "
        f"constraint: {constraint}"
    )


KEY_RULE = "Member must satisfy regular expression pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]+"
VALUE_RULE = "Member must satisfy regular expression pattern: [\\p{L}\\p{Z}\\p{N}_.:/=+\\-@]*"
AT_MOST = "less than or equal to"
FIFTY_ONE = [(f"k{i}", "v") for i in range(51)]

# Requests every kind refuses the same way, whether creating or tagging: (tags, error, message).
BAD_TAGS: list[Any] = [
    pytest.param(
        [("Team", "a"), ("Team", "b")], InvalidInput, tagging.DUPLICATE_KEYS, id="same-key-twice"
    ),
    pytest.param(
        [("Team", "a"), ("TEAM", "b")], InvalidInput, tagging.DUPLICATE_KEYS, id="key-case-twice"
    ),
    pytest.param([("aws:team", "a")], InvalidInput, tagging.RESERVED_KEY, id="aws-prefix"),
    pytest.param([("AWS:Team", "a")], InvalidInput, tagging.RESERVED_KEY, id="AWS-prefix"),
    pytest.param(
        FIFTY_ONE,
        ValidationError,
        invalid(
            "[" + ", ".join(f"{{Key: {k},Value: {v}}}" for k, v in FIFTY_ONE) + "]",
            "tags",
            "Member must have length less than or equal to 50",
        ),
        id="51-in-one-request",
    ),
    pytest.param(
        [("", "a")],
        ValidationError,
        invalid("", "tags.member.key", "Member must have length greater than or equal to 1"),
        id="empty-key",
    ),
    pytest.param(
        [("k" * 129, "a")],
        ValidationError,
        invalid("k" * 129, "tags.member.key", "Member must have length less than or equal to 128"),
        id="long-key",
    ),
    pytest.param(
        [("bad!key", "a")],
        ValidationError,
        invalid("bad!key", "tags.member.key", KEY_RULE),
        id="bad-key",
    ),
    pytest.param(
        [("k", "v" * 257)],
        ValidationError,
        invalid(
            "v" * 257, "tags.member.value", "Member must have length less than or equal to 256"
        ),
        id="long-value",
    ),
    pytest.param(
        [("k", "semi;colon")],
        ValidationError,
        invalid("semi;colon", "tags.member.value", VALUE_RULE),
        id="bad-value",
    ),
]


@pytest.mark.parametrize("kind", KINDS)
async def test_tagging_merges_keys_ignoring_case_and_untagging_removes_them(
    root: Principal, succeeds: Succeeds, kind: Kind
) -> None:
    entity = await kind.create(root, "Cashier", {"Team": "bar", "floor": "2"})
    ref = kind.reference(entity)

    tagged = await succeeds(
        kind.tag(root, ref, [("team", "kitchen"), ("shift", "early"), ("empty", "")]),
        actor=root,
        action=kind.tag_action,
        resource=entity.arn,
        policies=False,
    )
    expected = {"floor": "2", "team": "kitchen", "shift": "early", "empty": ""}
    assert tagged.tags == expected
    assert await kind.stored(entity) == expected

    untagged = await succeeds(
        kind.untag(root, ref, ["TEAM", "absent", "Empty"]),
        actor=root,
        action=kind.untag_action,
        resource=entity.arn,
        policies=False,
    )
    assert untagged.tags == {"floor": "2", "shift": "early"}
    assert await kind.stored(entity) == {"floor": "2", "shift": "early"}


async def test_list_tags_read_the_stored_tags(root: Principal) -> None:
    await USER.create(root, "alice", {"a": "1"})
    await ROLE.create(root, "Cashier", {"b": "2"})
    assert await list_user_tags(root, "ALICE") == {"a": "1"}
    assert await list_role_tags(root, "cashier") == {"b": "2"}


@pytest.mark.parametrize("kind", KINDS)
async def test_an_entity_holds_at_most_50_tags_counting_those_it_has(
    root: Principal, rejects: Rejects, kind: Kind
) -> None:
    entity = await kind.create(root, "Cashier", {f"k{i}": "v" for i in range(49)})
    ref = kind.reference(entity)
    await kind.tag(root, ref, {"K0": "replaced", "k49": "v"})  # 50: still allowed
    assert len(await kind.stored(entity)) == 50

    await rejects(
        kind.tag(root, ref, {"one-more": "v"}),
        LimitExceeded,
        "The number of tags has reached the maximum limit of 50.",
        action=kind.tag_action,
    )


@pytest.mark.parametrize(("tags", "error", "message"), BAD_TAGS)
@pytest.mark.parametrize("kind", KINDS)
async def test_bad_tags_are_refused_alike_by_every_kind(
    root: Principal,
    rejects: Rejects,
    kind: Kind,
    tags: list[tuple[str, str]],
    error: type[GatewayError],
    message: str,
) -> None:
    entity = await kind.create(root, "Cashier", {"keep": "me"})

    await rejects(
        kind.tag(root, kind.reference(entity), tags), error, message, action=kind.tag_action
    )
    assert await kind.stored(entity) == {"keep": "me"}


@pytest.mark.parametrize(("tags", "error", "message"), BAD_TAGS)
@pytest.mark.parametrize("kind", [*KINDS, pytest.param("mfa", id="mfa")])
async def test_bad_tags_are_refused_alike_at_creation(
    root: Principal,
    cipher: SeedCipher,
    kind: Kind | str,
    tags: list[tuple[str, str]],
    error: type[GatewayError],
    message: str,
) -> None:
    call = (
        kind.create(root, "Cashier", tags)
        if isinstance(kind, Kind)
        else create_virtual_mfa_device(root, name="Phone", tags=tags, cipher=cipher)
    )
    with pytest.raises(error) as raised:
        await call
    assert raised.value.message == message
    assert not await User.filter(name="Cashier").exists()
    assert not await Role.filter(name="Cashier").exists()
    assert not await ManagedPolicy.filter(name="Cashier").exists()
    assert not await MfaDevice.filter(name="Phone").exists()


@pytest.mark.parametrize("kind", KINDS)
async def test_untag_refuses_more_than_50_keys_and_bad_keys(
    root: Principal, rejects: Rejects, kind: Kind
) -> None:
    entity = await kind.create(root, "Cashier", {"keep": "me"})
    ref = kind.reference(entity)
    keys = [f"k{i}" for i in range(51)]

    await rejects(
        kind.untag(root, ref, keys),
        ValidationError,
        invalid(
            "[" + ", ".join(keys) + "]",
            "tagKeys",
            "Member must have length less than or equal to 50",
        ),
        action=kind.untag_action,
    )
    await rejects(
        kind.untag(root, ref, [""]),
        ValidationError,
        invalid("", "tagKeys.member", "Member must have length greater than or equal to 1"),
        action=kind.untag_action,
    )
    await rejects(
        kind.untag(root, ref, ["bad!key"]),
        ValidationError,
        invalid("bad!key", "tagKeys.member", KEY_RULE),
        action=kind.untag_action,
    )


@pytest.mark.parametrize("kind", KINDS)
async def test_tagging_what_does_not_exist_is_no_such_entity(
    root: Principal, rejects: Rejects, kind: Kind
) -> None:
    ref, message = kind.missing(root)
    await rejects(kind.tag(root, ref, {"a": "b"}), NoSuchEntity, message, action=kind.tag_action)
    await rejects(kind.untag(root, ref, ["a"]), NoSuchEntity, message, action=kind.untag_action)


# -- the rules, for all inputs ----------------------------------------------------------------

_KEYS = st.text(alphabet="abcABC", min_size=1, max_size=3)
_TAGS = st.dictionaries(_KEYS, st.text(alphabet="xy", max_size=2), max_size=60)


@given(existing=_TAGS, new=_TAGS)
def test_merging_never_holds_a_key_twice_or_more_than_50_tags(
    existing: dict[str, str], new: dict[str, str]
) -> None:
    # What an entity can hold: keys distinct ignoring case, at most 50.
    existing = dict(
        list({key.lower(): (key, value) for key, value in existing.items()}.values())[:50]
    )
    try:
        new = tagging.checked(new)
        result = tagging.merged(existing, new)
    except (InvalidInput, ValidationError, LimitExceeded) as error:
        folded = {key.lower() for key in new}
        if isinstance(error, InvalidInput):
            assert len(folded) < len(new)
        elif isinstance(error, ValidationError):
            assert len(new) > 50
        else:
            kept = {key for key in existing if key.lower() not in folded}
            assert len(kept) + len(new) > 50
        return
    assert len({key.lower() for key in result}) == len(result) <= 50
    assert all(result[key] == value for key, value in new.items())
    assert tagging.without(result, [key.upper() for key in new]) == {
        key: value for key, value in existing.items() if key.lower() not in {k.lower() for k in new}
    }
