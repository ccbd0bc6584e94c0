"""The role-session benchmark keeps running: a server up, every answer checked, a table."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench" / "assume_role.py"


def test_quick_run_measures_assume_role_and_the_first_request() -> None:
    # In its own process: the benchmark seeds its database through its own ORM context.
    run = subprocess.run(
        [sys.executable, str(BENCH), "--quick"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    output = run.stdout
    assert run.returncode == 0, output + run.stderr
    for row in ("assumeRole", "first request after assumeRole", "getSessionToken", "signIn"):
        assert f"\n{row} " in output
    assert "assumeRole / getSessionToken: " in output
