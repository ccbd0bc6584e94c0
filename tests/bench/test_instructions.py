"""The instructions benchmark keeps running: every app counted, the ratio printed."""

from __future__ import annotations

import re
import shutil

import pytest

from tests.helpers import run_bench


@pytest.mark.skipif(shutil.which("valgrind") is None, reason="valgrind is not installed")
def test_quick_benchmark_run_counts_each_app_and_prints_the_ratio() -> None:
    output = run_bench("instructions.py", "--quick")
    counted = {}
    for key, label in (("a", "gateway authorize"), ("d", "bare starlette"), ("0", "driver alone")):
        found = re.search(rf"\({key}\) {label} +([\d,]+)\n", output)
        assert found, output
        counted[key] = int(found.group(1).replace(",", ""))
    # Each app does more than the driver that calls it, and the gateway more than Starlette.
    assert counted["a"] > counted["d"] > counted["0"] > 0, output
    assert re.search(r"costs \d+\.\d\dx bare Starlette's instructions", output), output
