"""Each mutation's @authorize action is the action its service performs and audits.

The action names live once, in the services (`users.CREATE`, `attachments.ATTACH` per kind, …),
and the resolvers read them. This test checks the outcome end to end: it calls every guarded
mutation as the root user, with arguments made up from the schema (names that find nothing,
documents that do not parse), and compares the action of the audit event the call leaves with
the action the field's @authorize declares. A resolver that authorized one action and let its
service perform another would fail here; so would a new mutation that audits nothing without
being listed below.
"""

from __future__ import annotations

from typing import Any

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLUnionType,
    Undefined,
    get_named_type,
)
from strawberry.types.field import StrawberryField

from gateway.graphql.authorize import AuthorizeDirective
from gateway.graphql.schema import build_schema
from gateway.models import Account, AuditEvent
from tests.api import Api, sign_in_root

# Guarded mutations whose service writes no audit event for such a request (none today).
UNAUDITED: set[str] = set()


def _directive(field: Any) -> AuthorizeDirective | None:
    definition = field.extensions.get("strawberry-definition")
    if isinstance(definition, StrawberryField):
        for directive in definition.directives:
            if isinstance(directive, AuthorizeDirective):
                return directive
    return None


def _string(name: str, account_id: str) -> str:
    if name == "serialNumber":
        return f'"arn:aws:iam::{account_id}:mfa/nobody"'
    if name.endswith("Arn") or name == "permissionsBoundary":
        return f'"arn:aws:iam::{account_id}:policy/nobody"'
    if name.endswith("Document"):
        return '"{}"'
    if name == "accessKeyId":
        return '"AKIAIOSFODNN7EXAMPLE"'
    if "assword" in name:
        return '"Nobody-Passw0rd!"'
    return '"nobody"'


def _literal(name: str, graphql_type: GraphQLInputType, account_id: str) -> str:
    """A GraphQL literal for a required argument or input field."""
    if isinstance(graphql_type, GraphQLNonNull):
        return _literal(name, graphql_type.of_type, account_id)
    if isinstance(graphql_type, GraphQLList):
        return f"[{_literal(name, graphql_type.of_type, account_id)}]"
    if isinstance(graphql_type, GraphQLInputObjectType):
        fields = [
            f"{field_name}: {_literal(field_name, field.type, account_id)}"
            for field_name, field in graphql_type.fields.items()
            if isinstance(field.type, GraphQLNonNull) and field.default_value is Undefined
        ]
        return "{" + ", ".join(fields) + "}"
    if isinstance(graphql_type, GraphQLEnumType):
        first: str = next(iter(graphql_type.values))
        return first
    assert isinstance(graphql_type, GraphQLScalarType)
    if graphql_type.name == "Int":
        return "3600"
    if graphql_type.name == "Boolean":
        return "false"
    if graphql_type.name == "DateTime":
        return '"2026-01-01T00:00:00+00:00"'
    return _string(name, account_id)


def _mutation(field_name: str, field: Any, account_id: str) -> str:
    arguments = [
        f"{name}: {_literal(name, argument.type, account_id)}"
        for name, argument in field.args.items()
        if isinstance(argument.type, GraphQLNonNull) and argument.default_value is Undefined
    ]
    call = f"{field_name}({', '.join(arguments)})" if arguments else field_name
    returned = get_named_type(field.type)
    selection = (
        " { __typename }" if isinstance(returned, GraphQLObjectType | GraphQLUnionType) else ""
    )
    return f"mutation {{ {call}{selection} }}"


async def test_every_guarded_mutation_audits_the_action_it_authorizes(
    local_api: Api, account: Account
) -> None:
    schema = build_schema()._schema
    assert schema.mutation_type is not None
    token = await sign_in_root(local_api)
    disagreeing: dict[str, tuple[str, list[str]]] = {}
    unaudited: set[str] = set()
    for field_name, field in sorted(schema.mutation_type.fields.items()):
        directive = _directive(field)
        if directive is None:
            continue
        seen = await AuditEvent.all().count()
        await local_api(_mutation(field_name, field, account.id), token=token)
        actions = [event.action for event in await AuditEvent.all().order_by("id").offset(seen)]
        if not actions:
            unaudited.add(field_name)
        elif set(actions) != {directive.action}:
            disagreeing[field_name] = (directive.action, actions)
    assert disagreeing == {}
    assert unaudited == UNAUDITED
