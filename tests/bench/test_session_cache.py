"""The session-cache benchmark keeps running: every row measured, every decision allowed, the
ratios printed."""

from __future__ import annotations

import re

from tests.helpers import run_bench


def test_quick_benchmark_run_measures_the_quiet_and_the_short_ttl_and_sign_ins() -> None:
    output = run_bench("session_cache.py", "--quick", "--spacing", "0.55")
    for label in ("(q) quiet TTL", "(s) short TTL only", "(i) quiet, sign-ins"):
        assert re.search(rf"{re.escape(label)} +\d+  \d+ \d+\n", output), output
    assert re.search(r"TTL alone costs \d+\.\d\dx the CPU per authorize", output), output
    assert re.search(r"between rounds cost \d+\.\d\dx the CPU per authorize", output), output
