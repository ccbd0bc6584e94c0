"""Switching roles in a console: a signed-in session becomes a role session, and back.

`switch_role` turns the caller's sign-in into a session of a role, as the AWS console's
"Switch role" does: the trust policy is evaluated for the signed-in identity (with its
session's MFA state), and the answer is a new bearer token for a new role session (no access
key), while the sign-in session stays valid, untouched, in the background. The role session
remembers it (`switched_from_id`) and lives inside it: it ends at the latest when the sign-in
does (it lasts one hour, or the role's maximum if shorter, and never past the sign-in's
expiry), and stops working as soon as the sign-in is signed out or revoked.

Switching again from a role session switches from the original identity, not from the role
(a console switch is not role chaining): the new role session replaces the current one, which
is revoked in the same transaction.

`switch_back` ends the role session and returns to the original identity: while that sign-in
is still valid, it answers with a new bearer token for the sign-in session itself (the same
row: its expiry, MFA state and `aws:TokenIssueTime` stay those of the sign-in). Tokens are
stored only as hashes, so the sign-in's token is replaced by the new one; the old token, which
the console gave up when it switched, stops working.

`assumable_roles` lists the roles the caller could switch to: for a switched role session,
those of its original identity.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

from gateway import clock
from gateway.errors import AccessDenied, ExpiredToken, InvalidInput, Unauthenticated
from gateway.models import PrincipalKind, Role, Session
from gateway.services import role_trust
from gateway.services.authorization import PrincipalPolicies, load_policies
from gateway.services.bearer_tokens import hash_token, new_token
from gateway.services.principal import (
    EXPIRED_TOKEN,
    INVALID_TOKEN,
    SESSION_RELATED,
    Principal,
    principal_of,
)
from gateway.services.role_sessions import (
    ROOT_REFUSED,
    authorize_session,
    check_session_name,
    issue,
)
from gateway.services.role_trust import ASSUME_ROLE
from gateway.services.writes import audit_safe, audited_precheck, writing

SWITCH = "gateway:SwitchRole"
"""The console's role switch, in the audit trail (its authorization is sts:AssumeRole's)."""
SWITCH_BACK = "gateway:SwitchBack"
CONSOLE_ONLY = (
    "switchRole and switchBack work on a signed-in session (a bearer token from signIn); "
    "with access keys or temporary credentials, call assumeRole."
)
NOT_SWITCHED = "This session did not come from switchRole: there is nothing to switch back to."
SWITCHED_DURATION = 3_600


@dataclass(frozen=True, slots=True)
class Switched:
    """A new bearer token (shown once), its expiry and who it acts as."""

    token: str
    expires_at: datetime
    principal: Principal


async def origin_of(actor: Principal) -> tuple[Principal, Session | None]:
    """Who the caller really is, for switching: for a role session that a console switch
    made, the signed-in identity it came from (and that sign-in's session); else the caller
    itself (and its own session, None without one)."""
    if actor.session_id is None:
        return actor, None
    current = await Session.get_or_none(id=actor.session_id)
    if current is None or current.switched_from_id is None:
        return actor, current
    origin = await Session.get_or_none(id=current.switched_from_id).select_related(*SESSION_RELATED)
    now = clock.now()
    if origin is None or origin.revoked_at is not None:
        raise Unauthenticated(INVALID_TOKEN)
    if origin.expires_at <= now:
        raise ExpiredToken(EXPIRED_TOKEN)
    return principal_of(origin, source_ip=actor.source_ip), origin


async def switch_role(
    actor: Principal,
    *,
    role_arn: str,
    role_session_name: str | None = None,
    caller_policies: PrincipalPolicies | None = None,
) -> Switched:
    """A role session for the caller's sign-in (see the module docstring).

    The session name defaults to the user's name, as the AWS console's. Refusals are
    AssumeRole's (AccessDenied for an unknown role or one that does not trust the caller),
    InvalidInput for a caller without a sign-in session.
    """
    async with audited_precheck(actor, ASSUME_ROLE, audit_safe(role_arn)):
        if actor.is_root:
            raise AccessDenied(ROOT_REFUSED)
        if actor.session_id is None or actor.access_key_id is not None:
            raise InvalidInput(CONSOLE_ONLY)
        origin, origin_session = await origin_of(actor)
        if origin_session is None or origin.session_id is None:
            raise InvalidInput(CONSOLE_ONLY)
        name = role_session_name if role_session_name is not None else (origin.name or "")
        check_session_name(name)
        if origin is not actor:
            caller_policies = None  # the caller's policies are the role's, not the origin's
        plan = await authorize_session(
            origin,
            role_arn,
            name,
            None,
            policies=caller_policies,
            mfa_at=origin.mfa_authenticated_at,
        )
    left = int((origin_session.expires_at - clock.now()).total_seconds())
    plan = replace(
        plan,
        duration=max(min(plan.duration, SWITCHED_DURATION, left), 1),
        switched_from_id=origin.session_id,
        with_access_key=False,
        chained=False,
    )
    replaces = actor if origin is not actor else None
    credentials, session = await issue(origin, plan, replaces=replaces)
    principal = principal_of(
        await Session.get(id=session.id).select_related(*SESSION_RELATED),
        source_ip=actor.source_ip,
    )
    return Switched(credentials.session_token, session.expires_at, principal)


async def switch_back(actor: Principal) -> Switched:
    """End the caller's switched role session and return to the identity it came from
    (see the module docstring). InvalidInput if the session did not come from switchRole;
    Unauthenticated or ExpiredToken if the original sign-in has ended."""
    async with audited_precheck(actor, SWITCH_BACK, actor.arn):
        if actor.kind is not PrincipalKind.ROLE:
            raise InvalidInput(NOT_SWITCHED)
        origin, origin_session = await origin_of(actor)
        if origin is actor or origin_session is None:
            raise InvalidInput(NOT_SWITCHED)
    token = new_token()
    async with writing(actor, SWITCH_BACK, origin.arn, changes_permissions=False) as tx:
        now = clock.now()
        await (
            Session.filter(id=actor.session_id, revoked_at=None)
            .using_db(tx.connection)
            .update(revoked_at=now)
        )
        rotated = (
            await Session.filter(id=origin_session.id, revoked_at=None, expires_at__gt=now)
            .using_db(tx.connection)
            .update(token_hash=hash_token(token))
        )
        if rotated != 1:
            raise Unauthenticated(INVALID_TOKEN)
        tx.touches(origin_session.account_id)  # its old token, cached there, is no more
        tx.details.update(sessionId=origin_session.id)
    return Switched(token, origin_session.expires_at, origin)


async def assumable_roles(
    actor: Principal, policies: PrincipalPolicies | None = None
) -> list[Role]:
    """The roles the caller may assume or switch to now, of any account, by account and name
    (for a switched role session, its original identity's). `policies` are the caller's if
    already at hand."""
    origin, _ = await origin_of(actor)
    if origin is not actor or policies is None:
        policies = await load_policies(origin)
    return await role_trust.assumable_roles(origin, policies)
