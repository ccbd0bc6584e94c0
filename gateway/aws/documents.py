"""From the action table to runnable GraphQL documents, checked once when the app is built.

For each `gateway.aws.operations.Action`: the selection is wrapped in its operation with the
fragments it spreads, each `$Name` is declared with the type its position has in the schema
(nullable where the position has a default, so that an absent parameter takes it), and the
document is validated against the schema. The variables must be members of the action's
request shape in AWS's model, and every member AWS requires must be used: a typo, a missing
parameter or a schema change that breaks an action fails here, at import, not at a client.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from graphql import (
    DocumentNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLInputType,
    GraphQLNonNull,
    GraphQLSchema,
    TypeInfo,
    TypeInfoVisitor,
    Undefined,
    Visitor,
    parse,
    print_ast,
    validate,
    visit,
)

from gateway.aws.model import ServiceModel
from gateway.aws.operations import FRAGMENTS, Action

PAGING = ("MaxItems", "Marker")
"""AWS's paging parameters: a connection's `first`/`after`, or sliced here for plain lists."""


class ActionDefinitionError(Exception):
    """An entry of the action table does not fit the schema or AWS's model (a bug)."""


@dataclass(frozen=True, slots=True)
class Document:
    """One GraphQL document of an action, and its variables' GraphQL types by AWS name."""

    text: str
    variables: dict[str, GraphQLInputType]

    @property
    def required(self) -> frozenset[str]:
        """The parameters without which the document cannot run."""
        return frozenset(n for n, t in self.variables.items() if isinstance(t, GraphQLNonNull))


@dataclass(frozen=True, slots=True)
class PreparedAction:
    """An action ready to run: its documents, and what it does with AWS's parameters."""

    action: Action
    model: ServiceModel
    document: Document
    fallback: Document | None
    sliced: bool
    """AWS pages the result but GraphQL returns a plain list: MaxItems/Marker are applied to
    the list here."""
    unsupported: frozenset[str]
    """Request members of AWS's model the gateway does not take (refused when given)."""


def prepare(action: Action, schema: GraphQLSchema, model: ServiceModel) -> PreparedAction:
    """The action's documents, checked (ActionDefinitionError if they do not fit)."""
    if action.name not in model.operations:
        raise ActionDefinitionError(f"{action.service} has no action {action.name}")
    operation = model.operations[action.name]
    members = model.members(operation.input) if operation.input else {}
    required = set(model.shape(operation.input).get("required", ())) if operation.input else set()
    document = _document(action, action.selection, schema)
    fallback = _document(action, action.fallback, schema) if action.fallback else None
    used = set(document.variables) | set(fallback.variables if fallback else ())
    unknown = used - set(members)
    if unknown:
        raise ActionDefinitionError(f"{action.name} uses parameters AWS does not have: {unknown}")
    output = model.members(operation.output) if operation.output else {}
    pages_itself = "IsTruncated" in action.selection or "...Page" in action.selection
    sliced = "IsTruncated" in output and not pages_itself
    handled = used | (set(PAGING) if sliced else set())
    if required - handled:
        raise ActionDefinitionError(f"{action.name} ignores required {required - handled}")
    return PreparedAction(
        action=action,
        model=model,
        document=document,
        fallback=fallback,
        sliced=sliced,
        unsupported=frozenset(set(members) - handled),
    )


_FRAGMENTS = {
    definition.name.value: definition
    for definition in parse(FRAGMENTS).definitions
    if isinstance(definition, FragmentDefinitionNode)
}


def _document(action: Action, selection: str, schema: GraphQLSchema) -> Document:
    body = f"{action.kind} {{ {selection} }}"
    names = _spread(parse(body))
    fragments = [_FRAGMENTS[name] for name in sorted(names)]
    draft = parse(body + "\n" + "\n".join(print_ast(f) for f in fragments))
    variables = _variable_types(draft, schema)
    declared = ", ".join(f"${name}: {kind}" for name, kind in variables.items())
    head = f"{action.kind}({declared})" if declared else action.kind
    text = head + body[len(action.kind) :] + "\n" + "\n".join(print_ast(f) for f in fragments)
    errors = validate(schema, parse(text))
    if errors:
        raise ActionDefinitionError(f"{action.name}: {'; '.join(e.message for e in errors)}")
    return Document(text, variables)


def _spread(document: DocumentNode) -> set[str]:
    """The fragments a document spreads, directly or through other fragments."""
    found: set[str] = set()
    pending: list[Any] = [document]
    while pending:
        node: Any = pending.pop()
        names = _spreads_in(node)
        for name in names - found:
            if name not in _FRAGMENTS:
                raise ActionDefinitionError(f"unknown fragment {name}")
            found.add(name)
            pending.append(_FRAGMENTS[name])
    return found


def _spreads_in(node: Any) -> set[str]:
    names: set[str] = set()

    class Spreads(Visitor):
        def enter_fragment_spread(self, spread: FragmentSpreadNode, *_: Any) -> None:
            names.add(spread.name.value)

    visit(node, Spreads())
    return names


def _variable_types(document: DocumentNode, schema: GraphQLSchema) -> dict[str, GraphQLInputType]:
    """Each variable's type: its position's, made nullable where the position has a default."""
    info = TypeInfo(schema)
    found: dict[str, GraphQLInputType] = {}

    class Variables(Visitor):
        def enter_variable(self, node: Any, *_: Any) -> None:
            kind = info.get_input_type()
            if kind is None:
                raise ActionDefinitionError(f"${node.name.value} is not in an input position")
            if isinstance(kind, GraphQLNonNull) and info.get_default_value() is not Undefined:
                kind = kind.of_type
            name = node.name.value
            if name in found and str(found[name]) != str(kind):
                raise ActionDefinitionError(f"${name} is used with two types")
            found[name] = kind

    visit(document, TypeInfoVisitor(info, Variables()))
    return found
