"""The example scripts in examples/, run as a user would run them, against a live gateway."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

import httpx

from gateway.models import Account
from tests.api import Api, sign_in_root
from tests.servers import ROOT

READ_ONLY = "arn:aws:iam::aws:policy/IAMReadOnlyAccess"
USER_NAMES = [f"reader-{n:02d}" for n in range(55)]  # more than one page of 50


async def _run(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    # The script is synchronous to wait for; run it off the event loop.
    return await asyncio.to_thread(
        subprocess.run,
        [sys.executable, str(ROOT / "examples" / "list_users.py"), *args],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


async def test_list_users_signs_with_sigv4_pages_and_checks_a_permission(
    gateway_url: str, account: Account
) -> None:
    async with httpx.AsyncClient(base_url=gateway_url, timeout=30) as client:
        api = Api(client)
        token = await sign_in_root(api)
        for name in USER_NAMES:
            made = await api(
                "mutation($u: String!) { createUser(input: {userName: $u}) { arn } }",
                {"u": name},
                token=token,
            )
            assert made.errors == [], made.errors
        attached = await api(
            'mutation($a: String!) { attachUserPolicy(userName: "reader-00", policyArn: $a)'
            " { userName } }",
            {"a": READ_ONLY},
            token=token,
        )
        assert attached.errors == [], attached.errors
        created = await api(
            'mutation { createAccessKey(userName: "reader-00") { accessKeyId secretAccessKey } }',
            token=token,
        )
        assert created.errors == [], created.errors
        assert created.data is not None
        key = created.data["createAccessKey"]

    env = {
        "GATEWAY_URL": gateway_url,
        "GATEWAY_ACCESS_KEY_ID": key["accessKeyId"],
        "GATEWAY_SECRET_ACCESS_KEY": key["secretAccessKey"],
    }
    result = await _run(env=env)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == f"caller: arn:aws:iam::{account.id}:user/reader-00"
    listed = [line.split()[1] for line in lines if line.startswith("user: ")]
    assert listed == USER_NAMES
    assert f"users: {len(USER_NAMES)}" in lines
    assert lines[-1] == "authorize iam:CreateUser on *: IMPLICIT_DENY"
    assert key["secretAccessKey"] not in result.stdout + result.stderr

    allowed = await _run("iam:GetUser", f"arn:aws:iam::{account.id}:user/reader-01", env=env)
    assert allowed.stdout.splitlines()[-1].endswith(": ALLOW")

    wrong = await _run(env={**env, "GATEWAY_SECRET_ACCESS_KEY": "x" * 40})
    assert wrong.returncode == 1
    assert "SignatureDoesNotMatch: The request signature we calculated does not match" in (
        wrong.stderr
    )


async def test_follow_audit_prints_the_events_as_they_happen(
    gateway_url: str, account: Account
) -> None:
    async with httpx.AsyncClient(base_url=gateway_url, timeout=30) as client:
        api = Api(client)
        token = await sign_in_root(api)
        follower = await asyncio.create_subprocess_exec(
            sys.executable,
            str(ROOT / "examples" / "follow_audit.py"),
            "iam:Create*",
            "--count",
            "2",
            env={**os.environ, "GATEWAY_URL": gateway_url, "GATEWAY_TOKEN": token},
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        assert follower.stdout is not None
        first = await asyncio.wait_for(follower.stdout.readline(), 30)
        assert first.decode().strip() == "following the audit trail"
        await asyncio.sleep(0.5)
        for name in ("till-1", "till-2"):
            made = await api(
                "mutation($u: String!) { createUser(input: {userName: $u}) { arn }"
                ' tagUser(userName: $u, tags: [{key: "shop", value: "main"}]) { userName } }',
                {"u": name},
                token=token,
            )
            assert made.errors == [], made.errors
        out, err = await asyncio.wait_for(follower.communicate(), 30)
    assert follower.returncode == 0, err.decode()
    lines = out.decode().splitlines()
    assert len(lines) == 2
    assert all("iam.amazonaws.com CreateUser  OK" in line for line in lines), lines
    assert all(f"arn:aws:iam::{account.id}:root" in line for line in lines)
