"""The session-cache benchmark keeps running: both settings measured, every decision allowed,
the ratio printed."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench" / "session_cache.py"


def test_quick_benchmark_run_measures_the_quiet_and_the_short_ttl() -> None:
    run = subprocess.run(
        [sys.executable, str(BENCH), "--quick", "--spacing", "0.55"],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    output = run.stdout
    assert run.returncode == 0, output + run.stderr
    for label in ("(q) quiet TTL", "(s) short TTL only"):
        assert re.search(rf"{re.escape(label)} +\d+  \d+ \d+\n", output), output
    assert re.search(r"costs \d+\.\d\dx the CPU per authorize", output), output
