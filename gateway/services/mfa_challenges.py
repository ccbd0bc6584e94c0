"""The second step of a sign-in with MFA, and MFA codes given with temporary credentials.

When a password is right and its owner has an enabled MFA device, `signIn` answers
`MfaRequired` with a challenge instead of a session: a random token (stored only as a hash)
that is good for `CHALLENGE_SECONDS` and for `MAX_ATTEMPTS` codes. `verifyMfa(challenge,
code)` then opens the session (`gateway.services.signin.verify_mfa`).

Attempts are counted before the code is looked at, with an atomic conditional update
(`attempts = attempts + 1 WHERE attempts < MAX_ATTEMPTS`), so however many `verifyMfa`
calls one request or many replicas make, a challenge never has more than `MAX_ATTEMPTS`
codes checked. Every code is also counted as an attempt of the identity and the source address
before it is checked (`gateway.services.signin_throttling.reserve`), so that a locked identity gets
`Throttled` at this step too and many challenges answered at once cannot check more codes than
the identity's threshold: a stolen password cannot be used to try codes without end.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from tortoise.expressions import F

from gateway import clock
from gateway.arns import root_arn
from gateway.errors import AccessDenied, InvalidInput, MfaRequired, Unauthenticated
from gateway.ids import new_session_id
from gateway.models import MfaChallenge, MfaDevice
from gateway.services import signin_throttling
from gateway.services.bearer_tokens import hash_token
from gateway.services.mfa_devices import Owner, check_caller_code, next_accepted_code
from gateway.services.principal import Principal
from gateway.services.seeds import SeedCipher
from gateway.services.signin_throttling import Lockout

CHALLENGE_PREFIX = "gwc_"
CHALLENGE_SECONDS = 300
MAX_ATTEMPTS = 3
MFA_REQUIRED = (
    "This sign-in needs a code from your MFA device: call verifyMfa with the challenge and "
    "the code (or a recovery code)."
)
CHALLENGE_INVALID = "The MFA challenge is invalid or has expired: sign in again."
CHALLENGE_SPENT = "Too many codes were tried for this MFA challenge: sign in again."
MFA_PAIR = "serialNumber and tokenCode must be given together."
NO_CIPHER = "MFA codes cannot be checked here: no seed cipher was configured."


@dataclass(frozen=True, slots=True)
class Challenge:
    """A challenge loaded for an attempt: its row, whose it is, and attempts left after this."""

    row: MfaChallenge
    owner: Owner
    attempts_left: int


def new_challenge_token() -> str:
    """A fresh challenge token (256 random bits), distinct in shape from session tokens."""
    return CHALLENGE_PREFIX + new_session_id() + new_session_id()


async def challenge(owner: Owner, *, source_ip: str, password_change_required: bool) -> MfaRequired:
    """Store a new challenge for `owner` and return the `MfaRequired` error that carries it
    (`extensions.challenge`, `expiresAt`, `attemptsAllowed`)."""
    token = new_challenge_token()
    now = clock.now()
    expires_at = now + timedelta(seconds=CHALLENGE_SECONDS)
    await MfaChallenge.create(
        id=new_session_id(),
        token_hash=hash_token(token),
        account_id=owner.account_id,
        user_id=owner.user_id,
        root_id=owner.root_id,
        created_at=now,
        expires_at=expires_at,
        source_ip=source_ip,
        password_change_required=password_change_required,
    )
    return MfaRequired(
        MFA_REQUIRED,
        challenge=token,
        expiresAt=_iso(expires_at),
        attemptsAllowed=MAX_ATTEMPTS,
    )


async def take_attempt(token: str) -> Challenge:
    """Count one attempt on the challenge `token`; Unauthenticated if it is unknown, expired,
    completed or out of attempts (then nothing is checked)."""
    now = clock.now()
    if not token.startswith(CHALLENGE_PREFIX):
        raise Unauthenticated(CHALLENGE_INVALID)
    row = await MfaChallenge.get_or_none(token_hash=hash_token(token)).select_related(
        "user", "root"
    )
    if row is None or row.completed_at is not None or row.expires_at <= now:
        raise Unauthenticated(CHALLENGE_INVALID)
    counted = await MfaChallenge.filter(
        id=row.id, attempts__lt=MAX_ATTEMPTS, completed_at__isnull=True
    ).update(attempts=F("attempts") + 1)
    if not counted:
        raise Unauthenticated(CHALLENGE_SPENT)
    fresh = await MfaChallenge.get(id=row.id)
    row.attempts = fresh.attempts
    if row.user is not None and row.user_id is not None:
        owner = Owner(row.account_id, row.user.arn, row.user.name, user_id=row.user.id)
    else:
        owner = Owner(row.account_id, root_arn(row.account_id), "root", root_id=row.root_id)
    return Challenge(row, owner, MAX_ATTEMPTS - row.attempts)


async def complete(challenge: Challenge) -> bool:
    """Spend the challenge after a right code; False if another attempt spent it first."""
    done = await MfaChallenge.filter(id=challenge.row.id, completed_at__isnull=True).update(
        completed_at=clock.now()
    )
    return bool(done)


async def verify_caller_code(
    actor: Principal,
    serial_number: str,
    token_code: str,
    cipher: SeedCipher,
    lockout: Lockout,
) -> MfaDevice:
    """`check_caller_code`, counted like a sign-in: Throttled while the caller is locked, and
    a wrong code is a failed attempt of the caller and its address (GetSessionToken,
    AssumeRole)."""
    counters = signin_throttling.counters(
        signin_throttling.identity_key(actor.arn), actor.source_ip, lockout
    )
    attempt = await signin_throttling.reserve(counters, lockout)
    try:
        device = await check_caller_code(actor, serial_number, token_code, cipher)
    except AccessDenied:
        raise  # a wrong code: it stays counted
    except Exception:
        await signin_throttling.release(attempt)
        raise
    await signin_throttling.release(attempt)
    return device


async def next_code_extensions(owner: Owner) -> dict[str, str | int]:
    """What a refused code's error tells a script about the owner's next usable code:
    `nextCodeStep` (the TOTP step) and `nextCodeAt` (when the device starts showing it, ISO
    8601; at or before now when the code shown now is accepted). Empty without a virtual
    device."""
    upcoming = await next_accepted_code(owner)
    if upcoming is None:
        return {}
    return {"nextCodeStep": upcoming.step, "nextCodeAt": _iso(upcoming.at)}


def check_mfa_pair(serial_number: str | None, token_code: str | None) -> None:
    """InvalidInput unless both or neither of the MFA arguments are given."""
    if (serial_number is None) != (token_code is None):
        raise InvalidInput(MFA_PAIR)


async def verified_mfa_at(
    actor: Principal,
    serial_number: str | None,
    token_code: str | None,
    cipher: SeedCipher | None,
    lockout: Lockout,
) -> datetime | None:
    """When the caller proved MFA with these arguments (now), or None without them; the
    errors of `check_mfa_pair` and `verify_caller_code` otherwise."""
    check_mfa_pair(serial_number, token_code)
    if serial_number is None or token_code is None:
        return None
    if cipher is None:
        raise InvalidInput(NO_CIPHER)
    await verify_caller_code(actor, serial_number, token_code, cipher, lockout)
    return clock.now()


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
