"""FIDO security keys and passkeys as MFA devices: registering one (the WebAuthn registration
ceremony, checked by py_webauthn) and what the rest of the gateway asks about them.

A security key is an MFA device like a virtual one: it counts toward the owner's 8 devices,
`mfaDevices` lists it, its sessions carry `aws:MultiFactorAuthPresent`, and
`deactivateMfaDevice` removes it (as in AWS, where deactivating a FIDO key deletes it). Its
serial number is an ARN as AWS names them: `arn:aws:iam::ACCOUNT:u2f/user/USER/NAME-ID`
(`u2f/root/NAME-ID` for the root user), ID being 26 random Base32 characters.

Registering takes two calls, because the key answers in the browser:

1. `begin_registration` stores a random challenge (single-use, five minutes) for the owner and
   answers with the `PublicKeyCredentialCreationOptions` as JSON, for
   `navigator.credentials.create()`: the relying party (`GATEWAY_WEBAUTHN_RP_ID`), the owner's
   opaque user handle, the owner's existing keys excluded, user verification preferred,
   attestation `none` unless configured otherwise.
2. `complete_registration` takes the browser's credential JSON, spends the challenge (before
   looking at the answer, so an answer is checked at most once), has py_webauthn verify it
   (challenge, origin among `GATEWAY_WEBAUTHN_ORIGIN`, relying-party id hash, user presence,
   attestation statement, algorithm) and stores the credential's public key and counter. Only
   the principal that began a registration, in the same session, may complete it.

AWS registers security keys only in its console; the two calls are the gateway's own.
"""

from __future__ import annotations

