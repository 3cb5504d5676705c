"""Smoke tests of the benchmarks: each runs end to end on a small case and prints its table.

They render and lock against the local index replica (and PyPI for the other packages), like
the lock tests. Consistency checks: the numbers are well-formed and the ratios are the ones of
the pairs printed next to them.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
BENCHMARKS = REPO_ROOT / "benchmarks"
NUMBER = r"(?:\d+(?:\.\d+)?|inf)"
PAIR = rf"{NUMBER} / {NUMBER}"

pytestmark = pytest.mark.lock


def run(script: str, tmp_path: Path) -> str:
    result = subprocess.run(
        [sys.executable, str(BENCHMARKS / script), "--quick", "--work-dir", str(tmp_path / "bench")],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
    assert result.returncode == 0, result.stderr[-4000:]
    assert re.search(r"Machine: .+ \d+ cores.+uv 0\.\d+\.\d+", result.stdout), result.stdout
    return result.stdout


def cells(out: str, row_start: str) -> list[tuple[str, str]]:
    """The row starting with `row_start` of the first table: (column, value) in order."""
    lines = out.splitlines()
    header = next(line for line in lines if line.startswith("| case |"))
    rows = [line for line in lines if line.startswith(row_start)]
    assert len(rows) == 1, out
    names = [cell.strip() for cell in header.strip("|").split("|")]
    values = [cell.strip() for cell in rows[0].strip("|").split("|")]
    assert len(names) == len(values), rows[0]
    return list(zip(names, values, strict=True))


def pair_and_ratio(pairs_in_order: list[tuple[str, str]], column: str) -> tuple[float, float, float]:
    """`column`'s two numbers `a / b` and the ratio printed in the "ratio" column after it."""
    row = dict(pairs_in_order)
    assert re.fullmatch(PAIR, row[column]), (column, row[column])
    first, second = (float(x) for x in row[column].split(" / "))
    columns = [name for name, _ in pairs_in_order]
    after = columns.index(column) + 1
    assert columns[after] == "ratio", columns
    return first, second, float(pairs_in_order[after][1])


def test_lock_size_quick_prints_every_column_side_by_side(tmp_path: Path) -> None:
    out = run("lock_size.py", tmp_path)
    assert "## Generated locks vs uv's PyTorch guide" in out
    pairs_in_order = cells(out, "| single-1 |")
    row = dict(pairs_in_order)  # the columns named "ratio" are read by position below
    assert row["guide section"] == "Using a PyTorch index"
    # Each pair is followed by its ratio ours / guide: exact for counts, up to the pair's
    # rounding for times.
    pairs = {
        "uv.lock bytes ours / guide": 0.006,
        "wheel URLs ours / guide": 0.006,
        "resolver CPU s ours / guide": 0.1,
        "online s ours / guide": 0.1,
        "cold s ours / guide": 0.1,
    }
    for column, tolerance in pairs.items():
        ours, guide, printed = pair_and_ratio(pairs_in_order, column)
        assert ours > 0 and guide > 0, (column, row[column])
        assert abs(printed - ours / guide) <= tolerance * max(1.0, printed), (column, row[column], printed)
    kinds = row["unusable wheels in ours: musllinux / free-threaded / PyPy / mobile / Intel-Mac cap / other"]
    assert re.fullmatch(r"\d+( / \d+){5}", kinds), kinds
    assert re.fullmatch(PAIR, row["forks ours / guide"]), row["forks ours / guide"]
    assert re.fullmatch(PAIR, row["resolver s ours / guide"]), row["resolver s ours / guide"]
    assert row["goals"] == "met" or row["goals"].startswith("MISS ("), row["goals"]
    assert "### Goals:" in out


def test_matrix_cost_quick_prints_the_fits(tmp_path: Path) -> None:
    out = run("matrix_cost.py", tmp_path)
    assert "## What the verification matrix costs" in out
    assert re.search(rf"total ≈ -?{NUMBER} s/combination × N [+-]{NUMBER} s \(R² = {NUMBER}", out), out
    assert re.search(rf"total time per extras combination ≈ -?{NUMBER} s/extra", out), out
    assert "error" not in out, out


def test_render_cost_quick_prints_both_sides_and_their_ratio(tmp_path: Path) -> None:
    out = run("render_cost.py", tmp_path)
    assert "## What a render costs, with and without the compile cache" in out
    pairs_in_order = cells(out, "| default |")
    row = dict(pairs_in_order)
    for column in ("wall s cached / uncached", "CPU s cached / uncached"):
        cached, uncached, printed = pair_and_ratio(pairs_in_order, column)
        assert abs(printed - cached / uncached) <= 0.1 * max(1.0, printed), (column, row[column], printed)
    cached, uncached = (int(x) for x in row["compiled per render cached / uncached"].split(" / "))
    # Without the cache every use compiles again; with it, about the distinct sources.
    assert int(row["distinct sources"]) <= cached < uncached, row


def test_session_caches_quick_prints_both_sides_and_their_ratio(tmp_path: Path) -> None:
    out = run("session_caches.py", tmp_path)
    assert "## What the test session's caches save" in out
    for case in ("| render default |", "| update default |"):
        pairs_in_order = cells(out, case)
        for column in ("CPU s cached / plain", "wall s cached / plain"):
            cached, plain, printed = pair_and_ratio(pairs_in_order, column)
            assert cached > 0 and plain > 0, (column, cached, plain)
            assert abs(printed - cached / plain) <= 0.01 * max(1.0, printed), (column, cached, plain, printed)
