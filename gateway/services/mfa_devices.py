"""Virtual MFA devices: Create/Enable/Resync/Deactivate/DeleteVirtual MFA devices, the lists,
and checking a TOTP code (RFC 6238, pyotp) once and only once.

A device's owner is an IAM user or the account's root user. As in AWS, a device is created
unassigned (its seed, `otpauth://` URI and QR code are shown that once), then enabled for one
owner with two consecutive codes; an owner has at most 8 devices. Where the AWS API needs a
`userName`, the gateway lets it be left out to mean the caller itself, which is how the root
user manages its own devices (AWS only offers that in its console).

Codes are six digits for 30-second time steps. A code is accepted for the current step, one
step either side (clock skew), shifted by the device's drift (`ResyncMFADevice`), and only for
a step later than the last one accepted for the device: `MfaDevice.last_used_step` moves with
an atomic conditional update, so a code (or an older one) is never accepted twice, even by two
replicas at once.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

import pyotp
import segno
from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.expressions import Q

from gateway import arns, clock
from gateway.errors import (
    AccessDenied,
    DeleteConflict,
    EntityAlreadyExists,
    InvalidAuthenticationCode,
    LimitExceeded,
    NoSuchEntity,
    ValidationError,
)
from gateway.ids import new_session_id
from gateway.models import MfaDevice, PrincipalKind, RootUser, SecurityKey, User
from gateway.services import tags as tagging
from gateway.services import targets
from gateway.services.identities import attempted_arn
from gateway.services.pagination import Page, decode_cursor, encode_cursor, page_size
from gateway.services.principal import Principal
from gateway.services.seeds import SeedCipher
from gateway.services.targets import Kind
from gateway.services.users import user_by_name
from gateway.services.validation import (
    NON_USER_CREDENTIALS,
    check_length,
    check_name,
    check_path,
    violation,
)
from gateway.services.writes import audit_safe, audited_precheck, writing

STEP_SECONDS = 30
DIGITS = 6
SKEW_STEPS = 1
"""Steps accepted either side of the current one when signing in (±30 s of clock skew)."""
ENABLE_STEPS = 2
"""How many steps back the first of the two enabling codes may be (typing takes time)."""
RESYNC_STEPS = 20
"""How far (±10 minutes) ResyncMFADevice looks for the two consecutive codes."""
DEVICES_PER_IDENTITY = 8
"""MFA devices in use by one user or root user at most (AWS's quota)."""
MAX_DEVICE_NAME = 226
ISSUER = "Gateway"
SERIAL_PATTERN = r"[\w+=/:,.@-]+"

CREATE = "iam:CreateVirtualMFADevice"
ENABLE = "iam:EnableMFADevice"
RESYNC = "iam:ResyncMFADevice"
DEACTIVATE = "iam:DeactivateMFADevice"
DELETE = "iam:DeleteVirtualMFADevice"

INVALID_CODE = "Authentication code for device is not valid."
MFA_FAILED = "MultiFactorAuthentication failed with invalid MFA one time pass code."
IN_USE = "MFA Device is already in use."
STILL_ASSIGNED = "MFA Device is still assigned to an identity: deactivate it first."


class AssignmentStatus(StrEnum):
    """ListVirtualMFADevices' filter."""

    ASSIGNED = "Assigned"
    UNASSIGNED = "Unassigned"
    ANY = "Any"


@dataclass(frozen=True, slots=True)
class Owner:
    """Whose devices: an IAM user (`user_id`) or the root user (`root_id`), by ARN."""

    account_id: str
    arn: str
    name: str
    user_id: str | None = None
    root_id: int | None = None

    def devices(self) -> Q:
        """The filter for this owner's enabled devices."""
        if self.user_id is not None:
            return Q(user_id=self.user_id, enabled_at__isnull=False)
        return Q(root_id=self.root_id, enabled_at__isnull=False)

    def keys(self) -> Q:
        """The filter for this owner's security keys (`SecurityKey`)."""
        if self.user_id is not None:
            return Q(user_id=self.user_id)
        return Q(root_id=self.root_id)


@dataclass(frozen=True, slots=True)
class NewDevice:
    """CreateVirtualMFADevice's answer: the seed, URI and QR code are shown only here."""

    device: MfaDevice
    seed: str
    uri: str
    qr_code_png: str  # a `data:image/png;base64,…` URI


def serial_arn(serial_number: str) -> str:
    """The resource a serial number names, for an audit event (virtual devices' serial
    numbers are their ARNs)."""
    return audit_safe(serial_number)


def current_step(now: datetime) -> int:
    """The TOTP time step of `now`."""
    return int(now.timestamp()) // STEP_SECONDS


def code_at(seed: str, step: int) -> str:
    """The code a device with `seed` shows during time step `step`."""
    return pyotp.TOTP(seed, digits=DIGITS, interval=STEP_SECONDS).generate_otp(step)


def matching_step(seed: str, code: str, first: int, last: int) -> int | None:
    """The latest step in `first..last` whose code is `code`, if any (constant-time compares)."""
    found = None
    for step in range(first, last + 1):
        if hmac.compare_digest(code_at(seed, step), code):
            found = step
    return found


def check_code(value: str, field: str) -> str:
    """A six-digit authentication code, or AWS's ValidationError."""
    check_length(value, field, minimum=DIGITS, maximum=DIGITS)
    if not value.isascii() or not value.isdigit():
        raise violation("***", field, "Member must satisfy regular expression pattern: [\\d]+")
    return value


def check_serial(value: str, field: str = "serialNumber") -> str:
    """A device serial number: 9 to 256 characters of `[\\w+=/:,.@-]`."""
    check_length(value, field, minimum=9, maximum=256)
    if not all(ch.isalnum() or ch in "_+=/:,.@-" for ch in value) or not value.isascii():
        raise violation(
            value, field, f"Member must satisfy regular expression pattern: {SERIAL_PATTERN}"
        )
    return value


async def owner_named(actor: Principal, user_name: str | None) -> Owner:
    """The user `user_name` of the caller's account, or the caller itself when it is None.

    ValidationError when a role session leaves the name out: roles have no MFA devices.
    """
    if user_name is not None:
        user = await user_by_name(actor.account_id, user_name)
        return Owner(user.account_id, user.arn, user.name, user_id=user.id)
    return await owner_of(actor)


async def owner_of(actor: Principal) -> Owner:
    """The caller as an owner of devices; AWS's ValidationError for a role session."""
    if actor.kind is PrincipalKind.ROOT:
        root = await RootUser.get(account_id=actor.account_id)
        return Owner(actor.account_id, actor.arn, "root", root_id=root.id)
    if actor.kind is PrincipalKind.USER and actor.name is not None:
        return Owner(actor.account_id, actor.arn, actor.name, user_id=actor.id)
    raise ValidationError(NON_USER_CREDENTIALS)


def target_arn(actor: Principal, user_name: str | None) -> str:
    """The resource an operation on `user_name`'s devices (or the caller's own) acts on."""
    if user_name is None:
        return actor.arn
    return attempted_arn("user", actor.account_id, "/", user_name)


async def create_virtual_mfa_device(
    actor: Principal,
    *,
    name: str,
    path: str = "/",
    tags: tagging.TagsIn | None = None,
    cipher: SeedCipher,
) -> NewDevice:
    """A new, unassigned virtual MFA device with a fresh seed (see `NewDevice`).

    ValidationError for a bad name or path; EntityAlreadyExists if the account has a device
    of that name (names ignore case).
    """
    async with audited_precheck(actor, CREATE, attempted_arn("mfa", actor.account_id, path, name)):
        check_name(name, "virtualMFADeviceName", maximum=MAX_DEVICE_NAME)
        check_path(path)
        new_tags = tagging.checked(tags or {})
        arn = arns.mfa_arn(actor.account_id, path, name)
        if await MfaDevice.filter(account_id=actor.account_id, name_lower=name.lower()).exists():
            raise _exists()
    seed = pyotp.random_base32()
    device = MfaDevice(
        id=new_session_id(),
        account_id=actor.account_id,
        name=name,
        name_lower=name.lower(),
        path=path,
        serial_number=arn,
        seed_ciphertext=cipher.seal(seed, arn),
        created_at=clock.now(),
        tags=new_tags,
    )
    async with writing(actor, CREATE, arn, changes_permissions=False) as tx:
        if (
            await MfaDevice.filter(account_id=actor.account_id, name_lower=name.lower())
            .using_db(tx.connection)
            .exists()
        ):
            raise _exists()
        await device.save(using_db=tx.connection, force_create=True)
        tx.details.update(serialNumber=arn)
    uri = pyotp.TOTP(seed, digits=DIGITS, interval=STEP_SECONDS).provisioning_uri(
        name=f"{name}@{actor.account_id}", issuer_name=ISSUER
    )
    qr = segno.make(uri, error="m").png_data_uri(scale=4)
    return NewDevice(device, seed, uri, qr)


async def enable_mfa_device(
    actor: Principal,
    *,
    user_name: str | None,
    serial_number: str,
    authentication_code_1: str,
    authentication_code_2: str,
    cipher: SeedCipher,
) -> MfaDevice:
    """Assign the unassigned device `serial_number` to the user (or the caller), proven by two
    consecutive codes from it.

    NoSuchEntity for an unknown user or device; EntityAlreadyExists if the device is in use;
    LimitExceeded at 8 devices; InvalidAuthenticationCode unless code 2 follows code 1 and
    code 1 is from the last minute or so.
    """
    async with audited_precheck(actor, ENABLE, target_arn(actor, user_name)):
        check_serial(serial_number)
        check_code(authentication_code_1, "authenticationCode1")
        check_code(authentication_code_2, "authenticationCode2")
        owner = await owner_named(actor, user_name)
        device = await _device(actor.account_id, serial_number)
        if device.enabled_at is not None:
            raise EntityAlreadyExists(IN_USE)
        seed = cipher.open(device.seed_ciphertext, device.serial_number)
        now = current_step(clock.now())
        step = _consecutive(
            seed, authentication_code_1, authentication_code_2, now - ENABLE_STEPS, now
        )
        if step is None:
            raise InvalidAuthenticationCode(INVALID_CODE)
    async with writing(actor, ENABLE, owner.arn, changes_permissions=False) as tx:
        if await devices_in_use(owner, tx.connection) >= DEVICES_PER_IDENTITY:
            raise quota_exceeded()
        enabled = await (
            MfaDevice.filter(id=device.id, enabled_at__isnull=True)
            .using_db(tx.connection)
            .update(
                user_id=owner.user_id,
                root_id=owner.root_id,
                enabled_at=clock.now(),
                last_used_step=step + 1,
                last_used_at=clock.now(),
                drift_steps=0,
            )
        )
        if not enabled:
            raise EntityAlreadyExists(IN_USE)
        tx.details.update(serialNumber=device.serial_number, owner=owner.arn)
    return await MfaDevice.get(id=device.id)


async def resync_mfa_device(
    actor: Principal,
    *,
    user_name: str | None,
    serial_number: str,
    authentication_code_1: str,
    authentication_code_2: str,
    cipher: SeedCipher,
) -> MfaDevice:
    """Re-learn how far the owner's device's clock has drifted, from two consecutive codes
    found within ten minutes either side of now; InvalidAuthenticationCode otherwise."""
    async with audited_precheck(actor, RESYNC, target_arn(actor, user_name)):
        check_serial(serial_number)
        check_code(authentication_code_1, "authenticationCode1")
        check_code(authentication_code_2, "authenticationCode2")
        owner = await owner_named(actor, user_name)
        device = await _owned_device(owner, serial_number)
        seed = cipher.open(device.seed_ciphertext, device.serial_number)
        now = current_step(clock.now())
        step = _consecutive(
            seed,
            authentication_code_1,
            authentication_code_2,
            now - RESYNC_STEPS,
            now + RESYNC_STEPS,
        )
        if step is None or step + 1 <= (device.last_used_step or 0):
            raise InvalidAuthenticationCode(INVALID_CODE)
    async with writing(actor, RESYNC, owner.arn, changes_permissions=False) as tx:
        await _advance(device, step + 1, using_db=tx.connection, drift=step + 1 - now)
        tx.details.update(serialNumber=device.serial_number, driftSteps=step + 1 - now)
    return await MfaDevice.get(id=device.id)


async def deactivate_mfa_device(
    actor: Principal, *, user_name: str | None, serial_number: str
) -> None:
    """Unassign the device from the user (or the caller): the administrator's recovery path
    for a lost device. The virtual device remains, unassigned, until deleted."""
    async with audited_precheck(actor, DEACTIVATE, target_arn(actor, user_name)):
        check_serial(serial_number)
        owner = await owner_named(actor, user_name)
        key = await SecurityKey.filter(owner.keys(), serial_number=serial_number).first()
        device = await _owned_device(owner, serial_number) if key is None else None
    if key is not None:
        # As in AWS, deactivating a security key deletes it: it cannot be enabled again.
        async with writing(actor, DEACTIVATE, owner.arn, changes_policies=False) as tx:
            await SecurityKey.filter(id=key.id).using_db(tx.connection).delete()
            tx.details.update(
                serialNumber=key.serial_number, owner=owner.arn, deviceType="securityKey"
            )
        return
    assert device is not None
    async with writing(actor, DEACTIVATE, owner.arn, changes_policies=False) as tx:
        await (
            MfaDevice.filter(id=device.id)
            .using_db(tx.connection)
            .update(user_id=None, root_id=None, enabled_at=None, drift_steps=0)
        )
        tx.details.update(serialNumber=device.serial_number, owner=owner.arn)


async def delete_virtual_mfa_device(actor: Principal, *, serial_number: str) -> None:
    """Delete an unassigned virtual device; DeleteConflict while it is assigned."""
    async with audited_precheck(actor, DELETE, serial_arn(serial_number)):
        check_serial(serial_number)
        device = await _device(actor.account_id, serial_number)
    async with writing(actor, DELETE, device.serial_number, changes_permissions=False) as tx:
        deleted = await (
            MfaDevice.filter(id=device.id, enabled_at__isnull=True).using_db(tx.connection).delete()
        )
        if not deleted:
            raise DeleteConflict(STILL_ASSIGNED)
        tx.details.update(serialNumber=device.serial_number)


async def list_mfa_devices(
    actor: Principal, user_name: str | None = None
) -> list[MfaDevice | SecurityKey]:
    """The devices enabled for the user (or the caller), virtual ones and security keys,
    oldest first."""
    owner = await owner_named(actor, user_name)
    virtual = await MfaDevice.filter(owner.devices()).order_by("enabled_at", "id")
    keys = await SecurityKey.filter(owner.keys()).order_by("enabled_at", "id")
    found: list[MfaDevice | SecurityKey] = [*virtual, *keys]
    return sorted(found, key=lambda device: (device.enabled_at, device.id))


async def list_virtual_mfa_devices(
    actor: Principal,
    assignment_status: AssignmentStatus = AssignmentStatus.ANY,
    *,
    first: int | None = None,
    after: str | None = None,
) -> Page[MfaDevice]:
    """One page of the account's virtual devices in serial-number order, optionally only the
    (un)assigned ones, with their users loaded."""
    query = MfaDevice.filter(account_id=actor.account_id)
    if assignment_status is AssignmentStatus.ASSIGNED:
        query = query.filter(enabled_at__isnull=False)
    elif assignment_status is AssignmentStatus.UNASSIGNED:
        query = query.filter(enabled_at__isnull=True)
    size = page_size(first)
    key = decode_cursor(after)
    if key is not None:
        query = query.filter(serial_number__gt=key)
    rows = await query.order_by("serial_number").limit(size + 1).prefetch_related("user")
    return Page(rows[:size], len(rows) > size, lambda device: encode_cursor(device.serial_number))


async def has_mfa(owner: Owner) -> bool:
    """Whether the owner has an enabled device or a security key (then password sign-in
    needs a second factor too)."""
    return (
        await MfaDevice.filter(owner.devices()).exists()
        or await SecurityKey.filter(owner.keys()).exists()
    )


async def devices_in_use(owner: Owner, connection: BaseDBAsyncClient) -> int:
    """How many MFA devices (virtual and security keys) the owner has, counted in the open
    write's transaction after locking the owner's row, so that concurrent enrolments on
    PostgreSQL wait for each other instead of both passing the quota (SQLite runs one write
    at a time anyway)."""
    if owner.user_id is not None:
        await User.filter(id=owner.user_id).using_db(connection).select_for_update().first()
    else:
        await RootUser.filter(id=owner.root_id).using_db(connection).select_for_update().first()
    virtual = await MfaDevice.filter(owner.devices()).using_db(connection).count()
    keys = await SecurityKey.filter(owner.keys()).using_db(connection).count()
    return virtual + keys


def quota_exceeded() -> LimitExceeded:
    """AWS's error for a ninth MFA device."""
    return LimitExceeded(f"Cannot exceed quota for MFADevicesPerUser: {DEVICES_PER_IDENTITY}")


async def accept_code(owner: Owner, code: str, cipher: SeedCipher) -> MfaDevice | None:
    """The owner's enabled device that shows `code` now (±1 step, after its drift), marking
    that step used; None if no device does or the step was already used."""
    if len(code) != DIGITS or not code.isascii() or not code.isdigit():
        return None
    now = current_step(clock.now())
    for device in await MfaDevice.filter(owner.devices()).order_by("enabled_at", "id"):
        seed = cipher.open(device.seed_ciphertext, device.serial_number)
        center = now + device.drift_steps
        step = matching_step(seed, code, center - SKEW_STEPS, center + SKEW_STEPS)
        if step is not None and await _advance(device, step):
            return device
    return None


@dataclass(frozen=True, slots=True)
class NextCode:
    """The earliest code the owner's devices will accept: its TOTP step (on the device's own
    clock) and when the device starts showing it (at or before now: the code shown now)."""

    step: int
    at: datetime


async def next_accepted_code(owner: Owner) -> NextCode | None:
    """The earliest code any of the owner's virtual devices will accept, or None without one.

    A step is used once: right after a device was enabled or a code was accepted, the code on
    its screen is spent and the next one can be half a minute or a minute away (enabling uses
    the codes of two steps); a script that sends a code before then only spends attempts.
    """
    now = clock.now()
    earliest: NextCode | None = None
    for device in await MfaDevice.filter(owner.devices()):
        shown = current_step(now) + device.drift_steps
        step = max(shown, (device.last_used_step or 0) + 1)
        at = datetime.fromtimestamp((step - device.drift_steps) * STEP_SECONDS, UTC)
        if earliest is None or at < earliest.at:
            earliest = NextCode(step, at)
    return earliest


async def check_caller_code(
    actor: Principal, serial_number: str, token_code: str, cipher: SeedCipher
) -> MfaDevice:
    """The caller's own enabled device `serial_number`, having accepted `token_code` once
    (GetSessionToken, AssumeRole); AccessDenied with AWS's message otherwise."""
    check_serial(serial_number)
    check_code(token_code, "tokenCode")
    owner = await owner_of(actor)
    device = await MfaDevice.filter(owner.devices(), serial_number=serial_number).first()
    if device is None:
        raise AccessDenied(MFA_FAILED)
    seed = cipher.open(device.seed_ciphertext, device.serial_number)
    center = current_step(clock.now()) + device.drift_steps
    step = matching_step(seed, token_code, center - SKEW_STEPS, center + SKEW_STEPS)
    if step is None or not await _advance(device, step):
        raise AccessDenied(MFA_FAILED)
    return device


async def _advance(
    device: MfaDevice,
    step: int,
    *,
    using_db: BaseDBAsyncClient | None = None,
    drift: int | None = None,
) -> bool:
    """Mark `step` used for the device if it is later than every step used so far."""
    changes: dict[str, object] = {"last_used_step": step, "last_used_at": clock.now()}
    if drift is not None:
        changes["drift_steps"] = drift
    updated = await (
        MfaDevice.filter(Q(last_used_step__isnull=True) | Q(last_used_step__lt=step), id=device.id)
        .using_db(using_db)
        .update(**changes)
    )
    return bool(updated)


def _consecutive(seed: str, code_1: str, code_2: str, first: int, last: int) -> int | None:
    """The step of `code_1` in `first..last` when `code_2` is the next step's code."""
    found = None
    for step in range(first, last + 1):
        if hmac.compare_digest(code_at(seed, step), code_1) and hmac.compare_digest(
            code_at(seed, step + 1), code_2
        ):
            found = step
    return found


async def _device(account_id: str, serial_number: str) -> MfaDevice:
    device = await targets.stored_by_arn(Kind.MFA, account_id, serial_number)
    if not isinstance(device, MfaDevice):
        raise NoSuchEntity(f"VirtualMFADevice with serial number {serial_number} doesn't exist.")
    return device


async def _owned_device(owner: Owner, serial_number: str) -> MfaDevice:
    device = await targets.stored_by_arn(
        Kind.MFA, owner.account_id, serial_number, extra=owner.devices()
    )
    if not isinstance(device, MfaDevice):
        raise NoSuchEntity(
            f"MFA device with serial number {serial_number} is not enabled for {owner.name}."
        )
    return device


def _exists() -> EntityAlreadyExists:
    return EntityAlreadyExists("MFADevice entity at the same path and name already exists.")
