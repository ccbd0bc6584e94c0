"""MFA devices, the second step of signing in (verifyMfa), and recovery codes.

Without `userName`, the device fields act on the caller's own devices and are authorized on
the caller's ARN (`{callerArn}`): that is how the root user, which the AWS API leaves to its
console, manages its own MFA here.
"""

from __future__ import annotations

import strawberry
from strawberry.scalars import JSON

from gateway import models
from gateway.graphql.authorize import CALLER, MFA, USER, authorize, no_permission
from gateway.graphql.context import GatewayContext
from gateway.graphql.sessions import sign_in_payload
from gateway.graphql.types.common import Connection, TagInput, connection, tag_pairs
from gateway.graphql.types.identity import SignInPayload
from gateway.graphql.types.mfa import AssignmentStatus, MfaDevice, NewVirtualMfaDevice
from gateway.services import mfa_devices, recovery_codes, signin
from gateway.services.principal import Principal
from gateway.services.security_keys import RelyingParty
from gateway.services.signin_throttling import Lockout

Info = strawberry.Info[GatewayContext, None]


@strawberry.type
class MfaQueries:
    @strawberry.field(
        description="The MFA devices enabled for a user, or for the caller without userName "
        "(ListMFADevices): virtual devices and security keys.",
        extensions=[authorize("iam:ListMFADevices", USER, fallback=CALLER)],
    )
    async def mfa_devices(self, info: Info, user_name: str | None = None) -> list[MfaDevice] | None:
        actor = await info.context.principal()
        found = await mfa_devices.list_mfa_devices(actor, user_name)
        owner = await mfa_devices.owner_named(actor, user_name)
        return [MfaDevice.from_owned(device, owner) for device in found]

    @strawberry.field(
        description="The account's virtual MFA devices by serial number, assigned or not "
        "(ListVirtualMFADevices).",
        extensions=[authorize("iam:ListVirtualMFADevices", "*")],
    )
    async def virtual_mfa_devices(
        self,
        info: Info,
        assignment_status: AssignmentStatus = AssignmentStatus.ANY,
        first: int | None = None,
        after: str | None = None,
    ) -> Connection[MfaDevice] | None:
        actor = await info.context.principal()
        status = mfa_devices.AssignmentStatus(assignment_status.value)
        page = await mfa_devices.list_virtual_mfa_devices(actor, status, first=first, after=after)
        return connection(page, MfaDevice.from_model)


