"""GetSessionToken: temporary credentials for a caller signed in with a long-term access key.

The answer holds an `ASIA…` access key id with its secret, a session token and the expiry.
Either form authenticates later requests as the same user (or root), with the same
permissions: `Authorization: Bearer <sessionToken>`, or
a SigV4 signature by the `ASIA…` key with the token in `X-Amz-Security-Token`, or
`Authorization: GatewayKey <ASIA…>:<secret>`. Token and secret are stored as hashes (the
secret also sealed with the gateway's key, for SigV4), on a `Session`
row like a sign-in's, so expiry, revocation and caching work exactly as for sign-in sessions.

As in AWS: only long-term credentials may call it ("Cannot call GetSessionToken with session
credentials"); no policy can allow or deny it (IAM UG, "Permissions for GetSessionToken":
"You cannot use policies to control authentication operations"); durations run from 900 s
to 129,600 s (36 h), 43,200 s by default, and a root user's sessions are cut to 3,600 s
(AWS: "If the duration is longer than one hour, the session for AWS account owners defaults
to one hour"). With `serialNumber` (the caller's own enabled MFA device) and `tokenCode` (its
current code, used once), the credentials carry `aws:MultiFactorAuthPresent` "true" and may
call IAM operations; without them they carry "false" and, as in AWS, may call none.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from gateway import clock
from gateway.errors import AccessDenied
from gateway.ids import TEMPORARY_KEY_PREFIX, new_session_id, new_unique_id
from gateway.models import PrincipalKind, RootUser, Session
from gateway.services.access_keys import hash_secret, new_secret, seal_secret
from gateway.services.bearer_tokens import hash_token, new_token
from gateway.services.mfa_challenges import check_mfa_pair, verified_mfa_at
from gateway.services.principal import Principal
from gateway.services.seeds import SeedCipher
from gateway.services.signin_throttling import DEFAULT_LOCKOUT, Lockout
from gateway.services.validation import check_range
from gateway.services.writes import audited_precheck, writing

ACTION = "sts:GetSessionToken"
MIN_DURATION = 900
MAX_DURATION = 129_600
DEFAULT_DURATION = 43_200
ROOT_MAX_DURATION = 3_600
SESSION_CREDENTIALS = "Cannot call GetSessionToken with session credentials"


@dataclass(frozen=True, slots=True)
class TemporaryCredentials:
    """GetSessionToken's answer; the secret and token are shown only here, once."""

    access_key_id: str
    secret_access_key: str
    session_token: str
    expiration: datetime


async def get_session_token(
    actor: Principal,
    *,
    duration_seconds: int | None = None,
    serial_number: str | None = None,
    token_code: str | None = None,
    cipher: SeedCipher | None = None,
    lockout: Lockout = DEFAULT_LOCKOUT,
) -> TemporaryCredentials:
    """Temporary credentials for the caller (see the module docstring).

    ValidationError for a duration out of range; InvalidInput for only one of the MFA
    arguments; AccessDenied unless the caller signed this request with a long-term access key,
    or for a wrong MFA code (counted as a failed sign-in); Throttled while the caller is locked.
    """
    async with audited_precheck(actor, ACTION, actor.arn):
        if duration_seconds is not None:
            check_range(
                duration_seconds, "durationSeconds", minimum=MIN_DURATION, maximum=MAX_DURATION
            )
        check_mfa_pair(serial_number, token_code)
        if not actor.long_term_key:
            raise AccessDenied(SESSION_CREDENTIALS)
        mfa_at = await verified_mfa_at(actor, serial_number, token_code, cipher, lockout)
        root = await RootUser.get(account_id=actor.account_id) if actor.is_root else None

    duration = DEFAULT_DURATION if duration_seconds is None else duration_seconds
    if actor.is_root:
        duration = min(duration, ROOT_MAX_DURATION)
    token, secret = new_token(), new_secret()
    key_id = new_unique_id(TEMPORARY_KEY_PREFIX)
    now = clock.now()
    session = Session(
        id=new_session_id(),
        token_hash=hash_token(token),
        account_id=actor.account_id,
        principal_kind=PrincipalKind.ROOT.value if root is not None else PrincipalKind.USER.value,
        user_id=None if root is not None else actor.id,
        root_id=root.id if root is not None else None,
        created_at=now,
        expires_at=now + timedelta(seconds=duration),
        last_used_at=now,
        source_ip=actor.source_ip,
        access_key_id=key_id,
        secret_hash=hash_secret(key_id, secret),
        secret_sealed=seal_secret(cipher, key_id, secret),
        via_access_key=actor.access_key_id,
        mfa_authenticated=mfa_at is not None,
        mfa_authenticated_at=mfa_at,
    )
    async with writing(
        actor, ACTION, actor.arn, changes_permissions=False, changes_sessions=False
    ) as tx:
        await session.save(using_db=tx.connection, force_create=True)
        tx.details.update(
            accessKeyId=key_id,
            viaAccessKey=actor.access_key_id,
            durationSeconds=duration,
            mfa=mfa_at is not None,
        )
    return TemporaryCredentials(key_id, secret, token, session.expires_at)
