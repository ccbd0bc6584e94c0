"""Policy documents: the AWS IAM JSON policy grammar, read and validated.

`parse_policy` turns a JSON text into an immutable `Policy`, or raises `PolicyValidationError`
with the message AWS IAM gives for the same document. Kinds:

- ``identity``: attached to a user, group or role, and also permissions boundaries and session
  policies. Version 2012-10-17 required, no Principal.
- ``resource``: attached to a resource; needs Principal or NotPrincipal.
- ``trust``: a role's trust policy; needs a Principal, has no Resource, only STS actions.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from gateway.policy.conditions import Condition, parse_operator
from gateway.policy.errors import PolicySizeError, PolicyValidationError
from gateway.policy.legacy import (
    LEGACY_ERROR,
    LegacyParseError,
    check_condition_values,
    resource_error,
    resource_passes_legacy_parsing,
)
from gateway.policy.variables import Template, parse_template

KINDS = ("identity", "resource", "trust")
VERSIONS = ("2008-10-17", "2012-10-17")
CURRENT_VERSION = "2012-10-17"

SYNTAX_ERROR = "Syntax errors in policy."
VERSION_ERROR = "Policy document must be version 2012-10-17 or greater."
SID_UNIQUE_ERROR = "Statement IDs (SID) in a single policy must be unique."
SID_FORMAT_ERROR = (
    "Statement IDs (SID) must be alpha-numeric. "
    "Check that your input satisfies the regular expression [0-9A-Za-z]*"
)
NO_ACTIONS_ERROR = "Policy statement must contain actions."
NO_RESOURCES_ERROR = "Policy statement must contain resources."
VENDOR_ERROR = "Actions/Conditions must be prefaced by a vendor, e.g., iam, sdb, ec2, etc."
ONE_COLON_ERROR = "Actions/Condition can contain only one colon."
PRINCIPAL_IN_IDENTITY_ERROR = "Policy document should not specify a principal."
TRUST_ACTION_ERROR = (
    "Trust Policy statement actions can only be sts:AssumeRole, "
    "sts:AssumeRoleWithSAML,  and sts:AssumeRoleWithWebIdentity"
)

TOP_LEVEL_ELEMENTS = ("Version", "Id", "Statement")
"""The elements a policy document may have."""
STATEMENT_ELEMENTS = {
    "identity": ("Sid", "Effect", "Action", "NotAction", "Resource", "NotResource", "Condition"),
    "resource": (
        "Sid",
        "Effect",
        "Principal",
        "NotPrincipal",
        "Action",
        "NotAction",
        "Resource",
        "NotResource",
        "Condition",
    ),
    "trust": ("Sid", "Effect", "Principal", "NotPrincipal", "Action", "NotAction", "Condition"),
}
"""The elements a statement may have, by the kind of policy it is in."""
_PRINCIPAL_TYPES = ("AWS", "Service", "Federated", "CanonicalUser")
_TRUST_ACTIONS = frozenset(
    a.lower()
    for a in (
        "sts:AssumeRole",
        "sts:AssumeRoleWithSAML",
        "sts:AssumeRoleWithWebIdentity",
        "sts:SetSourceIdentity",
        "sts:TagSession",
        "sts:SetContext",
    )
)
_SID = re.compile(r"[0-9A-Za-z]*")
_VENDOR = re.compile(r"[a-zA-Z0-9\-.]+")
_ACCOUNT_ID = re.compile(r"\d{12}")
_WHITESPACE = re.compile(r"\s")


@dataclass(frozen=True, slots=True)
class PrincipalSet:
    """A statement's Principal or NotPrincipal: `*`, or typed values (`AWS` ARNs, `Service`…).

    `AWS` account ids are normalised to the account's root ARN, as AWS does.
    """

    anyone: bool
    values: frozenset[tuple[str, str]]


@dataclass(frozen=True, slots=True)
class Statement:
    """One statement of a policy; `index` is its position (0-based) in the document."""

    index: int
    sid: str | None
    effect: str
    actions: tuple[str, ...]
    not_action: bool
    resources: tuple[Template, ...] | None
    not_resource: bool
    principals: PrincipalSet | None
    not_principal: bool
    conditions: tuple[Condition, ...]

    @property
    def is_deny(self) -> bool:
        """True for `"Effect": "Deny"`."""
        return self.effect == "Deny"

    @property
    def condition_keys(self) -> tuple[str, ...]:
        """The context keys the statement's conditions look at, in document order."""
        return tuple(dict.fromkeys(c.key for c in self.conditions))