@strawberry.type
class MfaMutations:
    @strawberry.mutation(
        description="A new virtual MFA device, unassigned (CreateVirtualMFADevice). Its seed, "
        "otpauth URI and QR code are in this answer only.",
        extensions=[authorize(mfa_devices.CREATE, MFA)],
    )
    async def create_virtual_mfa_device(
        self,
        info: Info,
        virtual_mfa_device_name: str,
        path: str = "/",
        tags: list[TagInput] | None = None,
    ) -> NewVirtualMfaDevice | None:
        actor = await info.context.principal()
        created = await mfa_devices.create_virtual_mfa_device(
            actor,
            name=virtual_mfa_device_name,
            path=path,
            tags=tag_pairs(tags),
            cipher=info.context.cipher,
        )
        return NewVirtualMfaDevice.from_result(created)

    @strawberry.mutation(
        description="Enable an unassigned device for a user, or for the caller without "
        "userName, with two consecutive codes from it (EnableMFADevice). From then on its "
        "owner's password sign-ins need a code too.",
        extensions=[authorize(mfa_devices.ENABLE, USER, fallback=CALLER)],
    )
    async def enable_mfa_device(
        self,
        info: Info,
        serial_number: str,
        authentication_code1: str,
        authentication_code2: str,
        user_name: str | None = None,
    ) -> MfaDevice | None:
        actor = await info.context.principal()
        device = await mfa_devices.enable_mfa_device(
            actor,
            user_name=user_name,
            serial_number=serial_number,
            authentication_code_1=authentication_code1,
            authentication_code_2=authentication_code2,
            cipher=info.context.cipher,
        )
        return await _view(actor, device, user_name)

    @strawberry.mutation(
        description="Resynchronize a device whose clock drifted, with two consecutive codes "
        "(ResyncMFADevice).",
        extensions=[authorize(mfa_devices.RESYNC, USER, fallback=CALLER)],
    )
    async def resync_mfa_device(
        self,
        info: Info,
        serial_number: str,
        authentication_code1: str,
        authentication_code2: str,
        user_name: str | None = None,
    ) -> MfaDevice | None:
        actor = await info.context.principal()
        device = await mfa_devices.resync_mfa_device(
            actor,
            user_name=user_name,
            serial_number=serial_number,
            authentication_code_1=authentication_code1,
            authentication_code_2=authentication_code2,
            cipher=info.context.cipher,
        )
        return await _view(actor, device, user_name)

    @strawberry.mutation(
        description="Unassign a device from a user, or from the caller (DeactivateMFADevice): "
        "how an administrator (or root) recovers a user who lost their device.",
        extensions=[authorize(mfa_devices.DEACTIVATE, USER, fallback=CALLER)],
    )
    async def deactivate_mfa_device(
        self, info: Info, serial_number: str, user_name: str | None = None
    ) -> bool | None:
        actor = await info.context.principal()
        await mfa_devices.deactivate_mfa_device(
            actor, user_name=user_name, serial_number=serial_number
        )
        return True

    @strawberry.mutation(
        description="Delete an unassigned virtual MFA device (DeleteVirtualMFADevice).",
        extensions=[authorize(mfa_devices.DELETE, "{serialNumber}")],
    )
    async def delete_virtual_mfa_device(self, info: Info, serial_number: str) -> bool | None:
        actor = await info.context.principal()
        await mfa_devices.delete_virtual_mfa_device(actor, serial_number=serial_number)
        return True

    @strawberry.mutation(
        description="Ten new one-time recovery codes for a user, or for the caller, replacing "
        "earlier ones; shown only here (a gateway addition: AWS has none). A session that "
        "signed in with MFA may make its own without a policy.",
        extensions=[
            authorize(
                recovery_codes.GENERATE,
                USER,
                fallback=CALLER,
                allowed_by=recovery_codes.own_codes_allowed,
            )
        ],
    )
    async def generate_recovery_codes(
        self, info: Info, user_name: str | None = None
    ) -> list[str] | None:
        actor = await info.context.principal()
        return await recovery_codes.generate_recovery_codes(actor, user_name)

    @strawberry.mutation(
        description="Complete a sign-in that answered MfaRequired: the challenge from its "
        "error's extensions and either the device's current code (or a recovery code) or "
        "securityKeyCredential, the browser's PublicKeyCredential (JSON) answering the "
        "WebAuthn options in extensions.webauthn. A challenge lasts five minutes and allows "
        "three answers.",
        extensions=[no_permission(signin.SIGN_IN, anonymous=True)],
    )
    async def verify_mfa(
        self,
        info: Info,
        challenge: str,
        code: str | None = None,
        security_key_credential: JSON | None = None,
    ) -> SignInPayload:
        signed_in = await signin.verify_mfa(
            challenge,
            code,
            source_ip=info.context.source_ip,
            ttl_seconds=info.context.settings.session_ttl_seconds,
            cipher=info.context.cipher,
            lockout=Lockout.from_settings(info.context.settings),
            credential=security_key_credential,
            relying_party=RelyingParty.from_settings(info.context.settings),
        )
        return sign_in_payload(signed_in)


async def _view(actor: Principal, device: models.MfaDevice, user_name: str | None) -> MfaDevice:
    owner = await mfa_devices.owner_named(actor, user_name)
    return MfaDevice.from_model(device, owner.name if owner.user_id is not None else None)
