"""Who is acting: the authenticated principal that every service call carries, and the
principal a session row stands for (`principal_of`)."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, tzinfo
from functools import lru_cache
from typing import Any, TypeVar

from gateway import clock
from gateway.arns import assumed_role_arn, root_arn
from gateway.errors import Unauthenticated
from gateway.models import PrincipalKind, Role, Session, User
from gateway.policy import PreparedPrincipal

INVALID_TOKEN = "The security token included in the request is invalid."
EXPIRED_TOKEN = "The security token included in the request is expired"
SESSION_RELATED = ("account", "user", "role")
"""What `principal_of` needs loaded with a session (not the root user's row: a root session's
principal is its account's, and its password hash has no business in the session cache)."""
ADDRESSES_REMEMBERED = 8
"""How many client addresses a principal, or an authentication, keeps a copy of itself for
(`copy_for_address`)."""


_Known = tuple[datetime, datetime, tzinfo | None, dict[str, str], PreparedPrincipal]
"""A principal's request context as of one second: from when, until when, in which zone; the
keys, and the principal prepared with them."""
_SECOND = timedelta(seconds=1)


@dataclass(frozen=True, slots=True)
class RoleOf:
    """The role behind a role session: its id, name and ARN, the session's name, and the
    session policies passed when it was assumed, as (label, document) pairs."""

    id: str
    name: str
    arn: str
    session_name: str
    session_policies: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True, slots=True)
class Principal:
    """An authenticated caller: the root user, an IAM user, or a role session.

    `id` is the unique id (`AIDA…` for a user, the account id for root); `name` the user name
    (None for root). The session fields describe how this call was authenticated;
    `password_change_required` says the session may do nothing but change its password;
    `mfa_enrollment_required` that it may do nothing but enrol an MFA device (a root sign-in
    without one while root MFA is required).
    `access_key_id` is the key the request was signed with: `AKIA…` for a long-term access key
    (then `session_id` is None), `ASIA…` for GetSessionToken credentials, None for a sign-in.

    A role session (`Principal.role_session`) has `id` `AROA…:SESSION` (aws:userid), the
    assumed-role ARN, `name` None, and `role` naming the role (its id, name and ARN) and the
    session policies passed when it was assumed; `source_identity` is sts:SourceIdentity.
    """

    kind: PrincipalKind
    account_id: str
    arn: str
    id: str
    name: str | None = None
    path: str = "/"
    tags: dict[str, str] = field(default_factory=dict)
    session_id: str | None = None
    source_ip: str = ""
    mfa_authenticated_at: datetime | None = None
    session_issued_at: datetime | None = None
    password_change_required: bool = False
    mfa_enrollment_required: bool = False
    access_key_id: str | None = None
    role: RoleOf | None = None
    source_identity: str | None = None
    # Memos of what follows from the fields above: a principal is cached with its session and
    # asks for decisions on every request. `replace()` starts them afresh.
    _prepared: PreparedPrincipal | None = field(default=None, init=False, repr=False, compare=False)
    _context: _Known | None = field(default=None, init=False, repr=False, compare=False)
    _addressed: dict[str, Principal] | None = field(
        default=None, init=False, repr=False, compare=False
    )

    @classmethod
    def root(cls, account_id: str, **session: Any) -> Principal:
        """The root user of `account_id` (session fields as keywords)."""
        return cls(
            kind=PrincipalKind.ROOT,
            account_id=account_id,
            arn=root_arn(account_id),
            id=account_id,
            **session,
        )

    @classmethod
    def user(cls, user: User, **session: Any) -> Principal:
        """An IAM user (session fields as keywords)."""
        return cls(
            kind=PrincipalKind.USER,
            account_id=user.account_id,
            arn=user.arn,
            id=user.id,
            name=user.name,
            path=user.path,
            tags=dict(user.tags),
            **session,
        )

    @classmethod
    def role_session(
        cls,
        role: Role,
        session_name: str,
        session_policies: Sequence[Mapping[str, str]] = (),
        *,
        source_identity: str | None = None,
        **session: Any,
    ) -> Principal:
        """A session of `role` named `session_name` (session fields as keywords):
        `arn:aws:sts::ACCOUNT:assumed-role/ROLE/SESSION`, user id `AROA…:SESSION`, the role's
        tags as principal tags."""
        return cls(
            kind=PrincipalKind.ROLE,
            account_id=role.account_id,
            arn=assumed_role_arn(role.account_id, role.name, session_name),
            id=f"{role.id}:{session_name}",
            path=role.path,
            tags=dict(role.tags),
            role=RoleOf(
                id=role.id,
                name=role.name,
                arn=role.arn,
                session_name=session_name,
                session_policies=tuple((p["label"], p["document"]) for p in session_policies),
            ),
            source_identity=source_identity,
            **session,
        )

    @property
    def is_root(self) -> bool:
        """True for the account's root user."""
        return self.kind is PrincipalKind.ROOT

    @property
    def long_term_key(self) -> bool:
        """True when the request was signed with a long-term (`AKIA…`) access key."""
        return self.access_key_id is not None and self.session_id is None

    @property
    def temporary_without_mfa(self) -> bool:
        """True for GetSessionToken credentials issued without MFA, which AWS lets call no IAM
        operation ("You cannot call any IAM API operations unless MFA authentication
        information is included in the request")."""
        return (
            self.kind is not PrincipalKind.ROLE
            and self.session_id is not None
            and self.access_key_id is not None
            and self.mfa_authenticated_at is None
        )

    @property
    def policy_type(self) -> str:
        """aws:PrincipalType for this caller."""
        return {
            PrincipalKind.ROOT: "Account",
            PrincipalKind.USER: "User",
            PrincipalKind.ROLE: "AssumedRole",
        }[self.kind]

    def from_address(self, source_ip: str) -> Principal:
        """This principal calling from `source_ip` (aws:SourceIp): itself when that is its
        address, else a copy, the same one each time for the first few addresses (with its
        own memos: applications ask from their servers, not from where their users signed
        in)."""
        if source_ip == self.source_ip:
            return self
        return copy_for_address(self, source_ip, lambda: replace(self, source_ip=source_ip))

    def prepared(self) -> PreparedPrincipal:
        """The principal as `gateway.policy.Request` takes it, its aws: keys derived once."""
        prepared = self._prepared
        if prepared is None:
            prepared = PreparedPrincipal(self.policy_principal())
            object.__setattr__(self, "_prepared", prepared)
        return prepared

    def policy_principal(self) -> dict[str, Any]:
        """The principal as `gateway.policy.Request` takes it."""
        principal: dict[str, Any] = {
            "arn": self.arn,
            "type": self.policy_type,
            "userid": self.id,
            "account": self.account_id,
            "tags": self.tags,
        }
        if self.name is not None:
            principal["username"] = self.name
        return principal

    def request_context(self) -> dict[str, str]:
        """The `aws:` context keys that follow from how the caller authenticated (a new dict
        the caller may change)."""
        return dict(self._known()[3])

    def prepared_in_context(self) -> PreparedPrincipal:
        """`prepared()` with the `request_context()` of now (`PreparedPrincipal.with_context`):
        what `gateway.policy.Request` takes for the caller's own requests."""
        return self._known()[4]

    def _known(self) -> _Known:
        now = clock.now()
        known = self._context
        # Every key here changes at most once a second (times and ages are whole seconds); the
        # zone is part of the key, as equal instants in other zones print differently. (Two
        # comparisons: `replace(microsecond=0)` alone costs more than the rest of a check.)
        if known is not None and now.tzinfo is known[2] and known[0] <= now < known[1]:
            return known
        second = now.replace(microsecond=0)
        context = self._request_context(now, second)
        known = (
            second,
            second + _SECOND,
            now.tzinfo,
            context,
            self.prepared().with_context(context),
        )
        object.__setattr__(self, "_context", known)
        return known

    def _request_context(self, now: datetime, second: datetime) -> dict[str, str]:
        current_time, epoch_time = _time_keys(second, now.utcoffset())
        context = {"aws:CurrentTime": current_time, "aws:EpochTime": epoch_time}
        if self.source_ip:
            context["aws:SourceIp"] = self.source_ip
        if self.session_id is not None:
            # Sessions always say whether MFA was used; requests signed with a long-term access
            # key carry no MFA keys at all (AWS: the key is absent, not "false").
            mfa = self.mfa_authenticated_at is not None
            context["aws:MultiFactorAuthPresent"] = "true" if mfa else "false"
            if self.mfa_authenticated_at is not None:
                age = int((now - self.mfa_authenticated_at).total_seconds())
                context["aws:MultiFactorAuthAge"] = str(max(age, 0))
        if self.role is not None:
            # The role's own ARN, path included (the engine could only guess it without one).
            context["aws:PrincipalArn"] = self.role.arn
        if self.source_identity is not None:
            context["aws:SourceIdentity"] = self.source_identity
        if self.session_issued_at is not None:
            context["aws:TokenIssueTime"] = _issue_time(self.session_issued_at)
        return context


