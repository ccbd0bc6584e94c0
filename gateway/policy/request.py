"""The request being authorized: who asks to do what on which resource, in which context."""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from types import MappingProxyType
from typing import Any

from gateway.policy.conditions import Context

ROLE_SESSION_TYPES = ("AssumedRole",)
# Distinct texts remembered by `lowered`: far more actions and context keys than a deployment
# uses, few enough that junk requests cannot grow the table without bound.
_LOWERED_LIMIT = 16384
_LOWERED: dict[str, str] = {}


def lowered(text: str) -> str:
    """`text.lower()`, as one shared string per lower-case text while the table holds it.

    Actions and context keys are lowered for every request; sharing the result saves making a
    string each time, and a dict keyed by the shared string (an action's index, a context)
    then finds it by identity, without comparing text it would have to fetch from memory."""
    found = _LOWERED.get(text)
    if found is None:
        if len(_LOWERED) >= _LOWERED_LIMIT:
            _LOWERED.clear()
        low = text.lower()
        found = _LOWERED.setdefault(low, low)
        _LOWERED[text] = found
    return found


ContextValue = str | bool | int | float
ContextInput = Mapping[str, ContextValue | Sequence[ContextValue]]
"""Condition keys as callers pass them: a value or a list of values per key."""


class PreparedPrincipal(Mapping[str, Any]):
    """A principal as `Request` takes it, frozen, with the `aws:` keys that follow from it
    (aws:PrincipalArn, aws:username, aws:PrincipalTag/…) derived once.

    Deriving those keys costs more than deciding a cached action, so a caller that makes many
    requests for one principal (a session, a batch) prepares it once and passes it to each
    `Request`; the requests' contexts are then the same as with the plain mapping. The fields
    are copied when it is made (tags included), so later changes to the mapping it was made
    from do not reach it.
    """

    __slots__ = ("_derived", "_fields", "account", "derived", "type")

    def __init__(self, principal: Mapping[str, Any]) -> None:
        fields = dict(principal)
        tags = fields.get("tags")
        if tags:
            fields["tags"] = MappingProxyType(dict(tags))
        self._fields = fields
        self.account = _principal_account(fields)
        """The principal's account id, as `Request.principal_account` gives it."""
        self.type = str(fields.get("type", ""))
        """aws:PrincipalType, as `Request.principal_type` gives it."""
        self._derived = _derived(fields)
        self.derived: Mapping[str, tuple[str, ...]] = MappingProxyType(self._derived)
        """The context keys that follow from the principal, lower-cased."""

    def with_context(self, context: ContextInput) -> PreparedPrincipal:
        """This principal with context keys that hold for many of its requests (its session's:
        times, address, MFA) made part of what it derives: a `Request` made with the result and
        a context has the keys it would have with this principal and both contexts, its own
        context's winning. (Making a request's keys then copies one dict.)"""
        prepared = PreparedPrincipal.__new__(PreparedPrincipal)
        prepared._fields = self._fields
        prepared.account = self.account
        prepared.type = self.type
        prepared._derived = _given_context(context, self._derived.copy())
        prepared.derived = MappingProxyType(prepared._derived)
        return prepared

    def __getitem__(self, key: str) -> Any:
        return self._fields[key]

    def get(self, key: str, default: Any = None) -> Any:
        """The field `key`, or `default` (a direct lookup: Request reads fields per request)."""
        return self._fields.get(key, default)

    def __iter__(self) -> Iterator[str]:
        return iter(self._fields)

    def __len__(self) -> int:
        return len(self._fields)

    def __repr__(self) -> str:
        return f"PreparedPrincipal({self._fields!r})"


class Request:
    """An authorization request, as AWS's request context describes it.

    `principal` carries `arn`, `type` (aws:PrincipalType: "Account" for the root user,
    "User", "AssumedRole", "FederatedUser"), `username`, `userid`, `account` and `tags`.
    `context` holds condition keys with a value or a list (or tuple) of values each. AWS's
    request context carries every value as text, so strings are taken as they are, bools as
    "true" / "false", ints and finite floats as the AWS SDK for Python writes them ("3600",
    "0.5"); any other value raises TypeError (a non-finite float ValueError) when the request
    is made. The `aws:` keys that follow from the principal are derived only where `context`
    lacks them.
    """

    __slots__ = (
        "_same_account",
        "action",
        "action_lower",
        "context",
        "keys",
        "principal",
        "principal_account",
        "principal_type",
        "resource",
    )

    keys: Context
    """The full request context: lower-cased key → values, principal keys included."""
    principal_type: str
    """aws:PrincipalType of the caller."""
    principal_account: str
    """The calling principal's account id."""

    def __init__(
        self,
        action: str,
        resource: str,
        principal: Mapping[str, Any] | None = None,
        context: ContextInput | None = None,
    ) -> None:
        self.action = action
        self.action_lower = _LOWERED.get(action) or lowered(action)
        """The action as actions are compared: case-insensitively."""
        self.resource = resource
        # `is None`, not `or`: the truth of a Mapping is a Python `__len__` call.
        if principal is None:
            principal = {}
        self.principal: Mapping[str, Any] = principal
        self.context: ContextInput = context or {}
        # The full context and the principal's account are plain attributes, made now: a
        # decision reads them without calling anything (a property costs a call per read,
        # and a __getattr__ for making them later slows every attribute of a Request).
        if principal.__class__ is PreparedPrincipal:
            self.principal_type = principal.type
            # One dict filled over a copy of the derived keys, rather than a dict of the
            # given keys and later a merged one: a decision touches one object, not two.
            derived = principal._derived.copy()
            self.keys = _given_context(context, derived) if context else derived
            self.principal_account = principal.account
        else:
            self.principal_type = str(principal.get("type", ""))
            self.keys = _build_context(principal, _given_context(self.context, {}))
            self.principal_account = _principal_account(principal)
        self._same_account: bool | None = None

    def __repr__(self) -> str:
        return (
            f"Request(action={self.action!r}, resource={self.resource!r}, "
            f"principal={dict(self.principal)!r}, context={dict(self.context)!r})"
        )

    def value(self, key: str) -> str | None:
        """A single-valued context key's value (None if absent or multi-valued)."""
        values = self.keys.get(key.lower())
        if values is None or len(values) != 1:
            return None
        return values[0]

    @property
    def principal_arn(self) -> str:
        """The calling principal's ARN (for a role session, the session ARN)."""
        return str(self.principal.get("arn", ""))

    @property
    def resource_account(self) -> str:
        """The account that owns the resource; empty when the ARN names none."""
        return _arn_account(self.resource)

    @property
    def same_account(self) -> bool:
        """True when the resource belongs to the caller's account (or to none)."""
        same = self._same_account
        if same is None:
            # _arn_account inlined: every Allow asks.
            parts = self.resource.split(":", 5)
            if len(parts) == 6 and parts[0] == "arn" and len(parts[4]) == 12 and parts[4].isdigit():
                same = parts[4] == self.principal_account
            else:
                same = True
            self._same_account = same
        return same


