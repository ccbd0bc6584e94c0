"""The session-cache benchmark keeps running: both settings measured, every decision allowed,
the ratio printed."""

from __future__ import annotations

import re

from tests.helpers import run_bench


def test_quick_benchmark_run_measures_the_quiet_and_the_short_ttl() -> None:
    output = run_bench("session_cache.py", "--quick", "--spacing", "0.55")
    for label in ("(q) quiet TTL", "(s) short TTL only"):
        assert re.search(rf"{re.escape(label)} +\d+  \d+ \d+\n", output), output
    assert re.search(r"costs \d+\.\d\dx the CPU per authorize", output), output
