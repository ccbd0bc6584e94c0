"""Condition operators: every family AWS defines, with `…IfExists`, `ForAllValues:`,
`ForAnyValue:` and `Null`.

The rules, as AWS documents them:
- a block's operators and keys are ANDed; the values listed for one key are ORed;
- a negated operator (`StringNotEquals`, `NotIpAddress`, …) holds when the request value matches
  *none* of the listed values;
- a key absent from the request makes a condition false, except that negated operators are
  then true, `…IfExists` is true, `ForAllValues:` is true and `ForAnyValue:` is false;
- keys are case-insensitive; values compare per operator.
"""

from __future__ import annotations

import base64
import binascii
import ipaddress
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from gateway.policy.matching import glob_matcher
from gateway.policy.variables import Literal, Template, Wildcard, parse_template

Context = Mapping[str, tuple[str, ...]]
"""Request context: lower-cased key → its values (one for a single-valued key)."""

ValueTest = Callable[[str], bool]
ConditionCheck = Callable[[Context], bool]

_NEGATED = {
    "StringNotEquals": "StringEquals",
    "StringNotEqualsIgnoreCase": "StringEqualsIgnoreCase",
    "StringNotLike": "StringLike",
    "NumericNotEquals": "NumericEquals",
    "DateNotEquals": "DateEquals",
    "NotIpAddress": "IpAddress",
    "ArnNotEquals": "ArnEquals",
    "ArnNotLike": "ArnLike",
}
_POSITIVE = (
    "StringEquals",
    "StringEqualsIgnoreCase",
    "StringLike",
    "NumericEquals",
    "NumericLessThan",
    "NumericLessThanEquals",
    "NumericGreaterThan",
    "NumericGreaterThanEquals",
    "DateEquals",
    "DateLessThan",
    "DateLessThanEquals",
    "DateGreaterThan",
    "DateGreaterThanEquals",
    "Bool",
    "BinaryEquals",
    "IpAddress",
    "ArnEquals",
    "ArnLike",
)
OPERATORS = frozenset((*_POSITIVE, *_NEGATED, "Null"))
"""Every base operator name AWS defines."""

# Which operators read policy variables and which treat `*`/`?` as wildcards (AWS tables).
_VARIABLES = frozenset(
    op for op in OPERATORS if op.startswith(("String", "Arn")) or op in ("Bool", "Null")
)
_WILDCARDS = frozenset(
    ("StringLike", "StringNotLike", "ArnEquals", "ArnNotEquals", "ArnLike", "ArnNotLike")
)
_EPOCH = re.compile(r"-?\d+(\.\d+)?")


@dataclass(frozen=True, slots=True)
class Operator:
    """A condition operator as written, split into qualifier, base and `IfExists`."""

    name: str
    base: str
    qualifier: str | None
    if_exists: bool

    @property
    def negated(self) -> bool:
        """True for operators that hold when the request matches none of the values."""
        return self.base in _NEGATED


def parse_operator(name: str) -> Operator | None:
    """The operator named `name`, or None if AWS has no such operator."""
    qualifier = None
    rest = name
    for prefix in ("ForAllValues:", "ForAnyValue:"):
        if rest.startswith(prefix):
            qualifier = prefix[:-1]
            rest = rest[len(prefix) :]
            break
    if_exists = rest.endswith("IfExists") and rest != "IfExists"
    base = rest[: -len("IfExists")] if if_exists else rest
    if base not in OPERATORS or (base == "Null" and if_exists):
        return None
    return Operator(name=name, base=base, qualifier=qualifier, if_exists=if_exists)


