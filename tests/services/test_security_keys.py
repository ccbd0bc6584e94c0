"""Registering security keys: the WebAuthn registration ceremony through py_webauthn's real
checks, single-use challenges bound to whoever began them, AWS's serial numbers, the shared
8-device quota, removal by an administrator, and bad answers refused without harm."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gateway import clock
from gateway.errors import (
    DeleteConflict,
    EntityAlreadyExists,
    GatewayError,
    InvalidAuthenticationCode,
    InvalidInput,
    LimitExceeded,
    NoSuchEntity,
    ValidationError,
)
from gateway.models import AuditEvent, SecurityKey, User, WebAuthnChallenge
from gateway.services.mfa_devices import (
    DEVICES_PER_IDENTITY,
    deactivate_mfa_device,
    has_mfa,
    list_mfa_devices,
    owner_named,
)
from gateway.services.principal import Principal
from gateway.services.security_keys import (
    REGISTRATION_INVALID,
    begin_registration,
    complete_registration,
)
from gateway.services.seeds import SeedCipher
from gateway.services.users import create_user, delete_user
from tests.helpers import principal_for_user
from tests.mfa import RELYING_PARTY, enroll, register_key
from tests.security_key import SoftKey
from tests.services.helpers import Rejects

START = datetime(2026, 3, 1, 12, 0, 10, tzinfo=UTC)
SERIAL = re.compile(
    r"arn:aws:iam::(\d{12}):u2f/(user/[\w+=,.@-]+|root)/([\w+=,.@-]+)-([A-Z2-7]{26})"
)
"""AWS's form, as in the AWS CLI reference's list-mfa-devices example ("To list all MFA
devices for a specified user"):
`arn:aws:iam::123456789012:u2f/user/Bob/fidosecuritykey1-7XNL7NFNLZ123456789EXAMPLE`."""
ENABLE = "iam:EnableMFADevice"


@pytest.fixture(autouse=True)
def frozen() -> Iterator[clock.FrozenClock]:
    with clock.using(clock.FrozenClock(START)) as fake:
        assert isinstance(fake, clock.FrozenClock)
        yield fake


@pytest.fixture
async def bob(root: Principal) -> User:
    return await create_user(root, user_name="bob")


async def begin(actor: Principal, user_name: str | None = "bob", name: str = "yubikey") -> Any:
    return await begin_registration(
        actor, user_name=user_name, name=name, relying_party=RELYING_PARTY
    )


async def complete(
    actor: Principal, registration_id: str, credential: Any, user_name: str | None = "bob"
) -> SecurityKey:
    return await complete_registration(
        actor,
        user_name=user_name,
        registration_id=registration_id,
        credential=credential,
        relying_party=RELYING_PARTY,
    )


async def test_a_registered_key_is_an_mfa_device_with_an_aws_serial_number(
    root: Principal, bob: User
) -> None:
    registration = await begin(root)
    options = registration.options
    assert options["rp"] == {"id": "localhost", "name": "Gateway"}
    assert options["user"]["name"] == "bob"
    assert options["user"]["id"] == "QUlEQ" + options["user"]["id"][5:]  # base64url of AIDA…
    assert options["attestation"] == "none"
    assert options["authenticatorSelection"]["userVerification"] == "preferred"
    assert options["excludeCredentials"] == []
    assert {"type": "public-key", "alg": -7} in options["pubKeyCredParams"]
    assert (registration.expires_at - START).total_seconds() == 300

    soft = SoftKey()
    key = await complete(root, registration.id, soft.register(options))

    match = SERIAL.fullmatch(key.serial_number)
    assert match is not None, key.serial_number
    assert match.groups()[:3] == (root.account_id, "user/bob", "yubikey")
    assert key.credential_id == soft.id
    assert key.user_id == bob.id
    assert key.sign_count == 0
    assert key.attestation_format == "none"
    assert key.transports == ["usb"]
    listed = await list_mfa_devices(root, "bob")
    assert [device.serial_number for device in listed] == [key.serial_number]
    assert await has_mfa(await owner_named(root, "bob"))
    event = await AuditEvent.filter(action=ENABLE, outcome="Allowed").order_by("-id").first()
    assert event is not None
    assert event.resource == bob.arn
    assert event.details["serialNumber"] == key.serial_number
    assert event.details["deviceType"] == "securityKey"
    spent = await WebAuthnChallenge.get(id=registration.id)
    assert spent.used_at is not None


async def test_root_registers_its_own_key(root: Principal) -> None:
    _, key = await register_key(root, None, "root-key")
    match = SERIAL.fullmatch(key.serial_number)
    assert match is not None
    assert match.groups()[1:3] == ("root", "root-key")
    assert key.root_id is not None
    assert key.user_id is None


async def test_an_answer_for_another_origin_relying_party_or_challenge_is_refused(
    root: Principal, bob: User
) -> None:
    soft = SoftKey()
    wrong: list[tuple[dict[str, Any], str]] = [
        ({"origin": "http://localhost:8001"}, "Unexpected client data origin"),
        ({"origin": "https://evil.example"}, "Unexpected client data origin"),
        ({"rp_id": "evil.example"}, "Unexpected RP ID hash"),
        ({"challenge": "AAAA"}, "Client data challenge was not expected challenge"),
        ({"ceremony": "webauthn.get"}, "Unexpected client data type"),
    ]
    for changes, reason in wrong:
        registration = await begin(root)
        with pytest.raises(InvalidAuthenticationCode) as raised:
            await complete(root, registration.id, soft.register(registration.options, **changes))
        assert raised.value.message.startswith("The security key's answer could not be verified")
        assert reason in raised.value.message
        # The challenge was spent by the failed answer: the right one no longer works either.
        with pytest.raises(InvalidInput) as spent:
            await complete(root, registration.id, soft.register(registration.options))
        assert spent.value.message == REGISTRATION_INVALID
    assert await SecurityKey.all().count() == 0
    failed = await AuditEvent.filter(action=ENABLE, outcome="Failed").count()
    assert failed == 2 * len(wrong)


async def test_a_registration_is_single_use_and_expires(
    root: Principal, bob: User, frozen: clock.FrozenClock
) -> None:
    registration = await begin(root)
    credential = SoftKey().register(registration.options)
    await complete(root, registration.id, credential)
    with pytest.raises(InvalidInput):
        await complete(root, registration.id, credential)

    late = await begin(root, name="late")
    frozen.advance(seconds=301)
    with pytest.raises(InvalidInput) as expired:
        await complete(root, late.id, SoftKey().register(late.options))
    assert expired.value.message == REGISTRATION_INVALID
    assert await SecurityKey.all().count() == 1


async def test_only_who_began_a_registration_completes_it_with_the_same_credentials(
    root: Principal, bob: User
) -> None:
    admin = principal_for_user(await create_user(root, user_name="admin"))
    registration = await begin(root)
    credential = SoftKey().register(registration.options)
    other_session = Principal.root(root.account_id, session_id="another-session")
    for actor, user_name in [
        (admin, "bob"),  # another principal
        (other_session, "bob"),  # root, but with other credentials
        (root, "admin"),  # for another owner than it was begun for
        (root, None),
    ]:
        with pytest.raises(InvalidInput) as raised:
            await complete(actor, registration.id, credential, user_name=user_name)
        assert raised.value.message == REGISTRATION_INVALID
    with pytest.raises(InvalidInput):
        await complete(root, "no-such-registration", credential)
    key = await complete(root, registration.id, credential)
    assert key.user_id == bob.id


async def test_a_key_registers_once(root: Principal, bob: User) -> None:
    soft, first = await register_key(root, "bob")
    registration = await begin(root, name="again")
    assert registration.options["excludeCredentials"] == [
        {"id": soft.id, "type": "public-key", "transports": ["usb"]}
    ]
    with pytest.raises(EntityAlreadyExists) as raised:
        await complete(root, registration.id, soft.register(registration.options))
    assert raised.value.message == "This security key is already registered."
    assert [k.id for k in await SecurityKey.all()] == [first.id]


async def test_keys_and_virtual_devices_share_the_eight_device_quota(
    root: Principal, bob: User, cipher: SeedCipher, rejects: Rejects, frozen: clock.FrozenClock
) -> None:
    for number in range(DEVICES_PER_IDENTITY - 1):
        await enroll(root, cipher, "bob", name=f"phone{number}")
        frozen.advance(seconds=30)
    await register_key(root, "bob")
    assert len(await list_mfa_devices(root, "bob")) == DEVICES_PER_IDENTITY
    await rejects(
        begin(root, name="ninth"),
        LimitExceeded,
        "Cannot exceed quota for MFADevicesPerUser: 8",
        action=ENABLE,
    )
    with pytest.raises(LimitExceeded):
        await enroll(root, cipher, "bob", name="phone-nine")


async def test_concurrent_registrations_cannot_pass_the_quota_together(
    root: Principal, bob: User
) -> None:
    for number in range(DEVICES_PER_IDENTITY - 1):
        await register_key(root, "bob", name=f"key{number}")
    registrations = [await begin(root, name=f"last{n}") for n in range(4)]
    results = await asyncio.gather(
        *(complete(root, r.id, SoftKey().register(r.options)) for r in registrations),
        return_exceptions=True,
    )
    stored = [r for r in results if isinstance(r, SecurityKey)]
    refused = [r for r in results if isinstance(r, GatewayError)]
    assert len(stored) == 1, results
    assert {type(error) for error in refused} == {LimitExceeded}
    assert await SecurityKey.filter(user_id=bob.id).count() == DEVICES_PER_IDENTITY


async def test_an_administrator_removes_a_lost_key_and_then_the_user_can_go(
    root: Principal, bob: User, rejects: Rejects
) -> None:
    _, key = await register_key(root, "bob")
    await rejects(
        delete_user(root, "bob"),
        DeleteConflict,
        "Cannot delete entity, must delete MFA device first.",
        action="iam:DeleteUser",
    )
    await deactivate_mfa_device(root, user_name="bob", serial_number=key.serial_number)
    assert await SecurityKey.all().count() == 0
    event = await AuditEvent.filter(action="iam:DeactivateMFADevice").order_by("-id").first()
    assert event is not None
    assert event.outcome == "Allowed"
    assert event.details["serialNumber"] == key.serial_number
    assert not await has_mfa(await owner_named(root, "bob"))
    await delete_user(root, "bob")


async def test_a_bad_name_or_an_unknown_user_changes_nothing(
    root: Principal, bob: User, rejects: Rejects
) -> None:
    await rejects(
        begin(root, name="my key"),
        ValidationError,
        "1 validation error detected: Value 'my key' at 'name' failed to satisfy constraint: "
        "Member must satisfy regular expression pattern: [\\w+=,.@-]+",
        action=ENABLE,
    )
    await rejects(
        begin(root, name="k" * 129),
        ValidationError,
        f"1 validation error detected: Value '{'k' * 129}' at 'name' failed to satisfy "
        "constraint: Member must have length less than or equal to 128",
        action=ENABLE,
    )
    await rejects(
        begin(root, user_name="nobody"),
        NoSuchEntity,
        "The user with name nobody cannot be found.",
        action=ENABLE,
    )


@pytest.mark.parametrize(
    "credential",
    ["not json", "[1, 2]", "42", [1, 2], "x" * 70_000, {"id": "x" * 70_000}],
    ids=["text", "json-list", "json-number", "list", "huge-text", "huge-object"],
)
async def test_a_credential_that_is_not_a_json_object_is_invalid_input(
    root: Principal, bob: User, credential: Any
) -> None:
    registration = await begin(root)
    with pytest.raises(InvalidInput) as raised:
        await complete(root, registration.id, credential)
    assert "JSON object" in raised.value.message
    assert (await WebAuthnChallenge.get(id=registration.id)).used_at is None


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=40),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4)
    ),
    max_leaves=12,
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    mutation=st.dictionaries(
        st.sampled_from(["id", "rawId", "type", "response", "clientDataJSON", "attestationObject"]),
        JSON_VALUES,
        min_size=1,
        max_size=3,
    )
)
async def test_any_mangled_answer_is_refused_with_a_gateway_error(
    root: Principal, bob: User, mutation: dict[str, Any]
) -> None:
    registration = await begin(root)
    original = SoftKey().register(registration.options)
    credential = {**original, "response": dict(original["response"])}
    for field, value in sorted(mutation.items(), key=lambda item: item[0] == "response"):
        if field in credential:
            credential[field] = value
        else:
            credential["response"][field] = value
    try:
        await complete(root, registration.id, credential)
    except (InvalidAuthenticationCode, InvalidInput):
        return
    # Accepted: only if every change left the value as it was.
    assert credential == original
