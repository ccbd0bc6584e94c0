"""Virtual MFA devices: creation, enabling with two consecutive codes, the ±1 step window,
replay refusal, resync, deactivation and deletion, quotas, and seeds encrypted at rest."""

from __future__ import annotations

from collections.abc import Coroutine, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pyotp
import pytest
from hypothesis import given
from hypothesis import strategies as st

from gateway import clock
from gateway.config import Settings
from gateway.errors import (
    AccessDenied,
    DeleteConflict,
    EntityAlreadyExists,
    InvalidAuthenticationCode,
    LimitExceeded,
    NoSuchEntity,
    ValidationError,
)
from gateway.models import MfaDevice, User
from gateway.services.mfa_devices import (
    DEVICES_PER_IDENTITY,
    AssignmentStatus,
    accept_code,
    check_caller_code,
    code_at,
    create_virtual_mfa_device,
    deactivate_mfa_device,
    delete_virtual_mfa_device,
    enable_mfa_device,
    list_mfa_devices,
    list_virtual_mfa_devices,
    matching_step,
    owner_named,
    resync_mfa_device,
)
from gateway.services.principal import Principal
from gateway.services.seeds import SeedCipher, cipher_for
from gateway.services.users import create_user, delete_user
from tests.helpers import principal_for_user
from tests.mfa import Authenticator, enroll
from tests.services.helpers import Rejects

START = datetime(2026, 3, 1, 12, 0, 10, tzinfo=UTC)  # 10 s into a 30-second step


@pytest.fixture(autouse=True)
def frozen() -> Iterator[clock.FrozenClock]:
    with clock.using(clock.FrozenClock(START)) as fake:
        assert isinstance(fake, clock.FrozenClock)
        yield fake


@pytest.fixture
async def bob(root: Principal) -> User:
    return await create_user(root, user_name="bob")


async def test_a_new_device_shows_its_seed_once_and_stores_it_encrypted(
    root: Principal, cipher: SeedCipher
) -> None:
    created = await create_virtual_mfa_device(root, name="BobPhone", path="/staff/", cipher=cipher)
    serial = f"arn:aws:iam::{root.account_id}:mfa/staff/BobPhone"
    assert created.device.serial_number == serial
    assert created.device.enabled_at is None
    assert len(created.seed) == 32
    assert pyotp.TOTP(created.seed).now().isdigit()
    assert created.uri.startswith("otpauth://totp/")
    assert f"secret={created.seed}" in created.uri
    assert "issuer=Gateway" in created.uri
    assert created.qr_code_png.startswith("data:image/png;base64,")
    stored = await MfaDevice.get(serial_number=serial)
    assert created.seed not in stored.seed_ciphertext
    assert cipher.open(stored.seed_ciphertext, serial) == created.seed


def test_a_sealed_seed_opens_only_with_its_key_and_for_its_device(cipher: SeedCipher) -> None:
    sealed = cipher.seal("JBSWY3DPEHPK3PXP", "arn:aws:iam::111122223333:mfa/a")
    assert cipher.open(sealed, "arn:aws:iam::111122223333:mfa/a") == "JBSWY3DPEHPK3PXP"
    with pytest.raises(ValueError, match="cannot be decrypted"):
        cipher.open(sealed, "arn:aws:iam::111122223333:mfa/b")
    with pytest.raises(ValueError, match="cannot be decrypted"):
        SeedCipher("another-secret-key-of-some-length").open(
            sealed, "arn:aws:iam::111122223333:mfa/a"
        )
    assert cipher.seal("same", "x") != cipher.seal("same", "x")  # fresh nonce each time


async def test_device_names_are_unique_ignoring_case_and_follow_aws_rules(
    root: Principal, cipher: SeedCipher, rejects: Rejects
) -> None:
    await create_virtual_mfa_device(root, name="phone", cipher=cipher)
    await rejects(
        create_virtual_mfa_device(root, name="PHONE", cipher=cipher),
        EntityAlreadyExists,
        "MFADevice entity at the same path and name already exists.",
        action="iam:CreateVirtualMFADevice",
    )
    await rejects(
        create_virtual_mfa_device(root, name="my phone", cipher=cipher),
        ValidationError,
        "1 validation error detected: Value 'my phone' at 'virtualMFADeviceName' failed to "
        "satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]+",
        action="iam:CreateVirtualMFADevice",
    )


