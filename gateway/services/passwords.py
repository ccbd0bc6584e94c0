"""Passwords: Argon2id hashing and AWS's password rules.

Passwords are stored only as Argon2id hashes (argon2-cffi's `PasswordHasher`), by default
with Keycloak's parameters, OWASP's 7 MiB profile (m=7168 KiB, t=5, p=1); a deployment sets
its own (`Settings.password_hash_*`, applied by `configure_hashing`). A hash records its
parameters, so older hashes keep verifying, and sign-in re-hashes a password whose hash is
not current (`upgraded_hash`). The hasher is a seam, like the clock: `using_hasher()` swaps it
for a block (tests use cheap parameters). Hashing and verifying cost milliseconds of CPU each
(15 ms with the defaults, about 150 with argon2-cffi's own, RFC 9106's 64 MiB profile), so
they run in a thread pool (as many hashes at once as the cores hold Argon2's lanes, at the
lowest CPU priority) and callers await them: a sign-in never stalls the event loop that
serves everyone else.

`check_password_policy` enforces AWS's length limit (1..128, a ValidationError) and a
`PasswordPolicy` (a PasswordPolicyViolation listing every rule broken). Without a policy it
applies `DEFAULT_PASSWORD_POLICY`, the rules AWS applies to an account that has set no custom
password policy: at least 8 characters, at least three of uppercase letters, lowercase letters,
numbers and symbols, and not identical to the account's name or e-mail address. An account's
custom policy (`gateway.services.password_policy.policy_for`) is passed in as a
`PasswordPolicy`.

No message here ever contains the password.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import secrets
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TypeVar

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from gateway.config import Settings
from gateway.errors import PasswordPolicyViolation, ValidationError

_T = TypeVar("_T")

MIN_PASSWORD_LENGTH = 1
MAX_PASSWORD_LENGTH = 128
PASSWORD_PATTERN = r"[\u0009\u000A\u000D\u0020-\u00FF]+"
_PASSWORD = re.compile(r"[\t\n\r\x20-\xff]+")

SYMBOLS = frozenset("!@#$%^&*()_+-=[]{}|'")
"""The characters AWS counts as symbols in password rules."""
SYMBOLS_TEXT = "! @ # $ % ^ & * ( ) _ + - = [ ] { } | '"


def hasher_for(settings: Settings) -> PasswordHasher:
    """The Argon2id hasher with the parameters `settings` ask for."""
    return PasswordHasher(
        time_cost=settings.password_hash_iterations,
        memory_cost=settings.password_hash_memory_kib,
        parallelism=settings.password_hash_parallelism,
    )


_default_hasher = hasher_for(Settings())
_hasher: ContextVar[PasswordHasher | None] = ContextVar("gateway_password_hasher", default=None)


@contextmanager
def using_hasher(hasher: PasswordHasher) -> Iterator[PasswordHasher]:
    """Hash with `hasher` for the duration of the block (in this context)."""
    token = _hasher.set(hasher)
    try:
        yield hasher
    finally:
        _hasher.reset(token)


def _current() -> PasswordHasher:
    return _hasher.get() or _default_hasher


async def hash_password(password: str) -> str:
    """An Argon2id hash of `password` (salted, with its parameters encoded in it), computed
    in the hashing pool: the caller's event loop keeps serving other requests meanwhile."""
    return await _in_pool(_current().hash, password)


async def upgraded_hash(password_hash: str, password: str) -> str | None:
    """A hash of `password` with the current parameters when `password_hash`, which `password`
    was just verified against, was made with other ones (or is not one we can read); None when
    it is current. Computed in the hashing pool."""
    if not needs_rehash(password_hash):
        return None
    return await hash_password(password)


async def verify_password(password_hash: str | None, password: str) -> bool:
    """True if `password` matches `password_hash`, verified in the hashing pool.

    `None` stands for an identity that has no password (an unknown user, say): the password is
    then verified against a decoy made with the same parameters, so that failing costs the
    same time whatever the reason. Never raises: a wrong password, a malformed or foreign hash
    all give False.
    """
    return await _in_pool(_verify, _current(), password_hash, password)


