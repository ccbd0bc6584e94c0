"""Recognized documents: `authorize` and `authorizeAll` answered without the general executor.

Applications send the same few documents over and over, and for a small query the GraphQL
machinery (parsing, validation, extension hooks, field-by-field execution) costs far more
than the decision itself. A document is *recognized* when it is one query operation (no
fragments, no directives) whose only root field is `authorize` or `authorizeAll` and whose
selections are plain fields of `Decision` (and of its `statements`). It is parsed and
validated once — graphql-core's rules and the gateway's limits, as the general path would —
and kept by its text in a bounded LRU, with the plan of its answer (a closure per selected
field). The recognized lane (`gateway.graphql.lane`) asks for the plans and answers with them.

For each request the inputs are held to their caps (`gateway.graphql.input_caps`, as the
general path does) and the variables and arguments coerced by graphql-core itself, unless
every argument is a variable whose value is already in its coerced form and within its caps
(`_plain`, made once per document from the same caps); the field's declarations are honoured
from the field: its `@noPermission` extension's session check
(`gateway.services.authorization.session_refusal`) and the batch limit; the decisions come
from `gateway.graphql.decisions.caller_decision(s)`, the functions the resolvers call, so the
answer, the deciding statements and the access activity are the same. Anything off the
plain path — variables that do not coerce, an anonymous caller, a session the field refuses
(which must be recorded), a batch over the limit — returns None and the lane hands the
request to the stack and Strawberry, so every error is exactly the general path's.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from graphql import (
    ASTValidationRule,
    DocumentNode,
    FieldNode,
    GraphQLError,
    GraphQLField,
    GraphQLID,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLSchema,
    GraphQLString,
    OperationDefinitionNode,
    OperationType,
    Undefined,
    VariableNode,
    get_named_type,
    is_enum_type,
    is_input_type,
    is_leaf_type,
    is_object_type,
    parse,
    specified_rules,
    type_from_ast,
    validate,
)
from graphql.execution.values import get_argument_values, get_variable_values

from gateway.errors import GatewayError
from gateway.graphql import input_caps
from gateway.graphql.authorize import NoPermission
from gateway.graphql.context import GatewayContext
from gateway.graphql.decisions import MAX_BATCH, caller_decision, caller_decisions
from gateway.graphql.request_parameters import RecordArguments
from gateway.graphql.types.decision import ContextEntry, context_dict
from gateway.services.authorization import session_refusal
from gateway.services.validation import cap_of

MAX_DOCUMENT_CHARS = 4_096
"""Longer documents are never recognized (the cache holds their text)."""
CACHE_SIZE = 256

Answer = Callable[[GatewayContext, dict[str, Any]], Awaitable[Any]]


async def _authorize(ctx: GatewayContext, arguments: dict[str, Any]) -> Any:
    return await caller_decision(
        ctx, arguments["action"], arguments["resource"], _context(arguments.get("context"))
    )


async def _authorize_all(ctx: GatewayContext, arguments: dict[str, Any]) -> Any:
    requests = arguments["requests"]
    if len(requests) > MAX_BATCH:
        return None  # the resolver's ValidationError, from the general path
    return await caller_decisions(
        ctx, [(r["action"], r["resource"], _context(r.get("context"))) for r in requests]
    )


RECOGNIZED: dict[str, Answer] = {"authorize": _authorize, "authorizeAll": _authorize_all}
"""The root fields answered here, and how: as their resolvers answer them."""


def _context(entries: Sequence[dict[str, Any]] | None) -> dict[str, str | list[str]]:
    """Coerced `ContextEntry` inputs (dicts here) as the engine takes them."""
    if not entries:
        return {}
    return context_dict([ContextEntry(key=e["key"], values=e["values"]) for e in entries])


Shape = Callable[[Any], Any]
"""Writes a resolved value (an object, or a list of them) as the answer's selections of it."""


@dataclass(frozen=True, slots=True)
class Plan:
    """A recognized document: its operation, root field and the shape of the answer.

    `constants`: the field's arguments when the document passes no variable (coerced once);
    `variables`: when every argument is a variable, which one and its type, for values that
    are already in their coerced form (see `_plain`).
    """

    document: DocumentNode
    operation: OperationDefinitionNode
    field_node: FieldNode
    field: GraphQLField
    key: str
    answer: Answer
    guard: NoPermission
    shape: Shape
    constants: dict[str, Any] | None = None
    variables: dict[str, tuple[str, Check]] | None = None

    def plain_arguments(self, inputs: dict[str, Any]) -> dict[str, Any] | None:
        """The field's arguments when every one is a variable whose value is already in its
        coerced form and within its caps (`_plain`): nothing to check or coerce. None
        otherwise."""
        if self.variables is None:
            return None
        arguments = {}
        for argument, (name, plain) in self.variables.items():
            value = inputs.get(name)
            if not plain(value):
                return None
            arguments[argument] = value
        return arguments

    def arguments(self, schema: GraphQLSchema, inputs: dict[str, Any]) -> dict[str, Any] | None:
        """The field's coerced arguments, or None when the variables do not coerce."""
        if self.constants is not None:
            return self.constants
        coerced = get_variable_values(schema, self.operation.variable_definitions or (), inputs)
        if isinstance(coerced, list):  # variable errors: the general path reports them
            return None
        return get_argument_values(self.field, self.field_node, coerced)