@dataclass(frozen=True, slots=True)
class Policy:
    """A validated policy document.

    `name` labels it in decisions (an ARN or inline policy name); it defaults to the
    document's `Id`.
    """

    kind: str
    version: str
    id: str | None
    name: str | None
    statements: tuple[Statement, ...]
    text: str
    document: Mapping[str, Any] = field(compare=False, repr=False)
    # The compiled form, built on first use by gateway.policy.compiled; a Policy never changes.
    compiled_cache: list[Any] = field(default_factory=list, compare=False, repr=False)

    @property
    def label(self) -> str | None:
        """How decisions name this policy."""
        return self.name if self.name is not None else self.id

    @property
    def variables_enabled(self) -> bool:
        """Policy variables are read only under version 2012-10-17."""
        return self.version == CURRENT_VERSION


def policy_size(text: str) -> int:
    """The size AWS counts against policy quotas: characters other than whitespace."""
    return len(text) - len(_WHITESPACE.findall(text))


def parse_policy(
    text: str, kind: str = "identity", *, name: str | None = None, max_size: int | None = None
) -> Policy:
    """Read and validate a policy document of the given kind.

    Raises `PolicyValidationError` (AWS's message) for an invalid document and
    `PolicySizeError` when `max_size` is given and the document exceeds it.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown policy kind {kind!r}; expected one of {', '.join(KINDS)}")
    if max_size is not None:
        size = policy_size(text)
        if size > max_size:
            raise PolicySizeError(
                f"Cannot exceed quota for PolicySize: {max_size}", size=size, limit=max_size
            )
    document = _load_json(text)
    return _Reader(kind, document, text, name).read()


def _load_json(text: str) -> dict[str, Any]:
    """The JSON document, read strictly: what is stored is exactly what is enforced.

    A key repeated in one object (`"Effect": "Deny", "Effect": "Allow"`) is refused rather
    than letting the last one silently win, and so are numbers no finite float can hold
    (`1e999999`), which would be served back as the non-JSON `Infinity`.
    """
    try:
        document = json.loads(
            text,
            parse_constant=_reject_constant,
            parse_float=_finite_float,
            object_pairs_hook=_unique_keys,
        )
    except (ValueError, RecursionError) as error:
        raise PolicyValidationError(SYNTAX_ERROR) from error
    if not isinstance(document, dict):
        raise PolicyValidationError(SYNTAX_ERROR)
    return document


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise ValueError("number out of range")
    return number


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    document = dict(pairs)
    if len(document) != len(pairs):
        raise ValueError("duplicate key")
    return document


class _Reader:
    """Validates one document in AWS's order of checks and builds the `Policy`."""

    def __init__(self, kind: str, document: dict[str, Any], text: str, name: str | None):
        self.kind = kind
        self.document = document
        self.text = text
        self.name = name

    def read(self) -> Policy:
        raw_statements = self._check_syntax()
        version = self.document.get("Version", "2008-10-17")
        if self.kind == "identity" and version != CURRENT_VERSION:
            raise PolicyValidationError(VERSION_ERROR)
        self._check_legacy(raw_statements)
        refused = _refused_resource(raw_statements)
        self._check_sids(raw_statements)
        self._check_required_elements(raw_statements, refused)
        variables = version == CURRENT_VERSION
        statements = tuple(
            self._statement(i, raw, variables) for i, raw in enumerate(raw_statements)
        )
        return Policy(
            kind=self.kind,
            version=version,
            id=self.document.get("Id"),
            name=self.name,
            statements=statements,
            text=self.text,
            document=self.document,
        )

    # -- grammar ---------------------------------------------------------------------------

    def _unknown(self, element: str) -> PolicyValidationError:
        if self.kind == "resource":
            return PolicyValidationError(f"Unknown field {element}")
        return PolicyValidationError(SYNTAX_ERROR)

    def _check_syntax(self) -> list[dict[str, Any]]:
        for key in self.document:
            if key not in TOP_LEVEL_ELEMENTS:
                raise self._unknown(key)
        version = self.document.get("Version")
        if "Version" in self.document and version not in VERSIONS:
            raise PolicyValidationError(SYNTAX_ERROR)
        if "Id" in self.document and not isinstance(self.document["Id"], str):
            raise PolicyValidationError(SYNTAX_ERROR)
        if "Statement" not in self.document:
            if self.kind == "resource":
                raise PolicyValidationError("Missing required field Statement")
            raise PolicyValidationError(SYNTAX_ERROR)
        raw = self.document["Statement"]
        statements = [raw] if isinstance(raw, dict) else raw
        if not isinstance(statements, list) or not statements:
            raise PolicyValidationError(SYNTAX_ERROR)
        for statement in statements:
            self._check_statement_syntax(statement)
        return statements

    def _check_statement_syntax(self, statement: Any) -> None:
        if not isinstance(statement, dict):
            raise PolicyValidationError(SYNTAX_ERROR)
        allowed = STATEMENT_ELEMENTS[self.kind]
        for element in statement:
            if element in allowed:
                continue
            if element in ("Principal", "NotPrincipal"):
                raise PolicyValidationError(PRINCIPAL_IN_IDENTITY_ERROR)
            if self.kind == "trust" and element in ("Resource", "NotResource"):
                raise PolicyValidationError(f"Has prohibited field {element}")
            raise self._unknown(element)
        for a, b in (
            ("Action", "NotAction"),
            ("Resource", "NotResource"),
            ("Principal", "NotPrincipal"),
        ):
            if a in statement and b in statement:
                raise PolicyValidationError(SYNTAX_ERROR)
        if not isinstance(statement.get("Effect"), str):
            raise PolicyValidationError(SYNTAX_ERROR)
        if statement["Effect"].lower() not in ("allow", "deny"):
            raise PolicyValidationError(SYNTAX_ERROR)
        if "Sid" in statement and not isinstance(statement["Sid"], str):
            raise PolicyValidationError(SYNTAX_ERROR)
        for element in ("Action", "NotAction", "Resource", "NotResource"):
            if element in statement and not _is_string_or_strings(statement[element]):
                raise PolicyValidationError(SYNTAX_ERROR)
        for element in ("Principal", "NotPrincipal"):
            if element in statement:
                _check_principal_syntax(statement[element])
        if "Condition" in statement:
            _check_condition_syntax(statement["Condition"])

    # -- semantic checks, in AWS's order ------------------------------------------------------

    def _check_sids(self, statements: list[dict[str, Any]]) -> None:
        seen: set[str] = set()
        for statement in statements:
            sid = statement.get("Sid")
            if not sid:
                continue
            if sid in seen:
                raise PolicyValidationError(SID_UNIQUE_ERROR)
            seen.add(sid)
        if self.kind == "identity":
            for statement in statements:
                if "Sid" in statement and not _SID.fullmatch(statement["Sid"]):
                    raise PolicyValidationError(SID_FORMAT_ERROR)

    def _check_legacy(self, statements: list[dict[str, Any]]) -> None:
        """AWS's legacy parsing: Effect spelled exactly, Date and Numeric values readable."""
        for raw in statements:
            if raw["Effect"] not in ("Allow", "Deny"):
                raise PolicyValidationError(LEGACY_ERROR)
            for operator, block in raw.get("Condition", {}).items():
                parsed = parse_operator(operator)
                if parsed is None:
                    continue  # an unknown operator is allowed only with an empty block
                try:
                    for values in block.values():
                        check_condition_values(parsed.base, values)
                except LegacyParseError as error:
                    raise PolicyValidationError(LEGACY_ERROR) from error

    def _check_required_elements(
        self, statements: list[dict[str, Any]], refused: str | None
    ) -> None:
        """Actions, then a refused Resource, then vendors, then Resource and Principal
        present: the order in which AWS reports them (moto's validator follows it)."""
        for statement in statements:
            element = "Action" if "Action" in statement else "NotAction"
            if element not in statement or statement[element] == []:
                raise PolicyValidationError(NO_ACTIONS_ERROR)
        if refused is not None:
            raise PolicyValidationError(refused)
        for statement in statements:
            for element in ("Action", "NotAction"):
                for action in _as_list(statement.get(element, [])):
                    _check_vendor(action)
        if self.kind != "trust":
            for statement in statements:
                element = "Resource" if "Resource" in statement else "NotResource"
                if element not in statement or statement[element] == []:
                    raise PolicyValidationError(NO_RESOURCES_ERROR)
        if self.kind != "identity":
            for statement in statements:
                if "Principal" not in statement and "NotPrincipal" not in statement:
                    raise PolicyValidationError("Missing required field Principal")
        if self.kind == "trust":
            for statement in statements:
                for action in _as_list(statement.get("Action", [])):
                    if action.lower() not in _TRUST_ACTIONS and action != "*":
                        raise PolicyValidationError(TRUST_ACTION_ERROR)

    # -- building ----------------------------------------------------------------------------

    def _statement(self, index: int, raw: dict[str, Any], variables: bool) -> Statement:
        not_action = "NotAction" in raw
        actions = tuple(_as_list(raw["NotAction" if not_action else "Action"]))
        not_resource = "NotResource" in raw
        resources: tuple[Template, ...] | None = None
        if "Resource" in raw or not_resource:
            resources = tuple(
                parse_template(r, variables=variables, wildcards=True)
                for r in _as_list(raw["NotResource" if not_resource else "Resource"])
            )
        not_principal = "NotPrincipal" in raw
        principals = None
        if "Principal" in raw or not_principal:
            principals = _principal_set(raw["NotPrincipal" if not_principal else "Principal"])
        conditions = tuple(
            Condition.build(operator, key, values, variables=variables)
            for operator, block in raw.get("Condition", {}).items()
            for key, values in block.items()
        )
        return Statement(
            index=index,
            sid=raw.get("Sid") or None,
            effect=raw["Effect"],
            actions=actions,
            not_action=not_action,
            resources=resources,
            not_resource=not_resource,
            principals=principals,
            not_principal=not_principal,
            conditions=conditions,
        )


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _is_string_or_strings(value: Any) -> bool:
    if isinstance(value, str):
        return True
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _check_condition_syntax(condition: Any) -> None:
    if not isinstance(condition, dict):
        raise PolicyValidationError(SYNTAX_ERROR)
    for operator, block in condition.items():
        if not isinstance(block, dict):
            raise PolicyValidationError(SYNTAX_ERROR)
        for values in block.values():
            items = values if isinstance(values, list) else [values]
            if not all(_is_condition_scalar(v) for v in items):
                raise PolicyValidationError(SYNTAX_ERROR)
        if parse_operator(operator) is None and block:
            raise PolicyValidationError(SYNTAX_ERROR)


