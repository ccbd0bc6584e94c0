"""Policy checks in IAM Access Analyzer's shape: `check_policy(text, policy_type)`.

AWS's ValidatePolicy answers a list of findings, each with a finding type (ERROR,
SECURITY_WARNING, WARNING, SUGGESTION), an issue code, a message (`details`) and locations: a
path through the JSON (`{"value": "Statement"}, {"index": 0}, {"value": "Action"}`) and the
matching span of the text. This module runs the checks listed in `ISSUES`, with AWS's codes
and messages (IAM User Guide, "IAM policy validation check reference"), and then the
engine's own parser (`parse_policy`): a document the gateway would refuse always has at least
one ERROR, the engine's message under `MALFORMED_POLICY_DOCUMENT` (the gateway's code, used
only when no AWS check already explains the refusal).

Pure and synchronous, like the rest of `gateway.policy`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from gateway.policy.conditions import parse_operator
from gateway.policy.document import STATEMENT_ELEMENTS, TOP_LEVEL_ELEMENTS, parse_policy
from gateway.policy.errors import PolicyValidationError
from gateway.policy.locations import JsonSyntaxError, Node, Position, Span, locate
from gateway.policy.matching import glob_text_matcher

ERROR = "ERROR"
SECURITY_WARNING = "SECURITY_WARNING"
WARNING = "WARNING"
SUGGESTION = "SUGGESTION"

IDENTITY_POLICY = "IDENTITY_POLICY"
RESOURCE_POLICY = "RESOURCE_POLICY"
POLICY_TYPES = (IDENTITY_POLICY, RESOURCE_POLICY)
ROLE_TRUST_POLICY = "AWS::IAM::AssumeRolePolicyDocument"
"""The `validatePolicyResourceType` that makes a RESOURCE_POLICY a role trust policy."""

CHECKS_PAGE = (
    "https://docs.aws.amazon.com/IAM/latest/UserGuide/access-analyzer-reference-policy-checks.html"
)
GRAMMAR_PAGE = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_grammar.html"
ENGINE_ISSUE = "MALFORMED_POLICY_DOCUMENT"

VERSIONS = ("2012-10-17", "2008-10-17")
MAX_COMPARISONS = 100_000
"""Value-against-pattern comparisons one Action or Resource element may cost (redundancy)."""

ISSUES: dict[str, tuple[str, str]] = {
    "JSON_SYNTAX_ERROR": (
        ERROR,
        "Fix the JSON syntax error at index {index} line {line} column {column}.",
    ),
    "DATA_TYPE_MISMATCH": (ERROR, "The text does not match the expected JSON data type {type}."),
    "INVALID_POLICY_ELEMENT": (ERROR, "The policy element {element} is not valid."),
    "MISSING_STATEMENT": (ERROR, "Add a statement to the policy"),
    "INVALID_VERSION": (
        ERROR,
        "The version {version} is not valid. Use one of the following versions: {versions}",
    ),
    "MISSING_EFFECT": (
        ERROR,
        "Add an Effect element to the policy statement with a value of Allow or Deny.",
    ),
    "INVALID_EFFECT": (ERROR, "The effect {effect} is not valid. Use Allow or Deny."),
    "MISSING_ACTION": (ERROR, "Add an Action or NotAction element to the policy statement."),
    "MISSING_RESOURCE": (ERROR, "Add a Resource or NotResource element to the policy statement."),
    "MISSING_PRINCIPAL": (ERROR, "Add a Principal element to the policy statement."),
    "UNSUPPORTED_PRINCIPAL": (
        ERROR,
        "The policy type {policy_type} does not support the Principal element. Remove the "
        "Principal element.",
    ),
    "UNSUPPORTED_ELEMENT_COMBINATION": (
        ERROR,
        "The policy elements {first} and {second} can not be used in the same statement. "
        "Remove one of these elements.",
    ),
    "UNIQUE_SIDS_REQUIRED": (
        ERROR,
        "Duplicate statement IDs are not supported for this policy type. Update the Sid value.",
    ),
    "UNSUPPORTED_SID": (
        ERROR,
        "Update the characters in the Sid element to use one of the following character "
        "types: [a-z, A-Z, 0-9]",
    ),
    "INVALID_CONDITION_OPERATOR": (
        ERROR,
        "The condition operator {operator} is not valid. Use a valid condition operator.",
    ),
    "INVALID_ARN_PREFIX": (ERROR, "Add the required prefix (arn) to the resource ARN."),
    "MISSING_ARN_FIELD": (
        ERROR,
        "Resource ARNs must include at least 6 fields in the following structure: "
        "arn:partition:service:region:account:resource",
    ),
    "ARN_REGION_NOT_ALLOWED": (
        ERROR,
        "The service {service} does not support specifying a Region in the resource ARN.",
    ),
    ENGINE_ISSUE: (ERROR, "{message}"),
    "ALLOW_WITH_NOT_PRINCIPAL": (
        SECURITY_WARNING,
        "Using Allow with NotPrincipal can be overly permissive. We recommend that you use "
        "Principal instead.",
    ),
    "PASS_ROLE_WITH_STAR_IN_RESOURCE": (
        SECURITY_WARNING,
        "Using the iam:PassRole action with wildcards (*) in the resource can be overly "
        "permissive because it allows iam:PassRole permissions on multiple resources. We "
        "recommend that you specify resource ARNs or add the iam:PassedToService condition key "
        "to your statement.",
    ),
    "PASS_ROLE_WITH_STAR_IN_ACTION_AND_RESOURCE": (
        SECURITY_WARNING,
        "Using wildcards (*) in the action and the resource can be overly permissive because "
        "it allows iam:PassRole permissions on all resources. We recommend that you specify "
        "resource ARNs or add the iam:PassedToService condition key to your statement.",
    ),
    "PASS_ROLE_WITH_NOT_RESOURCE": (
        SECURITY_WARNING,
        "Using the iam:PassRole action with NotResource can be overly permissive because it can "
        "allow iam:PassRole permissions on multiple resources. We recommend that you specify "
        "resource ARNs instead.",
    ),
    "PASS_ROLE_WITH_STAR_IN_ACTION_AND_NOT_RESOURCE": (
        SECURITY_WARNING,
        "Using an action with a wildcard (*) and NotResource can be overly permissive because "
        "it can allow iam:PassRole permissions on multiple resources. We recommend that you "
        "specify resource ARNs instead.",
    ),
    "PASS_ROLE_WITH_NOT_ACTION_AND_NOT_RESOURCE": (
        SECURITY_WARNING,
        "Using NotAction with NotResource can be overly permissive because it can allow "
        "iam:PassRole permissions on multiple resources.. We recommend that you specify "
        "resource ARNs instead.",
    ),
    "PASS_ROLE_WITH_STAR_IN_RESOURCE_AND_NOT_ACTION": (
        SECURITY_WARNING,
        "Using a resource with wildcards (*) and NotAction can be overly permissive because it "
        "allows iam:PassRole permissions on all resources. We recommend that you specify "
        "resource ARNs or add the iam:PassedToService condition key to your statement.",
    ),
    "MISSING_VERSION": (
        WARNING,
        "We recommend that you specify the Version element to help you with debugging "
        "permission issues.",
    ),
    "WILDCARD_WITHOUT_LIKE_OPERATOR": (
        WARNING,
        "Your condition value includes a * or ? character. If you meant to use a wildcard (*, "
        "?), update the condition operator to include Like.",
    ),
    "EMPTY_ARRAY_ACTION": (
        SUGGESTION,
        "This statement includes no actions and does not affect the policy. Specify actions.",
    ),
    "EMPTY_ARRAY_RESOURCE": (
        SUGGESTION,
        "This statement includes no resources and does not affect the policy. Specify resources.",
    ),
    "EMPTY_OBJECT_CONDITION": (
        SUGGESTION,
        "This condition block is empty and it does not affect the policy. Specify conditions.",
    ),
    "EMPTY_SID_VALUE": (SUGGESTION, "Add a value to the empty string in the Sid element."),
    "REDUNDANT_ACTION": (
        SUGGESTION,
        "The {count} action(s) are redundant because they provide similar permissions. Update "
        "the policy to remove the redundant action such as: {action}.",
    ),
    "REDUNDANT_RESOURCE": (
        SUGGESTION,
        "The {count} resource ARN(s) are redundant because they reference the same resource. "
        "Review the use of wildcards (*)",
    ),
    "REDUNDANT_STATEMENT": (
        SUGGESTION,
        "The statements are redundant because they provide identical permissions. Update the "
        "policy to remove the redundant statement.",
    ),
    "WILDCARD_IN_SERVICE_NAME": (
        SUGGESTION,
        "Avoid using wildcards (*, ?) in the service name because it might grant unintended "
        "access to other AWS services with similar names.",
    ),
}
"""Every issue this module reports: finding type and AWS's message (placeholders in braces)."""

