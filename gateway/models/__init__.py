"""The identity store: Tortoise ORM models, one module per aggregate.

Tortoise discovers the models through this package (app label `models`, see
`gateway.db.tortoise_config`); the rest of the gateway imports them from here.
"""

from gateway.models.access_activity import AccessActivity
from gateway.models.access_keys import AccessKey, AccessKeyStatus
from gateway.models.accounts import Account, RootUser
from gateway.models.analysis import AnalysisJob, Finding, FindingStatus, JobKind
from gateway.models.audit import AuditEvent, Outcome
from gateway.models.groups import Group, GroupMembership
from gateway.models.mfa import MfaChallenge, MfaDevice, RecoveryCode
from gateway.models.passwords import AccountPasswordPolicy, PasswordHistory
from gateway.models.policies import (
    EntityKind,
    InlinePolicy,
    ManagedPolicy,
    PolicyAttachment,
    PolicyVersion,
)
from gateway.models.reports import CredentialReport
from gateway.models.roles import Role
from gateway.models.security_keys import CeremonyKind, SecurityKey, WebAuthnChallenge
from gateway.models.sessions import PrincipalKind, Session
from gateway.models.throttles import SignInThrottle
from gateway.models.users import LoginProfile, User

__all__ = [
    "AccessActivity",
    "AccessKey",
    "AccessKeyStatus",
    "Account",
    "AccountPasswordPolicy",
    "AnalysisJob",
    "AuditEvent",
    "CeremonyKind",
    "CredentialReport",
    "EntityKind",
    "Finding",
    "FindingStatus",
    "Group",
    "GroupMembership",
    "InlinePolicy",
    "JobKind",
    "LoginProfile",
    "ManagedPolicy",
    "MfaChallenge",
    "MfaDevice",
    "Outcome",
    "PasswordHistory",
    "PolicyAttachment",
    "PolicyVersion",
    "PrincipalKind",
    "RecoveryCode",
    "Role",
    "RootUser",
    "SecurityKey",
    "Session",
    "SignInThrottle",
    "User",
    "WebAuthnChallenge",
]

__models__ = [
    Account,
    RootUser,
    User,
    LoginProfile,
    AccessKey,
    MfaDevice,
    RecoveryCode,
    MfaChallenge,
    SecurityKey,
    WebAuthnChallenge,
    AccountPasswordPolicy,
    PasswordHistory,
    Group,
    GroupMembership,
    Role,
    ManagedPolicy,
    PolicyVersion,
    PolicyAttachment,
    InlinePolicy,
    Session,
    SignInThrottle,
    AuditEvent,
    CredentialReport,
    Finding,
    AnalysisJob,
    AccessActivity,
]
