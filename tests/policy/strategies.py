"""Hypothesis strategies for random policies and requests over a small shared vocabulary,
so that random statements and random requests actually meet."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import strategies as st

from gateway.policy import Decision, Effect, Policy, Request, StatementRef, parse_policy

ACCOUNT = "111122223333"
OTHER_ACCOUNT = "444455556666"

ACTION_NAMES = ["GetObject", "PutObject", "ListBucket", "CreateUser", "DeleteUser", "Refund"]
SERVICES = ["s3", "iam", "orders"]
ACTION_PATTERNS = [
    *(f"{s}:{a}" for s in SERVICES for a in ACTION_NAMES[:4]),
    "s3:*",
    "iam:*",
    "s3:Get*",
    "iam:*User",
    "orders:Re?und",
    "*",
    "s3:?etObject",
    "s3:*Object",
    "S3:getobject",
]
RESOURCE_PATTERNS = [
    "*",
    "arn:aws:s3:::bucket",
    "arn:aws:s3:::bucket/*",
    "arn:aws:s3:::b?cket",
    "arn:aws:s3:::bucket/${aws:username}/*",
    "arn:aws:s3:::home/${aws:PrincipalTag/team, 'none'}/*",
    f"arn:aws:iam::{ACCOUNT}:user/${{aws:username}}",
    f"arn:aws:iam::{ACCOUNT}:user/*",
    "arn:aws:orders:::order/*",
    "arn:aws:s3:::a.b+c(d)",
]
RESOURCES = [
    "arn:aws:s3:::bucket",
    "arn:aws:s3:::bucket/alice/notes.txt",
    "arn:aws:s3:::bucket/bob/x",
    "arn:aws:s3:::bocket",
    "arn:aws:s3:::home/red/x",
    "arn:aws:s3:::home/none/x",
    f"arn:aws:iam::{ACCOUNT}:user/alice",
    f"arn:aws:iam::{ACCOUNT}:user/bob",
    f"arn:aws:iam::{OTHER_ACCOUNT}:user/carol",
    "arn:aws:orders:::order/42",
    "arn:aws:s3:::aXb+c(d)",
    "arn:aws:s3:::a.b+c(d)",
]
CONDITIONS: list[dict[str, Any]] = [
    {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
    {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}},
    {"IpAddress": {"aws:SourceIp": ["203.0.113.0/24", "2001:db8::/32"]}},
    {"NotIpAddress": {"aws:SourceIp": "198.51.100.0/24"}},
    {"StringEquals": {"aws:username": "alice"}},
    {"StringLike": {"aws:PrincipalTag/team": "r*"}},
    {"StringNotEquals": {"aws:PrincipalTag/team": ["red", "blue"]}},
    {"Null": {"aws:MultiFactorAuthAge": "true"}},
    {"NumericLessThan": {"aws:MultiFactorAuthAge": "3600"}},
    {"ForAnyValue:StringEquals": {"aws:TagKeys": ["env", "team"]}},
    {"ForAllValues:StringLike": {"aws:TagKeys": ["e*"]}},
]


def _one_or_many(values: list[str]) -> st.SearchStrategy[str | list[str]]:
    return st.one_of(
        st.sampled_from(values), st.lists(st.sampled_from(values), min_size=1, max_size=3)
    )


@st.composite
def statements(draw: st.DrawFn, *, with_principal: bool = False) -> dict[str, Any]:
    """One random statement."""
    statement: dict[str, Any] = {"Effect": draw(st.sampled_from(["Allow", "Allow", "Deny"]))}
    action_key = draw(st.sampled_from(["Action", "Action", "Action", "NotAction"]))
    statement[action_key] = draw(_one_or_many(ACTION_PATTERNS))
    resource_key = draw(st.sampled_from(["Resource", "Resource", "Resource", "NotResource"]))
    statement[resource_key] = draw(_one_or_many(RESOURCE_PATTERNS))
    if with_principal:
        statement["Principal"] = draw(
            st.sampled_from(
                [
                    "*",
                    {"AWS": ACCOUNT},
                    {"AWS": f"arn:aws:iam::{ACCOUNT}:user/alice"},
                    {"AWS": [f"arn:aws:iam::{OTHER_ACCOUNT}:root"]},
                    {"AWS": f"arn:aws:iam::{ACCOUNT}:role/Cashier"},
                ]
            )
        )
    if draw(st.booleans()):
        condition: dict[str, Any] = {}
        for block in draw(st.lists(st.sampled_from(CONDITIONS), max_size=2)):
            for operator, keys in block.items():
                condition.setdefault(operator, {}).update(keys)
        if condition:
            statement["Condition"] = condition
    return statement


def policies(kind: str = "identity", name: str = "p") -> st.SearchStrategy[Policy]:
    """A random valid policy of the kind."""
    with_principal = kind != "identity"
    return st.lists(statements(with_principal=with_principal), min_size=1, max_size=4).map(
        lambda body: parse_policy(
            json.dumps({"Version": "2012-10-17", "Statement": body}), kind, name=name
        )
    )


PRINCIPALS: list[dict[str, Any]] = [
    {
        "arn": f"arn:aws:iam::{ACCOUNT}:user/alice",
        "type": "User",
        "username": "alice",
        "userid": "AIDAALICE",
        "account": ACCOUNT,
        "tags": {"team": "red"},
    },
    {
        "arn": f"arn:aws:iam::{ACCOUNT}:user/bob",
        "type": "User",
        "username": "bob",
        "userid": "AIDABOB",
        "account": ACCOUNT,
    },
    {
        "arn": f"arn:aws:sts::{ACCOUNT}:assumed-role/Cashier/alice",
        "type": "AssumedRole",
        "userid": "AROACASHIER:alice",
        "account": ACCOUNT,
    },
    {"arn": f"arn:aws:iam::{ACCOUNT}:root", "type": "Account", "account": ACCOUNT},
    {
        "arn": f"arn:aws:iam::{OTHER_ACCOUNT}:user/carol",
        "type": "User",
        "username": "carol",
        "account": OTHER_ACCOUNT,
    },
]


@st.composite
def contexts(draw: st.DrawFn) -> dict[str, str | list[str]]:
    """A random request context over the keys the random conditions use."""
    context: dict[str, str | list[str]] = {}
    if draw(st.booleans()):
        context["aws:MultiFactorAuthPresent"] = draw(st.sampled_from(["true", "false"]))
        if draw(st.booleans()):
            context["aws:MultiFactorAuthAge"] = draw(st.sampled_from(["30", "7200"]))
    if draw(st.booleans()):
        context["aws:SourceIp"] = draw(
            st.sampled_from(["203.0.113.7", "198.51.100.9", "2001:db8::1", "10.0.0.1"])
        )
    if draw(st.booleans()):
        context["aws:TagKeys"] = draw(
            st.lists(st.sampled_from(["env", "team", "cost"]), max_size=3)
        )
    return context


@st.composite
def requests(draw: st.DrawFn) -> Request:
    """A random request that the random policies have a fair chance to match."""
    action = draw(st.sampled_from([f"{s}:{a}" for s in SERVICES for a in ACTION_NAMES]))
    if draw(st.booleans()):
        action = action.upper() if draw(st.booleans()) else action.lower()
    return Request(
        action=action,
        resource=draw(st.sampled_from(RESOURCES)),
        principal=draw(st.sampled_from(PRINCIPALS)),
        context=draw(contexts()),
    )


_TEXT = st.text(max_size=4)
DECISIONS = st.builds(
    Decision,
    effect=st.sampled_from(list(Effect)),
    statements=st.lists(
        st.builds(
            StatementRef,
            layer=st.sampled_from(["identity", "resource", "boundary", "session"]),
            policy=st.none() | _TEXT,
            sid=st.none() | _TEXT,
            index=st.integers(0, 99),
            effect=st.sampled_from(["Allow", "Deny"]),
        ),
        max_size=3,
    ).map(tuple),
    denied_by=st.none() | st.sampled_from(["identity", "session"]),
    missing_keys=st.lists(_TEXT, max_size=3).map(tuple),
)
"""Decisions as the engine gives them, any fields (for what is made of them)."""
