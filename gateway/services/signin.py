"""Password sign-in for the root user and IAM users, and sign-out.

A wrong password, an unknown user, an unknown account and a user without a login profile all
get the same error, after the same work (one Argon2 verification), so that neither the message
nor the time tells which it was.

A user whose password has expired under the account's password policy (`max_password_age`),
or whose login profile says `password_reset_required`, signs in to a session that may only
change the password (AWS's console asks for a new password there and then). With the policy's
`hard_expiry`, an expired password does not sign in at all: an administrator must reset it.

Every attempt is counted before its password or code is verified, and failures lock the
identity or the source address for a while (`gateway.services.signin_throttling`): a locked
sign-in is refused with `Throttled`, right password or not, without verifying anything. However
many attempts arrive at once, no more than the threshold are verified. An attempt with the
right password that still needs an MFA code is taken back;
`signin_throttling.unlock_login_profile` lifts a user's lock.

A verified password whose hash was made with other Argon2id parameters than the current ones
is re-hashed with them (`passwords.upgraded_hash`), so that changed settings reach every
password as its owner signs in.

When the identity has an enabled MFA device, a right password does not open a session: it
answers `MfaRequired` with a challenge (`gateway.services.mfa_challenges`), and `verify_mfa` opens
the session, marked as MFA-authenticated, once a code checks out. Failures are only forgotten
then, so a known password cannot reset the count of wrong codes.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from tortoise.queryset import QuerySet

from gateway import clock
from gateway.arns import root_arn
from gateway.errors import GatewayError, InvalidAuthenticationCode, Throttled, Unauthenticated
from gateway.ids import new_session_id
from gateway.models import LoginProfile, Outcome, PrincipalKind, RootUser, Session, User
from gateway.services import (
    mfa_challenges,
    recovery_codes,
    security_key_assertions,
    signin_throttling,
)
from gateway.services.accounts import find_account
from gateway.services.bearer_tokens import hash_token, new_token
from gateway.services.mfa_devices import Owner, accept_code, has_mfa
from gateway.services.password_policy import password_expired, policy_for
from gateway.services.passwords import upgraded_hash, verify_password
from gateway.services.principal import Principal, principal_of
from gateway.services.security_keys import RelyingParty
from gateway.services.seeds import SeedCipher
from gateway.services.signin_throttling import DEFAULT_LOCKOUT, Lockout
from gateway.services.user_identity import unknown_user, unknown_user_arn
from gateway.services.users import find_user
from gateway.services.writes import record, writing

SIGN_IN_FAILED = "Your authentication information is incorrect. Please try again."
PASSWORD_EXPIRED = (
    "Your password has expired and the account's password policy does not let you set a new "
    "one: ask an administrator to reset it."
)
WRONG_CODE = "The MFA code is not valid, or was already used."
WRONG_KEY = "The security key's answer is not valid for this sign-in."
SIGN_IN = "gateway:SignIn"
SIGN_OUT = "gateway:SignOut"


@dataclass(frozen=True, slots=True)
class SignedIn:
    """A new session: the bearer token (shown once), its expiry and who it is for."""

    token: str
    expires_at: datetime
    principal: Principal


async def sign_in_root(
    email: str,
    password: str,
    *,
    source_ip: str = "",
    ttl_seconds: int,
    lockout: Lockout = DEFAULT_LOCKOUT,
    relying_party: RelyingParty | None = None,
    require_mfa: bool = False,
) -> SignedIn:
    """A session for the root user with that e-mail and password; Unauthenticated otherwise,
    Throttled while the root user or the source address is locked. `relying_party` lets
    MfaRequired offer the owner's security keys.

    A password reset by the operator (`gateway reset-root-password`) makes the session good
    only for changing it. With `require_mfa` (GATEWAY_ROOT_MFA=required), a root user without
    an MFA device gets a session that may only enrol one.
    """
    root = await RootUser.get_or_none(email=email.strip().lower())
    arn = root_arn(root.account_id) if root is not None else None
    identity = (
        signin_throttling.identity_key(arn) if arn else signin_throttling.unknown_root_key(email)
    )
    counters = signin_throttling.counters(identity, source_ip, lockout)
    audit = _Attempt(root.account_id, arn, root=True) if root is not None and arn else None
    attempt = await _reserve(counters, lockout, audit, source_ip)
    stored = root.password_hash if root is not None else None
    if not await verify_password(stored, password) or root is None or arn is None:
        if root is not None and arn is not None:
            await _record_failure(_Attempt(root.account_id, arn, root=True), source_ip)
        raise Unauthenticated(SIGN_IN_FAILED)
    await _keep_hash_current(RootUser.filter(id=root.id), root.password_hash, password)
    owner = Owner(root.account_id, arn, "root", root_id=root.id)
    if await has_mfa(owner):
        await signin_throttling.release(attempt)
        raise await security_key_assertions.offer(
            await mfa_challenges.challenge(
                owner, source_ip=source_ip, password_change_required=root.password_reset_required
            ),
            owner,
            relying_party,
        )
    await signin_throttling.succeed(attempt)
    return await _open_session(
        account_id=root.account_id,
        kind=PrincipalKind.ROOT,
        root=root,
        user=None,
        source_ip=source_ip,
        ttl_seconds=ttl_seconds,
        password_change_required=root.password_reset_required,
        mfa_enrollment_required=require_mfa,
    )


async def sign_in_user(
    account: str,
    user_name: str,
    password: str,
    *,
    source_ip: str = "",
    ttl_seconds: int,
    lockout: Lockout = DEFAULT_LOCKOUT,
    relying_party: RelyingParty | None = None,
) -> SignedIn:
    """A session for the IAM user `user_name` of the account (id or alias); Unauthenticated
    otherwise, Throttled while the user (or name) or the source address is locked.
    `relying_party` lets MfaRequired offer the owner's security keys."""
    found = await find_account(account.strip())
    user = await find_user(found.id, user_name) if found is not None else None
    if user is not None:
        identity = signin_throttling.identity_key(user.arn)
    else:
        identity = signin_throttling.unknown_user_key(found.id if found else account, user_name)
    counters = signin_throttling.counters(identity, source_ip, lockout)
    audit = None
    if found is not None:
        audit = _Attempt(found.id, user.arn if user is not None else None)
    attempt = await _reserve(counters, lockout, audit, source_ip)
    profile = await LoginProfile.get_or_none(user_id=user.id) if user is not None else None
    stored = profile.password_hash if profile is not None else None
    if not await verify_password(stored, password) or user is None or profile is None:
        if user is not None:
            await _record_failure(_Attempt(user.account_id, user.arn), source_ip)
        raise Unauthenticated(SIGN_IN_FAILED)
    await _keep_hash_current(LoginProfile.filter(id=profile.id), profile.password_hash, password)
    policy = await policy_for(user.account_id)
    expired = password_expired(profile, policy, clock.now())
    if expired and policy.hard_expiry:
        await signin_throttling.release(attempt)
        await _record_failure(_Attempt(user.account_id, user.arn), source_ip, PASSWORD_EXPIRED)
        raise Unauthenticated(PASSWORD_EXPIRED)
    change_required = expired or profile.password_reset_required
    owner = Owner(user.account_id, user.arn, user.name, user_id=user.id)
    if await has_mfa(owner):
        await signin_throttling.release(attempt)
        raise await security_key_assertions.offer(
            await mfa_challenges.challenge(
                owner, source_ip=source_ip, password_change_required=change_required
            ),
            owner,
            relying_party,
        )
    await signin_throttling.succeed(attempt)
    return await _open_session(
        account_id=user.account_id,
        kind=PrincipalKind.USER,
        root=None,
        user=user,
        source_ip=source_ip,
        ttl_seconds=ttl_seconds,
        password_change_required=change_required,
    )