def _is_condition_scalar(value: Any) -> bool:
    return isinstance(value, str | bool | int | float)


def _check_principal_syntax(principal: Any) -> None:
    if principal == "*":
        return
    if not isinstance(principal, dict) or not principal:
        raise PolicyValidationError(SYNTAX_ERROR)
    for kind, values in principal.items():
        if kind not in _PRINCIPAL_TYPES or not _is_string_or_strings(values):
            raise PolicyValidationError(SYNTAX_ERROR)
        if kind == "AWS":
            for value in _as_list(values):
                if not _is_aws_principal(value):
                    raise PolicyValidationError(f'Invalid principal in policy: "AWS":"{value}"')


def _is_aws_principal(value: str) -> bool:
    return value == "*" or bool(_ACCOUNT_ID.fullmatch(value)) or value.startswith("arn:")


def _principal_set(principal: Any) -> PrincipalSet:
    if principal == "*":
        return PrincipalSet(anyone=True, values=frozenset())
    values: set[tuple[str, str]] = set()
    anyone = False
    for kind, raw in principal.items():
        for value in _as_list(raw):
            if kind == "AWS" and value == "*":
                anyone = True
            elif kind == "AWS" and _ACCOUNT_ID.fullmatch(value):
                values.add((kind, f"arn:aws:iam::{value}:root"))
            else:
                values.add((kind, value))
    return PrincipalSet(anyone=anyone, values=frozenset(values))


