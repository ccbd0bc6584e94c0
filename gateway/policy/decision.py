"""The answer to an authorization request, with its reasons."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

LAYERS = ("identity", "resource", "boundary", "session")
"""Policy types, in the order a decision names them."""


class Effect(StrEnum):
    """The outcome of evaluating a request."""

    ALLOW = "Allow"
    EXPLICIT_DENY = "ExplicitDeny"
    IMPLICIT_DENY = "ImplicitDeny"


@dataclass(frozen=True, slots=True)
class StatementRef:
    """A statement that took part in a decision."""

    layer: str
    policy: str | None
    sid: str | None
    index: int
    effect: str


@dataclass(frozen=True, slots=True)
class Decision:
    """An authorization decision and why it was reached.

    - `statements`: for an explicit deny, every Deny statement that applied; for an allow, every
      Allow statement that applied; empty for an implicit deny.
    - `denied_by`: for a denial, the policy type that held the Deny or lacked an Allow.
    - `missing_keys`: condition keys that applicable statements looked for and the request lacked.
    """

    effect: Effect
    statements: tuple[StatementRef, ...] = ()
    denied_by: str | None = None
    missing_keys: tuple[str, ...] = ()

    @property
    def allowed(self) -> bool:
        """True only for an Allow."""
        return self.effect is Effect.ALLOW
