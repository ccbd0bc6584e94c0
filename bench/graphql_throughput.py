"""GraphQL throughput benchmark: the gateway against stock Strawberry and bare Starlette.

Run with ``make bench`` (or ``.venv/bin/python bench/graphql_throughput.py --quick`` for a
smoke run). Four servers, each one uvicorn worker in its own process on a free port of
127.0.0.1, all with the same uvicorn options (``--no-access-log``, ``--ws none``):

* ``(a) gateway``: ``gateway.app:create_app`` on a database seeded beforehand through the
  services (a temporary SQLite file, or ``--database-url``): user ``alice`` (path
  ``/staff/``) in three groups, with ten managed policies attached across her and her groups
  (eight customer-managed, two AWS-managed: ``IAMUserChangePassword``, ``IAMReadOnlyAccess``)
  whose statements allow ``iam:ListGroupsForUser`` on her and a realistic mix besides (S3,
  DynamoDB, CloudWatch, KMS, EC2 reads; ``${aws:username}`` resources; Deny statements;
  MFA, source-IP, tag and region conditions). Alice signs in (``signIn``) and the load is
  ``{ me { userName groups { edges { node { groupName } } } } }`` with her bearer token;
* ``(b) strawberry``: stock Strawberry answering ``{ hello }`` (``bench/apps/hello.py``);
* ``(c) strawberry+caches``: the same with Strawberry's ``ParserCache`` and
  ``ValidationCache``;
* ``(d) starlette``: a bare Starlette JSON endpoint (``bench/apps/bare.py``).

Every server is checked before it is measured (the gateway's answer must have no errors and
alice's three groups). The load comes from a second process (this script with
``--load-generator``): a lean asyncio HTTP/1.1 client, N keep-alive connections, one request
in flight per connection (closed loop, no pipelining), bounded in time and in request count.
Each measurement starts with an untimed warm-up. Rounds are interleaved (each round starts
with a different server) so that drift (thermal, other tenants) spreads over all servers.

Every response must be 200 with the expected body (or, if the body differs, a GraphQL
response with ``data`` and no ``errors``): any other counts as a failure and the exit code is
1. Targets are printed as PASS / FAIL lines, not asserted: exit 0 unless something is broken.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import math
import os
import random
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

ROOT = Path(__file__).resolve().parents[1]
BENCH = Path(__file__).resolve().parent
if str(ROOT) not in sys.path:  # run from a checkout, uninstalled (the seeding imports gateway)
    sys.path.insert(0, str(ROOT))
HOST = "127.0.0.1"
STARTUP_TIMEOUT = 60.0
MAX_REQUESTS_PER_CONNECTION = 1_000_000  # a bound on the generator, far above any real run
STOP_GRACE = 10.0  # seconds after the end of a run before unfinished requests are abandoned

GATEWAY_QUERY = "{ me { userName groups { edges { node { groupName } } } } }"
HELLO_QUERY = "{ hello }"
USER_NAME = "alice"
USER_PATH = "/staff/"
GROUPS = ("analysts", "developers", "oncall")
PASSWORD = "Bench-Passw0rd-1"
ROOT_PASSWORD = "Bench-Root-Passw0rd-1"

TARGET_CONNECTIONS = 32
TARGET_P99_MS = 50.0


# --------------------------------------------------------------------------- the servers


@dataclass
class Server:
    key: str  # "a" … "d"
    name: str
    app: str  # uvicorn's APP argument
    query: str
    uvicorn_args: tuple[str, ...] = ()
    env: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    # set once running
    process: subprocess.Popen[bytes] | None = None
    port: int = 0
    log: IO[bytes] | None = None
    expected_body: bytes = b""

    @property
    def label(self) -> str:
        return f"({self.key}) {self.name}"

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}"

    def log_tail(self, limit: int = 4000) -> str:
        if self.log is None:
            return ""
        self.log.seek(0)
        return self.log.read().decode(errors="replace")[-limit:]


def servers(database_url: str) -> list[Server]:
    apps_dir = ("--app-dir", str(BENCH))
    return [
        Server(
            "a",
            "gateway",
            "gateway.app:create_app",
            GATEWAY_QUERY,
            uvicorn_args=("--factory",),
            env={"GATEWAY_DATABASE_URL": database_url},
        ),
        Server("b", "strawberry", "apps.hello:stock_app", HELLO_QUERY, uvicorn_args=apps_dir),
        Server(
            "c", "strawberry+caches", "apps.hello:cached_app", HELLO_QUERY, uvicorn_args=apps_dir
        ),
        Server("d", "starlette", "apps.bare:app", HELLO_QUERY, uvicorn_args=apps_dir),
    ]


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind((HOST, 0))
        return int(probe.getsockname()[1])


def start(server: Server) -> None:
    """Start uvicorn on a free port; do not wait for it.

    Not `--fd` with a socket bound here: uvicorn wraps an inherited descriptor as AF_UNIX,
    so asyncio never sets TCP_NODELAY on its connections, and Nagle's algorithm meeting the
    client's delayed ACKs adds ~40 ms to every response. The port may be taken between
    `free_port()` and uvicorn's bind: `wait_ready` then starts the server again.
    """
    server.port = free_port()
    env = {
        **os.environ,
        "GATEWAY_HOST": HOST,
        "GATEWAY_PORT": str(server.port),
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
        **server.env,
    }
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        *server.uvicorn_args,
        server.app,
        "--host",
        HOST,
        "--port",
        str(server.port),
        "--lifespan",
        "on",
        "--ws",
        "none",
        "--no-access-log",
        "--log-level",
        "warning",
        "--backlog",
        "1024",
    ]
    if server.log is None:
        server.log = tempfile.TemporaryFile()  # noqa: SIM115 - closed by stop()
    server.process = subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=server.log,
        stderr=subprocess.STDOUT,
    )


def wait_ready(server: Server, attempts: int = 3) -> None:
    import httpx

    deadline = time.monotonic() + STARTUP_TIMEOUT
    with httpx.Client(timeout=2) as client:
        while time.monotonic() < deadline:
            assert server.process is not None
            if server.process.poll() is not None:
                if attempts > 1 and "address already in use" in server.log_tail().lower():
                    attempts -= 1
                    start(server)  # lost the race for the port: another one
                    continue
                raise BenchError(
                    f"{server.label} exited with {server.process.returncode}:\n{server.log_tail()}"
                )
            with contextlib.suppress(httpx.TransportError):
                if client.get(f"{server.url}/healthz").status_code == 200:
                    return
            time.sleep(0.05)
    raise BenchError(
        f"{server.label} not ready within {STARTUP_TIMEOUT:.0f} s:\n{server.log_tail()}"
    )


def stop(server: Server) -> None:
    if server.process is not None and server.process.poll() is None:
        server.process.terminate()
        try:
            server.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.process.kill()
            server.process.wait()
    if server.log is not None:
        server.log.close()
        server.log = None


@contextlib.contextmanager
def running(all_servers: Sequence[Server]) -> Iterator[None]:
    """Start every server, wait until each answers, and stop them all however this ends."""
    try:
        for server in all_servers:
            start(server)
        for server in all_servers:
            wait_ready(server)
        yield
    finally:
        for server in all_servers:
            stop(server)


class BenchError(Exception):
    """Something is broken (a server, the seed data, an answer): exit 1."""


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a process so far (Linux /proc), or None elsewhere."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# --------------------------------------------------------------------------- the gateway's data


def policy_documents(account: str, rng: random.Random) -> dict[str, dict[str, Any]]:
    """Eight customer-managed policies for alice and her groups, by name."""
    me = f"arn:aws:iam::{account}:user{USER_PATH}${{aws:username}}"
    team = rng.choice(("payments", "search", "platform"))
    buckets = [f"arn:aws:s3:::{team}-{name}" for name in ("artifacts", "logs", "reports")]
    tables = [f"arn:aws:dynamodb:eu-west-1:{account}:table/{team}-{t}" for t in ("orders", "jobs")]
    key = f"arn:aws:kms:eu-west-1:{account}:key/{rng.randrange(16**8):08x}-bench"

    def doc(*statements: dict[str, Any]) -> dict[str, Any]:
        return {"Version": "2012-10-17", "Statement": list(statements)}

    return {
        "SelfServiceIdentity": doc(
            {
                "Sid": "ReadOwnIdentity",
                "Effect": "Allow",
                "Action": [
                    "iam:GetUser",
                    "iam:ListGroupsForUser",
                    "iam:ListAttachedUserPolicies",
                    "iam:ListUserPolicies",
                    "iam:ListUserTags",
                    "iam:GetLoginProfile",
                ],
                "Resource": me,
            },
            {
                "Sid": "ManageOwnPassword",
                "Effect": "Allow",
                "Action": ["iam:ChangePassword", "iam:UpdateLoginProfile"],
                "Resource": me,
            },
            {
                "Sid": "NoIdentityChangesWithoutMfa",
                "Effect": "Deny",
                "Action": ["iam:DeleteLoginProfile", "iam:DeactivateMFADevice"],
                "Resource": me,
                "Condition": {"BoolIfExists": {"aws:MultiFactorAuthPresent": "false"}},
            },
        ),
        "TeamBucketsReadWrite": doc(
            {
                "Sid": "ListTeamBuckets",
                "Effect": "Allow",
                "Action": ["s3:ListBucket", "s3:GetBucketLocation"],
                "Resource": buckets,
            },
            {
                "Sid": "ReadWriteTeamObjects",
                "Effect": "Allow",
                "Action": ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"],
                "Resource": [f"{b}/*" for b in buckets],
            },
        ),
        "HomeFolder": doc(
            {
                "Sid": "OwnHomeFolder",
                "Effect": "Allow",
                "Action": "s3:*Object",
                "Resource": f"arn:aws:s3:::{team}-home/home/${{aws:username}}/*",
            }
        ),
        "OfficeNetworkOnly": doc(
            {
                "Sid": "DenyOutsideOffice",
                "Effect": "Deny",
                "Action": ["s3:DeleteObject", "dynamodb:DeleteItem"],
                "Resource": "*",
                "Condition": {"NotIpAddress": {"aws:SourceIp": ["10.0.0.0/8", "127.0.0.0/8"]}},
            }
        ),
        "DeveloperTables": doc(
            {
                "Sid": "ReadWriteTables",
                "Effect": "Allow",
                "Action": [
                    "dynamodb:GetItem",
                    "dynamodb:PutItem",
                    "dynamodb:Query",
                    "dynamodb:UpdateItem",
                ],
                "Resource": tables,
                "Condition": {"StringEquals": {"aws:RequestedRegion": "eu-west-1"}},
            },
            {
                "Sid": "NoTableAdmin",
                "Effect": "Deny",
                "Action": ["dynamodb:DeleteTable", "dynamodb:UpdateTable"],
                "Resource": "*",
            },
        ),
        "DeveloperKeys": doc(
            {
                "Sid": "UseTeamKey",
                "Effect": "Allow",
                "Action": ["kms:Decrypt", "kms:Encrypt", "kms:GenerateDataKey*"],
                "Resource": key,
                "Condition": {"StringEquals": {"aws:PrincipalTag/team": team}},
            }
        ),
        "OnCallObservability": doc(
            {
                "Sid": "ReadMetricsAndLogs",
                "Effect": "Allow",
                "Action": [
                    "cloudwatch:Describe*",
                    "cloudwatch:Get*",
                    "cloudwatch:List*",
                    "logs:Get*",
                    "logs:FilterLogEvents",
                ],
                "Resource": "*",
            },
            {
                "Sid": "RebootWithMfa",
                "Effect": "Allow",
                "Action": "ec2:RebootInstances",
                "Resource": f"arn:aws:ec2:*:{account}:instance/*",
                "Condition": {"Bool": {"aws:MultiFactorAuthPresent": "true"}},
            },
        ),
        "AnalystReadOnly": doc(
            {
                "Sid": "ReadReports",
                "Effect": "Allow",
                "Action": ["s3:GetObject", "s3:ListBucket"],
                "Resource": [buckets[2], f"{buckets[2]}/*"],
            },
            {
                "Sid": "DescribeTables",
                "Effect": "Allow",
                "Action": ["dynamodb:DescribeTable", "dynamodb:Scan"],
                "Resource": tables,
            },
        ),
    }


# Who gets which policy: 4 on alice herself, 2 on each group; 10 managed policies in all.
ATTACHMENTS: dict[str, tuple[str, ...]] = {
    "user": ("SelfServiceIdentity", "HomeFolder", "OfficeNetworkOnly", "IAMUserChangePassword"),
    "developers": ("TeamBucketsReadWrite", "DeveloperTables"),
    "oncall": ("OnCallObservability", "DeveloperKeys"),
    "analysts": ("AnalystReadOnly", "IAMReadOnlyAccess"),
}


@dataclass(frozen=True)
class Seeded:
    account_id: str
    user_arn: str
    policies: int
    statements: int


async def seed(database_url: str, seed_value: int) -> Seeded:
    """Migrate `database_url` and create alice, her groups and policies through the services."""
    from tortoise.context import TortoiseContext

    from gateway import arns
    from gateway.db import migrate, tortoise_config
    from gateway.models import Account, PrincipalKind
    from gateway.services.accounts import bootstrap_account
    from gateway.services.attachments import attach_group_policy, attach_user_policy
    from gateway.services.builtin import builtin_policies, ensure_builtin_policies
    from gateway.services.groups import add_user_to_group, create_group
    from gateway.services.login_profiles import create_login_profile
    from gateway.services.policies import create_policy
    from gateway.services.principal import Principal
    from gateway.services.users import create_user

    await migrate(database_url)
    rng = random.Random(seed_value)
    async with TortoiseContext() as context:
        await context.init(config=tortoise_config(database_url))
        await ensure_builtin_policies()
        account_id = f"{rng.randrange(10**11, 10**12)}"
        while await Account.filter(id=account_id).exists():  # a reused PostgreSQL database
            account_id = f"{rng.randrange(10**11, 10**12)}"
        await bootstrap_account(
            email=f"bench-{account_id}@example.com", password=ROOT_PASSWORD, account_id=account_id
        )
        root = Principal(
            kind=PrincipalKind.ROOT,
            account_id=account_id,
            arn=arns.root_arn(account_id),
            id=account_id,
        )
        documents = policy_documents(account_id, rng)
        teams = {"team": "payments"}
        user = await create_user(root, user_name=USER_NAME, path=USER_PATH, tags=teams)
        await create_login_profile(root, USER_NAME, password=PASSWORD)
        arn_of = {b.name: b.arn for b in builtin_policies()}
        for name, document in documents.items():
            created = await create_policy(
                root, policy_name=name, policy_document=json.dumps(document)
            )
            arn_of[name] = created.arn
        for group in GROUPS:
            await create_group(root, group_name=group, path="/teams/")
            await add_user_to_group(root, group_name=group, user_name=USER_NAME)
        for owner, names in ATTACHMENTS.items():
            for name in names:
                if owner == "user":
                    await attach_user_policy(root, user_name=USER_NAME, policy_arn=arn_of[name])
                else:
                    await attach_group_policy(root, group_name=owner, policy_arn=arn_of[name])
        builtin_docs = {b.name: json.loads(b.document) for b in builtin_policies()}
        attached = [n for names in ATTACHMENTS.values() for n in names]
        statements = sum(len((documents.get(n) or builtin_docs[n])["Statement"]) for n in attached)
        return Seeded(account_id, user.arn, len(attached), statements)


# --------------------------------------------------------------------------- checking answers


def graphql_request(server: Server) -> dict[str, Any]:
    return {"query": server.query}


def prepare(server: Server, seeded: Seeded) -> None:
    """Sign in (the gateway), check one answer in full and remember its body."""
    import httpx

    with httpx.Client(base_url=server.url, timeout=30) as client:
        if server.key == "a":
            response = client.post(
                "/graphql",
                json={
                    "query": "mutation($a: String!, $u: String!, $p: String!) "
                    "{ signIn(account: $a, userName: $u, password: $p) { token } }",
                    "variables": {"a": seeded.account_id, "u": USER_NAME, "p": PASSWORD},
                },
            )
            doc = _json(response, server, "signIn")
            try:
                token = doc["data"]["signIn"]["token"]
            except (KeyError, TypeError):
                raise BenchError(f"{server.label}: signIn failed: {response.text}") from None
            server.headers["Authorization"] = f"Bearer {token}"
        response = client.post("/graphql", json=graphql_request(server), headers=server.headers)
        doc = _json(response, server, server.query)
        if server.key == "a":
            expected: Any = {
                "me": {
                    "userName": USER_NAME,
                    "groups": {"edges": [{"node": {"groupName": g}} for g in GROUPS]},
                }
            }
        else:
            expected = {"hello": "world"}
        if doc.get("errors") or doc.get("data") != expected:
            raise BenchError(
                f"{server.label}: unexpected answer to {server.query}: {response.text}\n"
                f"expected data: {json.dumps(expected)}"
            )
        server.expected_body = response.content


def _json(response: Any, server: Server, what: str) -> dict[str, Any]:
    if response.status_code != 200:
        raise BenchError(f"{server.label}: {what} got {response.status_code}: {response.text}")
    try:
        doc = response.json()
    except ValueError:
        raise BenchError(f"{server.label}: {what} did not answer JSON: {response.text}") from None
    if not isinstance(doc, dict):
        raise BenchError(f"{server.label}: {what} answered {response.text}")
    return doc


# --------------------------------------------------------------------------- load generator
# Runs in its own process (`--load-generator SPEC_JSON`), prints one JSON result line.
# Lean on purpose: raw asyncio streams, one request in flight per connection, the same bytes
# every time; a response is checked by comparing bytes with the expected body, and only a
# differing body is parsed.


@dataclass
class LoadSpec:
    port: int
    request: str  # the full HTTP/1.1 request, latin-1
    expected_body: str  # latin-1
    connections: int
    warmup: float
    duration: float
    server_pid: int


@dataclass
class LoadState:
    warm_until: int  # perf_counter_ns
    stop_at: int
    latencies: list[int] = field(default_factory=list)
    measured: int = 0
    failures: int = 0
    failure_samples: list[str] = field(default_factory=list)
    reconnects: int = 0
    cpu: dict[str, float | None] = field(default_factory=dict)


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bytes, bool]:
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    lower = head.lower()
    close = b"\r\nconnection: close" in lower
    start = lower.find(b"\r\ncontent-length:")
    if start >= 0:
        end = lower.index(b"\r\n", start + 2)
        body = await reader.readexactly(int(lower[start + 17 : end]))
    elif b"\r\ntransfer-encoding: chunked" in lower:
        parts = []
        while True:
            size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
            if size == 0:
                await reader.readuntil(b"\r\n")  # no trailers expected
                break
            parts.append(await reader.readexactly(size))
            await reader.readexactly(2)
        body = b"".join(parts)
    else:
        body = await reader.read()
        close = True
    return status, body, close


def _acceptable(status: int, body: bytes) -> bool:
    if status != 200:
        return False
    try:
        doc = json.loads(body)
    except ValueError:
        return False
    return isinstance(doc, dict) and doc.get("data") is not None and not doc.get("errors")


async def _connection(spec: LoadSpec, state: LoadState) -> None:
    request = spec.request.encode("latin-1")
    expected = spec.expected_body.encode("latin-1")
    clock = time.perf_counter_ns
    latencies = state.latencies
    reader, writer = await asyncio.open_connection(HOST, spec.port)
    try:
        for _ in range(MAX_REQUESTS_PER_CONNECTION):
            t0 = clock()
            if t0 >= state.stop_at:
                break
            writer.write(request)
            status, body, close = await _read_response(reader)
            t1 = clock()
            if t0 >= state.warm_until:
                latencies.append(t1 - t0)
                state.measured += 1
            # Fast path: the same bytes as the checked answer; otherwise look inside.
            if (status != 200 or body != expected) and not _acceptable(status, body):
                state.failures += 1
                if len(state.failure_samples) < 3:
                    state.failure_samples.append(f"{status} {body[:300]!r}")
            if close:
                writer.close()
                state.reconnects += 1
                reader, writer = await asyncio.open_connection(HOST, spec.port)
    finally:
        writer.close()


async def _cpu_probe(spec: LoadSpec, state: LoadState) -> None:
    """CPU used by the generator and by the server over the measured window only."""
    clock = time.perf_counter_ns
    await asyncio.sleep(max(0, state.warm_until - clock()) / 1e9)
    t0, gen0, srv0 = clock(), time.process_time(), cpu_seconds(spec.server_pid)
    await asyncio.sleep(max(0, state.stop_at - clock()) / 1e9)
    wall = (clock() - t0) / 1e9
    srv1 = cpu_seconds(spec.server_pid)
    state.cpu["generator"] = (time.process_time() - gen0) / wall
    state.cpu["server"] = (srv1 - srv0) / wall if srv0 is not None and srv1 is not None else None


async def _generate(spec: LoadSpec) -> dict[str, Any]:
    gc.disable()  # the generator's own pauses would show up as server latency
    now = time.perf_counter_ns()
    state = LoadState(
        warm_until=now + int(spec.warmup * 1e9),
        stop_at=now + int((spec.warmup + spec.duration) * 1e9),
    )
    probe = asyncio.create_task(_cpu_probe(spec, state))
    tasks = [asyncio.create_task(_connection(spec, state)) for _ in range(spec.connections)]
    done, pending = await asyncio.wait(tasks, timeout=spec.warmup + spec.duration + STOP_GRACE)
    for task in pending:  # requests that never came back: failures, not silence
        task.cancel()
        state.failures += 1
    errors = [repr(t.exception()) for t in done if t.exception() is not None]
    state.failures += len(errors)
    await probe
    return {
        "measured": state.measured,
        "window": spec.duration,
        "latencies": state.latencies,
        "failures": state.failures,
        "failure_samples": state.failure_samples + errors[:3],
        "reconnects": state.reconnects,
        "generator_cpu": state.cpu["generator"],
        "server_cpu": state.cpu["server"],
    }


def load_generator_main(spec_json: str) -> int:
    spec = LoadSpec(**json.loads(spec_json))
    result = asyncio.run(_generate(spec))
    sys.stdout.write(json.dumps(result))
    sys.stdout.flush()
    return 0


def http_request(server: Server) -> bytes:
    body = json.dumps(graphql_request(server), separators=(",", ":")).encode()
    headers = {
        "Host": f"{HOST}:{server.port}",
        "Content-Type": "application/json",
        "Accept": "application/graphql-response+json, application/json",
        "Content-Length": str(len(body)),
        **server.headers,
    }
    head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
    return f"POST /graphql HTTP/1.1\r\n{head}\r\n".encode() + body


@dataclass
class Measurement:
    server: str
    round: int
    rps: float
    latencies: list[int]
    failures: int
    failure_samples: list[str]
    generator_cpu: float
    server_cpu: float | None


def measure(server: Server, round_: int, args: argparse.Namespace) -> Measurement:
    """One timed run of the load generator against `server`, in a process of its own."""
    assert server.process is not None
    spec = LoadSpec(
        port=server.port,
        request=http_request(server).decode("latin-1"),
        expected_body=server.expected_body.decode("latin-1"),
        connections=args.connections,
        warmup=args.warmup,
        duration=args.duration,
        server_pid=server.process.pid,
    )
    gc.collect()
    try:
        completed = subprocess.run(
            [sys.executable, __file__, "--load-generator", json.dumps(spec.__dict__)],
            capture_output=True,
            timeout=args.warmup + args.duration + STOP_GRACE + 30,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise BenchError(f"{server.label}: the load generator did not finish") from None
    if completed.returncode != 0:
        raise BenchError(
            f"{server.label}: the load generator failed ({completed.returncode}):\n"
            + completed.stderr.decode(errors="replace")[-3000:]
        )
    if server.process.poll() is not None:
        raise BenchError(f"{server.label} died during the run:\n{server.log_tail()}")
    result = json.loads(completed.stdout)
    return Measurement(
        server.label,
        round_,
        result["measured"] / result["window"],
        result["latencies"],
        result["failures"],
        result["failure_samples"],
        result["generator_cpu"],
        result["server_cpu"],
    )


# --------------------------------------------------------------------------- report


def percentile(sorted_values: Sequence[int], q: float) -> float:
    index = max(0, math.ceil(q * len(sorted_values)) - 1)
    return float(sorted_values[index])


@dataclass
class Row:
    label: str
    rps: float
    rps_rounds: list[float]
    p50_ms: float
    p99_ms: float
    requests: int
    failures: int
    generator_cpu: float
    server_cpu: float | None


def summarise(label: str, runs: list[Measurement]) -> Row:
    latencies = sorted(x for m in runs for x in m.latencies)
    rounds = [m.rps for m in runs]
    server_cpus = [m.server_cpu for m in runs if m.server_cpu is not None]
    return Row(
        label,
        sum(rounds) / len(rounds),
        rounds,
        percentile(latencies, 0.50) / 1e6 if latencies else math.nan,
        percentile(latencies, 0.99) / 1e6 if latencies else math.nan,
        len(latencies),
        sum(m.failures for m in runs),
        sum(m.generator_cpu for m in runs) / len(runs),
        sum(server_cpus) / len(server_cpus) if server_cpus else None,
    )


def report(rows: dict[str, Row], args: argparse.Namespace, seeded: Seeded, db_label: str) -> int:
    a, b, c = rows["a"], rows["b"], rows["c"]
    print()
    print(
        f"connections={args.connections} duration={args.duration:g} s/round (+{args.warmup:g} s "
        f"warm-up) rounds={args.rounds} seed={args.seed} cpus={os.cpu_count()} "
        f"database={db_label}"
    )
    print(
        f"gateway data: user {USER_NAME} in {len(GROUPS)} groups, {seeded.policies} managed "
        f"policies ({seeded.statements} statements) across the user and its groups"
    )
    print()
    header = (
        f"{'server':<24}{'req/s':>9}{'p50':>10}{'p99':>10}{'÷ (b)':>8}{'÷ (c)':>8}"
        f"{'requests':>10}{'fail':>6}{'srv cpu':>9}{'gen cpu':>9}  req/s per round"
    )
    print(header)
    print("-" * len(header))
    for row in rows.values():
        srv = f"{row.server_cpu:.0%}" if row.server_cpu is not None else "-"
        rounds = " ".join(f"{r:.0f}" for r in row.rps_rounds)
        print(
            f"{row.label:<24}{row.rps:>9.0f}{row.p50_ms:>8.1f}ms{row.p99_ms:>8.1f}ms"
            f"{row.rps / b.rps:>7.2f}x{row.rps / c.rps:>7.2f}x{row.requests:>10}"
            f"{row.failures:>6}{srv:>9}{row.generator_cpu:>9.0%}  {rounds}"
        )
    print()
    print(
        "notes: req/s is the mean over rounds; p50/p99 over every measured request of all rounds "
        "(closed loop:\n"
        "  a connection waits for its answer before sending again, so latency includes queueing "
        "in the server).\n"
        f"  srv cpu / gen cpu: the share of one core used by the server / the load generator. "
        f"This machine has {os.cpu_count()} CPU(s):\n"
        "  the generator runs beside the server and takes CPU from it, so every figure is lower "
        "than with load\n"
        "  from another machine; a row whose gen cpu is near 100% is limited by the generator."
    )
    print()
    targets = [
        (f"(a) ≥ 1.0x (b) req/s: {a.rps / b.rps:.2f}x", a.rps >= b.rps),
        (f"(a) ≥ 0.4x (c) req/s: {a.rps / c.rps:.2f}x", a.rps >= 0.4 * c.rps),
    ]
    at = "" if args.connections == TARGET_CONNECTIONS else f" (target is at {TARGET_CONNECTIONS})"
    targets.append(
        (
            f"(a) p99 ≤ {TARGET_P99_MS:g} ms at {args.connections} connections{at}: "
            f"{a.p99_ms:.1f} ms",
            a.p99_ms <= TARGET_P99_MS,
        )
    )
    for text, ok in targets:
        print(f"{'PASS' if ok else 'FAIL'}  {text}")
    failed = {row.label: row.failures for row in rows.values() if row.failures}
    if failed:
        print(f"\nFAILURES: responses that were not 200 with the expected data: {failed}")
        return 1
    total = sum(row.requests for row in rows.values())
    print(f"\nOK: all {total} measured responses were 200 with the expected data")
    return 0


# --------------------------------------------------------------------------- main


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--duration", type=float, help="seconds measured per round (5)")
    parser.add_argument("--rounds", type=int, help="interleaved rounds (3)")
    parser.add_argument("--connections", type=int, help="keep-alive connections (32)")
    parser.add_argument(
        "--warmup", type=float, help="untimed seconds before each measurement (duration / 5, ≤ 1)"
    )
    parser.add_argument(
        "--database-url",
        help="the gateway's database (e.g. postgres://…); default: a temporary SQLite file",
    )
    parser.add_argument("--seed", type=int, default=2024, help="seeds the gateway's data")
    parser.add_argument(
        "--quick", action="store_true", help="smoke run: 1 s, 1 round, 8 connections by default"
    )
    parser.add_argument("--load-generator", metavar="SPEC", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    defaults = (1.0, 1, 8) if args.quick else (5.0, 3, TARGET_CONNECTIONS)
    for name, default in zip(("duration", "rounds", "connections"), defaults, strict=True):
        if getattr(args, name) is None:
            setattr(args, name, default)
    if args.warmup is None:
        args.warmup = min(1.0, args.duration / 5)
    if args.duration <= 0 or args.rounds < 1 or args.connections < 1 or args.warmup < 0:
        parser.error("--duration, --rounds and --connections must be positive")
    return args


def run(args: argparse.Namespace, database_url: str) -> int:
    print(f"seeding the gateway's database ({_safe(database_url)})", file=sys.stderr)
    seeded = asyncio.run(seed(database_url, args.seed))
    all_servers = servers(database_url)
    by_key = {s.key: s for s in all_servers}
    runs: dict[str, list[Measurement]] = {s.key: [] for s in all_servers}
    with running(all_servers):
        for server in all_servers:
            prepare(server, seeded)
        for round_ in range(args.rounds):
            order = all_servers[round_ % 4 :] + all_servers[: round_ % 4]
            for server in order:
                m = measure(server, round_, args)
                runs[server.key].append(m)
                print(
                    f"round {round_ + 1}/{args.rounds} {server.label}: {m.rps:.0f} req/s"
                    + (f", {m.failures} failures: {m.failure_samples}" if m.failures else ""),
                    file=sys.stderr,
                )
    rows = {key: summarise(by_key[key].label, ms) for key, ms in runs.items()}
    return report(rows, args, seeded, _safe(database_url).split(":")[0])


def _safe(url: str) -> str:
    """The URL without its password."""
    scheme, sep, rest = url.partition("://")
    if "@" in rest:
        credentials, _, host = rest.rpartition("@")
        rest = f"{credentials.split(':')[0]}:***@{host}" if ":" in credentials else rest
    return f"{scheme}{sep}{rest}"


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if args.load_generator:
        return load_generator_main(args.load_generator)
    started = time.perf_counter()
    try:
        if args.database_url:
            code = run(args, args.database_url)
        else:
            with tempfile.TemporaryDirectory(prefix="bench-graphql-") as tmp:
                code = run(args, f"sqlite://{Path(tmp) / 'gateway.db'}")
    except BenchError as error:
        print(f"\nBROKEN: {error}")
        code = 1
    print(f"\ntotal {time.perf_counter() - started:.0f} s")
    return code


if __name__ == "__main__":
    sys.exit(main())
