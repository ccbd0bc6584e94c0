"""MFA devices (never their seeds, except once in `NewVirtualMfaDevice`) and recovery codes."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry

from gateway import models
from gateway.arns import root_arn
from gateway.graphql.types.common import Tag
from gateway.services.mfa_devices import NewDevice, Owner


@strawberry.enum(description="Which virtual MFA devices to list.")
class AssignmentStatus(Enum):
    ASSIGNED = "Assigned"
    UNASSIGNED = "Unassigned"
    ANY = "Any"


@strawberry.enum(description="What kind of MFA device it is.")
class MfaDeviceType(Enum):
    VIRTUAL = "virtual"
    SECURITY_KEY = "securityKey"


@strawberry.type(
    description="An MFA device, by its serial number (ARN): a virtual TOTP device "
    "(`…:mfa/…`) or a FIDO security key or passkey (`…:u2f/…`)."
)
class MfaDevice:
    serial_number: str = strawberry.field(description="The device's ARN.")
    device_type: MfaDeviceType
    name: str
    path: str
    create_date: datetime
    enable_date: datetime | None = strawberry.field(description="Null while unassigned.")
    user_name: str | None = strawberry.field(
        description="The IAM user it is enabled for (null for root's and unassigned devices)."
    )
    owner_arn: str | None = strawberry.field(
        description="The user or root user it is enabled for; null while unassigned."
    )
    tags: list[Tag]
    last_used_date: datetime | None = strawberry.field(
        default=None, description="When it last signed someone in (security keys)."
    )

    @classmethod
    def from_owned(cls, device: models.MfaDevice | models.SecurityKey, owner: Owner) -> MfaDevice:
        """The GraphQL view of one of `owner`'s devices, virtual or security key."""
        user_name = owner.name if owner.user_id is not None else None
        if isinstance(device, models.SecurityKey):
            return cls.from_security_key(device, user_name, owner.arn)
        return cls.from_model(device, user_name)

    @classmethod
    def from_security_key(
        cls, key: models.SecurityKey, user_name: str | None, owner_arn: str
    ) -> MfaDevice:
        """The GraphQL view of a security key (`user_name`: its user's, null for root's)."""
        return cls(
            serial_number=key.serial_number,
            device_type=MfaDeviceType.SECURITY_KEY,
            name=key.name,
            path="/",
            create_date=key.enabled_at,
            enable_date=key.enabled_at,
            user_name=user_name if key.user_id is not None else None,
            owner_arn=owner_arn,
            tags=[],
            last_used_date=key.last_used_at,
        )

    @classmethod
    def from_model(cls, device: models.MfaDevice, user_name: str | None = None) -> MfaDevice:
        """The GraphQL view of a device (`user_name` of its user when known; else its loaded
        `user` relation, if any)."""
        owner = None
        if device.enabled_at is not None:
            if device.user_id is not None:
                user = device.user if isinstance(device.user, models.User) else None
                user_name = user_name or (user.name if user is not None else None)
                owner = user.arn if user is not None else None
            else:
                owner = root_arn(device.account_id)
        return cls(
            serial_number=device.serial_number,
            device_type=MfaDeviceType.VIRTUAL,
            name=device.name,
            path=device.path,
            create_date=device.created_at,
            enable_date=device.enabled_at,
            user_name=user_name if device.user_id is not None else None,
            owner_arn=owner,
            tags=Tag.list_of(device.tags),
        )


@strawberry.type(
    description="A new virtual MFA device. The seed, URI and QR code are shown only here, once: "
    "put them in an authenticator app, then enable the device with two consecutive codes."
)
class NewVirtualMfaDevice:
    device: MfaDevice
    base32_string_seed: str = strawberry.field(description="The TOTP seed, Base32.")
    otpauth_uri: str = strawberry.field(description="`otpauth://totp/…`, for authenticator apps.")
    qr_code_png: str = strawberry.field(
        description="The URI as a QR code: a `data:image/png;base64,…` URI for an <img>."
    )

    @classmethod
    def from_result(cls, created: NewDevice) -> NewVirtualMfaDevice:
        """The GraphQL view of CreateVirtualMFADevice's answer."""
        return cls(
            device=MfaDevice.from_model(created.device),
            base32_string_seed=created.seed,
            otpauth_uri=created.uri,
            qr_code_png=created.qr_code_png,
        )
