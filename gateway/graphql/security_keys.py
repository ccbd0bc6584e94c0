"""Registering a FIDO security key or passkey as an MFA device (a gateway addition: AWS
registers them only in its console).

Both steps need `iam:EnableMFADevice` on the user, or on the caller without `userName`, as
AWS's "manage your own MFA device" policies grant it.
"""

from __future__ import annotations

import strawberry
from strawberry.scalars import JSON

from gateway.graphql.authorize import CALLER, USER, authorize
from gateway.graphql.context import GatewayContext
from gateway.graphql.types.mfa import MfaDevice
from gateway.graphql.types.security_key import SecurityKeyRegistration
from gateway.services import mfa_devices, security_keys
from gateway.services.security_keys import RelyingParty

Info = strawberry.Info[GatewayContext, None]


@strawberry.type
class SecurityKeyMutations:
    @strawberry.mutation(
        description="Begin registering a security key or passkey named `name` for a user, or "
        "for the caller without userName: the WebAuthn creation options for the browser. "
        "Complete it within five minutes, with the same credentials.",
        extensions=[authorize(mfa_devices.ENABLE, USER, fallback=CALLER)],
    )
    async def start_security_key_registration(
        self, info: Info, name: str, user_name: str | None = None
    ) -> SecurityKeyRegistration | None:
        actor = await info.context.principal()
        registration = await security_keys.begin_registration(
            actor,
            user_name=user_name,
            name=name,
            relying_party=RelyingParty.from_settings(info.context.settings),
        )
        return SecurityKeyRegistration.from_result(registration)

    @strawberry.mutation(
        description="Complete a security key registration with the browser's answer (the "
        "PublicKeyCredential from navigator.credentials.create(), as JSON): the key becomes an "
        "MFA device of its owner (serial arn:aws:iam::ACCOUNT:u2f/…).",
        extensions=[authorize(mfa_devices.ENABLE, USER, fallback=CALLER)],
    )
    async def complete_security_key_registration(
        self,
        info: Info,
        registration_id: str,
        credential: JSON,
        user_name: str | None = None,
    ) -> MfaDevice | None:
        actor = await info.context.principal()
        key = await security_keys.complete_registration(
            actor,
            user_name=user_name,
            registration_id=registration_id,
            credential=credential,
            relying_party=RelyingParty.from_settings(info.context.settings),
        )
        owner = await mfa_devices.owner_named(actor, user_name)
        return MfaDevice.from_owned(key, owner)
