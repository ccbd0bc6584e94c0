"""Signing in with a security key: the WebAuthn authentication ceremony as the second factor.

When a password is right and its owner has security keys, `offer` adds to the `MfaRequired`
error the `PublicKeyCredentialRequestOptions` (`extensions.webauthn`, JSON for
`navigator.credentials.get()`): a fresh random challenge, the owner's keys as the allowed
credentials, user verification preferred. That challenge is stored bound to the sign-in's own
MFA challenge (the hash of its token), so an assertion completes that sign-in and no other.

`accept_assertion` then checks the browser's answer for `verifyMfa`: the WebAuthn challenge is
spent first (an atomic update: one answer per challenge, however many replicas are asked at
once), py_webauthn verifies the assertion (challenge, origin, relying-party id hash, user
presence, the signature with the key's stored public key, the signature counter), and the
key's counter moves forward with a conditional update, so two assertions carrying the same
counter cannot both pass. An assertion whose counter does not exceed the stored one is refused
and recorded as a suspected clone (`cloneSuspected` in the audit event): the W3C spec's signal
that the key's private key exists twice.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from tortoise.expressions import Q
from webauthn import (
    generate_authentication_options,
    options_to_json,
    verify_authentication_response,
)
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url
from webauthn.helpers.structs import UserVerificationRequirement

from gateway import clock
from gateway.errors import GatewayError, InvalidInput, MfaRequired
from gateway.ids import new_session_id
from gateway.models import CeremonyKind, Outcome, PrincipalKind, SecurityKey, WebAuthnChallenge
from gateway.services.bearer_tokens import hash_token
from gateway.services.mfa_devices import Owner
from gateway.services.principal import Principal
from gateway.services.security_keys import (
    CEREMONY_SECONDS,
    RelyingParty,
    credential_object,
    descriptors,
    keys_of,
)
from gateway.services.writes import record

MFA_REQUIRED_WITH_KEY = (
    "This sign-in needs your security key or a code from your MFA device: call verifyMfa with "
    "the challenge and the security key's answer to extensions.webauthn "
    "(securityKeyCredential), or a code (or a recovery code)."
)
ONE_ANSWER = "Give verifyMfa either a code or a securityKeyCredential, not both and not neither."
SIGN_IN = "gateway:SignIn"
CLONE_MESSAGE = "Response sign count of"
"""How py_webauthn starts its refusal of a counter that did not move forward."""


@dataclass(frozen=True, slots=True)
class Assertion:
    """The outcome of checking an assertion: the key that signed it, or why not."""

    key: SecurityKey | None
    clone_suspected: bool = False


def check_one_answer(code: str | None, credential: object | None) -> None:
    """InvalidInput unless exactly one of a code and a security key's answer is given, and
    the answer, if given, is a JSON object (checked before an attempt is counted)."""
    if (code is None) == (credential is None):
        raise InvalidInput(ONE_ANSWER)
    if credential is not None:
        credential_object(credential)


async def request_options(
    owner: Owner, mfa_challenge_token: str, relying_party: RelyingParty
) -> dict[str, Any] | None:
    """A new WebAuthn challenge for the owner's keys, bound to the sign-in's MFA challenge,
    as request options JSON; None when the owner has no security key."""
    keys = await keys_of(owner)
    if not keys:
        return None
    options = generate_authentication_options(
        rp_id=relying_party.rp_id,
        timeout=CEREMONY_SECONDS * 1000,
        allow_credentials=descriptors(keys),
        user_verification=UserVerificationRequirement.PREFERRED,
    )
    now = clock.now()
    await WebAuthnChallenge.create(
        id=new_session_id(),
        kind=CeremonyKind.AUTHENTICATION,
        challenge=bytes_to_base64url(options.challenge),
        account_id=owner.account_id,
        user_id=owner.user_id,
        root_id=owner.root_id,
        mfa_challenge_hash=hash_token(mfa_challenge_token),
        created_at=now,
        expires_at=now + timedelta(seconds=CEREMONY_SECONDS),
    )
    parsed: dict[str, Any] = json.loads(options_to_json(options))
    return parsed


async def offer(
    required: MfaRequired, owner: Owner, relying_party: RelyingParty | None
) -> MfaRequired:
    """`required`, with the WebAuthn request options in `extensions.webauthn` when the owner
    has security keys (and a relying party is configured); else `required` itself."""
    token = required.extensions.get("challenge")
    if relying_party is None or not isinstance(token, str):
        return required
    options = await request_options(owner, token, relying_party)
    if options is None:
        return required
    return MfaRequired(MFA_REQUIRED_WITH_KEY, **required.extensions, webauthn=options)


async def accepted(
    owner: Owner,
    mfa_challenge_token: str,
    credential: object,
    relying_party: RelyingParty | None,
    *,
    source_ip: str = "",
) -> bool:
    """Whether `credential` is a good assertion of one of the owner's keys for this sign-in
    (`accept_assertion`); never without a relying party."""
    if relying_party is None:
        return False
    assertion = await accept_assertion(
        owner, mfa_challenge_token, credential, relying_party, source_ip=source_ip
    )
    return assertion.key is not None


async def offer_again(
    error: GatewayError,
    owner: Owner,
    mfa_challenge_token: str,
    relying_party: RelyingParty | None,
) -> None:
    """Put fresh request options in `error` (`extensions.webauthn`), for another try after a
    refused assertion spent the sign-in's WebAuthn challenge."""
    if relying_party is None:
        return
    options = await request_options(owner, mfa_challenge_token, relying_party)
    if options is not None:
        error.extensions["webauthn"] = options