def _verify(hasher: PasswordHasher, password_hash: str | None, password: str) -> bool:
    try:
        if password_hash is None:
            hasher.verify(_decoy(hasher), password)
            return False
        return hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


HASHING_NICENESS = 19
"""How much lower than the event loop's the hashing threads' CPU priority is (Unix `nice`):
the lowest. Each hash runs its Argon2 lanes (1 by default) as threads of this priority: at
nice 10 that was about a third of the CPU under load, at 19 about a twentieth. Hashing still
gets every idle cycle."""


def hashes_at_once(parallelism: int) -> int:
    """How many hashes of `parallelism` lanes run at once: the cores over the lanes of one
    hash (Argon2 runs each lane as a thread), at least one. More only take cycles and memory
    from the event loop; further sign-ins queue for their turn.

    Measured on 2 cores with `bench/signin_pressure.py` (5 wrong passwords a second) with
    RFC 9106's parameters (64 MiB, 4 lanes): two at once at nice 19 cost `authorize` 18% of its
    throughput; one at once, or SCHED_IDLE, 16 to 17%; both 11 to 16.5% over four runs."""
    return max(1, (os.cpu_count() or 1) // parallelism)


def _lower_priority() -> None:
    # On Linux a thread has its own nice value and scheduling policy (and the threads Argon2
    # starts for its lanes inherit both): when the CPU is short, serving requests wins over
    # verifying passwords, so a password-guessing attacker slows sign-ins down, not everyone
    # else. SCHED_IDLE also lets a waking event loop take the core at once instead of after
    # the hashing thread's time slice.
    this_thread = threading.get_native_id()
    if hasattr(os, "setpriority"):
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, this_thread, HASHING_NICENESS)
    if hasattr(os, "SCHED_IDLE"):
        with contextlib.suppress(OSError):
            os.sched_setscheduler(this_thread, os.SCHED_IDLE, os.sched_param(0))


# The pool every Argon2 computation runs in (Argon2 releases the GIL), `hashes_at_once` threads
# for the configured hasher's lanes, so that a burst of sign-ins queues here instead of taking
# the cores and the memory. Its threads start on first use and live as long as the process.
def _new_pool(parallelism: int) -> ThreadPoolExecutor:
    return ThreadPoolExecutor(
        max_workers=hashes_at_once(parallelism),
        thread_name_prefix="argon2",
        initializer=_lower_priority,
    )


_pool = _new_pool(_default_hasher.parallelism)


def configure_hashing(settings: Settings) -> None:
    """Hash passwords with the settings' parameters from now on in this process, as many at
    once as `hashes_at_once` says for their lanes. Every entry point calls it with its settings
    (`gateway.app.create_app`, the `gateway` command)."""
    global _default_hasher, _pool
    lanes_before, _default_hasher = _default_hasher.parallelism, hasher_for(settings)
    if hashes_at_once(_default_hasher.parallelism) != hashes_at_once(lanes_before):
        retired, _pool = _pool, _new_pool(_default_hasher.parallelism)
        retired.shutdown(wait=False)  # what it was given still runs


async def _in_pool(function: Callable[..., _T], *arguments: object) -> _T:
    return await asyncio.get_running_loop().run_in_executor(_pool, function, *arguments)


# One decoy per set of hashing parameters (a cache: it never needs invalidating).
_decoys: dict[tuple[int, int, int, int, int], str] = {}


def _decoy(hasher: PasswordHasher) -> str:
    """A hash made with `hasher`'s parameters that no password is expected to match."""
    parameters = (
        hasher.time_cost,
        hasher.memory_cost,
        hasher.parallelism,
        hasher.hash_len,
        hasher.salt_len,
    )
    decoy = _decoys.get(parameters)
    if decoy is None:  # two threads may both make one: either will do
        decoy = hasher.hash(secrets.token_urlsafe(32))
        _decoys[parameters] = decoy
    return decoy


def needs_rehash(password_hash: str) -> bool:
    """True if the hash was made with other parameters than the hasher's now (or is invalid)."""
    try:
        return _current().check_needs_rehash(password_hash)
    except (InvalidHashError, ValueError):
        return True