@dataclass(frozen=True, slots=True)
class Condition:
    """One operator applied to one context key with its list of policy values."""

    operator: Operator
    key: str
    values: tuple[Template, ...]
    _check: list[ConditionCheck] = field(default_factory=list, compare=False, repr=False)

    @classmethod
    def build(cls, operator_name: str, key: str, raw: Any, *, variables: bool) -> Condition:
        """A condition from its JSON parts (the document was validated before)."""
        operator = parse_operator(operator_name)
        if operator is None:
            raise ValueError(f"unknown condition operator {operator_name!r}")
        items = raw if isinstance(raw, list) else [raw]
        texts = [_as_text(v) for v in items]
        templates = tuple(
            parse_template(
                text,
                variables=variables and operator.base in _VARIABLES,
                wildcards=operator.base in _WILDCARDS,
            )
            for text in texts
        )
        return cls(operator=operator, key=key, values=templates)

    @property
    def key_lower(self) -> str:
        """The key as looked up in a request context."""
        return self.key.lower()

    def holds(self, context: Context) -> bool:
        """Whether the condition is met by the request context."""
        if not self._check:
            self._check.append(compile_condition(self))
        return self._check[0](context)


def _as_text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def compile_condition(condition: Condition) -> ConditionCheck:
    """A closure deciding the condition for a request context."""
    op = condition.operator
    key = condition.key_lower
    if op.base == "Null":
        wants_absent = [t.source.lower() == "true" for t in condition.values]

        def null_check(context: Context) -> bool:
            absent = not context.get(key)
            return any(absent == want for want in wants_absent)

        return null_check

    positive = _NEGATED.get(op.base, op.base)
    negated = op.negated
    static = not any(t.has_variables for t in condition.values)
    fixed_tests = _value_tests(positive, condition.values, None) if static else None

    if op.if_exists or op.qualifier == "ForAllValues":
        absent_result = True
    elif op.qualifier == "ForAnyValue":
        absent_result = False
    else:
        absent_result = negated

    qualifier = op.qualifier
    templates = condition.values
    # How the per-value verdicts combine: every value must pass, or one is enough.
    every = qualifier == "ForAllValues" or (qualifier is None and negated)

    if fixed_tests is not None and qualifier is None:
        return _plain_check(key, fixed_tests, negated, absent_result)

    tests_for = _remembered_tests(positive, templates)

    def check(context: Context) -> bool:
        values = context.get(key)
        if not values:
            return absent_result
        tests = fixed_tests
        if tests is None:
            tests = tests_for(context)
            if tests is None:
                return False
        if every:
            if negated:
                return not any(test(v) for v in values for test in tests)
            return all(any(test(v) for test in tests) for v in values)
        if negated:
            return any(not any(test(v) for test in tests) for v in values)
        return any(test(v) for v in values for test in tests)

    return check


def _plain_check(
    key: str, tests: list[ValueTest], negated: bool, absent_result: bool
) -> ConditionCheck:
    """The common case, no qualifier and no variables, without generator frames: a positive
    operator holds when a value passes a test, a negated one when no value passes any."""
    if len(tests) == 1:
        (test,) = tests

        def check_one(context: Context) -> bool:
            values = context.get(key)
            if not values:
                return absent_result
            for value in values:
                if test(value):
                    return not negated
            return negated

        return check_one

    def check_many(context: Context) -> bool:
        values = context.get(key)
        if not values:
            return absent_result
        for value in values:
            for test in tests:
                if test(value):
                    return not negated
        return negated

    return check_many


def _remembered_tests(
    base: str, templates: Sequence[Template]
) -> Callable[[Context], list[ValueTest] | None]:
    """The tests for values with policy variables, built once per set of variable values."""
    keys = tuple(dict.fromkeys(k.lower() for t in templates for k in t.variable_keys))
    remembered: dict[tuple[tuple[str, ...] | None, ...], list[ValueTest] | None] = {}

    def tests_for(context: Context) -> list[ValueTest] | None:
        values = tuple([context.get(k) for k in keys])
        found = remembered.get(values, _UNSEEN)
        if found is not _UNSEEN:
            return found  # type: ignore[return-value]
        tests = _value_tests(base, templates, context)
        if len(remembered) >= _REMEMBER_LIMIT:
            remembered.clear()
        remembered[values] = tests
        return tests

    return tests_for


_UNSEEN = object()
_REMEMBER_LIMIT = 4096