async def accept_assertion(
    owner: Owner,
    mfa_challenge_token: str,
    credential: object,
    relying_party: RelyingParty,
    *,
    source_ip: str = "",
) -> Assertion:
    """The owner's key that signed `credential` for this sign-in's WebAuthn challenge, with its
    counter moved forward; `Assertion(None)` when the answer does not check out (see the module
    docstring). The challenge is spent either way. InvalidInput for a credential that is not a
    JSON object."""
    parsed = credential_object(credential)
    now = clock.now()
    ceremony = (
        await WebAuthnChallenge.filter(
            kind=CeremonyKind.AUTHENTICATION,
            mfa_challenge_hash=hash_token(mfa_challenge_token),
            used_at__isnull=True,
            expires_at__gt=now,
        )
        .order_by("-created_at")
        .first()
    )
    if ceremony is None:
        return Assertion(None)
    spent = await WebAuthnChallenge.filter(id=ceremony.id, used_at__isnull=True).update(used_at=now)
    credential_id = parsed.get("id")
    if not spent or not isinstance(credential_id, str) or len(credential_id) > 1400:
        return Assertion(None)
    key = await SecurityKey.filter(owner.keys(), credential_id=credential_id).first()
    if key is None:
        return Assertion(None)
    try:
        verified = verify_authentication_response(
            credential=parsed,
            expected_challenge=base64url_to_bytes(ceremony.challenge),
            expected_rp_id=relying_party.rp_id,
            expected_origin=list(relying_party.origins),
            credential_public_key=key.public_key,
            credential_current_sign_count=key.sign_count,
            require_user_verification=False,
        )
    except Exception as error:  # untrusted bytes through a parser: any failure refuses
        if str(error).startswith(CLONE_MESSAGE):
            await _record_clone(owner, key, source_ip)
            return Assertion(None, clone_suspected=True)
        return Assertion(None)
    counter = verified.new_sign_count
    # Authenticators without a counter always say 0; others must move it forward, and only
    # one of two assertions carrying the same counter can.
    forward = Q(sign_count__lt=counter) if counter > 0 else Q(sign_count=0)
    moved = await SecurityKey.filter(forward, id=key.id).update(
        sign_count=counter, last_used_at=now
    )
    if not moved:
        await _record_clone(owner, key, source_ip)
        return Assertion(None, clone_suspected=True)
    key.sign_count = counter
    return Assertion(key)


async def _record_clone(owner: Owner, key: SecurityKey, source_ip: str) -> None:
    attempted = Principal(
        kind=PrincipalKind.USER if owner.user_id is not None else PrincipalKind.ROOT,
        account_id=owner.account_id,
        arn=owner.arn,
        id=owner.user_id or "",
        source_ip=source_ip,
    )
    await record(
        attempted,
        SIGN_IN,
        owner.arn,
        Outcome.FAILED,
        error_code="InvalidAuthenticationCode",
        details={"serialNumber": key.serial_number, "cloneSuspected": True},
    )