Addressed = TypeVar("Addressed")


def copy_for_address(owner: Any, source_ip: str, make: Callable[[], Addressed]) -> Addressed:
    """`owner`'s copy for requests from `source_ip`: `make()`, kept in `owner`'s `_addressed`
    memo (a frozen dataclass's field, a dict once used) and given again for the first
    ADDRESSES_REMEMBERED addresses."""
    addressed: dict[str, Addressed] | None = owner._addressed
    if addressed is None:
        addressed = {}
        object.__setattr__(owner, "_addressed", addressed)
    moved = addressed.get(source_ip)
    if moved is None:
        moved = make()
        if len(addressed) < ADDRESSES_REMEMBERED:
            addressed[source_ip] = moved
    return moved


def principal_of(session: Session, *, source_ip: str) -> Principal:
    """The principal a (loaded) session acts as."""
    mfa_at = session.mfa_authenticated_at if session.mfa_authenticated else None
    fields = {
        "session_id": session.id,
        "source_ip": source_ip,
        "mfa_authenticated_at": mfa_at,
        "session_issued_at": session.created_at,
        "password_change_required": session.password_change_required,
        "mfa_enrollment_required": session.mfa_enrollment_required,
        "access_key_id": session.access_key_id,
    }
    if session.principal_kind == PrincipalKind.ROOT:
        return Principal.root(session.account_id, **fields)
    if session.principal_kind == PrincipalKind.ROLE:
        if session.role is None or session.role_session_name is None:
            raise Unauthenticated(INVALID_TOKEN)
        return Principal.role_session(
            session.role,
            session.role_session_name,
            session.session_policies,
            source_identity=session.source_identity,
            **fields,
        )
    if session.user is None:
        raise Unauthenticated(INVALID_TOKEN)
    return Principal.user(session.user, **fields)


def _iso_seconds(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@lru_cache(maxsize=1024)
def _issue_time(moment: datetime) -> str:
    """aws:TokenIssueTime: a session's requests all carry the same, formatted once."""
    return _iso_seconds(moment)


@lru_cache(maxsize=4)
def _time_keys(second: datetime, offset: timedelta | None) -> tuple[str, str]:
    """aws:CurrentTime and aws:EpochTime for a whole second: formatted once a second, not per
    request (`offset` is part of the key: equal instants in other zones print differently)."""
    return _iso_seconds(second), str(int(second.timestamp()))
