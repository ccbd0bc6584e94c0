"""Every string input of the API has a cap, and a value one past it is refused before anything
runs (issue 9 item 4). The cases are generated from the schema: a new field or argument is
covered (or fails `test_every_string_input_has_a_cap`) without editing this file."""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
from graphql import (
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    get_named_type,
)

from gateway.graphql.schema import build_schema
from gateway.models import Account, AuditEvent
from gateway.services.validation import (
    ARN_MAX,
    INVALID_CURSOR,
    MAX_CONTEXT_ENTRIES,
    cap_of,
)
from tests.api import Api, sign_in_root
from tests.graphql.test_authorization import create_policy, document, make_user
from tests.helpers import snapshot
from tests.servers import serve

SCHEMA = build_schema()._schema
STRINGS = {"String", "ID"}


def string_inputs() -> Iterator[tuple[str, str, str | None]]:
    """(where, name, input type) of every string argument and string input field."""
    for type_ in SCHEMA.type_map.values():
        if type_.name.startswith("__"):
            continue
        if isinstance(type_, GraphQLObjectType):
            for field_name, field in type_.fields.items():
                for name, argument in field.args.items():
                    if get_named_type(argument.type).name in STRINGS:
                        yield f"{type_.name}.{field_name}({name})", name, None
        elif isinstance(type_, GraphQLInputObjectType):
            for name, input_field in type_.fields.items():
                if get_named_type(input_field.type).name in STRINGS:
                    yield f"{type_.name}.{name}", name, type_.name


def test_every_string_input_has_a_cap() -> None:
    uncapped = [where for where, name, owner in string_inputs() if cap_of(name, owner) is None]
    assert uncapped == []


@dataclass(frozen=True)
class Case:
    """One request with one input past its cap."""

    field: str
    where: str
    document: str
    variables: dict[str, Any]
    code: str


def minimal(type_: GraphQLInputType) -> Any:
    """The smallest value of a type that coercion accepts."""
    if isinstance(type_, GraphQLNonNull):
        type_ = type_.of_type
    if isinstance(type_, GraphQLList):
        return [minimal(type_.of_type)]
    if isinstance(type_, GraphQLInputObjectType):
        return {
            name: minimal(field.type)
            for name, field in type_.fields.items()
            if isinstance(field.type, GraphQLNonNull)
        }
    if isinstance(type_, GraphQLEnumType):
        return next(iter(type_.values))
    assert isinstance(type_, GraphQLScalarType)
    return {
        "Int": 1,
        "Float": 1.0,
        "Boolean": False,
        "DateTime": "2026-01-01T00:00:00Z",
        "JSON": {},
    }.get(type_.name, "x")


def oversized(
    type_: GraphQLInputType, name: str, owner: str | None, where: str
) -> Iterator[tuple[Any, str, str]]:
    """(value, where, expected code) for each way `type_` can hold one input past its cap."""
    if isinstance(type_, GraphQLNonNull):
        type_ = type_.of_type
    cap = cap_of(name, owner)
    if isinstance(type_, GraphQLList):
        inner = type_.of_type
        if cap is not None and cap.members is not None:
            yield [minimal(inner)] * (cap.members + 1), f"{where} members", "ValidationError"
        for value, inner_where, code in oversized(inner, name, owner, where):
            yield [value], inner_where, code
        return
    if isinstance(type_, GraphQLInputObjectType):
        base = minimal(type_)
        for field_name, field in type_.fields.items():
            for value, inner_where, code in oversized(
                field.type, field_name, type_.name, f"{where}.{field_name}"
            ):
                yield {**base, field_name: value}, inner_where, code
        return
    if get_named_type(type_).name in STRINGS:
        assert cap is not None, where
        yield "a" * (cap.length + 1), where, "InvalidInput" if cap.invalid else "ValidationError"


def selection(field: GraphQLField) -> str:
    named = get_named_type(field.type)
    return "" if isinstance(named, GraphQLScalarType | GraphQLEnumType) else " { __typename }"