Check = Callable[[Any], bool]


def _plain(kind: GraphQLInputType, name: str, input_type: str | None = None) -> Check:
    """Whether a value is already what graphql-core's coercion to `kind` would make of it: a
    string for String, a list of such for a list, an object of exactly such fields for an
    input object (JSON's own forms); and within the caps `gateway.graphql.input_caps` holds
    argument (or field of `input_type`) `name` to, so that it needs no check either. Anything
    else (an Int given as "3", one value for a list, another scalar, an input over its cap)
    goes through the general checks and graphql-core."""
    cap = cap_of(name, input_type)
    if isinstance(kind, GraphQLNonNull):
        if kind.of_type is GraphQLString:  # the usual variable, checked in one call
            if cap is None:
                return lambda value: isinstance(value, str)
            length = cap.length
            return lambda value: isinstance(value, str) and len(value) <= length
        inner = _plain(kind.of_type, name, input_type)
        return lambda value: value is not None and value is not Undefined and inner(value)
    if isinstance(kind, GraphQLList):
        item = _plain(kind.of_type, name, input_type)
        most = cap.members if cap is not None and cap.members is not None else None
        return lambda value: (
            value is None
            or (
                isinstance(value, list)
                and (most is None or len(value) <= most)
                and all(item(v) for v in value)
            )
        )
    if kind is GraphQLString:
        if cap is None:
            return lambda value: value is None or isinstance(value, str)
        longest = cap.length
        return lambda value: value is None or (isinstance(value, str) and len(value) <= longest)
    if isinstance(kind, GraphQLInputObjectType):
        object_type = kind.name
        fields = {
            field_name: _plain(field.type, field_name, object_type)
            for field_name, field in kind.fields.items()
        }
        names = fields.keys()

        def input_object(value: Any) -> bool:
            if value is None:
                return True
            return (
                isinstance(value, dict)
                and value.keys() <= names
                and all(check(value.get(field_name)) for field_name, check in fields.items())
            )

        return input_object
    return lambda value: False


class RecognizedDocuments:
    """The plans of recognized documents, by text (see the module docstring)."""

    def __init__(
        self,
        schema: GraphQLSchema,
        rules: Sequence[type[ASTValidationRule]],
        max_tokens: int,
        size: int = CACHE_SIZE,
    ) -> None:
        self._schema = schema
        self._rules = (*specified_rules, *rules)
        self._max_tokens = max_tokens
        self._size = size
        self._plans: OrderedDict[str, Plan | None] = OrderedDict()

    def plan(self, query: str, operation_name: object) -> Plan | None:
        """The plan of `query`, or None when it is not recognized."""
        if len(query) > MAX_DOCUMENT_CHARS or "authorize" not in query:
            return None
        try:
            plan = self._plans[query]
            self._plans.move_to_end(query)
        except KeyError:
            plan = self._make(query)
            self._plans[query] = plan
            if len(self._plans) > self._size:
                self._plans.popitem(last=False)
        if plan is None:
            return None
        if operation_name is not None and (
            plan.operation.name is None or operation_name != plan.operation.name.value
        ):
            return None
        return plan

    async def execute(
        self, plan: Plan, ctx: GatewayContext, variables: object
    ) -> dict[str, Any] | None:
        """The response body's `data`, or None to leave the request to the general path."""
        if variables is not None and not isinstance(variables, dict):
            return None
        inputs = variables or {}
        arguments = plan.plain_arguments(inputs)
        if arguments is None:
            try:  # an input over its cap: refused by the general path, as always
                input_caps.check_request(self._schema, plan.document, variables, None)
            except GatewayError:
                return None
            arguments = plan.arguments(self._schema, inputs)
            if arguments is None:
                return None
        if not plan.guard.anonymous:
            try:
                principal = await ctx.principal()
            except GatewayError:
                return None
            if not plan.guard.during_password_change and (
                session_refusal(principal, plan.guard.action) is not None
            ):
                return None  # refused and recorded by the field's extension
        try:
            result = await plan.answer(ctx, arguments)
        except GatewayError:  # the general path reports it, as a field error
            return None
        if result is None:
            return None
        return {plan.key: plan.shape(result)}

    def _make(self, query: str) -> Plan | None:
        try:
            document = parse(query, no_location=True, max_tokens=self._max_tokens)
        except GraphQLError:
            return None
        if len(document.definitions) != 1:
            return None
        operation = document.definitions[0]
        if (
            not isinstance(operation, OperationDefinitionNode)
            or operation.operation is not OperationType.QUERY
            or operation.directives
            or len(operation.selection_set.selections) != 1
        ):
            return None
        node = operation.selection_set.selections[0]
        if not isinstance(node, FieldNode) or node.directives or node.selection_set is None:
            return None
        answer = RECOGNIZED.get(node.name.value)
        root = self._schema.query_type
        if answer is None or root is None or validate(self._schema, document, self._rules):
            return None
        field = root.fields[node.name.value]
        guard = _guard(field)
        result_type = get_named_type(field.type)
        if guard is None or not is_object_type(result_type):
            return None
        shape = _shape(result_type, node)
        if shape is None:
            return None
        key = node.alias.value if node.alias else node.name.value
        plan = Plan(document, operation, node, field, key, answer, guard, shape)
        definitions = operation.variable_definitions or ()
        if not definitions:
            return replace(plan, constants=get_argument_values(field, node, None))
        if any(d.default_value is not None or d.directives for d in definitions) or any(
            not isinstance(a.value, VariableNode) for a in node.arguments or ()
        ):
            return plan
        # Validation made each variable's type fit its argument's: a value in the variable
        # type's coerced form is the argument's value.
        types = {d.variable.name.value: type_from_ast(self._schema, d.type) for d in definitions}
        variables: dict[str, tuple[str, Check]] = {}
        for argument in node.arguments or ():
            name = argument.value.name.value  # type: ignore[attr-defined]
            kind = types.get(name)
            if not is_input_type(kind):
                return plan
            variables[argument.name.value] = (name, _plain(kind, argument.name.value))
        return replace(plan, variables=variables)