import base64
import json
import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from webauthn import generate_registration_options, options_to_json, verify_registration_response
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url
from webauthn.helpers.structs import (
    AttestationConveyancePreference,
    AttestationFormat,
    AuthenticatorSelectionCriteria,
    AuthenticatorTransport,
    CredentialDeviceType,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

from gateway import arns, clock
from gateway.config import Settings
from gateway.errors import EntityAlreadyExists, InvalidAuthenticationCode, InvalidInput
from gateway.ids import new_session_id
from gateway.models import CeremonyKind, SecurityKey, WebAuthnChallenge
from gateway.services.mfa_devices import (
    DEVICES_PER_IDENTITY,
    ENABLE,
    Owner,
    devices_in_use,
    owner_named,
    quota_exceeded,
    target_arn,
)
from gateway.services.principal import Principal
from gateway.services.validation import check_name
from gateway.services.writes import audited_precheck, writing

CEREMONY_SECONDS = 300
"""How long a WebAuthn challenge (registration or sign-in) may be answered."""
MAX_KEY_NAME = 128
"""AWS's console: a device name of at most 128 characters of `[\\w+=,.@-]`."""
MAX_CREDENTIAL_CHARS = 65_536
"""The largest credential JSON looked at (a key with a long attestation chain needs ~8 KB)."""
RP_NAME = "Gateway"
KEY_ID_BYTES = 16
"""Random bytes of a serial number's ID: 26 Base32 characters, as in AWS's examples."""

REGISTRATION_INVALID = (
    "The security key registration is unknown, has expired or was already used: start a new "
    "one with startSecurityKeyRegistration."
)
NOT_VERIFIED = "The security key's answer could not be verified: {reason}"
ALREADY_REGISTERED = "This security key is already registered."
NOT_JSON = "The credential must be the browser's PublicKeyCredential as a JSON object."


@dataclass(frozen=True, slots=True)
class RelyingParty:
    """Who the gateway is to authenticators: the relying-party id (a domain), the origins
    whose pages may run ceremonies, and the attestation to ask for."""

    rp_id: str
    origins: tuple[str, ...]
    attestation: str = "none"
    name: str = RP_NAME

    @classmethod
    def from_settings(cls, settings: Settings) -> RelyingParty:
        """The relying party that `settings` configure."""
        return cls(
            rp_id=settings.webauthn_rp_id,
            origins=settings.webauthn_origins,
            attestation=settings.webauthn_attestation,
        )


@dataclass(frozen=True, slots=True)
class Registration:
    """A begun registration: its id (to complete it with), the creation options for the
    browser (JSON, base64url-encoded binary fields) and when it expires."""

    id: str
    options: dict[str, Any]
    expires_at: datetime


def user_handle(owner: Owner) -> bytes:
    """The opaque WebAuthn user handle of an owner: its unique id, never its name."""
    if owner.user_id is not None:
        return owner.user_id.encode()
    return f"root-{owner.account_id}".encode()


def actor_marker(actor: Principal) -> str:
    """The credentials an actor uses (its session, or its access key): a registration must be
    completed with the same ones it was begun with."""
    return actor.session_id or actor.access_key_id or ""


def new_key_id() -> str:
    """The random ID at the end of a security key's serial number."""
    return base64.b32encode(secrets.token_bytes(KEY_ID_BYTES)).decode().rstrip("=")


def credential_object(credential: object) -> dict[str, Any]:
    """The browser's credential as a JSON object; InvalidInput for anything else or too big."""
    if isinstance(credential, str):
        if len(credential) > MAX_CREDENTIAL_CHARS:
            raise InvalidInput(NOT_JSON)
        try:
            credential = json.loads(credential)
        except ValueError:
            raise InvalidInput(NOT_JSON) from None
    if not isinstance(credential, Mapping):
        raise InvalidInput(NOT_JSON)
    if len(json.dumps(credential, default=str)) > MAX_CREDENTIAL_CHARS:
        raise InvalidInput(NOT_JSON)
    return dict(credential)


def descriptors(keys: list[SecurityKey]) -> list[PublicKeyCredentialDescriptor]:
    """The keys as WebAuthn credential descriptors (for allow and exclude lists)."""
    found = []
    for key in keys:
        transports = []
        for name in key.transports:
            try:
                transports.append(AuthenticatorTransport(name))
            except ValueError:
                continue  # a transport this library does not know: the browser may
        found.append(
            PublicKeyCredentialDescriptor(
                id=base64url_to_bytes(key.credential_id),
                transports=transports or None,
            )
        )
    return found


async def keys_of(owner: Owner) -> list[SecurityKey]:
    """The owner's security keys, oldest first."""
    return await SecurityKey.filter(owner.keys()).order_by("enabled_at", "id")


async def begin_registration(
    actor: Principal, *, user_name: str | None, name: str, relying_party: RelyingParty
) -> Registration:
    """Start registering a security key named `name` for the user (or the caller): see the
    module docstring. ValidationError for a bad name; NoSuchEntity for an unknown user;
    LimitExceeded when the owner already has 8 MFA devices."""
    async with audited_precheck(actor, ENABLE, target_arn(actor, user_name)):
        check_name(name, "name", maximum=MAX_KEY_NAME)
        owner = await owner_named(actor, user_name)
    existing = await keys_of(owner)
    options = generate_registration_options(
        rp_id=relying_party.rp_id,
        rp_name=relying_party.name,
        user_id=user_handle(owner),
        user_name=owner.name if owner.user_id is not None else f"root ({owner.account_id})",
        user_display_name=f"{owner.name} ({owner.account_id})",
        timeout=CEREMONY_SECONDS * 1000,
        attestation=AttestationConveyancePreference(relying_party.attestation),
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.DISCOURAGED,
            user_verification=UserVerificationRequirement.PREFERRED,
        ),
        exclude_credentials=descriptors(existing),
    )
    now = clock.now()
    row = WebAuthnChallenge(
        id=new_session_id(),
        kind=CeremonyKind.REGISTRATION,
        challenge=bytes_to_base64url(options.challenge),
        account_id=owner.account_id,
        user_id=owner.user_id,
        root_id=owner.root_id,
        name=name,
        actor_arn=actor.arn,
        actor_session=actor_marker(actor),
        created_at=now,
        expires_at=now + timedelta(seconds=CEREMONY_SECONDS),
    )
    async with writing(actor, ENABLE, owner.arn, changes_permissions=False) as tx:
        if await devices_in_use(owner, tx.connection) >= DEVICES_PER_IDENTITY:
            raise quota_exceeded()
        await row.save(using_db=tx.connection, force_create=True)
        tx.details.update(ceremony="startSecurityKeyRegistration", name=name)
    return Registration(row.id, json.loads(options_to_json(options)), row.expires_at)