async def verify_mfa(
    challenge_token: str,
    code: str | None,
    *,
    source_ip: str = "",
    ttl_seconds: int,
    cipher: SeedCipher,
    lockout: Lockout = DEFAULT_LOCKOUT,
    credential: object | None = None,
    relying_party: RelyingParty | None = None,
) -> SignedIn:
    """Complete a sign-in that answered `MfaRequired`: a session authenticated with MFA when
    `code` is the current code of one of the identity's devices (used once), or one of its
    unused recovery codes, or when `credential` is a security key's assertion for the
    sign-in's WebAuthn challenge (`gateway.services.security_key_assertions`). InvalidInput unless
    exactly one of `code` and `credential` is given. A failed assertion's error carries fresh
    request options (`extensions.webauthn`) while attempts remain.

    Unauthenticated for an unknown, expired, spent or exhausted challenge; Throttled while the
    identity or address is locked; InvalidAuthenticationCode (`extensions.attemptsLeft`; for a
    TOTP code also `nextCodeAt` and `nextCodeStep`, the next code the devices will accept) for
    a wrong or replayed code, which also counts as a failed sign-in.
    """
    security_key_assertions.check_one_answer(code, credential)
    attempt = await mfa_challenges.take_attempt(challenge_token)
    owner, row = attempt.owner, attempt.row
    identity = signin_throttling.identity_key(owner.arn)
    counters = signin_throttling.counters(identity, source_ip, lockout)
    attempted = _Attempt(owner.account_id, owner.arn, root=row.root_id is not None)
    reserved = await _reserve(counters, lockout, attempted, source_ip)
    if credential is not None:
        accepted = await security_key_assertions.accepted(
            owner, challenge_token, credential, relying_party, source_ip=source_ip
        )
        method = "securityKey"
    elif code is not None and recovery_codes.looks_like_recovery_code(code):
        accepted = await recovery_codes.redeem(owner, code)
        method = "recoveryCode"
    else:
        accepted = code is not None and await accept_code(owner, code, cipher) is not None
        method = "totp"
    if not accepted:
        message = WRONG_KEY if credential is not None else WRONG_CODE
        hint = await mfa_challenges.next_code_extensions(owner) if method == "totp" else {}
        error = InvalidAuthenticationCode(message, attemptsLeft=attempt.attempts_left, **hint)
        await _record_failure(attempted, source_ip, error)
        if credential is not None and attempt.attempts_left > 0:
            await security_key_assertions.offer_again(error, owner, challenge_token, relying_party)
        raise error
    if not await mfa_challenges.complete(attempt):
        await signin_throttling.release(reserved)
        raise Unauthenticated(mfa_challenges.CHALLENGE_INVALID)
    await signin_throttling.succeed(reserved)
    return await _open_session(
        account_id=owner.account_id,
        kind=PrincipalKind.USER if row.user_id is not None else PrincipalKind.ROOT,
        root=row.root if row.root_id is not None else None,
        user=row.user if row.user_id is not None else None,
        source_ip=source_ip,
        ttl_seconds=ttl_seconds,
        password_change_required=row.password_change_required,
        mfa_method=method,
    )