_CATEGORY = {
    ERROR: "error",
    SECURITY_WARNING: "security-warning",
    WARNING: "general-warning",
    SUGGESTION: "suggestion",
}
_SID = re.compile(r"[0-9A-Za-z]*")
_EXACT_OPERATORS = ("stringequals", "stringnotequals", "arnequals", "arnnotequals")
_PASS_ROLE = "iam:passrole"
_PASSED_TO_SERVICE = "iam:passedtoservice"

PathElement = tuple[str, str | int]
"""One step of a location's path: ("value", "Statement"), ("index", 0) or ("key", "Foo")."""


@dataclass(frozen=True, slots=True)
class Location:
    """Where a finding points: a path through the JSON and its span in the text."""

    path: tuple[PathElement, ...]
    span: Span


@dataclass(frozen=True, slots=True)
class PolicyFinding:
    """One ValidatePolicy finding."""

    finding_type: str
    issue_code: str
    details: str
    learn_more_link: str
    locations: tuple[Location, ...]


def policy_kind(policy_type: str, resource_type: str | None = None) -> str:
    """The engine's policy kind for an Access Analyzer policy type (ValueError if unknown)."""
    if policy_type == IDENTITY_POLICY:
        return "identity"
    if policy_type == RESOURCE_POLICY:
        return "trust" if resource_type == ROLE_TRUST_POLICY else "resource"
    raise ValueError(f"unsupported policy type {policy_type!r}")