def cases() -> Iterator[Case]:
    for keyword, root in (("query", SCHEMA.query_type), ("mutation", SCHEMA.mutation_type)):
        assert root is not None
        for field_name, field in root.fields.items():
            for target_name, target in field.args.items():
                where = f"{root.name}.{field_name}({target_name})"
                for value, label, code in oversized(target.type, target_name, None, where):
                    variables = {
                        name: minimal(argument.type)
                        for name, argument in field.args.items()
                        if isinstance(argument.type, GraphQLNonNull)
                    }
                    variables[target_name] = value
                    declared = ", ".join(f"${name}: {field.args[name].type}" for name in variables)
                    passed = ", ".join(f"{name}: ${name}" for name in variables)
                    document = (
                        f"{keyword}({declared}) {{ {field_name}({passed}){selection(field)} }}"
                    )
                    yield Case(field_name, label, document, variables, code)


def test_the_generated_cases_cover_the_decision_and_name_inputs() -> None:
    where = {case.where for case in cases()}
    for expected in (
        "Query.authorize(resource)",
        "Query.authorize(action)",
        "Query.authorize(context).key",
        "Query.authorize(context).values",
        "Query.authorize(context).values members",
        "Query.authorize(context) members",
        "Query.simulatePrincipalPolicy(resourceArns)",
        "Mutation.createUser(input).userName",
        "Mutation.tagUser(tags).key",
        "Mutation.putUserPolicy(policyDocument)",
        "Query.users(after)",
    ):
        assert expected in where


async def test_every_input_one_past_its_cap_is_refused_and_changes_nothing(
    local_api: Api, local_root_token: str, account: Account
) -> None:
    before = await snapshot()
    checked = 0
    for case in cases():
        result = await local_api(case.document, case.variables, token=local_root_token)
        assert result.error_codes() == [case.code], (case.where, result.errors)
        message = result.only_error()["message"]
        if case.code == "ValidationError":
            assert message.startswith("1 validation error detected: Value at '"), case.where
            assert "Member must have length less than or equal to" in message, case.where
        else:
            assert message == INVALID_CURSOR
        assert "aaaaaaaaaa" not in message
        checked += 1
    assert checked > 150
    assert await snapshot() == before


async def test_the_message_names_the_argument_and_awss_bound(
    local_api: Api, local_root_token: str
) -> None:
    """(An over-long value is refused before any field runs, so, unlike a write the service
    refuses, it leaves no Failed audit event: `test_bad_input.py`.)"""
    events = await AuditEvent.all().count()
    result = await local_api(
        "mutation($u: String!) { createUser(input: {userName: $u}) { arn } }",
        {"u": "u" * 65},
        token=local_root_token,
    )
    assert result.only_error()["message"] == (
        "1 validation error detected: Value at 'userName' failed to satisfy constraint: "
        "Member must have length less than or equal to 64"
    )
    tag = await local_api(
        'mutation { tagUser(userName: "x", tags: [{key: "k", value: "' + "v" * 257 + '"}])'
        " { arn } }",
        token=local_root_token,
    )
    assert "Value at 'tags.member.value'" in tag.only_error()["message"]
    assert "less than or equal to 256" in tag.only_error()["message"]
    assert await AuditEvent.all().count() == events


async def test_one_oversized_input_stops_every_mutation_of_the_document(
    local_api: Api, local_root_token: str
) -> None:
    before = await snapshot()
    result = await local_api(
        'mutation { a: createUser(input: {userName: "first"}) { arn }'
        ' b: createGroup(groupName: "' + "g" * 129 + '") { arn } }',
        token=local_root_token,
    )
    assert result.error_codes() == ["ValidationError"]
    assert await snapshot() == before


async def test_a_cursor_on_a_nested_field_is_capped_too(
    local_api: Api, local_root_token: str
) -> None:
    result = await local_api(
        "query($c: String) { users { nodes { groups(after: $c) { nodes { groupName } } } } }",
        {"c": "A" * 100_000},
        token=local_root_token,
    )
    assert result.error_codes() == ["InvalidInput"]
    assert result.only_error()["message"] == INVALID_CURSOR


