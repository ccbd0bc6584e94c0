"""A SQLite database serves one process (issue 11 item 4, issue 9 item 8): a second server, or
a writing command, on the same file stops at start with one clear line; the files are the
owner's alone. Real processes throughout."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from tests.databases import BACKEND
from tests.servers import ROOT, serve

pytestmark = pytest.mark.skipif(BACKEND != "sqlite", reason="SQLite only")

REFUSAL = "is using the SQLite database"


def gateway(*args: str, database_url: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run the `gateway` command to completion (at most 60 s)."""
    environment = {
        **os.environ,
        "GATEWAY_DATABASE_URL": database_url,
        "GATEWAY_HOST": "127.0.0.1",
        "GATEWAY_PORT": "1",  # never bound: a refused serve stops before listening
        "PYTHONPATH": str(ROOT),
    }
    return subprocess.run(
        [sys.executable, "-m", "gateway.cli", *args],
        cwd=cwd,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_second_process_on_the_same_sqlite_file_is_refused_at_start(tmp_path: Path) -> None:
    path = tmp_path / "gateway.db"
    url = f"sqlite://{path}"
    migrated = gateway("migrate", database_url=url, cwd=tmp_path)
    assert migrated.returncode == 0, migrated.stderr
    assert mode(path) == 0o600
    captured: list[str] = []
    with serve("gateway.app:create_app", url, captured=captured):
        for file in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            assert mode(file) == 0o600, file
        for command in (("serve",), ("migrate",), ("bootstrap",)):
            refused = gateway(*command, database_url=url, cwd=tmp_path)
            assert refused.returncode == 1, (command, refused.stdout, refused.stderr)
            [line] = refused.stderr.strip().splitlines()
            assert line.startswith(f"gateway {command[0]}: Another gateway process (process ")
            assert REFUSAL in line
            assert "PostgreSQL" in line
            assert "Traceback" not in refused.stderr
        second: list[str] = []
        with (
            pytest.raises(pytest.fail.Exception, match="exited with"),
            serve("gateway.app:create_app", url, captured=second),
        ):
            pass  # pragma: no cover - the second server must not start
        assert REFUSAL in second[0]
    # once the server is gone, the file is free again
    again = gateway("migrate", database_url=url, cwd=tmp_path)
    assert again.returncode == 0, again.stderr


def test_existing_world_readable_files_are_narrowed_to_the_owner(tmp_path: Path) -> None:
    path = tmp_path / "gateway.db"
    url = f"sqlite://{path}"
    assert gateway("migrate", database_url=url, cwd=tmp_path).returncode == 0
    path.chmod(0o644)
    assert gateway("migrate", database_url=url, cwd=tmp_path).returncode == 0
    assert mode(path) == 0o600
    assert mode(Path(f"{path}.lock")) == 0o600


def test_reading_commands_run_beside_a_server(tmp_path: Path) -> None:
    path = tmp_path / "gateway.db"
    url = f"sqlite://{path}"
    assert gateway("migrate", database_url=url, cwd=tmp_path).returncode == 0
    with serve("gateway.app:create_app", url):
        exported = gateway(
            "audit", "export", "--since", "2020-01-01T00:00:00Z", database_url=url, cwd=tmp_path
        )
    assert exported.returncode == 0, exported.stderr
