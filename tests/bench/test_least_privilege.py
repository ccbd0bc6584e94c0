"""The least-privilege benchmark keeps running: it seeds an account and times every report."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench" / "least_privilege.py"


def test_quick_run_times_every_report() -> None:
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
    for row in (
        "findings: analyse + first page",
        "credential report: generate + get",
        "last accessed: a group (ACTION_LEVEL)",
        "policy generation: hoarder (400 actions)",
        "validatePolicy:",
    ):
        assert f"\n{row}" in output, output
