"""How much lighter and faster the template's locks are than uv's PyTorch guide's, and what the
proof matrix (render, lock, verify every answer combination) costs.

Run from the repository root:

    uv run python benchmarks/lock_size.py            # full run (< 10 minutes on 2 cores)
    uv run python benchmarks/lock_size.py --quick    # 1 case, 2 timed runs, small matrix sample

Part 1, lock size: for representative answer sets (each strategy on 1, 3 and 5 platforms;
extras with 2 and 4 accelerators) it renders the template's project with copier and writes the
configuration uv's PyTorch guide gives for the same targets (benchmarks/guide_configs.py), both
pointing at the same local replica of the PyTorch indexes (tests/index_replica.py). Both are
locked with the same interpreter and a shared, warm uv cache: one untimed warm-up lock each,
then ours and the guide's alternately, uv.lock deleted before every run. Reported per case:
median `uv lock` wall time, uv.lock bytes, wheel URLs in uv.lock and resolution forks (the
top-level `resolution-markers`), each ours vs the guide's with the ratio ours/guide.

Part 2, matrix cost: render, lock and verify (`uv sync --locked --dry-run --offline
--python-platform ...` per platform and extra, tests/uv_runner.planned_install) for a seeded
sample of the single-strategy combinations of tests/answer_matrix.py and for one extras
combination cut to 2, 4 and 7 accelerators; linear fits of the total time against the number
of combinations and of the time per combination against the number of extras.

Environment: UV_CACHE_DIR defaults to /tmp/torch-uv-bench-cache (set it, or --cache-dir, to
use another); UV_NO_CONFIG=1 and UV_PYTHON_DOWNLOADS=never are set for every uv call. Locks
reach PyPI for the metadata of torch's real dependencies, so the first run on a cold cache is
slower (the untimed warm-up locks absorb that for part 1).
"""

from __future__ import annotations

import argparse
import contextlib
import datetime
import fcntl
import io
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
import warnings
from dataclasses import dataclass, field
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
for _path in (REPO_ROOT / "benchmarks", REPO_ROOT / "tests", REPO_ROOT / "extensions"):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

warnings.simplefilter("ignore")  # copier's DirtyLocalWarning while the template has local edits

from guide_configs import guide_section, write_guide_project  # noqa: E402
from pytorch_facts import load_facts  # noqa: E402

DEFAULT_CACHE_DIR = "/tmp/torch-uv-bench-cache"
DEFAULT_WORK_DIR = Path(tempfile.gettempdir()) / "torch-uv-bench"
SIZE_TARGET = 0.5  # the done-criterion: our uv.lock at most half the guide's
TIME_TARGET = 1.0  # and our lock no slower than the guide's

ONE = ("linux-x86_64",)
THREE = ("linux-x86_64", "windows-x86_64", "macos-arm64")  # the template's default
FIVE = ("linux-x86_64", "linux-aarch64", "windows-x86_64", "macos-arm64", "macos-x86_64")
FOUR = ("linux-x86_64", "linux-aarch64", "windows-x86_64", "macos-arm64")  # if five is refused
PYTORCH_NAMES = ("torch", "torchvision", "torchaudio", "triton", "triton-rocm", "triton-xpu", "pytorch-triton-rocm")
CLEARED_ENV = (
    "VIRTUAL_ENV",
    "UV_INDEX",
    "UV_INDEX_URL",
    "UV_EXTRA_INDEX_URL",
    "UV_DEFAULT_INDEX",
    "UV_FIND_LINKS",
    "UV_PYTHON",
    "UV_PROJECT_ENVIRONMENT",
    "UV_FROZEN",
    "UV_LOCKED",
    "UV_OFFLINE",
)


# --- the cases -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    id: str
    data: dict  # copier data besides the index URL
    platforms: tuple[str, ...]
    fallback: tuple[str, ...] | None = None  # platforms to use if copier refuses `platforms`