def _guard(field: GraphQLField) -> NoPermission | None:
    """The field's `@noPermission` extension, if that and the audit's arguments are all it has."""
    definition = field.extensions.get("strawberry-definition")
    extensions = getattr(definition, "extensions", ())
    guards = [e for e in extensions if isinstance(e, NoPermission)]
    others = [e for e in extensions if not isinstance(e, NoPermission | RecordArguments)]
    return guards[0] if len(guards) == 1 and not others else None


def _shape(parent: GraphQLObjectType, node: FieldNode) -> Shape | None:
    """How to write `node`'s selections on `parent`, or None unless every one is a plain
    field (no resolver, extension, argument, directive or fragment). Made once per document,
    so writing an answer interprets nothing: one loop per object over what to write, without
    a call per field (an answer has a dozen fields, and a call costs more than the field)."""
    assert node.selection_set is not None
    fields: list[_Selected] = []
    for child in node.selection_set.selections:
        if not isinstance(child, FieldNode) or child.directives or child.arguments:
            return None
        name = child.name.value
        key = child.alias.value if child.alias else name
        if name == "__typename":
            fields.append((key, None, parent.name, None, False))
            continue
        field = parent.fields[name]
        definition = field.extensions.get("strawberry-definition")
        if definition is None or definition.base_resolver is not None or definition.extensions:
            return None
        named = get_named_type(field.type)
        if is_leaf_type(named):
            serialize: Callable[[Any], Any] = named.serialize
            if is_enum_type(named):
                serialize = _remembered(serialize)
            # A str is its own serialization as a String or an ID (graphql-core's give it back).
            text = named is GraphQLString or named is GraphQLID
            fields.append((key, definition.python_name, serialize, None, text))
            continue
        if not is_object_type(named) or child.selection_set is None:
            return None
        children = _shape(named, child)
        if children is None:
            return None
        fields.append((key, definition.python_name, None, children, False))
    selected = tuple(fields)

    def shape(value: Any) -> Any:
        if isinstance(value, list):
            return [shape(item) for item in value]
        answer = {}
        for key, attribute, serialize, children, text in selected:
            if attribute is None:  # __typename
                answer[key] = serialize
                continue
            found = getattr(value, attribute)
            if found is None:
                answer[key] = None
            elif text and found.__class__ is str:
                answer[key] = found
            elif children is not None:
                answer[key] = children(found)
            elif isinstance(found, list):
                if text:
                    answer[key] = [i if i.__class__ is str else serialize(i) for i in found]
                else:
                    answer[key] = [serialize(item) for item in found]
            else:
                answer[key] = serialize(found)
        return answer

    return shape


_Selected = tuple[str, str | None, Any, Shape | None, bool]
"""A selection as `_shape` writes it: the answer's key; the attribute to read (None for
`__typename`); how to serialize a leaf (for `__typename`, the type's name); the shape of an
object's own selections; whether the leaf is text (String or ID: a str stands for itself)."""


def _remembered(serialize: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """`serialize` of an enum, remembered per member (Strawberry's searches its values), by
    identity: an Enum's hash is a Python call, and a member lives as long as its class (the
    entry keeps any other value alive while it is remembered)."""
    names: dict[int, tuple[Any, Any]] = {}

    def remembered(value: Any) -> Any:
        known = names.get(id(value))
        if known is not None and known[0] is value:
            return known[1]
        name = serialize(value)
        if len(names) < _ENUM_VALUES_REMEMBERED:
            names[id(value)] = (value, name)
        return name

    return remembered


_ENUM_VALUES_REMEMBERED = 64


__all__ = ["RECOGNIZED", "Plan", "RecognizedDocuments"]