async def test_enabling_needs_two_consecutive_current_codes(
    root: Principal, bob: User, cipher: SeedCipher, rejects: Rejects
) -> None:
    created = await create_virtual_mfa_device(root, name="bob", cipher=cipher)
    app = Authenticator(created.device.serial_number, created.seed)

    def enable(code_1: str, code_2: str) -> Coroutine[Any, Any, MfaDevice]:
        return enable_mfa_device(
            root,
            user_name="bob",
            serial_number=app.serial_number,
            authentication_code_1=code_1,
            authentication_code_2=code_2,
            cipher=cipher,
        )

    for code_1, code_2 in [
        (app.code(0), app.code(-1)),  # in the wrong order
        (app.code(-1), app.code(-1)),  # the same code twice
        (app.code(-6), app.code(-5)),  # consecutive, but three minutes old
    ]:
        await rejects(
            enable(code_1, code_2),
            InvalidAuthenticationCode,
            "Authentication code for device is not valid.",
            action="iam:EnableMFADevice",
        )
    device = await enable(app.code(-1), app.code(0))
    assert device.user_id == bob.id
    assert device.enabled_at == START
    await rejects(
        enable(app.code(0), app.code(1)),
        EntityAlreadyExists,
        "MFA Device is already in use.",
        action="iam:EnableMFADevice",
    )


async def test_enabling_an_unknown_device_or_for_an_unknown_user_fails(
    root: Principal, bob: User, cipher: SeedCipher, rejects: Rejects
) -> None:
    serial = f"arn:aws:iam::{root.account_id}:mfa/nothing"
    await rejects(
        enable_mfa_device(
            root,
            user_name="bob",
            serial_number=serial,
            authentication_code_1="123456",
            authentication_code_2="654321",
            cipher=cipher,
        ),
        NoSuchEntity,
        f"VirtualMFADevice with serial number {serial} doesn't exist.",
        action="iam:EnableMFADevice",
    )
    await rejects(
        enable_mfa_device(
            root,
            user_name="nobody",
            serial_number=serial,
            authentication_code_1="123456",
            authentication_code_2="654321",
            cipher=cipher,
        ),
        NoSuchEntity,
        "The user with name nobody cannot be found.",
        action="iam:EnableMFADevice",
    )
    await rejects(
        enable_mfa_device(
            root,
            user_name="bob",
            serial_number=serial,
            authentication_code_1="12345a",
            authentication_code_2="654321",
            cipher=cipher,
        ),
        ValidationError,
        "1 validation error detected: Value '***' at 'authenticationCode1' failed to satisfy "
        "constraint: Member must satisfy regular expression pattern: [\\d]+",
        action="iam:EnableMFADevice",
    )


async def test_an_identity_has_at_most_eight_devices(
    root: Principal, bob: User, cipher: SeedCipher, rejects: Rejects
) -> None:
    for index in range(DEVICES_PER_IDENTITY):
        await enroll(root, cipher, "bob", name=f"bob-{index}")
    created = await create_virtual_mfa_device(root, name="bob-extra", cipher=cipher)
    app = Authenticator(created.device.serial_number, created.seed)
    await rejects(
        enable_mfa_device(
            root,
            user_name="bob",
            serial_number=app.serial_number,
            authentication_code_1=app.code(-1),
            authentication_code_2=app.code(0),
            cipher=cipher,
        ),
        LimitExceeded,
        "Cannot exceed quota for MFADevicesPerUser: 8",
        action="iam:EnableMFADevice",
    )


async def test_a_code_is_accepted_once_within_one_step_either_side(
    root: Principal, bob: User, cipher: SeedCipher, frozen: clock.FrozenClock
) -> None:
    app = await enroll(root, cipher, "bob")  # uses the previous and the current step
    owner = await owner_named(root, "bob")
    assert await accept_code(owner, app.code(0), cipher) is None  # used while enabling
    frozen.advance(seconds=30)
    assert await accept_code(owner, app.code(2), cipher) is None  # two steps ahead
    assert await accept_code(owner, app.code(-2), cipher) is None  # two steps ago
    assert await accept_code(owner, app.code(1), cipher) is not None  # the next step (skew)
    assert await accept_code(owner, app.code(1), cipher) is None  # …never twice
    assert await accept_code(owner, app.code(0), cipher) is None  # nor an older one after it
    frozen.advance(seconds=60)
    assert await accept_code(owner, app.code(0), cipher) is not None
    assert await accept_code(owner, "12345", cipher) is None


async def test_resync_learns_the_drift_of_a_device_clock(
    root: Principal, bob: User, cipher: SeedCipher, frozen: clock.FrozenClock, rejects: Rejects
) -> None:
    app = await enroll(root, cipher, "bob")
    owner = await owner_named(root, "bob")
    frozen.advance(minutes=5)
    # The phone's clock runs four minutes fast: its codes are 8 steps ahead of ours.
    assert await accept_code(owner, app.code(8), cipher) is None
    await rejects(
        resync_mfa_device(
            root,
            user_name="bob",
            serial_number=app.serial_number,
            authentication_code_1=app.code(8),
            authentication_code_2=app.code(10),
            cipher=cipher,
        ),
        InvalidAuthenticationCode,
        "Authentication code for device is not valid.",
        action="iam:ResyncMFADevice",
    )
    device = await resync_mfa_device(
        root,
        user_name="bob",
        serial_number=app.serial_number,
        authentication_code_1=app.code(7),
        authentication_code_2=app.code(8),
        cipher=cipher,
    )
    assert device.drift_steps == 8
    frozen.advance(seconds=30)
    assert await accept_code(owner, app.code(9), cipher) is not None