async def complete_registration(
    actor: Principal,
    *,
    user_name: str | None,
    registration_id: str,
    credential: object,
    relying_party: RelyingParty,
) -> SecurityKey:
    """Finish the registration `registration_id` with the browser's credential and enable the
    key for its owner: see the module docstring.

    InvalidInput for an unknown, expired, spent or someone else's registration (or one for
    another owner than `user_name` names) and for a credential that is not a JSON object;
    InvalidAuthenticationCode when py_webauthn refuses the answer; EntityAlreadyExists for a
    key registered before; LimitExceeded at 8 devices.
    """
    async with audited_precheck(actor, ENABLE, target_arn(actor, user_name)):
        owner = await owner_named(actor, user_name)
        parsed = credential_object(credential)
        now = clock.now()
        row = await WebAuthnChallenge.get_or_none(
            id=registration_id[:32], kind=CeremonyKind.REGISTRATION
        )
        if (
            row is None
            or row.used_at is not None
            or row.expires_at <= now
            or row.actor_arn != actor.arn
            or row.actor_session != actor_marker(actor)
            or row.user_id != owner.user_id
            or row.root_id != owner.root_id
        ):
            raise InvalidInput(REGISTRATION_INVALID)
    # Spent before the answer is looked at, whatever comes of it: one answer per challenge.
    spent = await WebAuthnChallenge.filter(id=row.id, used_at__isnull=True).update(used_at=now)
    async with audited_precheck(actor, ENABLE, owner.arn):
        if not spent:
            raise InvalidInput(REGISTRATION_INVALID)
        try:
            verified = verify_registration_response(
                credential=parsed,
                expected_challenge=base64url_to_bytes(row.challenge),
                expected_rp_id=relying_party.rp_id,
                expected_origin=list(relying_party.origins),
                require_user_verification=False,
            )
        except Exception as error:  # untrusted bytes through a parser: any failure refuses
            raise InvalidAuthenticationCode(NOT_VERIFIED.format(reason=_reason(error))) from None
    credential_id = bytes_to_base64url(verified.credential_id)
    transports = _transports(parsed)
    key = SecurityKey(
        id=new_session_id(),
        account_id=owner.account_id,
        user_id=owner.user_id,
        root_id=owner.root_id,
        name=row.name,
        serial_number=arns.u2f_arn(
            owner.account_id,
            owner.name if owner.user_id is not None else None,
            row.name,
            new_key_id(),
        ),
        credential_id=credential_id,
        public_key=verified.credential_public_key,
        sign_count=verified.sign_count,
        aaguid=verified.aaguid,
        attestation_format=AttestationFormat(verified.fmt).value,
        transports=transports,
        multi_device=verified.credential_device_type == CredentialDeviceType.MULTI_DEVICE,
        backed_up=verified.credential_backed_up,
        enabled_at=clock.now(),
    )
    async with writing(actor, ENABLE, owner.arn, changes_permissions=False) as tx:
        if await devices_in_use(owner, tx.connection) >= DEVICES_PER_IDENTITY:
            raise quota_exceeded()
        if await SecurityKey.filter(credential_id=credential_id).using_db(tx.connection).exists():
            raise EntityAlreadyExists(ALREADY_REGISTERED)
        await key.save(using_db=tx.connection, force_create=True)
        tx.details.update(
            serialNumber=key.serial_number,
            owner=owner.arn,
            deviceType="securityKey",
            attestationFormat=key.attestation_format,
            aaguid=key.aaguid,
            userVerified=verified.user_verified,
        )
    return key


def _reason(error: Exception) -> str:
    """A refusal's reason, as py_webauthn words it, cut short (it may quote the input)."""
    text = str(error) or type(error).__name__
    return text[:200]


def _transports(credential: Mapping[str, Any]) -> list[str]:
    response = credential.get("response")
    found = response.get("transports") if isinstance(response, Mapping) else None
    if not isinstance(found, list):
        return []
    return [item for item in found if isinstance(item, str) and len(item) <= 32][:8]
