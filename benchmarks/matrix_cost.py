"""What the proof matrix costs: render, lock and verify per answer combination, and how that
grows with the number of combinations and of extras.

Run from the repository root:

    uv run python benchmarks/matrix_cost.py            # 16 + 3 combinations (a few minutes on 2 cores)
    uv run python benchmarks/matrix_cost.py --quick    # 2 + 2 combinations

For a seeded sample of the single-strategy, project-layout combinations of
tests/answer_matrix.py and for the extras combination with the most accelerators cut to its
first 2, 4 and 7, it times render (copier), lock (tests/uv_runner.lock) and verify (every
`uv sync --locked --dry-run --offline --python-platform ...` per platform and extra, what
tests/test_lock.py runs), then fits the total against the number of combinations and the time
per combination against the number of extras.

Environment: as benchmarks/lock_size.py (UV_CACHE_DIR defaults to /tmp/torch-uv-bench-cache;
UV_PYTHON_DOWNLOADS=never, no user uv.toml); locks reach PyPI for the non-PyTorch packages.
"""

from __future__ import annotations

import argparse
import random
import shutil
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from common import (
    DEFAULT_CACHE_DIR,
    DEFAULT_WORK_DIR,
    RenderError,
    interpreter,
    machine_line,
    prepare_environment,
    progress,
    render,
    replica,
    uv_command,
)
from pytorch_facts import load_facts


@dataclass
class MatrixRun:
    id: str
    platforms: int
    extras: int  # 0 outside extras mode
    verify_calls: int
    render: float
    lock: float
    verify: float
    error: str = ""

    @property
    def total(self) -> float:
        return self.render + self.lock + self.verify


def run_combination(combo_id: str, answers: dict, index_url: str, scratch: Path) -> MatrixRun:
    from expectations import extras_of
    from uv_runner import UvError, lock, planned_install

    facts = load_facts()
    project = scratch / combo_id
    extras = extras_of(answers)
    n_extras = len(answers["accelerators"]) if answers["accelerator_strategy"] == "extras" else 0
    calls = len(extras) * len(answers["platforms"])
    run = MatrixRun(combo_id, len(answers["platforms"]), n_extras, calls, 0.0, 0.0, 0.0)
    python = interpreter(answers)
    if python is None:
        run.error = "no interpreter"
        return run
    started = time.perf_counter()
    try:
        render({**answers, "pytorch_index_url": index_url}, project)
        run.render = time.perf_counter() - started
        started = time.perf_counter()
        lock(project, python)
        run.lock = time.perf_counter() - started
        started = time.perf_counter()
        for extra in extras:
            for name in answers["platforms"]:
                planned_install(project, name, python, extra, facts)
        run.verify = time.perf_counter() - started
    except (RenderError, UvError) as error:
        run.error = str(error).strip().splitlines()[0][:200]
    return run


def matrix_samples(n_single: int, extra_counts: list[int], seed: int) -> tuple[list, list]:
    """A seeded sample of lockable single-strategy combinations, and extras answers with the
    first k accelerators of the combination that publishes the most of them."""
    from answer_matrix import combinations

    combos = combinations(load_facts())

    def lockable_projects(strategy: str) -> list:
        return [
            c
            for c in combos
            if c.answers["accelerator_strategy"] == strategy
            and not c.lock_skip
            and c.answers.get("layout", "project") == "project"
            and interpreter(c.answers) is not None
        ]

    singles = lockable_projects("single")
    sample = random.Random(seed).sample(singles, min(n_single, len(singles)))
    extras = lockable_projects("extras")
    base = max(extras, key=lambda c: len(c.answers["accelerators"]))
    cut = [
        (f"{base.id}-first{k}", {**base.answers, "accelerators": base.answers["accelerators"][:k]})
        for k in extra_counts
        if k <= len(base.answers["accelerators"])
    ]
    return [(c.id, c.answers) for c in sample], cut


def fit(xs: list[float], ys: list[float]) -> tuple[float, float, float]:
    """Least-squares slope, intercept and R²."""
    slope, intercept = statistics.linear_regression(xs, ys)
    r2 = statistics.correlation(xs, ys) ** 2 if len(set(ys)) > 1 else 1.0
    return slope, intercept, r2