async def test_deactivate_then_delete_a_lost_device(
    root: Principal, bob: User, cipher: SeedCipher, rejects: Rejects
) -> None:
    app = await enroll(root, cipher, "bob")
    await rejects(
        delete_virtual_mfa_device(root, serial_number=app.serial_number),
        DeleteConflict,
        "MFA Device is still assigned to an identity: deactivate it first.",
        action="iam:DeleteVirtualMFADevice",
    )
    await rejects(
        delete_user(root, "bob"),
        DeleteConflict,
        "Cannot delete entity, must delete MFA device first.",
        action="iam:DeleteUser",
    )
    assert [d.serial_number for d in await list_mfa_devices(root, "bob")] == [app.serial_number]
    await deactivate_mfa_device(root, user_name="bob", serial_number=app.serial_number)
    assert await list_mfa_devices(root, "bob") == []
    unassigned = await list_virtual_mfa_devices(root, AssignmentStatus.UNASSIGNED)
    assert [d.serial_number for d in unassigned.items] == [app.serial_number]
    assert (await list_virtual_mfa_devices(root, AssignmentStatus.ASSIGNED)).items == []
    await rejects(
        deactivate_mfa_device(root, user_name="bob", serial_number=app.serial_number),
        NoSuchEntity,
        f"MFA device with serial number {app.serial_number} is not enabled for bob.",
        action="iam:DeactivateMFADevice",
    )
    await delete_virtual_mfa_device(root, serial_number=app.serial_number)
    await delete_user(root, "bob")
    assert await MfaDevice.all().count() == 0


async def test_root_enables_and_lists_its_own_device(root: Principal, cipher: SeedCipher) -> None:
    app = await enroll(root, cipher, None)
    devices = await list_mfa_devices(root)
    assert [d.serial_number for d in devices] == [app.serial_number]
    assert devices[0].root_id is not None
    assert devices[0].user_id is None


async def test_a_caller_code_must_be_from_its_own_device(
    root: Principal, bob: User, cipher: SeedCipher, frozen: clock.FrozenClock
) -> None:
    bobs = await enroll(root, cipher, "bob")
    roots = await enroll(root, cipher, None)
    frozen.advance(seconds=30)
    caller = principal_for_user(bob)
    with pytest.raises(AccessDenied, match="invalid MFA one time pass code"):
        await check_caller_code(caller, roots.serial_number, roots.code(0), cipher)
    device = await check_caller_code(caller, bobs.serial_number, bobs.code(0), cipher)
    assert device.serial_number == bobs.serial_number
    with pytest.raises(AccessDenied):  # replayed
        await check_caller_code(caller, bobs.serial_number, bobs.code(0), cipher)


@given(
    seed=st.sampled_from([pyotp.random_base32() for _ in range(8)]),
    center=st.integers(10, 10**9),
    offset=st.integers(-4, 4),
)
def test_the_window_matches_exactly_one_step_either_side(
    seed: str, center: int, offset: int
) -> None:
    code = code_at(seed, center + offset)
    found = matching_step(seed, code, center - 1, center + 1)
    if abs(offset) <= 1:
        assert found is not None
        assert code_at(seed, found) == code
    else:
        # Outside the window only a step inside it that happens to show the same six digits
        # could match (about one chance in 300,000).
        window = range(center - 1, center + 2)
        assert (found is not None) == any(code_at(seed, step) == code for step in window)


def test_without_a_configured_secret_a_key_file_is_made_once_beside_the_database(
    tmp_path: Path,
) -> None:
    settings = Settings(database_url=f"sqlite://{tmp_path}/gateway.db")
    first = cipher_for(settings)
    key_file = tmp_path / "gateway.key"
    assert key_file.stat().st_mode & 0o777 == 0o600
    sealed = first.seal("JBSWY3DPEHPK3PXP", "serial")
    assert cipher_for(settings).open(sealed, "serial") == "JBSWY3DPEHPK3PXP"  # same key again
    configured = cipher_for(Settings(database_url=settings.database_url, secret_key="k" * 16))
    with pytest.raises(ValueError, match="cannot be decrypted"):
        configured.open(sealed, "serial")
    with pytest.raises(ValueError, match="at least 16 characters"):
        SeedCipher("short")
