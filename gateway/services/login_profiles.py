"""Login profiles: a user's console password.

A user signs in with a password only while it has a login profile. Passwords pass
`check_password_policy` under the account's password policy (`policy_for`; a password may
never equal the user name, the account id or alias, or the root e-mail), are stored only as
Argon2id hashes, and are remembered for reuse prevention when the policy asks for it. No
password appears in an error, an audit event or a log. A password is not a
permission: these writes leave cached permissions alone (`changes_permissions=False`).
"""

from __future__ import annotations

from tortoise.backends.base.client import BaseDBAsyncClient
from tortoise.exceptions import IntegrityError

from gateway import clock
from gateway.errors import EntityAlreadyExists, NoSuchEntity
from gateway.models import Account, LoginProfile, RootUser, User
from gateway.services.identities import USER, attempted_arn, reload
from gateway.services.password_policy import policy_for, remember_password
from gateway.services.passwords import (
    DEFAULT_PASSWORD_POLICY,
    PasswordPolicy,
    check_password_policy,
    hash_password,
)
from gateway.services.principal import Principal
from gateway.services.users import user_by_name
from gateway.services.writes import audited_precheck, writing

# The IAM actions of this module's operations: the resolvers' @authorize reads them too.
CREATE = "iam:CreateLoginProfile"
UPDATE = "iam:UpdateLoginProfile"
DELETE = "iam:DeleteLoginProfile"


def no_profile(user_name: str) -> NoSuchEntity:
    return NoSuchEntity(f"Login Profile for User {user_name} cannot be found.")


async def check_user_password(password: str, user: User) -> PasswordPolicy:
    """Accept `password` for `user` under the account's password policy (returned) or raise
    PasswordPolicyViolation / ValidationError."""
    account = await Account.get(id=user.account_id)
    root = await RootUser.get_or_none(account_id=user.account_id)
    policy = await policy_for(user.account_id)
    check_password_policy(
        password,
        account_id=account.id,
        user_name=user.name,
        account_alias=account.alias,
        email=root.email if root else None,
        policy=policy,
    )
    return policy


async def _profile(user: User, using: BaseDBAsyncClient | None = None) -> LoginProfile:
    profile = await LoginProfile.filter(user_id=user.id).using_db(using).first()
    if profile is None:
        raise no_profile(user.name)
    return profile


async def create_login_profile(
    actor: Principal, user_name: str, *, password: str, password_reset_required: bool = False
) -> LoginProfile:
    """Give the user a console password.

    PasswordPolicyViolation / ValidationError for a password the policy refuses;
    EntityAlreadyExists if the user already has one.
    """
    action = CREATE
    async with audited_precheck(
        actor, action, attempted_arn("user", actor.account_id, "/", user_name)
    ):
        user = await user_by_name(actor.account_id, user_name)
        policy = await check_user_password(password, user)
        password_hash = await hash_password(password)

    async with writing(actor, action, user.arn, changes_permissions=False) as tx:
        conn = tx.connection
        user = await reload(USER, user, conn)
        tx.details.update(userName=user.name, passwordResetRequired=password_reset_required)
        exists = EntityAlreadyExists(f"Login Profile for user {user.name} already exists.")
        if await LoginProfile.filter(user_id=user.id).using_db(conn).exists():
            raise exists
        try:
            profile = await LoginProfile.create(
                user_id=user.id,
                password_hash=password_hash,
                password_reset_required=password_reset_required,
                password_changed_at=clock.now(),
                using_db=conn,
            )
        except IntegrityError as error:
            raise exists from error
        await remember_password(user.id, password_hash, policy, conn)
    return profile


async def get_login_profile(actor: Principal, user_name: str) -> LoginProfile:
    """The user's login profile; NoSuchEntity if the user has none."""
    user = await user_by_name(actor.account_id, user_name)
    return await _profile(user)


async def update_login_profile(
    actor: Principal,
    user_name: str,
    *,
    password: str | None = None,
    password_reset_required: bool | None = None,
) -> LoginProfile:
    """Set a new password and/or the reset-required flag (an administrator's reset)."""
    action = UPDATE
    async with audited_precheck(
        actor, action, attempted_arn("user", actor.account_id, "/", user_name)
    ):
        user = await user_by_name(actor.account_id, user_name)
        password_hash = None
        policy = DEFAULT_PASSWORD_POLICY
        if password is not None:
            policy = await check_user_password(password, user)
            password_hash = await hash_password(password)

    async with writing(actor, action, user.arn, changes_permissions=False) as tx:
        conn = tx.connection
        user = await reload(USER, user, conn)
        profile = await _profile(user, conn)
        changed = []
        if password_hash is not None:
            profile.password_hash = password_hash
            profile.password_changed_at = clock.now()
            changed += ["password_hash", "password_changed_at"]
            await remember_password(user.id, password_hash, policy, conn)
        if password_reset_required is not None:
            profile.password_reset_required = password_reset_required
            changed.append("password_reset_required")
        if changed:
            await profile.save(using_db=conn, update_fields=changed)
        tx.details.update(
            userName=user.name,
            passwordChanged=password_hash is not None,
            passwordResetRequired=profile.password_reset_required,
        )
    return profile


async def delete_login_profile(actor: Principal, user_name: str) -> None:
    """Remove the user's console password; NoSuchEntity if the user has none."""
    action = DELETE
    async with audited_precheck(
        actor, action, attempted_arn("user", actor.account_id, "/", user_name)
    ):
        user = await user_by_name(actor.account_id, user_name)

    async with writing(actor, action, user.arn, changes_permissions=False) as tx:
        conn = tx.connection
        user = await reload(USER, user, conn)
        profile = await _profile(user, conn)
        await profile.delete(using_db=conn)
        tx.details["userName"] = user.name