def matrix_report(singles: list[MatrixRun], sizes: list[int], extras: list[MatrixRun]) -> list[str]:
    lines = [
        "| combination | platforms | extras | verify calls | render (s) | lock (s) | verify (s) | total (s) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for run in [*singles, *extras]:
        if run.error:
            lines.append(
                f"| {run.id} | {run.platforms} | {run.extras} | {run.verify_calls} | error: {run.error} | | | |"
            )
        else:
            lines.append(
                f"| {run.id} | {run.platforms} | {run.extras} | {run.verify_calls} | {run.render:.2f} | "
                f"{run.lock:.2f} | {run.verify:.2f} | {run.total:.2f} |"
            )
    good = [r for r in singles if not r.error]
    lines += [
        "",
        "Single-strategy sample (nested: the first N of one seeded sample; a total is the sum of its "
        "combinations' wall times):",
        "",
        "| N combinations | render (s) | lock (s) | verify (s) | total (s) | per combination (s) |",
        "|---|---|---|---|---|---|",
    ]
    points = []
    for n in sizes:
        chosen = good[:n]
        if len(chosen) < n:
            continue
        phases = [sum(getattr(r, phase) for r in chosen) for phase in ("render", "lock", "verify")]
        points.append((n, sum(phases)))
        lines.append(
            f"| {n} | {phases[0]:.2f} | {phases[1]:.2f} | {phases[2]:.2f} | {sum(phases):.2f} | {sum(phases) / n:.2f} |"
        )
    if len(points) >= 2:
        slope, intercept, r2 = fit([p[0] for p in points], [p[1] for p in points])
        lines += [
            "",
            f"Growth with the number of combinations: total ≈ {slope:.2f} s/combination × N "
            f"{intercept:+.2f} s (R² = {r2:.3f}, linear fit over N = {', '.join(str(p[0]) for p in points)})",
        ]
    good_extras = [r for r in extras if not r.error]
    if len(good_extras) >= 2:
        xs = [float(r.extras) for r in good_extras]
        lines.append("")
        for label, values in (
            ("total", [r.total for r in good_extras]),
            ("lock", [r.lock for r in good_extras]),
            ("verify", [r.verify for r in good_extras]),
        ):
            slope, intercept, r2 = fit(xs, values)
            lines.append(
                f"- {label} time per extras combination ≈ {slope:.2f} s/extra × extras {intercept:+.2f} s "
                f"(R² = {r2:.3f}; extras = {', '.join(str(int(x)) for x in xs)}; "
                f"{good_extras[0].platforms} platforms)"
            )
    if good and len(good_extras) >= 2:
        lines += ["", matrix_estimate(good, good_extras)]
    return lines


def matrix_estimate(singles: list[MatrixRun], extras: list[MatrixRun]) -> str:
    """A rough sequential cost of tests/test_lock.py from the measurements above."""
    from answer_matrix import combinations

    lockable = [c for c in combinations(load_facts()) if not c.lock_skip and interpreter(c.answers) is not None]
    with_extras = [c for c in lockable if c.answers["accelerator_strategy"] == "extras"]
    per_single = statistics.mean(r.total for r in singles)
    slope, intercept, _ = fit([float(r.extras) for r in extras], [r.total for r in extras])
    seconds = per_single * (len(lockable) - len(with_extras))
    seconds += sum(intercept + slope * len(c.answers["accelerators"]) for c in with_extras)
    return (
        f"Rough cost of the whole lock matrix (tests/test_lock.py run sequentially): {len(lockable)} lockable "
        f"combinations here, {len(with_extras)} of them extras, ≈ {seconds / 60:.1f} min "
        f"({per_single:.2f} s per non-extras combination, the sample's mean; extras from the total fit above; "
        "workspace layouts assumed to cost what projects cost; pytest and xdist overhead not included)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="2 single-strategy combinations, extras cut to 2 and 3")
    parser.add_argument("--cache-dir", help=f"uv cache (default: $UV_CACHE_DIR, else {DEFAULT_CACHE_DIR})")
    parser.add_argument(
        "--work-dir",
        type=Path,
        default=DEFAULT_WORK_DIR,
        help="index replica and scratch projects (default: %(default)s)",
    )
    parser.add_argument("--seed", type=int, default=20261124, help="sample seed")
    parser.add_argument("--keep", action="store_true", help="keep the rendered projects")
    args = parser.parse_args(argv)

    sizes = [1, 2] if args.quick else [4, 8, 16]
    extra_counts = [2, 3] if args.quick else [2, 4, 7]
    args.work_dir.mkdir(parents=True, exist_ok=True)
    cache = prepare_environment(args.cache_dir, args.work_dir)
    uv = uv_command()
    scratch = Path(tempfile.mkdtemp(prefix="matrix-", dir=args.work_dir))
    started = time.perf_counter()
    try:
        with replica(args.work_dir) as index_url:
            progress("[matrix] sampling ...")
            singles, cut = matrix_samples(max(sizes), extra_counts, args.seed)
            single_runs, extra_runs = [], []
            for combo_id, answers in singles:
                progress(f"[matrix] {combo_id} ...")
                single_runs.append(run_combination(combo_id, answers, index_url, scratch))
            for combo_id, answers in cut:
                progress(f"[matrix] {combo_id} ...")
                extra_runs.append(run_combination(combo_id, answers, index_url, scratch))
        out = [
            "## What the verification matrix costs",
            "",
            machine_line(uv, cache),
            "",
            "Render (copier), lock (`uv lock`) and verify (`uv sync --locked --dry-run --offline "
            "--python-platform ...` per platform and extra) per combination; single-strategy sample "
            f"seed {args.seed}; extras: {cut[0][0].rsplit('-first', 1)[0] if cut else '-'} cut to its first "
            f"{', '.join(str(k) for k in extra_counts)} accelerators.",
            "",
            *matrix_report(single_runs, sizes, extra_runs),
            "",
            f"Benchmark wall time: {time.perf_counter() - started:.0f} s",
        ]
    finally:
        if not args.keep:
            shutil.rmtree(scratch, ignore_errors=True)
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
