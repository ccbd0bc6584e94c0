"""Lockout and throttling of sign-in: thresholds, growing delays, the lock holding against the
right password, reset on success, unlock, per-address counting, concurrency."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from gateway import clock
from gateway.errors import NoSuchEntity, Throttled, Unauthenticated
from gateway.models import Account, AuditEvent, SignInThrottle
from gateway.services import signin_throttling
from gateway.services.login_profiles import create_login_profile
from gateway.services.passwords import using_hasher
from gateway.services.principal import Principal
from gateway.services.signin import SIGN_IN_FAILED, sign_in_root, sign_in_user
from gateway.services.signin_throttling import Lockout, unlock_login_profile
from gateway.services.users import create_user
from tests.helpers import GOOD_PASSWORD, ROOT_EMAIL, ROOT_PASSWORD
from tests.services.hashers import CountingHasher
from tests.services.helpers import Rejects

TTL = 3600
WRONG = "Wrong-passw0rd"
IP = "203.0.113.7"


@pytest.fixture
def frozen() -> Iterator[clock.FrozenClock]:
    with clock.using(clock.FrozenClock()) as frozen:
        assert isinstance(frozen, clock.FrozenClock)
        yield frozen


@pytest.fixture
async def bob(root: Principal) -> None:
    await create_user(root, user_name="bob")
    await create_login_profile(root, "bob", password=GOOD_PASSWORD)


async def user_sign_in(
    account: Account,
    password: str,
    *,
    name: str = "bob",
    ip: str = IP,
    lockout: Lockout = signin_throttling.DEFAULT_LOCKOUT,
) -> str:
    signed_in = await sign_in_user(
        account.id, name, password, source_ip=ip, ttl_seconds=TTL, lockout=lockout
    )
    return signed_in.token


async def fails(account: Account, *, name: str = "bob", ip: str = IP, **kwargs: Lockout) -> None:
    with pytest.raises(Unauthenticated) as raised:
        await user_sign_in(account, WRONG, name=name, ip=ip, **kwargs)
    assert raised.value.message == SIGN_IN_FAILED


async def throttled(
    account: Account, password: str = WRONG, *, name: str = "bob", ip: str = IP
) -> int:
    """The retry-after of a refused sign-in."""
    with pytest.raises(Throttled) as raised:
        await user_sign_in(account, password, name=name, ip=ip)
    seconds: int = raised.value.extensions["retryAfterSeconds"]
    assert (
        raised.value.message == f"Too many failed sign-in attempts. Try again in {seconds} seconds."
    )
    return seconds


def test_delays_double_from_the_threshold_up_to_the_cap() -> None:
    lockout = Lockout()
    assert [lockout.delay(n, 5) for n in range(4, 12)] == [0, 30, 60, 120, 240, 480, 900, 900]
    assert lockout.delay(10_000, 5) == 900


async def test_the_fifth_failure_locks_the_user_for_thirty_seconds(
    account: Account, bob: None, frozen: clock.FrozenClock
) -> None:
    for _ in range(4):
        await fails(account)  # a plain failure each time, not yet locked
    await fails(account)  # the fifth is still a plain failure, and locks
    assert await throttled(account) == 30
    frozen.advance(seconds=29)
    assert await throttled(account) == 1
    frozen.advance(seconds=1)
    assert await user_sign_in(account, GOOD_PASSWORD)


async def test_each_further_failure_doubles_the_delay_up_to_fifteen_minutes(
    account: Account, bob: None, frozen: clock.FrozenClock
) -> None:
    for _ in range(5):
        await fails(account)
    delays = []
    for _ in range(7):
        delay = await throttled(account)
        delays.append(delay)
        frozen.advance(seconds=delay)
        await fails(account)
    assert delays == [30, 60, 120, 240, 480, 900, 900]


async def test_attempts_refused_while_locked_are_not_counted(
    account: Account, bob: None, frozen: clock.FrozenClock
) -> None:
    for _ in range(5):
        await fails(account)
    for _ in range(10):
        await throttled(account)
    frozen.advance(seconds=30)
    await fails(account)
    assert await throttled(account) == 60


async def test_a_refused_attempt_costs_no_password_hash(
    account: Account, bob: None, frozen: clock.FrozenClock
) -> None:
    hasher = CountingHasher()
    with using_hasher(hasher):
        for _ in range(5):
            await fails(account)
        assert hasher.verifications == 5
        for _ in range(10):
            await throttled(account, GOOD_PASSWORD)
        assert hasher.verifications == 5
        await fails(account, name="nobody")  # an unknown name still costs one (decoy) hash
        assert hasher.verifications == 6


async def test_the_lock_holds_against_the_right_password_from_that_address_only(
    account: Account, bob: None, frozen: clock.FrozenClock
) -> None:
    """Whoever guessed from one address cannot lock bob out from everywhere."""
    for _ in range(5):
        await fails(account)
    assert await throttled(account, GOOD_PASSWORD) == 30
    assert await user_sign_in(account, GOOD_PASSWORD, ip="198.51.100.1")
    assert await throttled(account, GOOD_PASSWORD) == 30  # bob's success elsewhere lifts nothing


async def test_a_success_resets_the_identitys_counter(
    account: Account, bob: None, frozen: clock.FrozenClock
) -> None:
    for _ in range(4):
        await fails(account)
    await user_sign_in(account, GOOD_PASSWORD)
    for _ in range(4):
        await fails(account)
    await user_sign_in(account, GOOD_PASSWORD)


async def test_failures_are_forgotten_after_a_quiet_window(
    account: Account, bob: None, frozen: clock.FrozenClock
) -> None:
    for _ in range(4):
        await fails(account)
    frozen.advance(minutes=15, seconds=1)
    for _ in range(4):
        await fails(account)
    await user_sign_in(account, GOOD_PASSWORD)


async def test_unknown_user_names_are_locked_like_real_ones(
    account: Account, bob: None, frozen: clock.FrozenClock
) -> None:
    for _ in range(5):
        await fails(account, name="Nobody")
    assert await throttled(account, name="nobody") == 30
    assert await user_sign_in(account, GOOD_PASSWORD, ip="")  # bob is not affected


async def test_root_is_locked_and_its_right_password_refused(
    account: Account, frozen: clock.FrozenClock
) -> None:
    for _ in range(5):
        with pytest.raises(Unauthenticated):
            await sign_in_root(ROOT_EMAIL, WRONG, source_ip=IP, ttl_seconds=TTL)
    with pytest.raises(Throttled):
        await sign_in_root(ROOT_EMAIL, ROOT_PASSWORD, source_ip=IP, ttl_seconds=TTL)
    frozen.advance(seconds=30)
    assert await sign_in_root(ROOT_EMAIL, ROOT_PASSWORD, source_ip=IP, ttl_seconds=TTL)


async def test_failures_from_one_address_are_counted_across_users(
    account: Account, root: Principal, frozen: clock.FrozenClock
) -> None:
    for number in range(20):
        await create_user(root, user_name=f"user{number}")
    await create_user(root, user_name="carol")
    await create_login_profile(root, "carol", password=GOOD_PASSWORD)
    for number in range(19):
        await fails(account, name=f"user{number}")
    assert await user_sign_in(account, GOOD_PASSWORD, name="carol")
    await fails(account, name="user19")  # the twentieth from this address
    assert await throttled(account, GOOD_PASSWORD, name="carol") == 30
    assert await user_sign_in(account, GOOD_PASSWORD, name="carol", ip="198.51.100.1")


async def test_guessing_from_many_addresses_never_locks_root_out_of_a_fresh_one(
    account: Account, frozen: clock.FrozenClock
) -> None:
    for number in range(10):
        for _ in range(5):
            with pytest.raises(Unauthenticated):
                await sign_in_root(
                    ROOT_EMAIL, WRONG, source_ip=f"198.51.100.{number}", ttl_seconds=TTL
                )
        with pytest.raises(Throttled):
            await sign_in_root(ROOT_EMAIL, WRONG, source_ip=f"198.51.100.{number}", ttl_seconds=TTL)
    assert await sign_in_root(ROOT_EMAIL, ROOT_PASSWORD, source_ip="203.0.113.50", ttl_seconds=TTL)


async def test_each_address_locks_longer_as_the_identity_fails_from_everywhere(
    account: Account, bob: None, frozen: clock.FrozenClock
) -> None:
    """Keycloak's growing waits, per identity: the fifth failure from a new address locks it
    for a delay doubled once per failure of the identity beyond the threshold, wherever from."""
    lockout = Lockout(max_delay_seconds=10**6)
    locks = []
    for address in ("198.51.100.1", "198.51.100.2", "198.51.100.3"):
        for _ in range(5):
            await fails(account, ip=address, lockout=lockout)
        locks.append(await throttled(account, ip=address))
    assert locks == [30, 30 * 2**5, 30 * 2**10]


async def test_unlocking_a_user_lifts_its_locks_from_every_address(
    account: Account, root: Principal, bob: None, frozen: clock.FrozenClock
) -> None:
    for address in ("198.51.100.1", "198.51.100.2"):
        for _ in range(5):
            await fails(account, ip=address)
    assert await unlock_login_profile(root, "bob") is True
    assert not await SignInThrottle.filter(key__contains="user/bob").exists()
    for address in ("198.51.100.1", "198.51.100.2"):
        assert await user_sign_in(account, GOOD_PASSWORD, ip=address)


async def test_thresholds_come_from_the_lockout_settings(
    account: Account, bob: None, frozen: clock.FrozenClock
) -> None:
    strict = Lockout(identity_failures=2, delay_seconds=10)
    await fails(account, lockout=strict)
    await fails(account, lockout=strict)
    assert await throttled(account) == 10


async def test_a_refused_attempt_is_audited_as_throttled_without_the_password(
    account: Account, bob: None, frozen: clock.FrozenClock
) -> None:
    for _ in range(5):
        await fails(account)
    await throttled(account, GOOD_PASSWORD)
    event = await AuditEvent.filter(action="gateway:SignIn").order_by("-id").first()
    assert event is not None
    assert (event.outcome, event.error_code) == ("Failed", "Throttled")
    assert event.resource == f"arn:aws:iam::{account.id}:user/bob"
    assert event.source_ip == IP
    assert GOOD_PASSWORD not in str(event.details) + event.resource


async def test_root_unlocks_a_user(
    account: Account, root: Principal, bob: None, frozen: clock.FrozenClock
) -> None:
    for _ in range(5):
        await fails(account, ip="")
    await throttled(account, ip="")
    assert await unlock_login_profile(root, "BOB") is True
    assert await user_sign_in(account, GOOD_PASSWORD, ip="")
    assert await unlock_login_profile(root, "bob") is False
    event = await AuditEvent.filter(action="gateway:UnlockLoginProfile").order_by("-id").first()
    assert event is not None
    assert event.outcome == "Allowed"


async def test_unlocking_an_unknown_user_fails(
    account: Account, root: Principal, rejects: Rejects
) -> None:
    await rejects(
        unlock_login_profile(root, "nobody"),
        NoSuchEntity,
        "The user with name nobody cannot be found.",
        action="gateway:UnlockLoginProfile",
    )


async def evaluated(error_code: str = "Unauthenticated") -> int:
    """Sign-in attempts whose password was verified and found wrong (each leaves a Failed
    event with that code; a refused attempt leaves one with `Throttled`)."""
    return await AuditEvent.filter(
        action="gateway:SignIn", outcome="Failed", error_code=error_code
    ).count()


async def test_fifty_wrong_passwords_at_once_verify_no_more_than_the_threshold(
    account: Account, bob: None, frozen: clock.FrozenClock
) -> None:
    outcomes = await asyncio.gather(
        *(user_sign_in(account, WRONG) for _ in range(50)), return_exceptions=True
    )
    kinds = sorted(type(outcome).__name__ for outcome in outcomes)
    assert kinds == ["Throttled"] * 45 + ["Unauthenticated"] * 5
    assert await evaluated() == 5
    assert await evaluated("Throttled") == 45
    assert await throttled(account, GOOD_PASSWORD) == 30


async def test_a_right_password_among_concurrent_wrong_ones_is_refused_or_clears(
    account: Account, bob: None, frozen: clock.FrozenClock
) -> None:
    """However the right password lands among wrong ones, at most the threshold are verified,
    and a success leaves nothing of its own attempt behind on the address."""
    attempts = [user_sign_in(account, WRONG) for _ in range(20)]
    attempts.insert(2, user_sign_in(account, GOOD_PASSWORD))
    await asyncio.gather(*attempts, return_exceptions=True)
    assert await evaluated() <= 5
    address = await SignInThrottle.get(key=f"address:{IP}")
    assert address.failures == await evaluated()


async def test_an_attempt_with_the_right_password_is_taken_back_from_the_address(
    account: Account, bob: None, frozen: clock.FrozenClock
) -> None:
    await fails(account)
    await user_sign_in(account, GOOD_PASSWORD)
    address = await SignInThrottle.get(key=f"address:{IP}")
    assert address.failures == 1
    identity = f"identity:arn:aws:iam::{account.id}:user/bob"
    assert not await SignInThrottle.filter(key=f"{identity}@{IP}").exists()  # cleared
    assert (await SignInThrottle.get(key=identity)).failures == 1  # still paces other addresses


async def test_concurrent_failures_on_several_replicas_each_count(
    account: Account, bob: None, frozen: clock.FrozenClock
) -> None:
    """Two sign-ins failing at the same time (as on two replicas) count two, on PostgreSQL
    as on SQLite: the counter is updated atomically in the database."""
    await asyncio.gather(fails(account), fails(account))
    row = await SignInThrottle.get(key=f"identity:arn:aws:iam::{account.id}:user/bob")
    assert row.failures == 2
    address = await SignInThrottle.get(key=f"address:{IP}")
    assert address.failures == 2
    await asyncio.gather(*(fails(account) for _ in range(3)))
    assert await throttled(account, GOOD_PASSWORD) == 30