def check_policy(
    text: str, policy_type: str, resource_type: str | None = None
) -> list[PolicyFinding]:
    """Every finding for the document, errors first, then in document order."""
    kind = policy_kind(policy_type, resource_type)
    checker = _Checker(text, kind, policy_type)
    checker.run()
    order = {ERROR: 0, SECURITY_WARNING: 1, WARNING: 2, SUGGESTION: 3}
    return sorted(
        checker.findings,
        key=lambda f: (
            order[f.finding_type],
            f.locations[0].span.start.offset if f.locations else 0,
        ),
    )


def finding(code: str, locations: list[Location], **values: Any) -> PolicyFinding:
    """A finding of issue `code` with AWS's message filled from `values`."""
    finding_type, template = ISSUES[code]
    link = GRAMMAR_PAGE if code == ENGINE_ISSUE else f"{CHECKS_PAGE}#{_anchor(finding_type, code)}"
    return PolicyFinding(
        finding_type=finding_type,
        issue_code=code,
        details=template.format(**values),
        learn_more_link=link,
        locations=tuple(locations),
    )


def _anchor(finding_type: str, code: str) -> str:
    slug = code.lower().replace("_", "-")
    return f"access-analyzer-reference-policy-checks-{_CATEGORY[finding_type]}-{slug}"


