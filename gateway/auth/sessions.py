"""Turning a bearer token into the `Principal` it authenticates."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from gateway import clock
from gateway.arns import root_arn
from gateway.auth.tokens import TOKEN_PREFIX, hash_token
from gateway.errors import ExpiredToken, Unauthenticated
from gateway.models import PrincipalKind, Session
from gateway.services.principal import Principal

# last_used_at is informational; refreshing it on every request would turn reads into writes.
LAST_USED_RESOLUTION = timedelta(minutes=5)

INVALID_TOKEN = "The security token included in the request is invalid."
EXPIRED_TOKEN = "The security token included in the request is expired"


@dataclass(frozen=True, slots=True)
class Authenticated:
    """A caller proven by its session, and the authorization generation of its account."""

    principal: Principal
    generation: int


async def authenticate(token: str, *, source_ip: str = "") -> Authenticated:
    """The principal a session token stands for; Unauthenticated or ExpiredToken otherwise."""
    if not token.startswith(TOKEN_PREFIX):
        raise Unauthenticated(INVALID_TOKEN)
    session = await Session.get_or_none(token_hash=hash_token(token)).select_related(
        "account", "user", "root"
    )
    if session is None or session.revoked_at is not None:
        raise Unauthenticated(INVALID_TOKEN)
    now = clock.now()
    if session.expires_at <= now:
        raise ExpiredToken(EXPIRED_TOKEN)
    if now - session.last_used_at > LAST_USED_RESOLUTION:
        await Session.filter(id=session.id).update(last_used_at=now)
    principal = principal_of(session, source_ip=source_ip or session.source_ip)
    return Authenticated(principal, session.account.authz_generation)


def principal_of(session: Session, *, source_ip: str) -> Principal:
    """The principal a (loaded) session acts as."""
    account_id = session.account_id
    mfa_at = session.mfa_authenticated_at if session.mfa_authenticated else None
    if session.principal_kind == PrincipalKind.ROOT:
        return Principal(
            kind=PrincipalKind.ROOT,
            account_id=account_id,
            arn=root_arn(account_id),
            id=account_id,
            session_id=session.id,
            source_ip=source_ip,
            mfa_authenticated_at=mfa_at,
            session_issued_at=session.created_at,
        )
    user = session.user
    if user is None:
        raise Unauthenticated(INVALID_TOKEN)
    return Principal(
        kind=PrincipalKind.USER,
        account_id=account_id,
        arn=user.arn,
        id=user.id,
        name=user.name,
        path=user.path,
        tags=dict(user.tags),
        session_id=session.id,
        source_ip=source_ip,
        mfa_authenticated_at=mfa_at,
        session_issued_at=session.created_at,
    )