def full_cases() -> list[Case]:
    cases = []
    shapes = {
        "pypi": {"accelerator_strategy": "pypi"},
        "single": {"accelerator_strategy": "single", "accelerator": "cu130"},
        "per-platform": {
            "accelerator_strategy": "per-platform",
            "linux_accelerator": "cu130",
            "windows_accelerator": "cpu",
        },
    }
    for name, data in shapes.items():
        for platforms in (ONE, THREE, FIVE):
            cases.append(Case(f"{name}-{len(platforms)}", data, platforms, FOUR if platforms == FIVE else None))
    cases.append(Case("extras-2", {"accelerator_strategy": "extras", "accelerators": ["cpu", "cu130"]}, THREE))
    cases.append(
        Case("extras-4", {"accelerator_strategy": "extras", "accelerators": ["cpu", "cu130", "rocm7.14", "xpu"]}, THREE)
    )
    # The same shapes with the Python range a project actually supports (two minors instead
    # of torch's five): the guide's config has no way to say it; ours bounds `environments`.
    two_minors = {"python_min": "3.12", "python_max": "3.13"}
    cases.append(Case("single-3-py3.12-3.13", {**shapes["single"], **two_minors}, THREE))
    cases.append(
        Case(
            "extras-2-py3.12-3.13",
            {"accelerator_strategy": "extras", "accelerators": ["cpu", "cu130"], **two_minors},
            THREE,
        )
    )
    return cases


def quick_cases() -> list[Case]:
    return [Case("single-3", {"accelerator_strategy": "single", "accelerator": "cu130"}, THREE)]


def _data_for(case_data: dict, platforms: tuple[str, ...], index_url: str) -> dict:
    data = {
        "project_name": "My Torch Project",
        "ci": "none",
        "pre_commit": False,
        "docker": False,
        **case_data,
        "platforms": list(platforms),
        "pytorch_index_url": index_url,
    }
    if not any(p.startswith("windows") for p in platforms):
        data.pop("windows_accelerator", None)  # not asked without Windows
    return data


# --- helpers -------------------------------------------------------------------------------


def uv_command() -> list[str]:
    """The uv binary of the environment running this script (the repo's pinned uv)."""
    try:
        from uv import find_uv_bin

        return [find_uv_bin()]
    except (ImportError, FileNotFoundError):
        return [sys.executable, "-m", "uv"]


def uv_version(uv: list[str]) -> str:
    return subprocess.run([*uv, "--version"], capture_output=True, text=True).stdout.strip()


def prepare_environment(cache_dir: str | None, work_dir: Path) -> str:
    """uv and copier settings for this process and every subprocess; returns the uv cache."""
    cache = cache_dir or os.environ.get("UV_CACHE_DIR") or DEFAULT_CACHE_DIR
    os.environ["UV_CACHE_DIR"] = cache
    os.environ["UV_NO_CONFIG"] = "1"
    os.environ["UV_PYTHON_DOWNLOADS"] = "never"
    for name in CLEARED_ENV:
        os.environ.pop(name, None)
    settings = work_dir / "copier-settings.yml"
    settings.write_text("{}\n")
    os.environ["COPIER_SETTINGS_PATH"] = str(settings)
    return cache


