"""What one render costs, with and without compiling each Jinja source once per environment.

Run from the repository root:

    uv run python benchmarks/render_cost.py            # 4 answer sets x 5 runs per side
    uv run python benchmarks/render_cost.py --quick    # 1 answer set x 1 run

Two snapshots of the working tree: as it is, and with the compile cache switched off (the
`cache_compiled_sources(environment)` call removed from extensions/jinja_extension.py). Both
render the same answer sets with copier in this process (`copier copy --defaults --trust`),
alternately, after one warm-up render each; wall and CPU time (`time.process_time`) per render,
medians compared. Also counted: the sources Jinja compiled per render, and how many of them
were distinct.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import jinja2
from common import ANSWER_SETS, REPO_ROOT, machine_line, paired, progress, uv_command

sys.path[:0] = [str(REPO_ROOT / "tests")]
from template_versions import commit_all, snapshot_template  # noqa: E402

CACHE_CALL = "        cache_compiled_sources(environment)\n"


def snapshots(work_dir: Path) -> dict[str, Path]:
    cached = snapshot_template(work_dir / "cached")
    uncached = snapshot_template(work_dir / "uncached")
    extension = uncached / "extensions" / "jinja_extension.py"
    text = extension.read_text(encoding="utf-8")
    if CACHE_CALL not in text:
        raise SystemExit(f"{extension.relative_to(uncached)} no longer calls the compile cache: update the benchmark")
    extension.write_text(text.replace(CACHE_CALL, ""), encoding="utf-8")
    for repo in (cached, uncached):
        commit_all(repo, "benchmark snapshot")
    return {"cached": cached, "uncached": uncached}


def render(template: Path, data: dict, destination: Path) -> tuple[float, float, Counter]:
    """One in-process copier render: wall s, CPU s, and the sources Jinja compiled."""
    import copier

    compiled: Counter = Counter()
    compile_source = jinja2.Environment.compile

    def counting(self, source, *args, **kwargs):
        compiled[source if isinstance(source, str) else id(source)] += 1
        return compile_source(self, source, *args, **kwargs)

    jinja2.Environment.compile = counting
    wall, cpu = time.perf_counter(), time.process_time()
    try:
        with contextlib.redirect_stderr(io.StringIO()), contextlib.redirect_stdout(io.StringIO()):
            copier.run_copy(
                str(template), str(destination), data=data, defaults=True, unsafe=True, quiet=True, vcs_ref="HEAD"
            )
    finally:
        jinja2.Environment.compile = compile_source
    return time.perf_counter() - wall, time.process_time() - cpu, compiled


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1 answer set, 1 run per side")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--work-dir", type=Path, default=None)
    args = parser.parse_args()
    runs = 1 if args.quick else args.runs
    answer_sets = dict(list(ANSWER_SETS.items())[:1]) if args.quick else ANSWER_SETS
    if args.work_dir:
        args.work_dir.mkdir(parents=True, exist_ok=True)
    work_dir = Path(tempfile.mkdtemp(prefix="render-cost-", dir=args.work_dir))
    try:
        trees = snapshots(work_dir)
        print(machine_line(uv_command(), "not used"))
        print()
        print("## What a render costs, with and without the compile cache")
        print()
        print(
            "| case | renders per side | wall s cached / uncached | ratio | CPU s cached / uncached | ratio "
            "| compiled per render cached / uncached | distinct sources |"
        )
        print("|---|---|---|---|---|---|---|---|")
        count = 0
        for name, data in answer_sets.items():
            times: dict[str, list[tuple[float, float]]] = {side: [] for side in trees}
            compiled: dict[str, Counter] = {}
            for run in range(runs + 1):  # run 0 warms each side up (imports, facts) and is not counted
                for side, template in trees.items():
                    count += 1
                    wall, cpu, sources = render(template, data, work_dir / "projects" / f"{count}")
                    if run:
                        times[side].append((wall, cpu))
                    compiled[side] = sources
            progress(f"{name}: {runs} renders per side")
            wall = {side: statistics.median(t[0] for t in times[side]) for side in trees}
            cpu = {side: statistics.median(t[1] for t in times[side]) for side in trees}
            print(
                f"| {name} | {runs} | {paired(wall['cached'], wall['uncached'])} "
                f"| {paired(cpu['cached'], cpu['uncached'])} "
                f"| {sum(compiled['cached'].values())} / {sum(compiled['uncached'].values())} "
                f"| {len(compiled['uncached'])} |"
            )
    finally:
        shutil.rmtree(work_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
