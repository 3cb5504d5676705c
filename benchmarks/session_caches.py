"""What the test session's caches (tests/session_caches.py) save per render and per update.

Run from the repository root:

    uv run python benchmarks/session_caches.py            # 4 answer sets x 5 rounds
    uv run python benchmarks/session_caches.py --quick    # 1 answer set x 1 round

Each round starts two processes, one with the caches installed and one without, in turn; each
renders every answer set once to warm up (imports, the facts, the caches), then once more
measured, with copier in the process (`copier copy --defaults --trust`) from a plain copy of
the working tree, as the tests render; then runs one measured `copier update` of that project
from a tagged git copy, as the docs runs do. CPU time is the process's and its children's (git),
medians over the rounds compared.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import ANSWER_SETS, REPO_ROOT, machine_line, paired, prepare_environment, progress, uv_command
from template_versions import release, snapshot_template

SIDES = ("cached", "plain")
COMMON = {"project_name": "Bench Project", "ci": "none"}


def cpu_seconds() -> float:
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def measured(action, *args, **kwargs) -> list[float]:
    """Wall and CPU seconds of `action(*args, **kwargs)`, its output discarded."""
    wall, cpu = time.perf_counter(), cpu_seconds()
    with contextlib.redirect_stderr(io.StringIO()), contextlib.redirect_stdout(io.StringIO()):
        action(*args, **kwargs)
    return [time.perf_counter() - wall, cpu_seconds() - cpu]


def child(side: str, work_dir: Path, names: list[str]) -> dict:
    """One process of one side: a warm-up and a measured render per answer set, one update."""
    import copier

    if side == "cached":
        import session_caches

        session_caches.install()
    plain, tagged = work_dir / "template", work_dir / "template-git"
    results: dict[str, list[float]] = {}
    for name in names:
        data = {**COMMON, **ANSWER_SETS[name]}
        for _ in ("warm-up", "measured"):  # the second one is kept
            destination = Path(tempfile.mkdtemp(dir=work_dir, prefix=f"{side}-{name}-"))
            results[f"render {name}"] = measured(
                copier.run_copy, str(plain), str(destination), data=data, defaults=True, unsafe=True, vcs_ref="HEAD"
            )
    project = Path(tempfile.mkdtemp(dir=work_dir, prefix=f"{side}-update-"))
    copier.run_copy(str(tagged), str(project), data=COMMON, defaults=True, unsafe=True, quiet=True, vcs_ref="v1.0.0")
    subprocess.run("git init -q && git add -A && git commit -qm rendered", shell=True, cwd=project, check=True)
    results["update default"] = measured(
        copier.run_update, str(project), data={"project_name": "Renamed"}, defaults=True, unsafe=True, overwrite=True
    )
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="1 answer set, 1 round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--work-dir", type=Path, default=None)
    parser.add_argument("--child", choices=SIDES, help=argparse.SUPPRESS)
    args = parser.parse_args()
    names = list(ANSWER_SETS)[:1] if args.quick else list(ANSWER_SETS)
    if args.child:
        print(json.dumps(child(args.child, args.work_dir, names)))
        return 0
    rounds = 1 if args.quick else args.rounds
    if args.work_dir:
        args.work_dir.mkdir(parents=True, exist_ok=True)
    work_dir = Path(tempfile.mkdtemp(prefix="session-caches-", dir=args.work_dir))
    try:
        prepare_environment(None, work_dir)
        tagged = snapshot_template(work_dir / "template-git")
        release(tagged, "v1.0.0")
        shutil.copytree(tagged, work_dir / "template", ignore=shutil.ignore_patterns(".git"))
        samples: dict[str, dict[str, list[list[float]]]] = {side: {} for side in SIDES}
        for number in range(rounds):
            for side in SIDES:
                command = [sys.executable, __file__, "--child", side, "--work-dir", str(work_dir)]
                command += ["--quick"] if args.quick else []
                output = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, check=False)
                if output.returncode:
                    raise SystemExit(f"the {side} side failed:\n{output.stderr[-4000:]}")
                for case, timing in json.loads(output.stdout.splitlines()[-1]).items():
                    samples[side].setdefault(case, []).append(timing)
            progress(f"round {number + 1} of {rounds}")
        print(machine_line(uv_command(), "not used"))
        print()
        print("## What the test session's caches save")
        print()
        print("| case | rounds | CPU s cached / plain | ratio | wall s cached / plain | ratio |")
        print("|---|---|---|---|---|---|")
        for case in samples["plain"]:
            wall, cpu = ({side: statistics.median(t[i] for t in samples[side][case]) for side in SIDES} for i in (0, 1))
            cells = f"{paired(cpu['cached'], cpu['plain'], 3)} | {paired(wall['cached'], wall['plain'], 3)}"
            print(f"| {case} | {rounds} | {cells} |")
    finally:
        shutil.rmtree(work_dir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
