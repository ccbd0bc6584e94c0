"""Authenticating a request signed with AWS Signature Version 4: the key behind the signature.

`gateway.auth.sigv4` checks the header and the signature; this module finds the signing key
and its secret:

- a long-term key (`AKIA…`, from createAccessKey) must be Active and carry no security token;
  its secret is opened from `AccessKey.secret_sealed`. A key created before the gateway sealed
  secrets has none and cannot sign: it must be rotated, and the error says so.
- a temporary key (`ASIA…`, from getSessionToken or assumeRole) must come with its session
  token in `X-Amz-Security-Token`; the session must be valid (not revoked, not expired).

An unknown key, a missing or wrong token, or an Inactive key get AWS's InvalidClientTokenId,
"The security token included in the request is invalid."; a wrong signature gets
SignatureDoesNotMatch (as in AWS, a caller can tell a wrong key id from a wrong secret; key
ids are not secrets). Checked keys are cached with their secret like sessions
(`SessionCache`, keyed by the key id and token), so that a request costs one HMAC chain and
no database read while the entry is fresh; the signature itself is verified on every request.
A request signed with a long-term key records the key's last use with the signing service
(`gateway` for GraphQL, `iam` or `sts` for the Query APIs), as GetAccessKeyLastUsed reports.
"""

from __future__ import annotations

import hmac
from collections.abc import Collection
from dataclasses import replace
from datetime import datetime

from tortoise.expressions import Q

from gateway import clock
from gateway.auth import sigv4
from gateway.auth.access_keys import LAST_USED_RESOLUTION, NEVER_EXPIRES
from gateway.auth.sessions import (
    Authenticated,
    SessionCache,
    authenticated_with,
    session_authenticated,
)
from gateway.errors import InvalidClientTokenId, Unauthenticated
from gateway.ids import ACCESS_KEY_PREFIX, TEMPORARY_KEY_PREFIX
from gateway.models import AccessKey, AccessKeyStatus, Session
from gateway.services.bearer_tokens import hash_token
from gateway.services.principal import INVALID_TOKEN, SESSION_RELATED, Principal
from gateway.services.seeds import SeedCipher


def cannot_sign(key_id: str) -> str:
    """The message for a key made before secrets were sealed, which must be rotated."""
    return (
        f"The access key {key_id} was created before this gateway could verify signatures, so "
        "it cannot sign requests: create a new access key (createAccessKey, or aws iam "
        "create-access-key), use it, and delete this one."
    )


async def authenticate_signed(
    request: sigv4.HttpRequest,
    header: str,
    *,
    services: Collection[str],
    cipher: SeedCipher,
    source_ip: str = "",
    cache: SessionCache | None = None,
) -> Authenticated:
    """The principal whose key signed `request` (its SigV4 `Authorization` header `header`),
    for a scope naming one of `services`.

    IncompleteSignature, RequestExpired, SignatureDoesNotMatch, InvalidClientTokenId or
    ExpiredToken otherwise.
    """
    now = clock.now()
    claim = sigv4.parse(request, header, now=now, services=services)
    key_id, token = claim.access_key_id, claim.security_token
    cache_key = hash_token(f"SigV4 {key_id} {token or ''}")

    async def read() -> Authenticated:
        if key_id.startswith(TEMPORARY_KEY_PREFIX):
            return await _load_temporary(key_id, token, cipher, now)
        if key_id.startswith(ACCESS_KEY_PREFIX) and token is None:
            return await _load_long_term(key_id, claim.service, cipher, now)
        raise InvalidClientTokenId(INVALID_TOKEN)

    if cache is None:
        auth = await read()
    else:
        auth = cache.get(cache_key) or await cache.load(cache_key, read)
    assert auth.signing_secret is not None
    sigv4.verify(claim, request, auth.signing_secret)
    return authenticated_with(replace(auth, signing_secret=None), now=now, source_ip=source_ip)


async def _load_long_term(
    key_id: str, service: str, cipher: SeedCipher, now: datetime
) -> Authenticated:
    key = await AccessKey.get_or_none(id=key_id).select_related("account", "user")
    if key is None or key.status != AccessKeyStatus.ACTIVE.value:
        raise InvalidClientTokenId(INVALID_TOKEN)
    if key.secret_sealed is None:
        raise InvalidClientTokenId(cannot_sign(key_id))
    secret = _open(cipher, key.secret_sealed, key_id)
    if key.last_used_at is None or now - key.last_used_at > LAST_USED_RESOLUTION:
        # Conditional, so that replicas racing on one key write it once.
        stale = Q(last_used_at__isnull=True) | Q(last_used_at__lt=now - LAST_USED_RESOLUTION)
        await AccessKey.filter(stale, id=key.id).update(last_used_at=now, last_used_service=service)
    fields = {"access_key_id": key.id}
    if key.user is not None:
        principal = Principal.user(key.user, **fields)
    elif key.root_id is not None:
        principal = Principal.root(key.account_id, **fields)
    else:  # pragma: no cover - a key always has an owner
        raise InvalidClientTokenId(INVALID_TOKEN)
    return Authenticated.of_account(
        principal, key.account, key.user, NEVER_EXPIRES, signing_secret=secret
    )


async def _load_temporary(
    key_id: str, token: str | None, cipher: SeedCipher, now: datetime
) -> Authenticated:
    session = await Session.get_or_none(access_key_id=key_id).select_related(*SESSION_RELATED)
    if (
        session is None
        or token is None
        or not hmac.compare_digest(session.token_hash, hash_token(token))
    ):
        raise InvalidClientTokenId(INVALID_TOKEN)
    if session.secret_sealed is None:
        # Issued before secrets were sealed; it expires by itself within 36 hours.
        raise InvalidClientTokenId(cannot_sign(key_id))
    secret = _open(cipher, session.secret_sealed, key_id)
    try:
        auth = await session_authenticated(session, now)
    except Unauthenticated as error:  # revoked: AWS's code for SigV4 callers
        if type(error) is Unauthenticated:
            raise InvalidClientTokenId(error.message) from None
        raise
    return replace(auth, signing_secret=secret)


def _open(cipher: SeedCipher, sealed: str, key_id: str) -> str:
    try:
        return cipher.open(sealed, key_id)
    except ValueError:
        # Sealed with another GATEWAY_SECRET_KEY (or a row tampered with): unusable, and the
        # caller learns nothing more than for an unknown key.
        raise InvalidClientTokenId(INVALID_TOKEN) from None
