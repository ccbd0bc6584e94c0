"""Authenticating a request with an access key sent as is: the `GatewayKey` header scheme,
accepted only with `GATEWAY_KEY_HEADER=true` (SigV4, `gateway.auth.signed_requests`, is the
way that keeps the secret at home).

Scripts send, on every request,

    Authorization: GatewayKey <access key id>:<secret access key>

with a long-term key (`AKIA…`, from createAccessKey) or the temporary key of a
getSessionToken answer (`ASIA…` with its secret; that answer's `sessionToken` also works as
`Authorization: Bearer <sessionToken>`). The secret travels as is, so use HTTPS, as for bearer
tokens. AWS signs requests with SigV4 instead of sending the secret; the gateway keeps the
scheme a one-line header so that any HTTP client can use it.

Every failure (malformed header, unknown or deleted key, wrong secret, Inactive key) gets the
same Unauthenticated error with AWS's InvalidClientTokenId wording, "The security token
included in the request is invalid.", so that nothing tells a guesser which part was wrong.
A key made Inactive or deleted through this replica fails on the very next request (its
cached entry dies with the write); through another replica, when its notification arrives
(or within `GATEWAY_SESSION_CACHE_MS` while this one's listener is down: `SessionCache`).

A request signed with a long-term key has no session: its principal has `session_id` None,
so the request context carries no `aws:MultiFactorAuthPresent` key at all, as in AWS.
`last_used_at` of a key is refreshed at most once a minute, not on every request.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from tortoise.expressions import Q

from gateway import clock
from gateway.auth.sessions import (
    Authenticated,
    SessionCache,
    authenticated_with,
    session_authenticated,
)
from gateway.errors import Unauthenticated
from gateway.ids import ACCESS_KEY_PREFIX, TEMPORARY_KEY_PREFIX, UNIQUE_ID_LENGTH
from gateway.models import AccessKey, AccessKeyStatus, Session
from gateway.services.access_keys import SERVICE_NAME, hash_secret, secret_matches
from gateway.services.bearer_tokens import hash_token
from gateway.services.principal import INVALID_TOKEN, SESSION_RELATED, Principal

SCHEME = "gatewaykey "
"""The `Authorization` scheme, compared ignoring case."""
LAST_USED_RESOLUTION = timedelta(minutes=1)
NEVER_EXPIRES = datetime.max.replace(tzinfo=UTC)
_DECOY_HASH = hash_secret("AKIA" + "0" * 17, "decoy")


def parse_credential(credential: str) -> tuple[str, str]:
    """`(access key id, secret)` from `<id>:<secret>`; Unauthenticated if malformed."""
    key_id, colon, secret = credential.strip().partition(":")
    if (
        not colon
        or not secret
        or len(key_id) != UNIQUE_ID_LENGTH
        or key_id[:4] not in {ACCESS_KEY_PREFIX, TEMPORARY_KEY_PREFIX}
    ):
        raise Unauthenticated(INVALID_TOKEN)
    return key_id, secret


async def authenticate_key(
    credential: str, *, source_ip: str = "", cache: SessionCache | None = None
) -> Authenticated:
    """The principal an `<id>:<secret>` credential stands for; Unauthenticated or
    ExpiredToken (a temporary key past its expiry) otherwise."""
    key_id, secret = parse_credential(credential)
    cache_key = hash_token(f"GatewayKey {key_id}:{secret}")
    now = clock.now()

    async def read() -> Authenticated:
        if key_id.startswith(TEMPORARY_KEY_PREFIX):
            return await _load_temporary(key_id, secret, now)
        return await _load_long_term(key_id, secret, now)

    if cache is None:
        auth = await read()
    else:
        auth = cache.get(cache_key) or await cache.load(cache_key, read)
    return authenticated_with(auth, now=now, source_ip=source_ip)


async def _load_long_term(key_id: str, secret: str, now: datetime) -> Authenticated:
    key = await AccessKey.get_or_none(id=key_id).select_related("account", "user")
    stored = key.secret_hash if key is not None else _DECOY_HASH
    if (
        not secret_matches(key_id, secret, stored)
        or key is None
        or key.status != AccessKeyStatus.ACTIVE.value
    ):
        raise Unauthenticated(INVALID_TOKEN)
    if key.last_used_at is None or now - key.last_used_at > LAST_USED_RESOLUTION:
        # Conditional, so that replicas racing on one key write it once.
        stale = Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USED_RESOLUTION)
        await AccessKey.filter(stale, id=key.id).update(
            last_used_at=now, last_used_service=SERVICE_NAME
        )
    fields = {"access_key_id": key.id}
    if key.user is not None:
        principal = Principal.user(key.user, **fields)
    elif key.root_id is not None:
        principal = Principal.root(key.account_id, **fields)
    else:  # pragma: no cover - a key always has an owner
        raise Unauthenticated(INVALID_TOKEN)
    return Authenticated.of_account(principal, key.account, key.user, NEVER_EXPIRES)


async def _load_temporary(key_id: str, secret: str, now: datetime) -> Authenticated:
    session = await Session.get_or_none(access_key_id=key_id).select_related(*SESSION_RELATED)
    stored = session.secret_hash if session is not None else None
    if not secret_matches(key_id, secret, stored or _DECOY_HASH) or stored is None:
        raise Unauthenticated(INVALID_TOKEN)
    return await session_authenticated(session, now)
