"""A session of the caller, as the `sessions` query lists it (never its token)."""

from __future__ import annotations

from datetime import datetime

import strawberry

from gateway.models import Session


@strawberry.type(description="An active session: a sign-in, or GetSessionToken credentials.")
class SessionInfo:
    id: str = strawberry.field(
        description="The session's id (not its token): revokeSession takes it."
    )
    create_date: datetime
    last_used_date: datetime = strawberry.field(
        description="When it was last used, to within five minutes."
    )
    expiration: datetime
    source_ip: str = strawberry.field(description="The address it was opened from.")
    mfa: bool = strawberry.field(description="Whether it was authenticated with MFA.")
    current: bool = strawberry.field(description="Whether this request is made with it.")
    access_key_id: str | None = strawberry.field(
        description="The `ASIA…` key id of GetSessionToken credentials; null for a sign-in."
    )

    @classmethod
    def from_model(cls, session: Session, *, current_id: str | None) -> SessionInfo:
        """The view of a session row; `current_id` is the caller's own session's id."""
        return cls(
            id=session.id,
            create_date=session.created_at,
            last_used_date=session.last_used_at,
            expiration=session.expires_at,
            source_ip=session.source_ip,
            mfa=session.mfa_authenticated,
            current=session.id == current_id,
            access_key_id=session.access_key_id,
        )
