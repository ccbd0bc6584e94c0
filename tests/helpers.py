"""Helpers shared by the test packages (fixtures live in the conftest.py files)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

from tortoise.models import Model

import gateway.models
from gateway.models import AuditEvent, User
from gateway.services.principal import Principal

Snapshot = dict[str, list[dict[str, Any]]]


async def snapshot(*, also_excluding: tuple[type[Model], ...] = ()) -> Snapshot:
    """Every row of every table except the audit trail (and `also_excluding`), in
    primary-key order: compare two to show that nothing changed in between."""
    tables: Snapshot = {}
    for model in gateway.models.__models__:
        if model is AuditEvent or model in also_excluding:
            continue
        tables[model.__name__] = await model.all().order_by(model._meta.pk_attr).values()
    return tables


TEST_SECRET_KEY = "test-only-seed-key-0123456789abcdef"
"""The GATEWAY_SECRET_KEY of every gateway the tests start (in process or as a server)."""

ROOT_EMAIL = "root@example.com"
ROOT_PASSWORD = "Root-Passw0rd"
GOOD_PASSWORD = "Sup3r-Secret"


def principal_for_root(account_id: str) -> Principal:
    """The root user of `account_id` as an acting principal."""
    return Principal.root(account_id)


def principal_for_user(user: User) -> Principal:
    """An IAM user as an acting principal."""
    return Principal.user(user)


BENCH = Path(__file__).resolve().parents[1] / "bench"


def run_bench(script: str, *args: str) -> str:
    """Run `bench/<script>` with `args` in a process of its own; its standard output, once it
    has exited 0 (the test fails with both outputs otherwise)."""
    run = subprocess.run(
        [sys.executable, str(BENCH / script), *args],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert run.returncode == 0, run.stdout + run.stderr
    return run.stdout