@dataclass(frozen=True, slots=True)
class PasswordPolicy:
    """The rules a new password must follow, named after AWS's password policy settings.

    `minimum_character_types` is the default policy's "at least three of the four character
    types"; AWS's custom policies use the four `require_*` flags instead (it is 0 for them).
    `reject_account_identifiers` forbids a password identical (ignoring case) to the user
    name, the account id, alias or e-mail address. The remaining settings are not about a
    password's content: who may change their own password, when a password expires (days;
    None = never) and whether it then needs an administrator (`hard_expiry`), and how many
    recent passwords a user may not reuse (None = any).
    """

    minimum_password_length: int = 8
    require_uppercase_characters: bool = False
    require_lowercase_characters: bool = False
    require_numbers: bool = False
    require_symbols: bool = False
    minimum_character_types: int = 0
    reject_account_identifiers: bool = True
    allow_users_to_change_password: bool = False
    max_password_age: int | None = None
    password_reuse_prevention: int | None = None
    hard_expiry: bool = False


DEFAULT_PASSWORD_POLICY = PasswordPolicy(minimum_password_length=8, minimum_character_types=3)
"""What AWS applies when the account has no custom password policy."""


def _length_violation(constraint: str) -> ValidationError:
    # AWS leaves the value out of validation errors for sensitive fields; so do we.
    return ValidationError(
        f"1 validation error detected: Value at 'password' failed to satisfy constraint: "
        f"{constraint}"
    )


def check_password_policy(
    password: str,
    *,
    account_id: str | None = None,
    user_name: str | None = None,
    account_alias: str | None = None,
    email: str | None = None,
    policy: PasswordPolicy | None = None,
) -> None:
    """Accept `password` or raise.

    ValidationError when it is not 1..128 characters of AWS's password alphabet;
    PasswordPolicyViolation when it breaks `policy` (default: `DEFAULT_PASSWORD_POLICY`), with
    every broken rule in the message, separated by "; ". The identifiers given are those the
    password must not be identical to.
    """
    if len(password) < MIN_PASSWORD_LENGTH:
        raise _length_violation(
            f"Member must have length greater than or equal to {MIN_PASSWORD_LENGTH}"
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise _length_violation(
            f"Member must have length less than or equal to {MAX_PASSWORD_LENGTH}"
        )
    if not _PASSWORD.fullmatch(password):
        raise _length_violation(
            f"Member must satisfy regular expression pattern: {PASSWORD_PATTERN}"
        )

    rules = policy or DEFAULT_PASSWORD_POLICY
    failures: list[str] = []
    if len(password) < rules.minimum_password_length:
        failures.append(f"Password should have a minimum length of {rules.minimum_password_length}")

    has_upper = any("A" <= ch <= "Z" for ch in password)
    has_lower = any("a" <= ch <= "z" for ch in password)
    has_number = any("0" <= ch <= "9" for ch in password)
    has_symbol = any(ch in SYMBOLS for ch in password)
    if rules.require_uppercase_characters and not has_upper:
        failures.append("Password should have at least one uppercase letter")
    if rules.require_lowercase_characters and not has_lower:
        failures.append("Password should have at least one lowercase letter")
    if rules.require_numbers and not has_number:
        failures.append("Password should have at least one number")
    if rules.require_symbols and not has_symbol:
        failures.append(
            f"Password should have at least one of the following symbols: {SYMBOLS_TEXT}"
        )
    kinds = sum((has_upper, has_lower, has_number, has_symbol))
    if kinds < rules.minimum_character_types:
        failures.append(
            f"Password should have at least {rules.minimum_character_types} of the following "
            f"character types: uppercase letters, lowercase letters, numbers, and symbols "
            f"({SYMBOLS_TEXT})"
        )

    if rules.reject_account_identifiers:
        identifiers = (account_id, user_name, account_alias, email)
        lowered = password.lower()
        if any(ident and lowered == ident.lower() for ident in identifiers):
            failures.append(
                "Password should not be identical to the user name, account ID, account alias "
                "or e-mail address"
            )
    if failures:
        raise PasswordPolicyViolation("; ".join(failures))
