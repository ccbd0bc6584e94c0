"""What identity policies grant, action by action: the "granted" side of last-accessed
reports, unused-permission findings and generated policies.

A grant is an action pattern of an Allow statement (`s3:ListBucket`, `s3:Get*`, `*`). An
Allow with NotAction grants every action but those, which is as good as `*` here. Deny
statements grant nothing. Patterns compare ignoring case, as actions do.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from gateway.policy import Policy, Statement
from gateway.policy.matching import glob_text_matcher

ANY = "*"


@dataclass(frozen=True, slots=True)
class Grant:
    """One granted action pattern and the statement it comes from.

    `service` is the pattern's service prefix (lower case), or None when the service part has
    a wildcard (`*`, `s*:Get`): it then grants actions of any matching service. `explicit` is
    True for a single action (no wildcard).
    """

    pattern: str
    statement: Statement
    policy: str | None
    service: str | None
    explicit: bool

    @classmethod
    def of(cls, pattern: str, statement: Statement, policy: str | None) -> Grant:
        """The grant of `pattern` by `statement` of `policy`."""
        service, colon, _ = pattern.partition(":")
        wild_service = not colon or any(c in service for c in "*?")
        return cls(
            pattern=pattern,
            statement=statement,
            policy=policy,
            service=None if wild_service else service.lower(),
            explicit=not any(c in pattern for c in "*?"),
        )


def grants_of(policies: Iterable[Policy]) -> list[Grant]:
    """Every action pattern the policies' Allow statements grant."""
    found: list[Grant] = []
    for policy in policies:
        found.extend(_policy_grants(policy))
    return found


_CACHE: OrderedDict[int, tuple[Policy, tuple[Grant, ...]]] = OrderedDict()
CACHE_SIZE = 4096
"""Policies are immutable, and the stored ones come back as the same objects
(`gateway.services.effective.parsed`), so their grants are kept by object, the object with
them (so that its id cannot be reused while it is cached), least recently used out first."""


def _policy_grants(policy: Policy) -> tuple[Grant, ...]:
    cached = _CACHE.get(id(policy))
    if cached is not None and cached[0] is policy:
        _CACHE.move_to_end(id(policy))
        return cached[1]
    grants: list[Grant] = []
    for statement in policy.statements:
        if statement.is_deny:
            continue
        patterns: Sequence[str] = (ANY,) if statement.not_action else statement.actions
        grants.extend(Grant.of(p, statement, policy.label) for p in patterns)
    _CACHE[id(policy)] = (policy, tuple(grants))
    if len(_CACHE) > CACHE_SIZE:
        _CACHE.popitem(last=False)
    return tuple(grants)


def covers(pattern: str, action: str) -> bool:
    """Whether the action pattern matches `action` (ignoring case)."""
    return glob_text_matcher(pattern, ignore_case=True)(action.lower())


def granted(grants: Iterable[Grant], action: str) -> bool:
    """Whether any grant covers `action`."""
    return any(covers(g.pattern, action) for g in grants)


def services_granted(grants: Iterable[Grant], used: Iterable[str]) -> set[str]:
    """The services the grants reach: each named service, and of the services in `used`
    those that a wildcard service pattern reaches (the gateway has no catalogue of every
    service's actions, so `*` is known to reach the services it was seen to reach)."""
    services: set[str] = set()
    wild: list[str] = []
    for grant in grants:
        if grant.service is not None:
            services.add(grant.service)
        else:
            wild.append(grant.pattern.partition(":")[0])
    for service in used:
        if service.lower() not in services and any(covers(w, service) for w in wild):
            services.add(service.lower())
    return services