def _value_tests(
    base: str, templates: Sequence[Template], context: Context | None
) -> list[ValueTest] | None:
    """One test per policy value; None when a policy variable cannot be resolved."""
    tests: list[ValueTest] = []
    for template in templates:
        rendered = (
            template.render(_variable_lookup(context))
            if context is not None
            else (template.render(_no_variables))
        )
        if rendered is None:
            return None
        tests.append(_value_test(base, rendered))
    return tests


def _variable_lookup(context: Context) -> Callable[[str], str | None]:
    def lookup(key: str) -> str | None:
        values = context.get(key.lower())
        if values is None or len(values) != 1:
            return None
        return values[0]

    return lookup


def _no_variables(_: str) -> str | None:
    return None


def _value_test(base: str, rendered: tuple[Literal | Wildcard, ...]) -> ValueTest:
    text = "".join(p.text if isinstance(p, Literal) else p.char for p in rendered)
    if base == "StringEquals":
        return text.__eq__
    if base == "StringEqualsIgnoreCase":
        folded = text.casefold()
        return lambda value: value.casefold() == folded
    if base == "StringLike":
        return glob_matcher(rendered)
    if base.startswith("Numeric"):
        return _ordered_test(base[len("Numeric") :], _number(text), _number)
    if base.startswith("Date"):
        return _ordered_test(base[len("Date") :], _date(text), _date)
    if base == "Bool":
        lowered = text.lower()
        return lambda value: value.lower() == lowered
    if base == "BinaryEquals":
        expected = _binary(text)
        return lambda value: _binary(value) == expected
    if base == "IpAddress":
        return _ip_test(text)
    return _arn_test(rendered)


def _ordered_test(comparison: str, expected: Any, parse: Callable[[str], Any]) -> ValueTest:
    if expected is None:
        return _never
    compare: Callable[[Any, Any], bool] = {
        "Equals": lambda a, b: a == b,
        "LessThan": lambda a, b: a < b,
        "LessThanEquals": lambda a, b: a <= b,
        "GreaterThan": lambda a, b: a > b,
        "GreaterThanEquals": lambda a, b: a >= b,
    }[comparison]

    def test(value: str) -> bool:
        actual = parse(value)
        return actual is not None and compare(actual, expected)

    return test


def _never(_: str) -> bool:
    return False


def _number(text: str) -> Decimal | None:
    try:
        number = Decimal(text.strip())
    except (InvalidOperation, ValueError):
        return None
    return number if number.is_finite() else None


def _date(text: str) -> datetime | None:
    text = text.strip()
    try:
        if _EPOCH.fullmatch(text):
            return datetime.fromtimestamp(float(text), tz=UTC)
        moment = datetime.fromisoformat(text)
    except (ValueError, OverflowError, OSError):
        return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def _binary(text: str) -> bytes | str:
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        return text


def _ip_test(text: str) -> ValueTest:
    try:
        network = ipaddress.ip_network(text.strip(), strict=False)
    except ValueError:
        return _never

    def test(value: str) -> bool:
        address = _ip_address(value)
        return address is not None and address.version == network.version and address in network

    return test


@lru_cache(maxsize=4096)
def _ip_address(text: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(text.strip())
    except ValueError:
        return None


def _arn_test(rendered: tuple[Literal | Wildcard, ...]) -> ValueTest:
    """ARN operators glob each of the six colon-separated components separately."""
    components = _split_components(rendered)
    if components is None:
        return glob_matcher(rendered)
    matchers = [glob_matcher(c) for c in components]

    def test(value: str) -> bool:
        parts = value.split(":", 5)
        if len(parts) != 6:
            return False
        return all(m(p) for m, p in zip(matchers, parts, strict=True))

    return test


def _split_components(
    rendered: tuple[Literal | Wildcard, ...],
) -> list[list[Literal | Wildcard]] | None:
    components: list[list[Literal | Wildcard]] = [[]]
    for part in rendered:
        if isinstance(part, Wildcard):
            components[-1].append(part)
            continue
        pieces = part.text.split(":")
        for i, piece in enumerate(pieces):
            if i > 0:
                if len(components) == 6:
                    components[-1].append(Literal(":"))
                else:
                    components.append([])
            if piece:
                components[-1].append(Literal(piece))
    return components if len(components) == 6 else None