@contextlib.contextmanager
def replica(work_dir: Path):
    """The index replica, built once under the work directory and served on 127.0.0.1."""
    from index_replica import ReplicaServer, build_replica

    root = work_dir / "pytorch-index-replica"
    with (work_dir / "replica.lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            build_replica(root)
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
    with ReplicaServer(root) as server:
        yield server.base_url


class RenderError(Exception):
    pass


def render(data: dict, destination: Path) -> dict:
    """Render the template with copier (as `copier copy --defaults --trust`); returns the answers."""
    import copier

    captured = io.StringIO()
    try:
        with contextlib.redirect_stderr(captured), contextlib.redirect_stdout(captured):
            worker = copier.run_copy(
                str(REPO_ROOT), str(destination), data=data, defaults=True, unsafe=True, quiet=True, overwrite=True
            )
    except Exception as error:  # copier reports refused answers as ValueError
        raise RenderError(str(error).strip() or type(error).__name__) from error
    return dict(worker.answers.combined)


def timed_lock(uv: list[str], project: Path, python: Path) -> float:
    (project / "uv.lock").unlink(missing_ok=True)
    started = time.perf_counter()
    result = subprocess.run([*uv, "lock", "--python", str(python)], cwd=project, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise RuntimeError(f"uv lock failed in {project}:\n{result.stderr}{result.stdout}")
    return elapsed


@dataclass
class LockStats:
    size: int
    wheel_urls: int
    forks: int  # entries of the top-level resolution-markers (0 or 1: no fork)
    packages: int
    package_bytes: dict[str, int]  # "name version" -> bytes of its [[package]] table
    package_wheels: dict[str, int]
    wheel_kinds: dict[str, int]  # musllinux, free-threaded, PyPy, iOS wheel URLs (see wheel_kind)

    @property
    def resolutions(self) -> int:
        return max(1, self.forks)


def lock_stats(project: Path) -> LockStats:
    text = (project / "uv.lock").read_text(encoding="utf-8")
    lock = tomllib.loads(text)
    packages = lock.get("package", [])
    wheel_urls = sum(1 for package in packages for wheel in package.get("wheels", []) if "url" in wheel)
    package_bytes: dict[str, int] = {}
    package_wheels: dict[str, int] = {}
    for chunk in text.split("\n[[package]]\n")[1:]:
        name = version = ""
        for line in chunk.splitlines()[:3]:
            if line.startswith("name = "):
                name = line.split("=", 1)[1].strip().strip('"')
            elif line.startswith("version = "):
                version = line.split("=", 1)[1].strip().strip('"')
        key = f"{name} {version}".strip()
        package_bytes[key] = package_bytes.get(key, 0) + len(chunk.encode()) + len("\n[[package]]\n")
    wheel_kinds: dict[str, int] = {}
    for package in packages:
        key = f"{package['name']} {package.get('version', '')}".strip()
        package_wheels[key] = package_wheels.get(key, 0) + len(package.get("wheels", []))
        for wheel in package.get("wheels", []):
            if "url" in wheel and (kind := wheel_kind(wheel["url"].rsplit("/", 1)[-1])):
                wheel_kinds[kind] = wheel_kinds.get(kind, 0) + 1
    return LockStats(
        len(text.encode()),
        wheel_urls,
        len(lock.get("resolution-markers", [])),
        len(packages),
        package_bytes,
        package_wheels,
        wheel_kinds,
    )


def wheel_kind(filename: str) -> str | None:
    """The kinds of wheels `environments` markers do not narrow away here, or None."""
    parts = filename.removesuffix(".whl").split("-")
    if len(parts) < 5:
        return None
    python, abi, platform_tag = parts[-3:]
    if "iphoneos" in platform_tag or "iphonesimulator" in platform_tag:
        return "iOS"
    if python.startswith("pp"):
        return "PyPy"
    if "musllinux" in platform_tag:
        return "musllinux"
    if abi.startswith("cp") and abi.endswith("t"):
        return "free-threaded"
    return None


def ratio(ours: float, guide: float) -> float:
    return ours / guide if guide else float("inf")


def fmt_ratio(value: float) -> str:
    return "inf" if value == float("inf") else f"{value:.2f}"


def interpreters() -> dict[str, Path]:
    from interpreters import interpreters as found

    return found()


def interpreter(answers: dict) -> Path | None:
    from interpreters import interpreter_for

    return interpreter_for(answers["python_min"], answers["python_max"])


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- part 1: ours vs the guide ------------------------------------------------------------


@dataclass
class CaseResult:
    case: Case
    platforms: tuple[str, ...]
    section: str
    python: str
    ours_times: list[float] = field(default_factory=list)
    guide_times: list[float] = field(default_factory=list)
    ours: LockStats | None = None
    guide: LockStats | None = None
    note: str = ""
    error: str = ""

    @property
    def time_ratio(self) -> float:
        return ratio(statistics.median(self.ours_times), statistics.median(self.guide_times))

    @property
    def size_ratio(self) -> float:
        return ratio(self.ours.size, self.guide.size)

    @property
    def misses(self) -> list[str]:
        missed = []
        if self.size_ratio > SIZE_TARGET:
            missed.append("size")
        if self.time_ratio > TIME_TARGET:
            missed.append("time")
        return missed


def run_case(case: Case, index_url: str, runs: int, uv: list[str], scratch: Path) -> CaseResult:
    directory = scratch / case.id
    platforms = case.platforms
    note = ""
    try:
        answers = render(_data_for(case.data, platforms, index_url), directory / "ours")
    except RenderError as error:
        if case.fallback is None:
            return CaseResult(case, platforms, "", "", error=f"copier refused the answers: {error}")
        note = f"{len(platforms)} platforms refused by copier ({error}); used {len(case.fallback)}"
        platforms = case.fallback
        shutil.rmtree(directory / "ours", ignore_errors=True)
        try:
            answers = render(_data_for(case.data, platforms, index_url), directory / "ours")
        except RenderError as again:
            return CaseResult(case, platforms, "", "", note=note, error=f"copier refused the answers: {again}")
    ours = directory / "ours"
    guide = write_guide_project(directory / "guide", answers, index_url)
    python = interpreter(answers)
    result = CaseResult(case, platforms, guide_section(answers["accelerator_strategy"]), "", note=note)
    if python is None:
        result.error = f"no Python {answers['python_min']}-{answers['python_max']} interpreter on this machine"
        return result
    result.python = next((f"CPython {m}" for m, path in interpreters().items() if path == python), str(python))
    try:
        timed_lock(uv, ours, python)  # untimed warm-up of each
        timed_lock(uv, guide, python)
        for _ in range(runs):  # alternating: ours, guide, ours, guide...
            result.ours_times.append(timed_lock(uv, ours, python))
            result.guide_times.append(timed_lock(uv, guide, python))
    except RuntimeError as error:
        result.error = str(error).strip().splitlines()[-1][:300]
        return result
    result.ours, result.guide = lock_stats(ours), lock_stats(guide)
    return result


def _top(package_bytes: dict[str, int], ours: LockStats, guide: LockStats, count: int = 3) -> str:
    biggest = sorted(package_bytes.items(), key=lambda item: -item[1])[:count]
    return ", ".join(
        f"{key} ({ours.package_wheels.get(key, 0)} vs {guide.package_wheels.get(key, 0)} wheels, "
        f"{size / 1000:.1f} vs {guide.package_bytes.get(key, 0) / 1000:.1f} kB)"
        for key, size in biggest
    )


def _is_pytorch(key: str) -> bool:
    name = key.split(" ", 1)[0]
    return name in PYTORCH_NAMES or name.startswith(("nvidia-", "cuda-"))


def explain(result: CaseResult) -> list[str]:
    """Why a case misses the criterion, from what the two locks hold."""
    ours, guide = result.ours, result.guide
    strategy = result.case.data["accelerator_strategy"]
    reasons = []
    if "size" in result.misses:

        def split(stats: LockStats) -> tuple[int, int]:
            torch = sum(v for k, v in stats.package_bytes.items() if _is_pytorch(k))
            return torch, sum(stats.package_bytes.values()) - torch

        ours_torch, ours_rest = split(ours)
        guide_torch, guide_rest = split(guide)
        rest = {k: v for k, v in ours.package_bytes.items() if not _is_pytorch(k)}
        text = (
            f"size {fmt_ratio(result.size_ratio)} > {SIZE_TARGET}: the other packages are "
            f"{fmt_ratio(ratio(ours_rest, guide_rest))}x the guide's bytes ({ours_rest} of our {ours.size}), "
            f"the PyTorch packages (torch family, triton, CUDA runtime) {fmt_ratio(ratio(ours_torch, guide_torch))}x. "
            f"Largest other entries: {_top(rest, ours, guide)}"
        )
        kinds = ", ".join(f"{count} {kind}" for kind, count in sorted(ours.wheel_kinds.items(), key=lambda i: -i[1]))
        if kinds:
            text += (
                f"; of our {ours.wheel_urls} wheel URLs, {kinds}: `environments` does not rule them out "
                "(no marker names libc or free-threading, and PyPy and iOS wheels pass its markers too)"
            )
        larger = [
            f"{k} ({ours.package_wheels.get(k, 0)} wheels vs {guide.package_wheels.get(k, 0)})"
            for k in ours.package_bytes
            if _is_pytorch(k) and ours.package_wheels.get(k, 0) > guide.package_wheels.get(k, 0)
        ]
        if larger:
            text += f". PyTorch entries larger in ours: {', '.join(larger[:5])}{' ...' if len(larger) > 5 else ''}"
            hints = []
            if "macos-x86_64" in result.platforms:
                hints.append(
                    "the Intel-mac pins (torch 2.2.2 and its torchvision): the guide has none, its lock "
                    "simply has no torch for Intel macOS"
                )
            if strategy == "extras":
                hints.append(
                    "PyPI's build where an extra's accelerator has no wheels: the guide's extras send every "
                    "platform to the accelerator's index (no macOS wheels there, as its note says)"
                )
            if hints:
                text += " (" + "; ".join(hints) + ")"
        reasons.append(text)
    if "time" in result.misses:
        o, g = result.ours_times, result.guide_times
        overlap = min(o) <= max(g) and min(g) <= max(o)
        text = (
            f"time {fmt_ratio(result.time_ratio)} > {TIME_TARGET:.1f}: ours {statistics.median(o):.2f} s "
            f"(runs {min(o):.2f}-{max(o):.2f}) vs {statistics.median(g):.2f} s ({min(g):.2f}-{max(g):.2f}); "
            f"ours forks into {ours.resolutions} resolutions vs the guide's {guide.resolutions}"
            + (
                f" (`environments` gives each of the {len(result.platforms)} platforms a fork of its own)"
                if len(result.platforms) > 1 and ours.resolutions > guide.resolutions
                else ""
            )
            + f", {ours.packages} vs {guide.packages} packages"
        )
        if overlap:
            text += "; the run ranges overlap, so the difference is within this machine's noise"
        reasons.append(text)
    return reasons


def size_table(results: list[CaseResult], runs: int) -> list[str]:
    lines = [
        f"| case | platforms | guide section | lock time ours / guide (s, median of {runs}) | ratio | "
        "uv.lock bytes ours / guide | ratio | wheel URLs ours / guide | ratio | forks ours / guide | ratio | "
        f"size ≤ {SIZE_TARGET}× and time ≤ {TIME_TARGET}× |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        if r.error:
            lines.append(
                f"| {r.case.id} | {len(r.platforms)} | {r.section or '-'} | error | - | - | - | - | - | - | - "
                f"| {r.error[:120]} |"
            )
            continue
        o, g = r.ours, r.guide
        verdict = "yes" if not r.misses else "MISS (" + ", ".join(r.misses) + ")"
        lines.append(
            f"| {r.case.id} | {len(r.platforms)} | {r.section.split(', ', 1)[-1].strip(chr(34))} | "
            f"{statistics.median(r.ours_times):.2f} / {statistics.median(r.guide_times):.2f} | "
            f"{fmt_ratio(r.time_ratio)} | {o.size} / {g.size} | {fmt_ratio(r.size_ratio)} | "
            f"{o.wheel_urls} / {g.wheel_urls} | {fmt_ratio(ratio(o.wheel_urls, g.wheel_urls))} | "
            f"{o.forks} / {g.forks} | {fmt_ratio(ratio(o.resolutions, g.resolutions))} | {verdict} |"
        )
    return lines


# --- part 2: what the proof matrix costs -----------------------------------------------------


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


# --- main -------------------------------------------------------------------------------------


def machine_line(uv: list[str], cache: str) -> str:
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg()) if hasattr(os, "getloadavg") else "n/a"
    now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return (
        f"Machine: {platform.platform()} ({platform.machine()}), {os.cpu_count()} cores, load average {load}; "
        f"{uv_version(uv)}; Python {platform.python_version()} running the script; uv cache {cache}; {now}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="1 case, 2 timed runs, small matrix sample")
    parser.add_argument("--runs", type=int, help="timed runs per lock (default 7, quick 2)")
    parser.add_argument("--cache-dir", help=f"uv cache (default: $UV_CACHE_DIR, else {DEFAULT_CACHE_DIR})")
    parser.add_argument(
        "--work-dir",
        type=Path,
        default=DEFAULT_WORK_DIR,
        help="index replica and scratch projects (default: %(default)s)",
    )
    parser.add_argument("--seed", type=int, default=20261124, help="matrix sample seed")
    parser.add_argument("--skip-matrix", action="store_true", help="only part 1")
    parser.add_argument("--keep", action="store_true", help="keep the rendered projects")
    args = parser.parse_args(argv)

    runs = args.runs or (2 if args.quick else 7)
    cases = quick_cases() if args.quick else full_cases()
    sizes = [1, 2] if args.quick else [4, 8, 16]
    extra_counts = [2, 3] if args.quick else [2, 4, 7]
    args.work_dir.mkdir(parents=True, exist_ok=True)
    cache = prepare_environment(args.cache_dir, args.work_dir)
    uv = uv_command()
    scratch = Path(tempfile.mkdtemp(prefix="run-", dir=args.work_dir))
    started = time.perf_counter()
    out: list[str] = []
    try:
        with replica(args.work_dir) as index_url:
            out += ["## Generated locks vs uv's PyTorch guide", "", machine_line(uv, cache), ""]
            results = []
            for case in cases:
                progress(f"[lock size] {case.id} ...")
                results.append(run_case(case, index_url, runs, uv, scratch / "cases"))
            out += size_table(results, runs)
            out += [
                "",
                "Ratios are ours / guide. Forks: entries of uv.lock's top-level `resolution-markers` "
                "(0 or 1 = one resolution; the ratio compares resolutions, max(1, forks)). Wheel URLs: "
                "`url` entries of the locked wheels. Python used for both locks: "
                + ", ".join(sorted({r.python for r in results if r.python}))
                + ".",
            ]
            notes = [f"- {r.case.id}: {r.note}" for r in results if r.note]
            try:
                render(
                    _data_for({"accelerator_strategy": "extras", "accelerators": ["cu130"]}, THREE, index_url),
                    scratch / "extras-1",
                )
                notes.append("- extras with 1 accelerator: rendered (not refused)")
            except RenderError as error:
                notes.append(f"- extras with 1 accelerator: refused by the template ({error})")
            out += ["", "Notes:", "", *notes]
            misses = [r for r in results if not r.error and r.misses]
            errors = [r for r in results if r.error]
            out += [
                "",
                f"Done-criterion (every case: uv.lock ≤ {SIZE_TARGET}× the guide's, lock time ≤ "
                f"{TIME_TARGET}×): "
                + (
                    "met by every case"
                    if not misses and not errors
                    else f"missed by {len(misses) + len(errors)} of {len(results)} cases"
                ),
            ]
            for r in misses:
                out += [f"- {r.case.id}:", *[f"  - {reason}" for reason in explain(r)]]
            for r in errors:
                out.append(f"- {r.case.id}: not measured: {r.error}")

            if not args.skip_matrix:
                progress("[matrix] sampling ...")
                singles, cut = matrix_samples(max(sizes), extra_counts, args.seed)
                single_runs, extra_runs = [], []
                for combo_id, answers in singles:
                    progress(f"[matrix] {combo_id} ...")
                    single_runs.append(run_combination(combo_id, answers, index_url, scratch / "matrix"))
                for combo_id, answers in cut:
                    progress(f"[matrix] {combo_id} ...")
                    extra_runs.append(run_combination(combo_id, answers, index_url, scratch / "matrix"))
                out += [
                    "",
                    "## What the verification matrix costs",
                    "",
                    f"Render (copier), lock (`uv lock`) and verify (`uv sync --locked --dry-run --offline "
                    f"--python-platform ...` per platform and extra) per combination; single-strategy sample "
                    f"seed {args.seed}; extras: {cut[0][0].rsplit('-first', 1)[0] if cut else '-'} cut to its first "
                    f"{', '.join(str(k) for k in extra_counts)} accelerators.",
                    "",
                ]
                out += matrix_report(single_runs, sizes, extra_runs)
            out += ["", f"Benchmark wall time: {time.perf_counter() - started:.0f} s"]
    finally:
        if not args.keep:
            shutil.rmtree(scratch, ignore_errors=True)
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