async def sign_out(principal: Principal) -> None:
    """End the caller's current session; its token stops working at once."""
    if principal.session_id is None:
        return
    async with writing(principal, SIGN_OUT, principal.arn, changes_permissions=False) as tx:
        await (
            Session.filter(id=principal.session_id, revoked_at=None)
            .using_db(tx.connection)
            .update(revoked_at=clock.now())
        )


async def _open_session(
    *,
    account_id: str,
    kind: PrincipalKind,
    root: RootUser | None,
    user: User | None,
    source_ip: str,
    ttl_seconds: int,
    password_change_required: bool = False,
    mfa_method: str | None = None,
    mfa_enrollment_required: bool = False,
) -> SignedIn:
    token = new_token()
    now = clock.now()
    expires_at = now + timedelta(seconds=ttl_seconds)
    session = Session(
        id=new_session_id(),
        token_hash=hash_token(token),
        account_id=account_id,
        principal_kind=kind.value,
        user=user,
        root=root,
        created_at=now,
        expires_at=expires_at,
        last_used_at=now,
        source_ip=source_ip,
        password_change_required=password_change_required,
        mfa_enrollment_required=mfa_enrollment_required,
        mfa_authenticated=mfa_method is not None,
        mfa_authenticated_at=now if mfa_method is not None else None,
    )
    principal = principal_of(session, source_ip=source_ip)
    # A new session: the account's cached ones stay (`me` shows this sign-in's passwordLastUsed
    # in other sessions when they are next read, as the read cache shows it).
    async with writing(
        principal, SIGN_IN, principal.arn, changes_permissions=False, changes_sessions=False
    ) as tx:
        await session.save(using_db=tx.connection, force_create=True)
        if mfa_method is not None:
            tx.details["mfa"] = mfa_method
        if mfa_enrollment_required:
            tx.details["mfaEnrollmentRequired"] = True
        if user is not None:
            await User.filter(id=user.id).using_db(tx.connection).update(password_last_used=now)
        elif root is not None:
            await RootUser.filter(id=root.id).using_db(tx.connection).update(password_last_used=now)
    return SignedIn(token, expires_at, principal)


