"""No secret reaches the logs: a live server logs everything (DEBUG, every logger, SQL and
access log included) through a whole scenario, and none of the passwords, tokens or secrets
the scenario used or received appears in what it wrote. Nor in the audit trail, however it is
read: the `auditEvents` query, the live subscription, `gateway audit export`."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
from gql import Client as GqlClient
from gql import gql
from gql.transport.websockets import WebsocketsTransport

from gateway.models import Account
from tests.api import Api
from tests.helpers import ROOT_EMAIL, ROOT_PASSWORD
from tests.mfa import Authenticator
from tests.servers import serve

USER_PASSWORD = "Espresso-Doppio-77"
NEW_PASSWORD = "Flat-White-Oat-88"
READ_ONLY = "arn:aws:iam::aws:policy/IAMReadOnlyAccess"
CHANGE_PASSWORD = "arn:aws:iam::aws:policy/IAMUserChangePassword"
WRONG_PASSWORDS = [f"Not-The-Passw0rd-{n}" for n in range(6)]

EVERYTHING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {
        "stderr": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "stream": "ext://sys.stderr",
        }
    },
    "root": {"level": "DEBUG", "handlers": ["stderr"]},
    "loggers": {
        name: {"level": "DEBUG", "handlers": [], "propagate": True}
        for name in ("uvicorn", "uvicorn.error", "uvicorn.access", "tortoise", "gateway")
    },
}


async def _scenario(api: Api, account: Account, codes: list[str]) -> list[str]:
    """Everything a session of real use does; returns every secret it saw (and adds the MFA
    codes it typed to `codes`)."""
    secrets = [ROOT_PASSWORD, USER_PASSWORD, NEW_PASSWORD, *WRONG_PASSWORDS]
    signed_in = await api(
        "mutation($e: String!, $p: String!) { signInRoot(email: $e, password: $p) { token } }",
        {"e": ROOT_EMAIL, "p": ROOT_PASSWORD},
    )
    assert signed_in.data is not None, signed_in.errors
    root_token = signed_in.data["signInRoot"]["token"]
    secrets.append(root_token)
    for name in ("alice", "bob"):
        made = await api(
            "mutation($u: String!, $p: String!, $a: String!, $c: String!) {"
            " createUser(input: {userName: $u}) { arn }"
            " createLoginProfile(userName: $u, password: $p) { userName }"
            " attachUserPolicy(userName: $u, policyArn: $a) { userName }"
            " change: attachUserPolicy(userName: $u, policyArn: $c) { userName } }",
            {"u": name, "p": USER_PASSWORD, "a": READ_ONLY, "c": CHANGE_PASSWORD},
            token=root_token,
        )
        assert made.errors == [], made.errors
    alice = await api.sign_in(account.id, "alice", USER_PASSWORD)
    secrets.append(alice)
    changed = await api(
        "mutation($o: String!, $n: String!) { changePassword(oldPassword: $o, newPassword: $n) }",
        {"o": USER_PASSWORD, "n": NEW_PASSWORD},
        token=alice,
    )
    assert changed.errors == [], changed.errors
    key = await api(
        'mutation { createAccessKey(userName: "alice") { accessKeyId secretAccessKey } }',
        token=root_token,
    )
    assert key.data is not None, key.errors
    key_id, key_secret = (
        key.data["createAccessKey"]["accessKeyId"],
        key.data["createAccessKey"]["secretAccessKey"],
    )
    secrets.append(key_secret)
    temporary = await api(
        "mutation { getSessionToken(durationSeconds: 900)"
        " { accessKeyId secretAccessKey sessionToken } }",
        key=(key_id, key_secret),
    )
    assert temporary.data is not None, temporary.errors
    credentials = temporary.data["getSessionToken"]
    secrets += [credentials["secretAccessKey"], credentials["sessionToken"]]
    who = await api("{ whoAmI { arn } }", token=credentials["sessionToken"])
    assert who.errors == [], who.errors
    for wrong in WRONG_PASSWORDS[:5]:
        failed = await api(
            "mutation($a: String!, $p: String!) {"
            ' signIn(account: $a, userName: "bob", password: $p) { token } }',
            {"a": account.id, "p": wrong},
        )
        assert failed.error_codes() == ["Unauthenticated"]
    locked = await api(
        "mutation($a: String!, $p: String!) {"
        ' signIn(account: $a, userName: "bob", password: $p) { token } }',
        {"a": account.id, "p": USER_PASSWORD},
    )
    assert locked.error_codes() == ["Throttled"]
    secrets += await _mfa_scenario(api, account, root_token, codes)
    signed_out = await api("mutation { signOut }", token=alice)
    assert signed_out.errors == [], signed_out.errors
    refused = await api("{ whoAmI { arn } }", token=alice)
    assert refused.error_codes() == ["Unauthenticated"]
    return secrets


async def _mfa_scenario(api: Api, account: Account, root_token: str, codes: list[str]) -> list[str]:
    """Enrol carol's phone, sign her in with a code, make recovery codes; the secrets seen
    (the TOTP codes typed go to `codes`)."""
    made = await api(
        'mutation($p: String!) { createUser(input: {userName: "carol"}) { arn }'
        ' createLoginProfile(userName: "carol", password: $p) { userName }'
        ' createVirtualMfaDevice(virtualMfaDeviceName: "carol") {'
        " device { serialNumber } base32StringSeed otpauthUri } }",
        {"p": USER_PASSWORD},
        token=root_token,
    )
    assert made.data is not None, made.errors
    device = made.data["createVirtualMfaDevice"]
    app = Authenticator(device["device"]["serialNumber"], device["base32StringSeed"])
    previous, current = app.enabling_codes()
    following = app.code(1)
    codes.extend([previous, current, following])
    enabled = await api(
        'mutation($s: String!, $a: String!, $b: String!) { enableMfaDevice(userName: "carol",'
        " serialNumber: $s, authenticationCode1: $a, authenticationCode2: $b) { serialNumber } }",
        {"s": app.serial_number, "a": previous, "b": current},
        token=root_token,
    )
    assert enabled.errors == [], enabled.errors
    answered = await api(
        "mutation($a: String!, $p: String!) {"
        ' signIn(account: $a, userName: "carol", password: $p) { token } }',
        {"a": account.id, "p": USER_PASSWORD},
    )
    challenge = answered.only_error()["extensions"]["challenge"]
    verified = await api(
        "mutation($c: String!, $code: String!) { verifyMfa(challenge: $c, code: $code) { token } }",
        {"c": challenge, "code": following},
    )
    assert verified.data is not None, verified.errors
    carol = verified.data["verifyMfa"]["token"]
    recovery = await api("mutation { generateRecoveryCodes }", token=carol)
    assert recovery.data is not None, recovery.errors
    return [
        app.seed,
        device["otpauthUri"],
        challenge,
        carol,
        *recovery.data["generateRecoveryCodes"],
    ]


async def test_no_password_token_or_secret_appears_in_the_server_log(
    database_url: str, account: Account, tmp_path: Path
) -> None:
    config = tmp_path / "logging.json"
    config.write_text(json.dumps(EVERYTHING))
    captured: list[str] = []
    with serve(
        "gateway.app:create_app",
        database_url,
        log_level="debug",
        log_config=config,
        captured=captured,
    ) as url:
        async with httpx.AsyncClient(base_url=url, timeout=30) as client:
            codes: list[str] = []
            secrets = await _scenario(Api(client), account, codes)
    log = "".join(captured)
    assert "POST /graphql" in log, "the access log was not captured"
    assert "SELECT" in log.upper(), "the SQL log was not captured"
    leaked = [secret for secret in secrets if secret in log]
    assert leaked == [], "secrets in the server log"
    for secret in secrets:  # nor any telling part of one (a token without its prefix, say)
        core = secret.removeprefix("gws_").removeprefix("gwc_")
        assert len(core) >= 12
        assert core[:12] not in log
    # Six digits may turn up by chance (in a timestamp); a leaked code would be quoted.
    assert len(codes) == 3
    for code in codes:
        assert f"'{code}'" not in log
        assert f'"{code}"' not in log


AUDIT_PAGE = """query($after: String) { auditEvents(first: 50, after: $after) {
  edges { node { cloudTrailEvent } } pageInfo { hasNextPage endCursor } } }"""


async def test_no_password_token_secret_seed_or_code_appears_in_any_audit_event(
    database_url: str, account: Account
) -> None:
    """…read back through the query, the live subscription, and `gateway audit export`."""
    since = datetime.now(UTC) - timedelta(minutes=1)
    with serve("gateway.app:create_app", database_url) as url:
        async with httpx.AsyncClient(base_url=url, timeout=30) as client:
            api = Api(client)
            watcher = await api(
                "mutation($e: String!, $p: String!) { signInRoot(email: $e, password: $p)"
                " { token } }",
                {"e": ROOT_EMAIL, "p": ROOT_PASSWORD},
            )
            assert watcher.data is not None
            token = watcher.data["signInRoot"]["token"]
            live: list[dict[str, object]] = []
            subscribed = asyncio.Event()

            async def follow() -> None:
                over = WebsocketsTransport(
                    url=url.replace("http://", "ws://") + "/graphql",
                    init_payload={"Authorization": f"Bearer {token}"},
                )
                async with GqlClient(transport=over) as session:
                    subscribed.set()
                    query = gql("subscription { auditEvents { cloudTrailEvent } }")
                    async for result in session.subscribe(query):
                        live.append(result["auditEvents"])

            following = asyncio.create_task(follow())
            await asyncio.wait_for(subscribed.wait(), 10)
            await asyncio.sleep(0.5)
            codes: list[str] = []
            secrets = await _scenario(api, account, codes)
            await asyncio.sleep(1.5)  # the last events reach the subscriber
            following.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await following
            queried: list[dict[str, object]] = []
            after = None
            while True:
                page = await api(AUDIT_PAGE, {"after": after}, token=token)
                assert page.data is not None, page.errors
                connection = page.data["auditEvents"]
                queried += [edge["node"] for edge in connection["edges"]]
                if not connection["pageInfo"]["hasNextPage"]:
                    break
                after = connection["pageInfo"]["endCursor"]
    exported = subprocess.run(
        [sys.executable, "-m", "gateway.cli", "audit", "export", "--since", since.isoformat()],
        env={**os.environ, "GATEWAY_DATABASE_URL": database_url},
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    records = json.loads(exported)["Records"]
    assert len(queried) == len(records) > 20, "the scenario's events were not all read back"
    # Everything after the watcher's own sign-in reached it live.
    names = [record["eventName"] for record in records]
    watched = {record["eventID"] for record in records[names.index("ConsoleLogin") + 1 :]}
    assert {event["cloudTrailEvent"]["eventID"] for event in live} == watched  # type: ignore[index]
    for where, text in {
        "query": json.dumps(queried),
        "subscription": json.dumps(live),
        "export": exported,
    }.items():
        assert [s for s in secrets if s in text] == [], f"a secret in the events ({where})"
        for secret in secrets:
            core = secret.removeprefix("gws_").removeprefix("gwc_")
            assert core[:12] not in text, f"part of a secret in the events ({where})"
        for code in codes:
            assert f'"{code}"' not in text, f"an MFA code in the events ({where})"
