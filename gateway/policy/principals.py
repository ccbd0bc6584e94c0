"""Matching a request's principal against a statement's Principal or NotPrincipal.

A caller is known by several names at once, as in AWS: a user by its ARN and its account's
root ARN; a role session by its session ARN, its role's ARN and the account's root ARN. A
`Principal` matches when it lists any of them; a `NotPrincipal` statement applies unless it
lists all of them (AWS's documented reason for naming the account beside the user).
"""

from __future__ import annotations

from enum import IntEnum

from gateway.policy.document import PrincipalSet
from gateway.policy.request import ROLE_SESSION_TYPES, Request


class Grant(IntEnum):
    """How strongly a matching resource-policy Allow names the caller.

    ACCOUNT: only through the account root (the account delegates to its identity policies);
    PRINCIPAL: through `*` (or a NotPrincipal that leaves the caller out);
    ROLE: through the ARN of the role whose session the caller is (AWS: such a grant is still
    limited by an implicit deny in a permissions boundary or session policy);
    DIRECT: the caller's own user or session ARN.
    """

    ACCOUNT = 1
    PRINCIPAL = 2
    ROLE = 3
    DIRECT = 4


def principal_names(request: Request) -> frozenset[tuple[str, str]]:
    """Every (type, value) name the caller goes by in Principal elements."""
    names: set[tuple[str, str]] = set()
    principal = request.principal
    arn = request.principal_arn
    kind = request.principal_type
    if kind == "Service":
        names.add(("Service", arn))
        return frozenset(names)
    if principal.get("federated"):
        names.add(("Federated", str(principal["federated"])))
    if arn:
        names.add(("AWS", arn))
    role = request.value("aws:PrincipalArn")
    if role:
        names.add(("AWS", role))
    account = request.principal_account
    if account:
        names.add(("AWS", f"arn:aws:iam::{account}:root"))
    return frozenset(names)


def principal_grant(
    principals: PrincipalSet, negated: bool, request: Request, names: frozenset[tuple[str, str]]
) -> Grant | None:
    """Whether the element covers the caller, and how strongly; None when it does not."""
    if negated:
        if principals.anyone or names <= principals.values:
            return None
        return Grant.PRINCIPAL
    if principals.anyone:
        return Grant.PRINCIPAL
    matched = names & principals.values
    if not matched:
        return None
    if ("AWS", request.principal_arn) in matched:
        return Grant.DIRECT
    account_root = ("AWS", f"arn:aws:iam::{request.principal_account}:root")
    if matched == {account_root}:
        return Grant.ACCOUNT
    if request.principal_type in ROLE_SESSION_TYPES:
        role = request.value("aws:PrincipalArn")
        if role and ("AWS", role) in matched:
            return Grant.ROLE
    return Grant.PRINCIPAL