async def _keep_hash_current(
    row: QuerySet[LoginProfile] | QuerySet[RootUser], verified: str, password: str
) -> None:
    """Re-hash a password that was just verified against a hash of other parameters than the
    current ones (`passwords.upgraded_hash`), so that changed settings reach every password as
    its owner signs in. Only while the row still holds the hash verified: a password changed
    meanwhile stays as it was changed. The password is the same, so nothing else changes and
    nothing is audited."""
    fresh = await upgraded_hash(verified, password)
    if fresh is not None:
        await row.filter(password_hash=verified).update(password_hash=fresh)


@dataclass(frozen=True, slots=True)
class _Attempt:
    """Whose sign-in failed, for its audit event: the account, and the identity's ARN (None for
    a user name that does not exist, which the event does not repeat)."""

    account_id: str
    arn: str | None
    root: bool = False


async def _reserve(
    counters: list[signin_throttling.Counter],
    lockout: Lockout,
    audit: _Attempt | None,
    source_ip: str,
) -> signin_throttling.Attempt:
    """Count the attempt before anything is verified (`signin_throttling.reserve`); Throttled,
    audited when the account is known, if a counter is locked. A refusal costs no password hash:
    its answer already says it was not checked."""
    try:
        return await signin_throttling.reserve(counters, lockout)
    except Throttled as refusal:
        if audit is not None:
            await _record_failure(audit, source_ip, refusal)
        raise


async def _record_failure(
    attempt: _Attempt, source_ip: str, error: GatewayError | str | None = None
) -> None:
    """A Failed ConsoleLogin event. What was typed as an unknown user name is left out, as AWS
    leaves it out (it may be a password typed in the wrong box)."""
    kind = PrincipalKind.ROOT if attempt.root else PrincipalKind.USER
    if attempt.arn is None:
        arn, identity = unknown_user_arn(attempt.account_id), unknown_user(attempt.account_id)
        attempted = Principal(kind=kind, account_id=attempt.account_id, arn="", id="")
    else:
        arn, identity = attempt.arn, None
        attempted = Principal(kind=kind, account_id=attempt.account_id, arn=arn, id="")
    attempted = replace(attempted, source_ip=source_ip)
    message: str | None
    if isinstance(error, GatewayError):
        code, message = error.code, error.message
    else:
        code, message = Unauthenticated.code, error
    await record(
        attempted,
        SIGN_IN,
        arn,
        Outcome.FAILED,
        error_code=code,
        error_message=message,
        identity=identity,
    )
