"""Smoke test of benchmarks/lock_size.py --quick: it runs end to end and prints its tables.

Renders and locks against the local index replica (and PyPI for metadata), like the lock tests.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
SCRIPT = REPO_ROOT / "benchmarks" / "lock_size.py"
NUMBER = r"(?:\d+(?:\.\d+)?|inf)"

pytestmark = pytest.mark.lock


def test_quick_benchmark_prints_ratios_and_matrix_fits(tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    result = subprocess.run(
        [sys.executable, str(SCRIPT), "--quick", "--work-dir", str(tmp_path / "bench")],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=240,
        env=env,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    out = result.stdout

    assert "## Generated locks vs uv's PyTorch guide" in out
    assert re.search(r"Machine: .+ \d+ cores.+uv 0\.\d+\.\d+", out), out
    rows = [line for line in out.splitlines() if line.startswith("| single-3 |")]
    assert len(rows) == 1, out
    cells = [cell.strip() for cell in rows[0].strip("|").split("|")]
    # case | platforms | section | times | ratio | bytes | ratio | wheels | ratio | forks | ratio | verdict
    assert cells[2] == "Using a PyTorch index"
    for pair in (cells[3], cells[5], cells[7], cells[9]):
        assert re.fullmatch(rf"{NUMBER} / {NUMBER}", pair), rows[0]
    ratios = [float(cells[i]) for i in (4, 6, 8, 10)]
    assert all(value > 0 for value in ratios), rows[0]
    ours_bytes, guide_bytes = (int(x) for x in cells[5].split(" / "))
    assert abs(ratios[1] - ours_bytes / guide_bytes) < 0.006
    assert cells[11] == "yes" or cells[11].startswith("MISS ("), rows[0]
    assert "extras with 1 accelerator: refused by the template" in out

    assert "## What the verification matrix costs" in out
    assert re.search(rf"total ≈ -?{NUMBER} s/combination × N [+-]{NUMBER} s \(R² = {NUMBER}", out), out
    assert re.search(rf"total time per extras combination ≈ -?{NUMBER} s/extra", out), out
    assert "error" not in out.split("## What the verification matrix costs", 1)[1], out
