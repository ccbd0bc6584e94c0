"""Reading a Query request's parameters: AWS's form encoding in, GraphQL variables out.

The Query protocol flattens structures and lists into form fields: `Tags.member.1.Key=Dept`,
`ActionNames.member.2=iam:GetUser`, an empty list as `ActionNames=`. `parse_members` reads
them back by the action's request shape in AWS's model, and `to_variable` turns a value into
what the GraphQL variable's type takes: numbers and booleans from their text, AWS's enum
values onto the GraphQL enum's (`Active` → `ACTIVE`, `Local` → `LOCAL`), structures onto
input objects by member name (ignoring case; `ContextKeyName`/`ContextKeyValues` onto
`key`/`values`), a one-member structure onto a plain value (`PolicyArns.member.1.arn`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLScalarType,
)

from gateway.aws.model import ServiceModel
from gateway.errors import ValidationError

INPUT_ALIASES = {"contextkeyname": "key", "contextkeyvalues": "values"}
"""AWS member names (lower case) whose GraphQL input field is named otherwise."""


def parse_members(
    model: ServiceModel, shape_name: str, form: Mapping[str, str], prefix: str = ""
) -> dict[str, Any]:
    """The members of the structure `shape_name` present in `form` under `prefix`."""
    values: dict[str, Any] = {}
    for member, spec in model.members(shape_name).items():
        name = spec.get("locationName", member)
        value = _parse(model, spec["shape"], form, f"{prefix}{name}")
        if value is not None:
            values[member] = value
    return values


def _parse(model: ServiceModel, shape_name: str, form: Mapping[str, str], key: str) -> Any:
    shape = model.shape(shape_name)
    kind = shape["type"]
    if kind == "structure":
        found = parse_members(model, shape_name, form, f"{key}.")
        return found or None
    if kind == "list":
        if form.get(key) == "":
            return []
        member = shape["member"]
        item_name = "" if shape.get("flattened") else member.get("locationName", "member") + "."
        items = []
        index = 1
        while True:
            item = _parse(model, member["shape"], form, f"{key}.{item_name}{index}")
            if item is None:
                break
            items.append(item)
            index += 1
        return items or None
    if kind == "map":
        entries: dict[str, Any] = {}
        index = 1
        while f"{key}.entry.{index}.key" in form:
            entry_key = form[f"{key}.entry.{index}.key"]
            entries[entry_key] = _parse(
                model, shape["value"]["shape"], form, f"{key}.entry.{index}.value"
            )
            index += 1
        return entries or None
    return form.get(key)


def to_variable(value: Any, kind: GraphQLInputType, name: str) -> Any:
    """`value` (as `parse_members` read it) as the GraphQL type `kind` takes it;
    ValidationError naming the parameter `name` if it cannot be."""
    if isinstance(kind, GraphQLNonNull):
        kind = kind.of_type
    if isinstance(kind, GraphQLList):
        items = value if isinstance(value, list) else [value]
        return [to_variable(item, kind.of_type, name) for item in items]
    if isinstance(kind, GraphQLInputObjectType):
        if not isinstance(value, dict):
            raise _invalid(name, value, "must be a structure")
        fields = {field.lower(): field for field in kind.fields}
        converted = {}
        for member, item in value.items():
            field = fields.get(INPUT_ALIASES.get(member.lower(), member.lower()))
            if field is not None:
                converted[field] = to_variable(item, kind.fields[field].type, f"{name}.{member}")
        return converted
    if isinstance(value, dict):
        if len(value) != 1:
            raise _invalid(name, value, "must be a single value")
        return to_variable(next(iter(value.values())), kind, name)
    if isinstance(kind, GraphQLEnumType):
        wanted = _folded(str(value))
        for enum_name in kind.values:
            if _folded(enum_name) == wanted:
                return enum_name
        raise _invalid(name, value, f"must satisfy enum value set: {_aws_enum(kind)}")
    assert isinstance(kind, GraphQLScalarType)
    if kind.name == "Int":
        try:
            return int(value)
        except ValueError:
            raise _invalid(name, value, "must be an integer") from None
    if kind.name == "Boolean":
        if str(value).lower() not in ("true", "false"):
            raise _invalid(name, value, "must be true or false")
        return str(value).lower() == "true"
    return str(value)


def _folded(text: str) -> str:
    return text.replace("_", "").replace("-", "").lower()


def _aws_enum(kind: GraphQLEnumType) -> str:
    return "[" + ", ".join(kind.values) + "]"


def _invalid(name: str, value: Any, rule: str) -> ValidationError:
    shown = str(value)[:200]
    return ValidationError(
        f"1 validation error detected: Value '{shown}' at '{name[:1].lower()}{name[1:]}' "
        f"failed to satisfy constraint: Member {rule}"
    )
