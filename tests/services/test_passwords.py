"""Password hashing and AWS's password rules (gateway/services/passwords.py)."""

from __future__ import annotations

import asyncio
import contextvars
import os
import threading
import time

import pytest
from argon2 import PasswordHasher, Type
from hypothesis import given
from hypothesis import strategies as st

from gateway.config import Settings
from gateway.errors import PasswordPolicyViolation, ValidationError
from gateway.services import passwords
from gateway.services.passwords import (
    DEFAULT_PASSWORD_POLICY,
    HASHING_NICENESS,
    PasswordPolicy,
    check_password_policy,
    configure_hashing,
    hash_password,
    hasher_for,
    hashes_at_once,
    needs_rehash,
    using_hasher,
    verify_password,
)

LENGTH = "Password should have a minimum length of 8"
TYPES = (
    "Password should have at least 3 of the following character types: uppercase letters, "
    "lowercase letters, numbers, and symbols (! @ # $ % ^ & * ( ) _ + - = [ ] { } | ')"
)
IDENTICAL = (
    "Password should not be identical to the user name, account ID, account alias or e-mail address"
)


async def test_hash_is_argon2id_and_verifies_only_the_same_password() -> None:
    hashed = await hash_password("Sup3r-Secret")

    assert hashed.startswith("$argon2id$")
    assert "Sup3r-Secret" not in hashed
    assert await verify_password(hashed, "Sup3r-Secret")
    assert not await verify_password(hashed, "sup3r-secret")
    assert await hash_password("Sup3r-Secret") != hashed  # salted


@pytest.mark.parametrize("stored", ["", "plain text", "$argon2id$v=19$garbage", "$2b$12$x"])
async def test_verify_never_raises_on_a_malformed_hash(stored: str) -> None:
    assert await verify_password(stored, "anything") is False


async def test_an_unknown_identity_is_verified_against_a_decoy_and_fails() -> None:
    assert await verify_password(None, "Sup3r-Secret") is False
    assert await verify_password(None, "") is False


async def test_hashing_runs_beside_the_event_loop_which_keeps_serving() -> None:
    """A slow verification (about a quarter of a second here) leaves the loop free: a task
    that wakes every 5 ms keeps waking while it runs, which it could not if Argon2 ran on the
    loop's thread."""
    ticks = 0
    done = asyncio.Event()

    async def ticker() -> None:
        nonlocal ticks
        while not done.is_set():
            await asyncio.sleep(0.005)
            ticks += 1

    with using_hasher(PasswordHasher(time_cost=8, memory_cost=65536, parallelism=1)):
        stored = await hash_password("Sup3r-Secret")
        task = asyncio.create_task(ticker())
        await asyncio.sleep(0.01)
        before = ticks
        started = time.perf_counter()
        assert await verify_password(stored, "Sup3r-Secret")
        elapsed = time.perf_counter() - started
        during = ticks - before
        done.set()
        await task
    assert elapsed > 0.05, elapsed  # slow enough for the ticker to show anything
    assert during >= 3, (during, elapsed)


async def test_the_default_hasher_has_keycloaks_parameters() -> None:
    # Outside the tests' cheap hasher (`conftest`), in a context of its own.
    default = contextvars.Context().run(passwords._current)
    assert default.type is Type.ID
    assert (default.memory_cost, default.time_cost, default.parallelism) == (7168, 5, 1)
    with using_hasher(hasher_for(Settings())):
        hashed = await hash_password("Sup3r-Secret")
        assert not needs_rehash(hashed)
        assert await verify_password(hashed, "Sup3r-Secret")
    assert "$argon2id$v=19$m=7168,t=5,p=1$" in hashed


async def test_configured_parameters_hash_new_passwords_in_a_pool_sized_for_their_lanes() -> None:
    four_lanes = Settings(
        password_hash_memory_kib=8192, password_hash_iterations=1, password_hash_parallelism=4
    )
    pool = passwords._pool
    try:
        configure_hashing(four_lanes)
        configured = contextvars.Context().run(passwords._current)
        assert (configured.memory_cost, configured.time_cost, configured.parallelism) == (
            8192,
            1,
            4,
        )
        assert passwords._pool._max_workers == hashes_at_once(4)
        assert (passwords._pool is pool) == (hashes_at_once(4) == hashes_at_once(1))
        stored = await hash_password("Sup3r-Secret")  # the new pool hashes
        assert await verify_password(stored, "Sup3r-Secret")
    finally:
        configure_hashing(Settings())
    assert contextvars.Context().run(passwords._current).memory_cost == 7168
    assert passwords._pool._max_workers == hashes_at_once(1)


async def test_needs_rehash_when_parameters_change_or_hash_is_invalid() -> None:
    hashed = await hash_password("Sup3r-Secret")

    assert "$m=8,t=1,p=1$" in hashed  # the tests' cheap hasher
    assert not needs_rehash(hashed)
    with using_hasher(PasswordHasher(time_cost=2, memory_cost=16, parallelism=1)):
        assert needs_rehash(hashed)
    assert needs_rehash("not a hash")