def _check_vendor(action: str) -> None:
    if action == "*":
        return
    parts = action.split(":")
    if len(parts) == 1:
        raise PolicyValidationError(VENDOR_ERROR)
    if len(parts) > 2:
        raise PolicyValidationError(ONE_COLON_ERROR)
    if not _VENDOR.fullmatch(parts[0]):
        raise PolicyValidationError(f"Vendor {parts[0]} is not valid")


def _refused_resource(statements: list[dict[str, Any]]) -> str | None:
    """AWS's message for the Resource it refuses, or None; raises LEGACY_ERROR for a
    Resource its legacy parser cannot read.

    As AWS does: each statement's entries are examined in reverse sorted order and the last
    refusal found is the one reported; the legacy parse of a statement's entries happens
    only while no entry has been refused.
    """
    refused: str | None = None
    for statement in statements:
        for element in ("Resource", "NotResource"):
            if element not in statement:
                continue
            value = statement[element]
            # A lone string is checked even when empty; empty entries of a list are skipped.
            entries = [value] if isinstance(value, str) else [r for r in value if r]
            for resource in sorted(entries, reverse=True):
                refused = resource_error(resource) or refused
            if refused is None and not all(resource_passes_legacy_parsing(r) for r in entries):
                raise PolicyValidationError(LEGACY_ERROR)
    return refused
