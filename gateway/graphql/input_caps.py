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

from collections.abc import Mapping
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
    SelectionSetNode,
    get_named_type,
    get_operation_ast,
    value_from_ast_untyped,
)

from gateway.services.validation import cap_of

FLATTENED_ARGUMENT = "input"
"""An argument whose input object's fields are named alone in errors (as AWS's flat request
parameters are): `userName`, not `input.userName`."""


def check_request(
    schema: GraphQLSchema,
    document: DocumentNode,
    variables: Mapping[str, Any] | None,
    operation_name: str | None,
) -> None:
    """Raise the refusal of the first input over its cap in the operation that would run;
    return when every input is within bounds (or there is no such operation: that is for
    execution to report)."""
    operation = get_operation_ast(document, operation_name)
    if operation is None:
        return
    root = schema.get_root_type(operation.operation)
    if root is None:
        return
    values = {
        definition.variable.name.value: value_from_ast_untyped(definition.default_value)
        for definition in operation.variable_definitions or ()
        if definition.default_value is not None
    }
    values.update(variables or {})
    fragments = {
        definition.name.value: definition
        for definition in document.definitions
        if isinstance(definition, FragmentDefinitionNode)
    }
    _Walk(schema, fragments, values).selections(operation.selection_set, root)


class _Walk:
    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: Mapping[str, FragmentDefinitionNode],
        variables: dict[str, Any],
    ) -> None:
        self.schema = schema
        self.fragments = fragments
        self.variables = variables
        self.seen: set[str] = set()

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
            value = value_from_ast_untyped(argument.value, self.variables)
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