@pytest.mark.parametrize(
    "password",
    [
        "Passw0rd",  # upper, lower, number
        "passw0rd!",  # lower, number, symbol
        "PASSWORD1'",  # upper, number, symbol
        "Password|",  # upper, lower, symbol
        "Aa1" + "x" * 125,  # 128 characters
    ],
)
def test_default_policy_accepts_three_character_types_and_eight_characters(
    password: str,
) -> None:
    check_password_policy(password, user_name="bob")


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("Pass0rd", LENGTH),
        ("password", TYPES),
        ("PASSWORD12", TYPES),
        ("abcdefg~1", TYPES),  # "~" is not one of AWS's symbols
        ("abc", f"{LENGTH}; {TYPES}"),
    ],
)
def test_default_policy_lists_every_broken_rule(password: str, message: str) -> None:
    with pytest.raises(PasswordPolicyViolation) as raised:
        check_password_policy(password)

    assert raised.value.message == message
    assert raised.value.code == "PasswordPolicyViolation"


@pytest.mark.parametrize(
    ("password", "identifiers"),
    [
        ("Bob-Smith1", {"user_name": "bob-smith1"}),
        ("My-Alias-1", {"account_alias": "my-alias-1"}),
        ("Root@Example1.com", {"email": "root@example1.com"}),
        ("123456789012", {"account_id": "123456789012"}),
    ],
)
def test_password_must_not_equal_the_user_name_alias_id_or_email(
    password: str, identifiers: dict[str, str]
) -> None:
    with pytest.raises(PasswordPolicyViolation) as raised:
        check_password_policy(password, **identifiers)  # type: ignore[arg-type]

    assert IDENTICAL in raised.value.message


@pytest.mark.parametrize(
    ("password", "constraint"),
    [
        ("", "Member must have length greater than or equal to 1"),
        ("Aa1!" * 32 + "x", "Member must have length less than or equal to 128"),
        (
            "Pässw0rd€",
            "Member must satisfy regular expression pattern: "
            "[\\u0009\\u000A\\u000D\\u0020-\\u00FF]+",
        ),
    ],
)
def test_length_and_alphabet_are_validation_errors_that_never_echo_the_password(
    password: str, constraint: str
) -> None:
    with pytest.raises(ValidationError) as raised:
        check_password_policy(password)

    assert raised.value.message == (
        f"1 validation error detected: Value at 'password' failed to satisfy constraint: "
        f"{constraint}"
    )


def test_a_custom_policy_can_be_passed() -> None:
    strict = PasswordPolicy(
        minimum_password_length=14,
        require_uppercase_characters=True,
        require_lowercase_characters=True,
        require_numbers=True,
        require_symbols=True,
    )

    with pytest.raises(PasswordPolicyViolation) as raised:
        check_password_policy("alllowercase", policy=strict)

    assert raised.value.message == (
        "Password should have a minimum length of 14; "
        "Password should have at least one uppercase letter; "
        "Password should have at least one number; "
        "Password should have at least one of the following symbols: "
        "! @ # $ % ^ & * ( ) _ + - = [ ] { } | '"
    )
    check_password_policy("Longer-Passw0rd", policy=strict)
    check_password_policy("x", policy=PasswordPolicy(minimum_password_length=1))
    assert DEFAULT_PASSWORD_POLICY.minimum_character_types == 3


@given(st.text(min_size=8, max_size=200))
def test_any_password_is_accepted_or_refused_without_being_echoed(password: str) -> None:
    message = ""
    try:
        check_password_policy(password, user_name="bob")
    except (ValidationError, PasswordPolicyViolation) as error:
        message = error.message
    assert password not in message


@pytest.mark.skipif(not hasattr(os, "getpriority"), reason="thread priorities are a Unix thing")
async def test_hashing_threads_run_at_the_lowest_cpu_priority() -> None:
    """Argon2's lane threads inherit their pool thread's priority: under load, serving requests
    wins over verifying an attacker's guesses."""

    def own_niceness() -> int:
        return os.getpriority(os.PRIO_PROCESS, threading.get_native_id())

    assert HASHING_NICENESS == 19
    assert await passwords._in_pool(own_niceness) == HASHING_NICENESS
    assert own_niceness() < HASHING_NICENESS  # the event loop's thread keeps its own


@pytest.mark.skipif(not hasattr(os, "SCHED_IDLE"), reason="SCHED_IDLE is Linux's")
async def test_hashing_threads_run_only_when_the_cpu_would_idle() -> None:
    def own_policy() -> int:
        return os.sched_getscheduler(threading.get_native_id())

    assert await passwords._in_pool(own_policy) == os.SCHED_IDLE
    assert own_policy() != os.SCHED_IDLE


@pytest.mark.parametrize("lanes", [1, 2, 4, 64])
def test_as_many_hashes_run_at_once_as_the_cores_hold_lanes(lanes: int) -> None:
    assert hashes_at_once(lanes) == max(1, (os.cpu_count() or 1) // lanes)
    assert hashes_at_once(lanes) >= 1


def test_the_pool_holds_as_many_hashes_as_the_default_lanes_allow() -> None:
    assert passwords._pool._max_workers == hashes_at_once(Settings().password_hash_parallelism)
