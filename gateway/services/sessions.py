"""Sessions: listing one's own, and revoking a user's (RevokeSessions, a gateway operation).

A session is a `Session` row: a sign-in's bearer token, or GetSessionToken's temporary
credentials. It is active while neither revoked nor expired. Revoking sets `revoked_at`; the
token fails on the next request, at once on the replica that revoked it (every write empties
its account's credential cache) and on the others when its notification arrives (within
`GATEWAY_SESSION_CACHE_MS` for one whose listener is down: `gateway.auth.sessions`). Deleting a user
deletes its sessions with it (the foreign key cascades), in the same transaction.
"""

from __future__ import annotations

from tortoise.queryset import QuerySet

from gateway import clock
from gateway.errors import NoSuchEntity
from gateway.models import PrincipalKind, Session
from gateway.services.identities import USER, attempted_arn, reload
from gateway.services.principal import Principal
from gateway.services.users import user_by_name
from gateway.services.writes import audited_precheck, writing

REVOKE = "gateway:RevokeSessions"
REVOKE_OWN = "gateway:RevokeSession"
NO_SUCH_SESSION = "The session {session_id} is not one of your active sessions."


async def active_sessions(actor: Principal) -> list[Session]:
    """The caller's sessions that are neither revoked nor expired, newest first: a role
    session's are itself alone (the role's other sessions belong to whoever assumed them)."""
    return await _active(actor).order_by("-created_at", "id")


async def revoke_own_session(actor: Principal, session_id: str) -> None:
    """End one of the caller's own active sessions (a gateway operation, like signing out
    elsewhere); NoSuchEntity for any other id, whoever's it is."""
    async with audited_precheck(actor, REVOKE_OWN, actor.arn):
        if not await _active(actor).filter(id=session_id[:32]).exists():
            raise NoSuchEntity(NO_SUCH_SESSION.format(session_id=session_id[:64]))
    async with writing(actor, REVOKE_OWN, actor.arn, changes_permissions=False) as tx:
        revoked = (
            await _active(actor)
            .filter(id=session_id)
            .using_db(tx.connection)
            .update(revoked_at=clock.now())
        )
        if not revoked:
            raise NoSuchEntity(NO_SUCH_SESSION.format(session_id=session_id))
        tx.details.update(sessionId=session_id, current=session_id == actor.session_id)


def _active(actor: Principal) -> QuerySet[Session]:
    query = Session.filter(revoked_at=None, expires_at__gt=clock.now())
    if actor.is_root:
        query = query.filter(account_id=actor.account_id, principal_kind=PrincipalKind.ROOT.value)
    elif actor.kind is PrincipalKind.ROLE:
        query = query.filter(id=actor.session_id)
    else:
        query = query.filter(user_id=actor.id)
    return query


async def revoke_sessions(actor: Principal, user_name: str) -> int:
    """End every active session of the user, GetSessionToken credentials included; returns
    how many. NoSuchEntity for an unknown user."""
    async with audited_precheck(
        actor, REVOKE, attempted_arn("user", actor.account_id, "/", user_name)
    ):
        user = await user_by_name(actor.account_id, user_name)
    async with writing(actor, REVOKE, user.arn, changes_permissions=False) as tx:
        conn = tx.connection
        user = await reload(USER, user, conn)
        revoked = (
            await Session.filter(user_id=user.id, revoked_at=None)
            .using_db(conn)
            .update(revoked_at=clock.now())
        )
        tx.details.update(userName=user.name, revokedSessions=revoked)
    return revoked
