"""ChangePassword: a caller changes its own password, proving the old one.

An IAM user's new password must follow the account's password policy and, when the policy
prevents reuse, differ from the user's last `password_reuse_prevention` passwords (the
current one included). The root user changes its own password the same way, under AWS's
default rules (the account's policy never applies to root).

Whether the caller may change its password at all is decided before this runs (the
`@authorize` directive: `iam:ChangePassword` on the caller's own ARN, or the account
policy's `allow_users_to_change_password`). On success the password's reset flag is cleared,
its age starts again, the caller's other sessions are revoked and the current session is no
longer restricted to changing the password.
"""

from __future__ import annotations

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.queryset import QuerySet

from gateway import clock
from gateway.errors import AccessDenied, NoSuchEntity, PasswordPolicyViolation
from gateway.models import Account, LoginProfile, PrincipalKind, RootUser, Session, User
from gateway.services.login_profiles import check_user_password, no_profile
from gateway.services.password_policy import remember_password, reused
from gateway.services.passwords import (
    PasswordPolicy,
    check_password_policy,
    hash_password,
    verify_password,
)
from gateway.services.principal import Principal
from gateway.services.writes import audited_precheck, writing

ACTION = "iam:ChangePassword"
WRONG_OLD_PASSWORD = "The old password is incorrect."


def _reuse_violation(count: int) -> PasswordPolicyViolation:
    passwords = "password" if count == 1 else f"{count} passwords"
    return PasswordPolicyViolation(f"Password should not be one of your previous {passwords}")


async def change_password(actor: Principal, *, old_password: str, new_password: str) -> None:
    """Replace the caller's password (root or IAM user).

    AccessDenied if `old_password` is wrong; PasswordPolicyViolation / ValidationError if the
    new one breaks the policy or was used too recently; NoSuchEntity if the user has no login
    profile.
    """
    if actor.is_root:
        await _change_root_password(actor, old_password, new_password)
    else:
        await _change_user_password(actor, old_password, new_password)


async def _change_root_password(actor: Principal, old_password: str, new_password: str) -> None:
    async with audited_precheck(actor, ACTION, actor.arn):
        root = await RootUser.get(account_id=actor.account_id)
        if not await verify_password(root.password_hash, old_password):
            raise AccessDenied(WRONG_OLD_PASSWORD)
        account = await Account.get(id=actor.account_id)
        check_password_policy(
            new_password, account_id=account.id, account_alias=account.alias, email=root.email
        )
        new_hash = await hash_password(new_password)

    async with writing(actor, ACTION, actor.arn, changes_permissions=False) as tx:
        conn = tx.connection
        fresh = await RootUser.filter(id=root.id).using_db(conn).select_for_update().first()
        if fresh is None or fresh.password_hash != root.password_hash:
            raise AccessDenied(WRONG_OLD_PASSWORD)
        await (
            RootUser.filter(id=root.id)
            .using_db(conn)
            .update(
                password_hash=new_hash,
                password_reset_required=False,
                password_changed_at=clock.now(),
            )
        )
        sessions = Session.filter(
            account_id=actor.account_id, principal_kind=PrincipalKind.ROOT.value
        )
        tx.details["revokedSessions"] = await _end_other_sessions(actor, sessions, conn)


async def _change_user_password(actor: Principal, old_password: str, new_password: str) -> None:
    async with audited_precheck(actor, ACTION, actor.arn):
        user = await User.get_or_none(id=actor.id)
        if user is None:
            raise NoSuchEntity(f"The user with name {actor.name} cannot be found.")
        profile = await LoginProfile.get_or_none(user_id=user.id)
        if profile is None:
            raise no_profile(user.name)
        if not await verify_password(profile.password_hash, old_password):
            raise AccessDenied(WRONG_OLD_PASSWORD)
        policy: PasswordPolicy = await check_user_password(new_password, user)
        if await reused(user.id, new_password, profile.password_hash, policy):
            raise _reuse_violation(policy.password_reuse_prevention or 0)
        new_hash = await hash_password(new_password)

    async with writing(actor, ACTION, user.arn, changes_permissions=False) as tx:
        conn = tx.connection
        fresh = await LoginProfile.filter(id=profile.id).using_db(conn).select_for_update().first()
        if fresh is None:
            raise no_profile(user.name)
        if fresh.password_hash != profile.password_hash:
            # Changed since the old password was checked: it is no longer the old password.
            raise AccessDenied(WRONG_OLD_PASSWORD)
        fresh.password_hash = new_hash
        fresh.password_changed_at = clock.now()
        fresh.password_reset_required = False
        await fresh.save(
            using_db=conn,
            update_fields=["password_hash", "password_changed_at", "password_reset_required"],
        )
        await remember_password(user.id, new_hash, policy, conn)
        tx.details["userName"] = user.name
        tx.details["revokedSessions"] = await _end_other_sessions(
            actor, Session.filter(user_id=user.id), conn
        )


async def _end_other_sessions(
    actor: Principal, sessions: QuerySet[Session], conn: BaseDBAsyncClient
) -> int:
    """Revoke the caller's other sessions; free the current one of a required change."""
    now = clock.now()
    others = sessions.filter(revoked_at=None).using_db(conn)
    if actor.session_id is not None:
        others = others.exclude(id=actor.session_id)
        await (
            Session.filter(id=actor.session_id)
            .using_db(conn)
            .update(password_change_required=False)
        )
    return await others.update(revoked_at=now)