ADVERSARIAL_PATTERN = "arn:aws:s3:::logs-*-*-*/*/*.gz"
CONTEXT_KEYS = [f"gw:{index:03d}".ljust(256, "k") for index in range(MAX_CONTEXT_ENTRIES)]


async def test_a_maximum_size_adversarial_authorize_is_answered_quickly(
    database_url: str, account: Account
) -> None:
    """Over real HTTP: the biggest decision request the caps and the body limit let through,
    built to make a backtracking matcher explode on the resource and on every context value,
    is answered about as fast as an ordinary one."""
    policy = document(
        {
            "Effect": "Allow",
            "Action": "s3:GetObject",
            "Resource": ADVERSARIAL_PATTERN,
            "Condition": {"StringLike": dict.fromkeys(CONTEXT_KEYS[:10], "*-*-*-*/*.gz")},
        }
    )
    with serve("gateway.app:create_app", database_url) as url:
        async with httpx.AsyncClient(base_url=url, timeout=30) as client:
            api = Api(client)
            root_token = await sign_in_root(api)
            arn = await create_policy(api, root_token, "Adversarial", policy)
            token = await make_user(api, root_token, "mallory", arn)
            resource = "arn:aws:s3:::logs-" + "-/" * 1014 + "x"
            assert len(resource) == ARN_MAX - 1
            values = ["-/" * 1023 + "x"] * 8  # 50 x 8 x 2,047 characters: just under 1 MB
            context = [{"key": key, "values": values} for key in CONTEXT_KEYS]
            query = (
                "query($r: String!, $a: String!, $c: [ContextEntry!]) {"
                " authorize(action: $a, resource: $r, context: $c) { effect } }"
            )
            variables = {"r": resource, "a": "s3:GetObject", "c": context}
            started = time.perf_counter()
            result = await api(query, variables, token=token)
            elapsed = time.perf_counter() - started
            assert result.errors == [], result.errors
            assert result.data == {"authorize": {"effect": "IMPLICIT_DENY"}}
            assert elapsed < 2.0, elapsed
            over = await api(query, {**variables, "r": resource + "xx"}, token=token)
            assert over.error_codes() == ["ValidationError"]


async def test_a_100_kb_cursor_is_invalid_input_and_stays_out_of_the_logs(
    database_url: str, account: Account
) -> None:
    """Over real HTTP, with the server logging at debug level: a 100 KB cursor, valid
    base64, is InvalidInput (not ServiceFailure), in a connection list and in a nested one, and
    no log line holds it or anything near its size."""
    cursor = "QUJD" * 25_000
    log: list[str] = []
    with serve("gateway.app:create_app", database_url, log_level="debug", captured=log) as url:
        async with httpx.AsyncClient(base_url=url, timeout=30) as client:
            api = Api(client)
            token = await sign_in_root(api)
            for query in (
                "query($c: String) { users(after: $c) { nodes { userName } } }",
                "query($c: String) { policies(after: $c) { nodes { policyName } } }",
                "query($c: String) { auditEvents(after: $c) { nodes { eventName } } }",
            ):
                result = await api(query, {"c": cursor}, token=token)
                assert result.error_codes() == ["InvalidInput"], (query, result.errors)
                assert result.only_error()["message"] == INVALID_CURSOR
    [output] = log
    assert cursor[:64] not in output
    assert max(map(len, output.splitlines())) < 4096


async def test_a_recognised_document_is_checked_again_with_each_requests_variables(
    local_api: Api, local_root_token: str
) -> None:
    """The plan of a document is kept; its variables and its literals are still checked on
    every request."""
    literal = '{ authorize(action: "s3:GetObject", resource: "' + "r" * 2049 + '") { effect } }'
    for _ in range(2):
        refused = await local_api(literal, token=local_root_token)
        assert refused.error_codes() == ["ValidationError"]
    query = 'query($r: String!) { authorize(action: "s3:GetObject", resource: $r) { effect } }'
    for resource, codes in (("r" * 2048, []), ("r" * 2049, ["ValidationError"]), ("r", [])):
        result = await local_api(query, {"r": resource}, token=local_root_token)
        assert result.error_codes() == codes
