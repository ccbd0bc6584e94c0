"""Turning a bearer token into the `Principal` it authenticates."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

from gateway import clock
from gateway.errors import ExpiredToken, Unauthenticated
from gateway.models import Account, Session, User
from gateway.services.bearer_tokens import TOKEN_PREFIX, hash_token
from gateway.services.prepared import prepared_select
from gateway.services.principal import (
    EXPIRED_TOKEN,
    INVALID_TOKEN,
    SESSION_RELATED,
    Principal,
    copy_for_address,
    principal_of,
)
from gateway.services.writes import last_local_write, local_write_count

# last_used_at is informational; refreshing it on every request would turn reads into writes.
LAST_USED_RESOLUTION = timedelta(minutes=5)


@dataclass(frozen=True, slots=True)
class Authenticated:
    """A caller proven by its session, and the generations of its account it was read at:
    `generation` (authz_generation: anything that can change a decision, tags included) keys
    the cached reads, `policy_generation` (what the caller's policies say) its compiled
    policies (`gateway.services.authorization`).

    `user` is the IAM user as loaded with the session (None for root). `signing_secret` is
    the secret of the access key that SigV4 requests are verified with, held only while
    cached for that (`gateway.auth.signed_requests`); it is None everywhere else.
    `depends_on` names other accounts whose changes can end it: a role session that a
    console switched to from another account's sign-in lives inside that sign-in.
    """

    principal: Principal
    generation: int
    policy_generation: int
    user: User | None
    expires_at: datetime
    signing_secret: str | None = field(default=None, repr=False)
    depends_on: tuple[str, ...] = ()
    # A cached authentication is asked from the same few addresses on every request.
    _addressed: dict[str, Authenticated] | None = field(
        default=None, init=False, repr=False, compare=False
    )

    @property
    def accounts(self) -> tuple[str, ...]:
        """The accounts whose changes can end or change this authentication."""
        return (self.principal.account_id, *self.depends_on)

    def from_address(self, source_ip: str) -> Authenticated:
        """This authentication for a request from `source_ip`: itself when that is its
        principal's address, else a copy whose principal is `Principal.from_address`'s, the
        same one each time for the first few addresses."""
        if source_ip == self.principal.source_ip:
            return self
        return copy_for_address(
            self,
            source_ip,
            lambda: replace(self, principal=self.principal.from_address(source_ip)),
        )

    @classmethod
    def of_account(
        cls,
        principal: Principal,
        account: Account,
        user: User | None,
        expires_at: datetime,
        *,
        signing_secret: str | None = None,
        depends_on: tuple[str, ...] = (),
    ) -> Authenticated:
        """`principal`'s authentication, at the generations of its (loaded) `account`."""
        return cls(
            principal,
            account.authz_generation,
            account.policy_generation,
            user,
            # In the clock's zone object: checked on every request, and comparing instants of
            # two zone objects (the ORM's UTC and the clock's) costs seven times as much.
            expires_at.astimezone(UTC),
            signing_secret=signing_secret,
            depends_on=depends_on,
        )


class SessionCache:
    """Recently checked credentials, by a hash of them.

    Session tokens are cached by their hash; access keys (`gateway.auth.access_keys`) by a
    hash of the whole `id:secret` credential, so that a wrong secret never finds an entry.

    Replicas share nothing but the database. A change retires the entries of the accounts it
    was made in (its actor's unless it only adds a session or a report, and any it `touches`:
    `gateway.services.writes`) at once, those still being read included: one committed by
    this process as it commits; one committed elsewhere when its notification arrives
    (`changed(account_id)`, from PostgreSQL's LISTEN/NOTIFY: `gateway.notifications`). An
    entry also retires with age:

    - after `quiet_ttl` (`GATEWAY_SESSION_CACHE_QUIET_MS`, 30 s by default) while every change
      is known to reach this process, that is while `hearing()` names the same stretch as
      when the entry was read (on SQLite always: one process writes; on PostgreSQL while the
      listener has stayed connected);
    - after `ttl` otherwise (`GATEWAY_SESSION_CACHE_MS`, at most one second): a change may
      then go unheard, and this bounds how long it goes unseen.

    The quiet age matters for people rather than programs: a user whose requests come
    seconds apart would otherwise have every session read from the database again. `ttl` 0
    turns the cache off.
    """

    def __init__(
        self,
        ttl: float,
        size: int = 10_000,
        *,
        quiet_ttl: float = 0.0,
        hearing: Callable[[], int | None] = lambda: None,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl = ttl
        self.quiet_ttl = max(quiet_ttl, ttl)
        self.size = size
        self._hearing = hearing
        # Seconds that only move forward; tests pass a FrozenClock's `monotonic`.
        self._monotonic = monotonic
        self._entries: dict[str, _Entry] = {}
        self._loading: dict[str, asyncio.Future[Authenticated]] = {}
        self._changes = 0
        self._changed: dict[str, int] = {}  # account id → number of the last change notified

    def changed(self, account_id: str) -> None:
        """A change in `account_id` was committed elsewhere: its entries are stale, and so is
        any read of them that began before now."""
        self._changes += 1
        self._changed[account_id] = self._changes
        if len(self._changed) > self.size:  # forget old marks; every entry goes with them
            self._changed.clear()
            self._entries.clear()

    def get(self, token_hash: str) -> Authenticated | None:
        """The cached authentication for a token hash, if still fresh."""
        entry = self._entries.get(token_hash)
        if entry is None:
            return None
        stored_at, (writes, seen, stretch), auth = entry
        age = self._monotonic() - stored_at
        stale = age > self.ttl and (
            age > self.quiet_ttl or stretch is None or stretch != self._hearing()
        )
        for account_id in auth.accounts:
            if last_local_write(account_id) > writes or self._changed.get(account_id, 0) > seen:
                stale = True
        if stale:
            del self._entries[token_hash]
            return None
        return auth

    async def load(
        self, token_hash: str, read: Callable[[], Awaitable[Authenticated]]
    ) -> Authenticated:
        """Read a session once for all concurrent requests that carry its token."""
        pending = self._loading.get(token_hash)
        if pending is not None:
            return await asyncio.shield(pending)
        future: asyncio.Future[Authenticated] = asyncio.get_running_loop().create_future()
        self._loading[token_hash] = future
        since = self.now()
        try:
            auth = await read()
        except Exception as error:
            future.set_exception(error)
            future.exception()  # retrieved here, so an unawaited future logs nothing
            raise
        except BaseException:
            future.cancel()
            raise
        finally:
            del self._loading[token_hash]
        future.set_result(auth)
        self.put(token_hash, auth, since=since)
        return auth

    def now(self) -> Since:
        """What an entry read from here on is checked against (see `put`)."""
        return (local_write_count(), self._changes, self._hearing())

    def put(self, token_hash: str, auth: Authenticated, *, since: Since | None = None) -> None:
        """Remember a successful authentication, read from the database after `since`
        (`now()` when the read began; default: now)."""
        if self.ttl <= 0:
            return
        if len(self._entries) >= self.size:
            self._entries.clear()
        self._entries[token_hash] = (self._monotonic(), since or self.now(), auth)


Since = tuple[int, int, int | None]
"""When a read began: this process's write count, the changes notified, the stretch heard."""
_Entry = tuple[float, Since, Authenticated]


async def authenticate(
    token: str, *, source_ip: str = "", cache: SessionCache | None = None
) -> Authenticated:
    """The principal a session token stands for; Unauthenticated or ExpiredToken otherwise."""
    if not token.startswith(TOKEN_PREFIX):
        raise Unauthenticated(INVALID_TOKEN)
    token_hash = hash_token(token)
    now = clock.now()
    if cache is None:
        auth = await _load(token_hash, now)
    else:
        auth = cache.get(token_hash) or await cache.load(token_hash, lambda: _load(token_hash, now))
    return authenticated_with(auth, now=now, source_ip=source_ip)


def authenticated_with(auth: Authenticated, *, now: datetime, source_ip: str) -> Authenticated:
    """A (possibly cached) authentication checked for expiry, for a request from `source_ip`."""
    if auth.expires_at <= now:
        raise ExpiredToken(EXPIRED_TOKEN)
    return auth.from_address(source_ip) if source_ip else auth


# Read again after every write in the account: its SQL is made once (gateway.services.prepared).
_BY_TOKEN = prepared_select(
    lambda token_hash: (
        Session.filter(token_hash=token_hash).select_related(*SESSION_RELATED).limit(1)
    )
)


async def _load(token_hash: str, now: datetime) -> Authenticated:
    session = await _BY_TOKEN.first(token_hash)
    return await session_authenticated(session, now)


async def session_authenticated(session: Session | None, now: datetime) -> Authenticated:
    """The authentication a (loaded) session gives, if it is still valid; refreshes its
    `last_used_at` now and then. Unauthenticated or ExpiredToken otherwise."""
    if session is None or session.revoked_at is not None:
        raise Unauthenticated(INVALID_TOKEN)
    if session.expires_at <= now:
        raise ExpiredToken(EXPIRED_TOKEN)
    depends_on: tuple[str, ...] = ()
    if session.switched_from_id is not None:
        # A console switch lives inside the sign-in it came from: signing that out ends it.
        origin_account = await _live_session_account(session.switched_from_id, now)
        if origin_account is None:
            raise Unauthenticated(INVALID_TOKEN)
        if origin_account != session.account_id:
            depends_on = (origin_account,)
    if now - session.last_used_at > LAST_USED_RESOLUTION:
        await Session.filter(id=session.id).update(last_used_at=now)
    principal = principal_of(session, source_ip=session.source_ip)
    return Authenticated.of_account(
        principal, session.account, session.user, session.expires_at, depends_on=depends_on
    )


async def _live_session_account(session_id: str, now: datetime) -> str | None:
    """The account of the session `session_id` if it is neither revoked nor expired."""
    found = (
        await Session.filter(id=session_id, revoked_at__isnull=True, expires_at__gt=now)
        .limit(1)
        .values_list("account_id", flat=True)
    )
    return str(found[0]) if found else None
