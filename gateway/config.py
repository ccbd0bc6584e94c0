"""Settings of a gateway process, read once from the environment.

Every setting has a default that works on a developer's machine with nothing configured: an
SQLite file `gateway.db` in the working directory, the server on 127.0.0.1:8000, GraphiQL and
introspection on. Production deployments override them with `GATEWAY_*` variables, each
listed with its default and meaning in the README's "Settings" section (a test holds that table
to what `Settings.from_env` reads). A value that cannot be understood raises `SettingError`
naming the variable; the `gateway` command prints that one line and exits with status 2.

WebAuthn (security keys) needs a secure context and a relying-party id that is a domain: a
browser refuses it on an IP address, so `make run`'s default serves security keys on
http://localhost:8000 (`localhost` counts as secure without TLS); http://127.0.0.1:8000 works
for everything else.
"""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_DATABASE_URL = "sqlite://gateway.db"
DEFAULT_RP_ID = "localhost"
ATTESTATION_CHOICES = ("none", "indirect", "direct")

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

_TRUE = frozenset({"1", "true", "yes", "on"})
_FALSE = frozenset({"0", "false", "no", "off"})


class SettingError(ValueError):
    """A `GATEWAY_*` variable holds a value that cannot be understood; the message names it."""


@dataclass(frozen=True, slots=True)
class Settings:
    """The configuration of one gateway process; build it with `Settings.from_env()`."""

    database_url: str = DEFAULT_DATABASE_URL
    """Tortoise database URL: `sqlite://PATH` or `postgres://USER:PASSWORD@HOST:PORT/DB`."""
    host: str = "127.0.0.1"
    """Interface the HTTP server binds to."""
    port: int = 8000
    """TCP port the HTTP server listens on."""
    workers: int = 1
    """Server processes `gateway serve` runs (uvicorn workers sharing the port). More than one
    needs PostgreSQL: SQLite is for one process."""
    first_account_id: str | None = None
    """The 12-digit id of the account `gateway serve` creates on an empty database (random when
    unset); `make run` uses 123456789012, the README's examples' account."""
    root_email: str | None = None
    """E-mail of the root user that bootstrap creates on an empty database."""
    root_password: str | None = field(default=None, repr=False)
    """Password of that root user. Unset, `gateway serve` generates one and writes it once to
    an owner-only file `gateway.root-password` in `data_directory` (never to the log);
    `gateway bootstrap` prints it on the operator's terminal."""
    session_ttl_seconds: int = 43200
    """Lifetime of a sign-in session (bearer token), in seconds."""
    session_cache_ms: int = 500
    """How long a replica may reuse a checked session before reading it again (0: never).
    Bounds how late a revocation or permission change made through another replica is seen;
    at most 1,000 so that changes reach every replica within a second."""
    session_cache_quiet_ms: int = 30_000
    """How long a checked session is reused while every change is known to reach this
    process (SQLite; PostgreSQL while the listener is connected): a change retires it at
    once then, and this only bounds its age (at most 300,000; 0: as `session_cache_ms`)."""
    secret_key: str | None = field(default=None, repr=False)
    """Secret (16+ characters) that encrypts what the gateway must read back: TOTP seeds and
    the secrets of access keys (SigV4 verification needs them). Every replica needs the same;
    unset, `gateway.services.seeds` keeps a generated one in a `gateway.key` file beside the
    SQLite database."""
    graphiql: bool = True
    """Serve the GraphiQL IDE on `GET /graphql`; only while `introspection` is on (GraphiQL reads
    the schema by introspection)."""
    introspection: bool = True
    """Answer full introspection queries (`__schema`); turn off in production."""
    cors_origins: tuple[str, ...] = ()
    """Origins allowed to call the API from a browser; empty means none."""
    max_body_bytes: int = 1_048_576
    """Largest request body accepted; larger bodies get 413."""
    root_access_keys: bool = False
    """Let the root user create access keys. Off by default: AWS's best practice is that root
    has none."""
    lockout_identity_failures: int = 5
    """Failed sign-ins of one identity (user, root, or unknown user name) that lock it."""
    lockout_address_failures: int = 20
    """Failed sign-ins from one source address that lock the address."""
    lockout_window_seconds: int = 900
    """A counter forgets its failures after this long without a failure or a lockout."""
    lockout_delay_seconds: int = 30
    """The first lockout's length; each further failure doubles it."""
    lockout_max_delay_seconds: int = 900
    """The longest lockout."""
    password_hash_memory_kib: int = 7168
    """Argon2id's memory cost for password hashes, in KiB. With `password_hash_iterations` and
    `password_hash_parallelism`, the defaults are Keycloak's, OWASP's 7 MiB profile (m=7168,
    t=5, p=1); OWASP rates its profiles as equally strong, and this one leaves the most of the
    CPU's cache to the requests served meanwhile. A password hashed with other parameters is
    re-hashed with these when it next signs in."""
    password_hash_iterations: int = 5
    """Argon2id's time cost (passes over the memory) for password hashes."""
    password_hash_parallelism: int = 1
    """Argon2id's lanes per password hash (each computed by a thread of its own)."""
    webauthn_rp_id: str = "localhost"
    """The WebAuthn relying-party id: the domain security keys are registered for (the
    sign-in page's host or a parent domain of it). Changing it orphans every registered key."""
    webauthn_origins: tuple[str, ...] = ("http://localhost:8000",)
    """The origins (scheme, host, port) whose pages may register and use security keys."""
    webauthn_attestation: str = "none"
    """The attestation conveyance asked of new security keys: `none` (the default: no
    identifying certificate is requested), `indirect` or `direct` (verified and recorded)."""
    signin_page: bool = True
    """Serve the sign-in and account page on `GET /signin`."""
    root_mfa: str = "optional"
    """`required`: a root sign-in without an MFA device opens a session that may only enrol
    one (AWS requires MFA for root); `optional`: root MFA is the owner's choice."""
    unused_access_age_days: int = 90
    """Days without use after which a role, access key, password or permission is reported
    unused (IAM Access Analyzer's unusedAccessAge, 90 by default)."""

    @property
    def root_mfa_required(self) -> bool:
        """Whether root sign-ins must have MFA (`GATEWAY_ROOT_MFA=required`)."""
        return self.root_mfa == "required"

    audit_retention_days: int = 0
    """Audit events older than this many days are deleted (in small batches, in the
    background); 0 keeps them all."""
    access_activity_flush_seconds: int = 60
    """How often each replica writes its tallies of allowed decisions (access activity); at
    most one write per principal and action per interval."""
    log_format: str = "text"
    """`text`: uvicorn's plain lines; `json`: one JSON object per line with the request id
    (`gateway.logs`), for log collectors. The image sets `json`."""
    access_log: bool = False
    """`gateway serve` writes a line per HTTP request (uvicorn's access log, in `log_format`).
    Off by default, as Keycloak's and OPA's: applications ask `authorize` for every request
    of theirs, and a line each cost a third of the gateway's CPU per decision."""
    key_header: bool = False
    """Accept `Authorization: GatewayKey <id>:<secret>`, which sends the secret itself with every
    request. Off by default: scripts sign with AWS Signature Version 4 instead, so the secret
    never travels. `make run` turns it on for local experiments with curl."""
    trusted_proxies: tuple[Network, ...] = ()
    """The reverse proxies (addresses and CIDR ranges) whose `X-Forwarded-For` / `Forwarded`
    headers say who the client is (`gateway.http.client_address`); none by default, so that
    those headers are ignored unless the gateway is behind a proxy that writes them."""

    @property
    def data_directory(self) -> Path:
        """Where the gateway keeps its own files (`gateway.key`, `gateway.root-password`)."""
        return data_directory(self.database_url)

    @property
    def session_cache_seconds(self) -> float:
        """`session_cache_ms` in seconds."""
        return self.session_cache_ms / 1000

    @property
    def session_cache_quiet_seconds(self) -> float:
        """`session_cache_quiet_ms` in seconds."""
        return self.session_cache_quiet_ms / 1000

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read the settings from `environ` (default: `os.environ`).

        Raises `SettingError` naming the variable when a value cannot be understood.
        """
        env = os.environ if environ is None else environ
        port = _int(env, "GATEWAY_PORT", 8000, minimum=1, maximum=65535)
        rp_id = _rp_id(env)
        return cls(
            database_url=env.get("GATEWAY_DATABASE_URL") or DEFAULT_DATABASE_URL,
            host=env.get("GATEWAY_HOST") or "127.0.0.1",
            port=port,
            workers=_int(env, "GATEWAY_WORKERS", 1, minimum=1, maximum=64),
            first_account_id=_account_id(env, "GATEWAY_FIRST_ACCOUNT_ID"),
            root_email=env.get("GATEWAY_ROOT_EMAIL") or None,
            root_password=env.get("GATEWAY_ROOT_PASSWORD") or None,
            session_ttl_seconds=_int(env, "GATEWAY_SESSION_TTL_SECONDS", 43200, minimum=60),
            session_cache_ms=_int(env, "GATEWAY_SESSION_CACHE_MS", 500, minimum=0, maximum=1000),
            session_cache_quiet_ms=_int(
                env, "GATEWAY_SESSION_CACHE_QUIET_MS", 30_000, minimum=0, maximum=300_000
            ),
            secret_key=env.get("GATEWAY_SECRET_KEY") or None,
            graphiql=_bool(env, "GATEWAY_GRAPHIQL", True),
            introspection=_bool(env, "GATEWAY_INTROSPECTION", True),
            cors_origins=_list(env, "GATEWAY_CORS_ORIGINS"),
            max_body_bytes=_int(env, "GATEWAY_MAX_BODY_BYTES", 1_048_576, minimum=1024),
            root_access_keys=_bool(env, "GATEWAY_ROOT_ACCESS_KEYS", False),
            lockout_identity_failures=_int(env, "GATEWAY_LOCKOUT_IDENTITY_FAILURES", 5, minimum=1),
            lockout_address_failures=_int(env, "GATEWAY_LOCKOUT_ADDRESS_FAILURES", 20, minimum=1),
            lockout_window_seconds=_int(env, "GATEWAY_LOCKOUT_WINDOW_SECONDS", 900, minimum=1),
            lockout_delay_seconds=_int(env, "GATEWAY_LOCKOUT_DELAY_SECONDS", 30, minimum=1),
            lockout_max_delay_seconds=_int(
                env, "GATEWAY_LOCKOUT_MAX_DELAY_SECONDS", 900, minimum=1
            ),
            password_hash_memory_kib=_int(
                env, "GATEWAY_PASSWORD_HASH_MEMORY_KIB", 7168, minimum=7168, maximum=4_194_304
            ),
            password_hash_iterations=_int(
                env, "GATEWAY_PASSWORD_HASH_ITERATIONS", 5, minimum=1, maximum=64
            ),
            password_hash_parallelism=_int(
                env, "GATEWAY_PASSWORD_HASH_PARALLELISM", 1, minimum=1, maximum=16
            ),
            webauthn_rp_id=rp_id,
            webauthn_origins=_origins(env, port, rp_id),
            webauthn_attestation=_choice(
                env, "GATEWAY_WEBAUTHN_ATTESTATION", "none", ATTESTATION_CHOICES
            ),
            signin_page=_bool(env, "GATEWAY_SIGNIN_PAGE", True),
            root_mfa=_choice(env, "GATEWAY_ROOT_MFA", "optional", ("optional", "required")),
            unused_access_age_days=_int(
                env, "GATEWAY_UNUSED_ACCESS_AGE_DAYS", 90, minimum=1, maximum=365
            ),
            audit_retention_days=_int(env, "GATEWAY_AUDIT_RETENTION_DAYS", 0, minimum=0),
            access_activity_flush_seconds=_int(
                env, "GATEWAY_ACCESS_ACTIVITY_FLUSH_SECONDS", 60, minimum=1, maximum=3600
            ),
            key_header=_bool(env, "GATEWAY_KEY_HEADER", False),
            log_format=_choice(env, "GATEWAY_LOG_FORMAT", "text", ("text", "json")),
            access_log=_bool(env, "GATEWAY_ACCESS_LOG", False),
            trusted_proxies=_networks(env, "GATEWAY_TRUSTED_PROXIES"),
        )


def data_directory(database_url: str) -> Path:
    """The directory of an SQLite database file, else the working directory."""
    prefix = "sqlite://"
    if database_url.startswith(prefix):
        location = database_url[len(prefix) :].split("?", 1)[0]
        if location and location != ":memory:":
            return Path(location).parent
    return Path()


def _account_id(env: Mapping[str, str], name: str) -> str | None:
    raw = env.get(name, "").strip()
    if not raw:
        return None
    if not (len(raw) == 12 and raw.isascii() and raw.isdigit()):
        raise SettingError(f"{name} must be a 12-digit account id, got {raw!r}")
    return raw


def _int(
    env: Mapping[str, str],
    name: str,
    default: int,
    *,
    minimum: int,
    maximum: int | None = None,
) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise SettingError(f"{name} must be an integer, got {raw!r}") from None
    if value < minimum or (maximum is not None and value > maximum):
        upper = "" if maximum is None else f" and at most {maximum}"
        raise SettingError(f"{name} must be at least {minimum}{upper}, got {value}")
    return value


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = env.get(name, "").strip().lower()
    if not raw:
        return default
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise SettingError(f"{name} must be true or false, got {env[name]!r}")


def _choice(env: Mapping[str, str], name: str, default: str, choices: tuple[str, ...]) -> str:
    raw = env.get(name, "").strip().lower()
    if not raw:
        return default
    if raw not in choices:
        raise SettingError(f"{name} must be one of {', '.join(choices)}, got {env[name]!r}")
    return raw


def _list(env: Mapping[str, str], name: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in env.get(name, "").split(",") if item.strip())


def _networks(env: Mapping[str, str], name: str) -> tuple[Network, ...]:
    networks = []
    for item in _list(env, name):
        try:
            networks.append(ipaddress.ip_network(item, strict=False))
        except ValueError:
            raise ValueError(
                f"{name} must list IP addresses or CIDR ranges (comma-separated), got {item!r}"
            ) from None
    return tuple(networks)


def _rp_id(env: Mapping[str, str]) -> str:
    raw = env.get("GATEWAY_WEBAUTHN_RP_ID", "").strip().lower()
    if not raw:
        return DEFAULT_RP_ID
    labels = raw.split(".")
    if not all(label and all(ch.isalnum() or ch == "-" for ch in label) for label in labels) or (
        all(label.isdigit() for label in labels)
    ):
        raise SettingError(
            "GATEWAY_WEBAUTHN_RP_ID must be a domain name such as example.com (browsers refuse "
            f"IP addresses), got {env['GATEWAY_WEBAUTHN_RP_ID']!r}"
        )
    return raw


def _origins(env: Mapping[str, str], port: int, rp_id: str) -> tuple[str, ...]:
    """The WebAuthn origins: each an http(s) origin whose host is the relying-party id or a
    subdomain of it (browsers refuse the ceremony otherwise)."""
    origins = tuple(origin.rstrip("/") for origin in _list(env, "GATEWAY_WEBAUTHN_ORIGIN"))
    if not origins:
        return (f"http://{rp_id}:{port}",)
    for origin in origins:
        scheme, sep, rest = origin.partition("://")
        host = rest.rsplit(":", 1)[0] if rest.rsplit(":", 1)[-1].isdigit() else rest
        if scheme not in {"http", "https"} or not sep or not host or "/" in rest:
            raise SettingError(
                "GATEWAY_WEBAUTHN_ORIGIN must list origins such as https://id.example.com "
                f"(scheme, host and port only), got {origin!r}"
            )
        if host.lower() != rp_id and not host.lower().endswith(f".{rp_id}"):
            raise SettingError(
                f"GATEWAY_WEBAUTHN_ORIGIN {origin!r} is not on GATEWAY_WEBAUTHN_RP_ID "
                f"{rp_id!r} or a subdomain of it"
            )
    return origins