@dataclass(slots=True)
class _Checker:
    text: str
    kind: str
    policy_type: str
    findings: list[PolicyFinding] = field(default_factory=list)

    def add(self, code: str, *locations: Location, **values: Any) -> None:
        self.findings.append(finding(code, list(locations), **values))

    def run(self) -> None:
        try:
            root = locate(self.text)
        except JsonSyntaxError as error:
            at = error.position
            self.add(
                "JSON_SYNTAX_ERROR",
                Location((), Span(at, at)),
                index=at.offset,
                line=at.line,
                column=at.column,
            )
            return
        if not isinstance(root.value, dict):
            self.add("DATA_TYPE_MISMATCH", Location((), root.span), type="Object")
            return
        self.document(root)
        if not any(f.finding_type == ERROR for f in self.findings):
            self.engine(root)

    # -- the document ------------------------------------------------------------------------

    def document(self, root: Node) -> None:
        for key, (key_span, _) in root.members.items():
            if key not in TOP_LEVEL_ELEMENTS:
                self.add("INVALID_POLICY_ELEMENT", Location((("key", key),), key_span), element=key)
        version = root.member("Version")
        if version is None:
            start = root.span.start
            self.add("MISSING_VERSION", Location((), Span(start, _next(start))))
        elif not isinstance(version.value, str):
            self.add(
                "DATA_TYPE_MISMATCH", Location((("value", "Version"),), version.span), type="String"
            )
        elif version.value not in VERSIONS:
            self.add(
                "INVALID_VERSION",
                Location((("value", "Version"),), version.span),
                version=version.value,
                versions=", ".join(VERSIONS),
            )
        statement = root.member("Statement")
        if statement is None:
            self.add("MISSING_STATEMENT", Location((), root.span))
            return
        base: tuple[PathElement, ...] = (("value", "Statement"),)
        if isinstance(statement.value, dict):
            statements = [(base, statement)]
        elif isinstance(statement.value, list):
            statements = [((*base, ("index", i)), node) for i, node in enumerate(statement.items)]
            if not statements:
                self.add("MISSING_STATEMENT", Location(base, statement.span))
        else:
            self.add("DATA_TYPE_MISMATCH", Location(base, statement.span), type="Object")
            return
        seen_sids: dict[str, int] = {}
        seen_bodies: set[str] = set()
        for path, node in statements:
            if not isinstance(node.value, dict):
                self.add("DATA_TYPE_MISMATCH", Location(path, node.span), type="Object")
                continue
            self.statement(path, node)
            self.sid(path, node, seen_sids)
            body = json.dumps({k: v for k, v in node.value.items() if k != "Sid"}, sort_keys=True)
            if body in seen_bodies:
                self.add("REDUNDANT_STATEMENT", Location(path, node.span))
            seen_bodies.add(body)

    def sid(self, path: tuple[PathElement, ...], node: Node, seen: dict[str, int]) -> None:
        sid = node.member("Sid")
        if sid is None:
            return
        where = Location((*path, ("value", "Sid")), sid.span)
        if not isinstance(sid.value, str):
            self.add("DATA_TYPE_MISMATCH", where, type="String")
            return
        if sid.value == "":
            self.add("EMPTY_SID_VALUE", where)
            return
        if self.kind == "identity" and not _SID.fullmatch(sid.value):
            self.add("UNSUPPORTED_SID", where)
        if sid.value in seen:
            # AWS only warns about resource policies (UNIQUE_SIDS_RECOMMENDED); the gateway's
            # engine refuses duplicates in every kind of policy, so it is an error here.
            self.add("UNIQUE_SIDS_REQUIRED", where)
        seen[sid.value] = seen.get(sid.value, 0) + 1

    # -- one statement -----------------------------------------------------------------------

    def statement(self, path: tuple[PathElement, ...], node: Node) -> None:
        allowed = STATEMENT_ELEMENTS[self.kind]
        for key, (key_span, _) in node.members.items():
            where = Location((*path, ("key", key)), key_span)
            if key in allowed:
                continue
            if key in ("Principal", "NotPrincipal") and self.kind == "identity":
                self.add("UNSUPPORTED_PRINCIPAL", where, policy_type=self.policy_type)
            else:
                self.add("INVALID_POLICY_ELEMENT", where, element=key)
        effect = node.member("Effect")
        if effect is None:
            self.add("MISSING_EFFECT", Location(path, node.span))
        elif not isinstance(effect.value, str):
            self.add(
                "DATA_TYPE_MISMATCH",
                Location((*path, ("value", "Effect")), effect.span),
                type="String",
            )
        elif effect.value not in ("Allow", "Deny"):
            self.add(
                "INVALID_EFFECT",
                Location((*path, ("value", "Effect")), effect.span),
                effect=effect.value,
            )
        for first, second in (
            ("Action", "NotAction"),
            ("Resource", "NotResource"),
            ("Principal", "NotPrincipal"),
        ):
            if first in node.members and second in node.members:
                self.add(
                    "UNSUPPORTED_ELEMENT_COMBINATION",
                    Location((*path, ("key", second)), node.members[second][0]),
                    first=first,
                    second=second,
                )
        actions = self.strings(
            path, node, ("Action", "NotAction"), "MISSING_ACTION", "EMPTY_ARRAY_ACTION"
        )
        resources: list[tuple[Location, str]] | None = None
        if self.kind != "trust":
            resources = self.strings(
                path, node, ("Resource", "NotResource"), "MISSING_RESOURCE", "EMPTY_ARRAY_RESOURCE"
            )
        if self.kind != "identity" and not ({"Principal", "NotPrincipal"} & node.members.keys()):
            self.add("MISSING_PRINCIPAL", Location(path, node.span))
        allow = effect is not None and effect.value == "Allow"
        if allow and "NotPrincipal" in node.members and self.kind != "identity":
            self.add(
                "ALLOW_WITH_NOT_PRINCIPAL",
                Location((*path, ("value", "NotPrincipal")), node.members["NotPrincipal"][1].span),
            )
        for where, action in actions:
            service, _, _ = action.partition(":")
            if action != "*" and any(c in service for c in "*?"):
                self.add("WILDCARD_IN_SERVICE_NAME", where)
        self.redundant(actions, "REDUNDANT_ACTION", ignore_case=True)
        if resources is not None:
            for where, resource in resources:
                self.resource(where, resource)
            self.redundant(resources, "REDUNDANT_RESOURCE", ignore_case=False)
        condition_keys = self.condition(path, node)
        if allow and self.kind == "identity" and resources is not None:
            self.pass_role(node, actions, resources, condition_keys)

    def strings(
        self,
        path: tuple[PathElement, ...],
        node: Node,
        elements: tuple[str, str],
        missing: str,
        empty: str,
    ) -> list[tuple[Location, str]]:
        """The statement's values of Action/NotAction (or Resource/NotResource), located."""
        name = next((e for e in elements if e in node.members), None)
        if name is None:
            self.add(missing, Location(path, node.span))
            return []
        value = node.members[name][1]
        base = (*path, ("value", name))
        if isinstance(value.value, str):
            return [(Location(base, value.span), value.value)]
        if not isinstance(value.value, list):
            self.add("DATA_TYPE_MISMATCH", Location(base, value.span), type="Array")
            return []
        if not value.items:
            self.add(empty, Location(base, value.span))
            return []
        located = []
        for i, item in enumerate(value.items):
            where = Location((*base, ("index", i)), item.span)
            if isinstance(item.value, str):
                located.append((where, item.value))
            else:
                self.add("DATA_TYPE_MISMATCH", where, type="String")
        return located

    def resource(self, where: Location, resource: str) -> None:
        if resource == "*":
            return
        if not resource.startswith("arn:"):
            self.add("INVALID_ARN_PREFIX", where)
            return
        parts = resource.split(":", 5)
        if len(parts) < 6:
            self.add("MISSING_ARN_FIELD", where)
            return
        service, region = parts[2], parts[3]
        if any(c in service for c in "*?"):
            self.add("WILDCARD_IN_SERVICE_NAME", where)
        elif service == "iam" and region not in ("", "*"):
            self.add("ARN_REGION_NOT_ALLOWED", where, service=service)

    def redundant(
        self, values: list[tuple[Location, str]], code: str, *, ignore_case: bool
    ) -> None:
        """Values that another value of the same element already covers: a repeat (the later
        one), or a value that a different wildcard pattern matches. An element too long to
        compare every value with every pattern (MAX_COMPARISONS) is only checked for repeats."""
        fold = str.lower if ignore_case else str
        patterns = list(dict.fromkeys(fold(v) for _, v in values if "*" in v or "?" in v))
        compare = len(values) * len(patterns) <= MAX_COMPARISONS
        redundant: list[tuple[Location, str]] = []
        seen: set[str] = set()
        for where, value in values:
            key = fold(value)
            repeated = key in seen
            seen.add(key)
            if repeated or (
                compare and any(p != key and _glob(p, key, ignore_case) for p in patterns)
            ):
                redundant.append((where, value))
        if redundant:
            self.add(
                code,
                *(where for where, _ in redundant),
                count=len(redundant),
                action=redundant[0][1],
            )

    def condition(self, path: tuple[PathElement, ...], node: Node) -> set[str]:
        """Check the Condition block; the condition keys it uses, in lower case."""
        condition = node.member("Condition")
        keys: set[str] = set()
        if condition is None:
            return keys
        base = (*path, ("value", "Condition"))
        if not isinstance(condition.value, dict):
            self.add("DATA_TYPE_MISMATCH", Location(base, condition.span), type="Object")
            return keys
        if not condition.members:
            self.add("EMPTY_OBJECT_CONDITION", Location(base, condition.span))
        for operator, (operator_span, block) in condition.members.items():
            if parse_operator(operator) is None:
                self.add(
                    "INVALID_CONDITION_OPERATOR",
                    Location((*base, ("key", operator)), operator_span),
                    operator=operator,
                )
                continue
            if not isinstance(block.value, dict):
                self.add(
                    "DATA_TYPE_MISMATCH",
                    Location((*base, ("value", operator)), block.span),
                    type="Object",
                )
                continue
            exact = _base_operator(operator) in _EXACT_OPERATORS
            for key, (_, values) in block.members.items():
                keys.add(key.lower())
                if not exact:
                    continue
                for where, value in _scalars((*base, ("value", operator), ("value", key)), values):
                    if isinstance(value, str) and any(c in value for c in "*?"):
                        self.add("WILDCARD_WITHOUT_LIKE_OPERATOR", where)
        return keys

    def pass_role(
        self,
        node: Node,
        actions: list[tuple[Location, str]],
        resources: list[tuple[Location, str]],
        condition_keys: set[str],
    ) -> None:
        """The iam:PassRole checks of an Allow statement in an identity policy."""
        not_action = "NotAction" in node.members
        not_resource = "NotResource" in node.members
        if not_action:
            if any(_matches(a, _PASS_ROLE) for _, a in actions):
                return  # NotAction takes iam:PassRole out
            starred = [] if not_resource else [(w, r) for w, r in resources if "*" in r]
            if not_resource:
                self.add("PASS_ROLE_WITH_NOT_ACTION_AND_NOT_RESOURCE", *(w for w, _ in resources))
            elif starred and _PASSED_TO_SERVICE not in condition_keys:
                self.add("PASS_ROLE_WITH_STAR_IN_RESOURCE_AND_NOT_ACTION", *(w for w, _ in starred))
            return
        wildcard = [
            (w, a) for w, a in actions if any(c in a for c in "*?") and _matches(a, _PASS_ROLE)
        ]
        explicit = [(w, a) for w, a in actions if a.lower() == _PASS_ROLE]
        if not wildcard and not explicit:
            return
        if not_resource:
            if wildcard:
                self.add(
                    "PASS_ROLE_WITH_STAR_IN_ACTION_AND_NOT_RESOURCE", *(w for w, _ in wildcard)
                )
            else:
                self.add("PASS_ROLE_WITH_NOT_RESOURCE", *(w for w, _ in explicit))
            return
        starred = [(w, r) for w, r in resources if "*" in r]
        if not starred or _PASSED_TO_SERVICE in condition_keys:
            return
        if wildcard:
            self.add(
                "PASS_ROLE_WITH_STAR_IN_ACTION_AND_RESOURCE",
                *(w for w, _ in wildcard),
                *(w for w, _ in starred),
            )
        else:
            self.add("PASS_ROLE_WITH_STAR_IN_RESOURCE", *(w for w, _ in starred))

    # -- the engine --------------------------------------------------------------------------

    def engine(self, root: Node) -> None:
        """What the gateway's own parser says, when no check above found an error."""
        try:
            parse_policy(self.text, self.kind)
        except PolicyValidationError as error:
            self.add(ENGINE_ISSUE, Location((), root.span), message=error.message)


def _next(position: Position) -> Position:
    return Position(position.line, position.column + 1, position.offset + 1)


def _base_operator(operator: str) -> str:
    name = operator.lower().split(":", 1)[-1]
    return name.removesuffix("ifexists")


def _matches(pattern: str, action: str) -> bool:
    return _glob(pattern, action, ignore_case=True)


def _glob(pattern: str, text: str, ignore_case: bool) -> bool:
    """Whether `text` matches the glob `pattern` (the engine's matcher wants it lower-cased
    when case is ignored)."""
    return glob_text_matcher(pattern, ignore_case=ignore_case)(
        text.lower() if ignore_case else text
    )


def _scalars(path: tuple[PathElement, ...], node: Node) -> Iterator[tuple[Location, Any]]:
    if isinstance(node.value, list):
        for i, item in enumerate(node.items):
            yield Location((*path, ("index", i)), item.span), item.value
    else:
        yield Location(path, node.span), node.value