def _principal_account(principal: Mapping[str, Any]) -> str:
    """The principal's `account`, or the account its ARN names."""
    account = principal.get("account")
    if account:
        return str(account)
    return _arn_account(str(principal.get("arn", "")))


def _arn_account(arn: str) -> str:
    """The 12-digit account in an ARN; "" when it names none (`aws` for AWS-owned resources
    such as AWS-managed policies, which every account may use)."""
    parts = arn.split(":", 5)
    if len(parts) == 6 and parts[0] == "arn" and len(parts[4]) == 12 and parts[4].isdigit():
        return parts[4]
    return ""


def _build_context(
    principal: Mapping[str, Any], given: dict[str, tuple[str, ...]]
) -> dict[str, tuple[str, ...]]:
    if not principal:
        return given
    context = _derived(principal)
    context.update(given)
    return context


def _given_context(
    given: ContextInput, context: dict[str, tuple[str, ...]]
) -> dict[str, tuple[str, ...]]:
    """`context` with the caller's context keys added (over any it has), lower-cased, each
    with its values as text."""
    shared = _LOWERED
    for key, raw in given.items():
        if key.__class__ is not str and not isinstance(key, str):
            raise TypeError(f"context key {key!r} must be a string, not {type(key).__name__}")
        # lowered(key), its common case inlined: this runs for every key of every request.
        low = shared.get(key)
        if low is None:
            low = lowered(key)
        kind = raw.__class__
        if kind is str:
            context[low] = (raw,)  # type: ignore[assignment]
        elif kind is bool:
            context[low] = _TRUE if raw else _FALSE
        elif kind is list or kind is tuple:
            context[low] = tuple(
                [v if v.__class__ is str else _context_text(key, v) for v in raw]  # type: ignore[union-attr]
            )
        else:
            context[low] = (_context_text(key, raw),)
    return context


_TRUE = ("true",)
_FALSE = ("false",)


def _context_text(key: str, value: object) -> str:
    """One context value as AWS's request context carries it: text."""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"context key {key!r}: {value!r} is not a finite number")
        return repr(value)
    raise TypeError(
        f"context key {key!r}: a value must be a string, bool, int or float (or a list of "
        f"them), not {type(value).__name__}"
    )


def _derived(principal: Mapping[str, Any]) -> dict[str, tuple[str, ...]]:
    """The keys that follow from the principal, already lower-cased (this runs per request)."""
    derived: dict[str, tuple[str, ...]] = {}
    get = principal.get
    arn = str(get("arn") or "")
    kind = str(get("type") or "")
    if arn:
        derived["aws:principalarn"] = (_role_arn(arn) if kind in ROLE_SESSION_TYPES else arn,)
    account = get("account") or _arn_account(arn)
    if account:
        derived["aws:principalaccount"] = (str(account),)
    if kind:
        derived["aws:principaltype"] = (kind,)
    userid = get("userid")
    if userid:
        derived["aws:userid"] = (str(userid),)
    if kind == "User":
        username = get("username")
        if username:
            derived["aws:username"] = (str(username),)
    tags = get("tags")
    if tags:
        for tag, value in tags.items():
            derived["aws:principaltag/" + tag.lower()] = (str(value),)
    return derived


def _role_arn(session_arn: str) -> str:
    """arn:aws:sts::A:assumed-role/R/S → arn:aws:iam::A:role/R (used only when not given)."""
    parts = session_arn.split(":", 5)
    if len(parts) == 6 and parts[5].startswith("assumed-role/"):
        role = parts[5].split("/")[1]
        return f"arn:{parts[1]}:iam::{parts[4]}:role/{role}"
    return session_arn
