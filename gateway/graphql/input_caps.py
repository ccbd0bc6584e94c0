"""Every string input of a request within its cap, checked before anything runs.

`check_request` walks the operation about to run (its fields, fragments and arguments, with
the variables' values and defaults) and refuses the first string longer than its cap in
`gateway.services.validation.INPUT_CAPS`, or list with more members than the cap allows, with
AWS's ValidationError (InvalidInput for a cursor). It runs once per operation, after document
validation and before the first field resolves (`gateway.graphql.limits.GatewayOperation`),
so an over-long ARN, name, context key or policy document never reaches an authorization
check, the policy engine, the database or a log line, and a document of several mutations
changes nothing when one of them holds such a value.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    InlineFragmentNode,
    ListValueNode,
    ObjectValueNode,
    SelectionSetNode,
    ValueNode,
    VariableNode,
    get_named_type,
    get_operation_ast,
    value_from_ast_untyped,
)

from gateway.errors import GatewayError
from gateway.services.validation import cap_of

FLATTENED_ARGUMENT = "input"
"""An argument whose input object's fields are named alone in errors (as AWS's flat request
parameters are): `userName`, not `input.userName`."""


PLANS_KEPT = 1024
"""Documents whose plan is kept (the parser cache hands the same document object back for the
same text, so a recognised request only walks its variables)."""


@dataclass(frozen=True, slots=True)
class _Plan:
    """What to check in one operation of one document: the arguments that hold variables
    (checked per request), the variables' defaults, and the refusal of a literal argument
    over its cap, if any (found once)."""

    sites: tuple[tuple[ValueNode, GraphQLInputType, str], ...]
    defaults: dict[str, Any]
    refusal: GatewayError | None


_plans: dict[tuple[int, str | None], tuple[DocumentNode, _Plan]] = {}


def check_request(
    schema: GraphQLSchema,
    document: DocumentNode,
    variables: Mapping[str, Any] | None,
    operation_name: str | None,
) -> None:
    """Raise the refusal of the first input over its cap in the operation that would run;
    return when every input is within bounds (or there is no such operation: that is for
    execution to report)."""
    key = (id(document), operation_name)
    kept = _plans.get(key)
    if kept is not None and kept[0] is document:
        plan = kept[1]
    else:
        plan = _plan(schema, document, operation_name)
        if len(_plans) >= PLANS_KEPT:
            del _plans[next(iter(_plans))]
        _plans[key] = (document, plan)
    if plan.refusal is not None:
        raise copy.copy(plan.refusal)
    if not plan.sites:
        return
    values = {**plan.defaults, **(variables or {})}
    for node, type_, name in plan.sites:
        check_value(value_from_ast_untyped(node, values), type_, name, name, None)


def _plan(schema: GraphQLSchema, document: DocumentNode, operation_name: str | None) -> _Plan:
    operation = get_operation_ast(document, operation_name)
    root = schema.get_root_type(operation.operation) if operation is not None else None
    if operation is None or root is None:
        return _Plan((), {}, None)
    defaults = {
        definition.variable.name.value: value_from_ast_untyped(definition.default_value)
        for definition in operation.variable_definitions or ()
        if definition.default_value is not None
    }
    fragments = {
        definition.name.value: definition
        for definition in document.definitions
        if isinstance(definition, FragmentDefinitionNode)
    }
    walk = _Walk(schema, fragments)
    try:
        walk.selections(operation.selection_set, root)
    except GatewayError as refusal:
        return _Plan((), defaults, refusal)
    return _Plan(tuple(walk.sites), defaults, None)


def _holds_variable(node: ValueNode) -> bool:
    if isinstance(node, VariableNode):
        return True
    if isinstance(node, ListValueNode):
        return any(_holds_variable(item) for item in node.values)
    if isinstance(node, ObjectValueNode):
        return any(_holds_variable(field.value) for field in node.fields)
    return False


class _Walk:
    """Checks the literal arguments of an operation and collects those holding variables."""

    def __init__(
        self, schema: GraphQLSchema, fragments: Mapping[str, FragmentDefinitionNode]
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.seen: set[str] = set()
        self.sites: list[tuple[ValueNode, GraphQLInputType, str]] = []

    def selections(self, selection_set: SelectionSetNode, parent: GraphQLNamedType) -> None:
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                self.field(selection, parent)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                inner = self.schema.get_type(condition.name.value) if condition else parent
                self.selections(selection.selection_set, inner or parent)
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                fragment = self.fragments.get(name)
                if fragment is None or name in self.seen:
                    continue
                self.seen.add(name)
                inner = self.schema.get_type(fragment.type_condition.name.value)
                self.selections(fragment.selection_set, inner or parent)

    def field(self, node: FieldNode, parent: GraphQLNamedType) -> None:
        name = node.name.value
        if name.startswith("__") or not isinstance(parent, GraphQLObjectType):
            return
        definition = parent.fields.get(name)
        if definition is None:
            return
        for argument in node.arguments or ():
            argument_name = argument.name.value
            argument_definition = definition.args.get(argument_name)
            if argument_definition is None:
                continue
            if _holds_variable(argument.value):
                self.sites.append((argument.value, argument_definition.type, argument_name))
                continue
            value = value_from_ast_untyped(argument.value)
            check_value(value, argument_definition.type, argument_name, argument_name, None)
        if node.selection_set is not None:
            self.selections(node.selection_set, get_named_type(definition.type))


def check_value(
    value: Any,
    type_: GraphQLInputType,
    name: str,
    label: str,
    input_type: str | None,
) -> None:
    """Raise the refusal if `value` (of the schema type `type_`, given as argument or input
    field `name` of `input_type`, named `label` in errors) or anything inside it is over its
    cap."""
    if isinstance(type_, GraphQLNonNull):
        type_ = type_.of_type
    cap = cap_of(name, input_type)
    if isinstance(type_, GraphQLList):
        if value is None:
            return
        members = value if isinstance(value, list) else [value]
        if cap is not None and cap.members is not None and len(members) > cap.members:
            raise cap.refusal(label, cap.members)
        inner = type_.of_type
        objects = isinstance(get_named_type(inner), GraphQLInputObjectType)
        member_label = f"{label}.member" if objects else label
        for member in members:
            check_value(member, inner, name, member_label, input_type)
        return
    if isinstance(type_, GraphQLInputObjectType):
        if not isinstance(value, Mapping):
            return
        for field_name, field in type_.fields.items():
            if field_name in value:
                field_label = field_name if label == FLATTENED_ARGUMENT else f"{label}.{field_name}"
                check_value(value[field_name], field.type, field_name, field_label, type_.name)
        return
    if isinstance(value, str) and cap is not None and len(value) > cap.length:
        raise cap.refusal(label, cap.length)
