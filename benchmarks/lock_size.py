"""How much lighter and faster the template's locks are than those of uv's PyTorch guide.

Run from the repository root:

    uv run python benchmarks/lock_size.py            # every case (about 10 minutes on 2 cores)
    uv run python benchmarks/lock_size.py --quick    # one single-platform case, fewer runs

For each case (each strategy on 1, 3, 4 and 5 platforms; extras with 2 and 4 accelerators;
two of them again with a two-minor Python range) it renders the template's project with
copier and writes the configuration uv's PyTorch guide gives for the same targets
(benchmarks/guide_configs.py), both pointing at the same local replica of the PyTorch indexes
(tests/index_replica.py); everything else comes from PyPI. Each of the two projects gets a
fresh uv cache of its own, then:

1. cold: one `uv lock` on that empty cache (timed once);
2. online: `uv lock` on its now warm cache, `--online-runs` times, ours and the guide's
   alternately (uv revalidates what the indexes serve: network time);
3. resolver: `uv lock --offline` on the warm cache, `--runs` times, alternately (no network:
   the resolver's own time), as wall time and as CPU time (user + system of the uv process,
   which the load of a shared machine does not inflate; the goal is checked on it).

uv.lock is deleted before every run. From the locks: bytes, wheel URLs, forks (entries of the
top-level `resolution-markers`) and, in ours, the wheels no declared platform and Python can
install, by kind (musllinux, free-threaded, PyPy, mobile: no uv 0.13.9 setting removes them;
other Python or other platform: a setting could). Then it attributes the Intel-Mac fork's time
(each shape on 4 platforms against the same 4 plus Intel macOS) and lists the cases that miss
the goals (GOALS below), with why.

Environment: UV_PYTHON_DOWNLOADS=never and an empty user configuration directory (no uv.toml)
for every uv call; the caches live under --work-dir (default /tmp/torch-uv-bench) and are
deleted unless --keep.
"""

from __future__ import annotations

import argparse
import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote

from common import (
    DEFAULT_WORK_DIR,
    RenderError,
    fmt_ratio,
    interpreter,
    interpreter_label,
    machine_line,
    prepare_environment,
    progress,
    ratio,
    render,
    replica,
    timed,
    uv_command,
)
from guide_configs import guide_section, write_guide_project
from packaging.utils import parse_wheel_filename
from packaging.version import Version
from pytorch_facts import Facts, load_facts

# The goals of issue 13, ratios ours / guide measured side by side in one run.
SIZE_GOAL_TWO_MINORS = 0.35  # uv.lock bytes, three platforms with a two-minor Python range
RESOLVER_GOAL = 1.1  # `uv lock --offline`, every case
ONLINE_GOAL = 1.0  # warm `uv lock`, cases with up to ONLINE_GOAL_PLATFORMS platforms
ONLINE_GOAL_PLATFORMS = 4
GOALS = (
    f"uv.lock ≤ {SIZE_GOAL_TWO_MINORS}× the guide's for three platforms with a two-minor Python range, "
    "elsewhere nothing left that a setting could cut (only wheels no uv 0.13.9 setting removes); "
    f"resolver time ≤ {RESOLVER_GOAL}× everywhere; online time ≤ {ONLINE_GOAL}× up to "
    f"{ONLINE_GOAL_PLATFORMS} platforms"
)

ONE = ("linux-x86_64",)
THREE = ("linux-x86_64", "windows-x86_64", "macos-arm64")  # the template's default
FOUR = ("linux-x86_64", "linux-aarch64", "windows-x86_64", "macos-arm64")
FIVE = (*FOUR, "macos-x86_64")  # FOUR plus Intel macOS: the Intel-Mac fork
INTEL_MAC = "macos-x86_64"
PYTORCH_NAMES = ("torch", "torchvision", "torchaudio", "triton", "triton-rocm", "triton-xpu", "pytorch-triton-rocm")
# Wheel kinds no uv 0.13.9 setting keeps out of a lock (uv#14004, uv#21840), and the others.
# "Intel-Mac cap": an Intel-Mac wheel for a Python the project supports elsewhere but the Intel
# Mac's last torch does not (uv prunes wheels by requires-python, not by that cap in `environments`).
FLOOR_KINDS = ("musllinux", "free-threaded", "PyPy", "mobile", "Intel-Mac cap")
CUTTABLE_KINDS = ("other Python", "other platform")


# --- the cases -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    id: str
    shape: str  # accelerator_strategy
    data: dict  # copier data besides the platforms and the index URL
    platforms: tuple[str, ...]
    two_minors: bool = False


def picks(facts: Facts) -> dict[str, str]:
    """The newest release's first variant of each kind: cpu, cuda, rocm, xpu."""
    chosen: dict[str, str] = {}
    for name in facts.newest.variants:
        chosen.setdefault(facts.variants[name].kind, name)
    return chosen


def full_cases(facts: Facts) -> list[Case]:
    variant = picks(facts)
    shapes = {
        "pypi": {"accelerator_strategy": "pypi"},
        "single": {"accelerator_strategy": "single", "accelerator": variant["cuda"]},
        "per-platform": {
            "accelerator_strategy": "per-platform",
            "linux_accelerator": variant["cuda"],
            "windows_accelerator": variant["cpu"],
        },
    }
    cases = [
        Case(f"{shape}-{len(platforms)}", shape, data, platforms)
        for shape, data in shapes.items()
        for platforms in (ONE, THREE, FOUR, FIVE)
    ]
    two = {"accelerator_strategy": "extras", "accelerators": [variant["cpu"], variant["cuda"]]}
    four = {"accelerator_strategy": "extras", "accelerators": [variant[k] for k in ("cpu", "cuda", "rocm", "xpu")]}
    cases += [Case("extras-2", "extras", two, THREE), Case("extras-4", "extras", four, THREE)]
    # The range a project actually supports: two minors inside torch's, neither end. The
    # guide's configuration cannot say it (its requires-python has no upper bound).
    low, high = facts.newest.python[1:3]
    minors = {"python_min": low, "python_max": high}
    cases += [
        Case(f"single-3-py{low}-{high}", "single", {**shapes["single"], **minors}, THREE, two_minors=True),
        Case(f"extras-2-py{low}-{high}", "extras", {**two, **minors}, THREE, two_minors=True),
    ]
    return cases


def quick_cases(facts: Facts) -> list[Case]:
    return [Case("single-1", "single", {"accelerator_strategy": "single", "accelerator": picks(facts)["cuda"]}, ONE)]


def _data_for(case: Case, index_url: str) -> dict:
    data = {
        "project_name": "My Torch Project",
        "ci": "none",
        "pre_commit": False,
        "docker": False,
        **case.data,
        "platforms": list(case.platforms),
        "pytorch_index_url": index_url,
    }
    if not any(p.startswith("windows") for p in case.platforms):
        data.pop("windows_accelerator", None)  # not asked without Windows
    return data


# --- what a lock holds ---------------------------------------------------------------------


@dataclass
class LockStats:
    size: int
    wheel_urls: int
    forks: int  # entries of the top-level resolution-markers (0 or 1: no fork)
    packages: int
    package_bytes: dict[str, int]  # "name version" -> bytes of its [[package]] table
    unusable: dict[str, list[tuple[str, int]]]  # kind -> (wheel file name, bytes of its uv.lock line)

    @property
    def resolutions(self) -> int:
        return max(1, self.forks)

    def unusable_count(self, kinds: tuple[str, ...]) -> int:
        return sum(len(self.unusable.get(kind, [])) for kind in kinds)

    def unusable_bytes(self, kinds: tuple[str, ...]) -> int:
        return sum(size for kind in kinds for _, size in self.unusable.get(kind, []))


def lock_stats(project: Path, targets: list[tuple[str, list[str]]] | None = None) -> LockStats:
    """Read uv.lock; with `targets` ((platform, Python minors) the project declares), also sort
    out the wheels none of them can install."""
    text = (project / "uv.lock").read_text(encoding="utf-8")
    lock = tomllib.loads(text)
    packages = lock.get("package", [])
    package_bytes: dict[str, int] = {}
    for chunk in text.split("\n[[package]]\n")[1:]:
        name = version = ""
        for line in chunk.splitlines()[:3]:
            if line.startswith("name = "):
                name = line.split("=", 1)[1].strip().strip('"')
            elif line.startswith("version = "):
                version = line.split("=", 1)[1].strip().strip('"')
        key = f"{name} {version}".strip()
        package_bytes[key] = package_bytes.get(key, 0) + len(chunk.encode()) + len("\n[[package]]\n")
    urls = [wheel["url"] for package in packages for wheel in package.get("wheels", []) if "url" in wheel]
    unusable: dict[str, list[tuple[str, int]]] = {}
    if targets:
        line_bytes = {}
        for line in text.splitlines():
            if match := re.search(r'url = "([^"]+\.whl)"', line):
                line_bytes[match.group(1)] = len(line.encode()) + 1
        for url in urls:
            filename = unquote(url.rsplit("/", 1)[-1])
            if kind := unusable_kind(filename, targets):
                unusable.setdefault(kind, []).append((filename, line_bytes.get(url, 0)))
    return LockStats(
        len(text.encode()),
        len(urls),
        len(lock.get("resolution-markers", [])),
        len(packages),
        package_bytes,
        unusable,
    )


PLATFORM_TAG = re.compile(r"^(?P<os>manylinux\d*(?:_\d+_\d+)?|linux|win|macosx_\d+_\d+)_(?P<arch>.+)$")


def _tag_serves(platform_tag: str, platform: str) -> bool:
    """Whether a wheel's platform tag installs on one of the template's platforms (glibc Linux)."""
    if platform_tag == "any":
        return True
    os_name, arch = platform.split("-", 1)
    match = PLATFORM_TAG.match(platform_tag)
    if not match:
        return False
    tag_os, tag_arch = match["os"], match["arch"]
    if os_name == "linux":
        return tag_os.startswith(("manylinux", "linux")) and tag_arch == arch
    if os_name == "windows":
        return tag_os == "win" and tag_arch == {"x86_64": "amd64"}[arch]
    return tag_os.startswith("macosx") and (
        tag_arch in (arch, "universal2") or (arch == "x86_64" and tag_arch in ("intel", "universal", "fat64"))
    )


def unusable_kind(filename: str, targets: list[tuple[str, list[str]]]) -> str | None:
    """Why no declared (platform, CPython minor) can install this wheel, or None if one can."""
    tags = parse_wheel_filename(filename)[3]
    platform_tags = {t.platform for t in tags}
    if any(p.startswith(("ios_", "android_")) or "iphone" in p for p in platform_tags):
        return "mobile"
    if any(p.startswith("musllinux_") for p in platform_tags) and not any(
        _tag_serves(p, platform) for p in platform_tags for platform, _ in targets
    ):
        return "musllinux"
    if all(t.interpreter.startswith("pp") for t in tags):
        return "PyPy"
    cpython = [t for t in tags if not t.interpreter.startswith("pp")]
    if cpython and all(t.abi.startswith("cp") and t.abi.endswith("t") for t in cpython):
        return "free-threaded"

    def python_ok(tag, minors: list[str]) -> bool:
        if not tag.interpreter.startswith("cp"):
            return tag.interpreter.startswith("py")  # py3, py2.py3
        minor = Version(f"3.{tag.interpreter[3:]}")
        if tag.abi == "abi3":
            return any(Version(m) >= minor for m in minors)
        return any(Version(m) == minor for m in minors)

    for platform, minors in targets:
        if any(python_ok(t, minors) and _tag_serves(t.platform, platform) for t in cpython):
            return None
    if any(_tag_serves(t.platform, platform) for t in cpython for platform, _ in targets):
        supported = sorted({m for _, minors in targets for m in minors}, key=Version)
        return "Intel-Mac cap" if any(python_ok(t, supported) for t in cpython) else "other Python"
    return "other platform"


def targets_of(answers: dict, facts: Facts) -> list[tuple[str, list[str]]]:
    """The (platform, CPython minors) a rendered project declares."""
    low, high = Version(answers["python_min"]), Version(answers["python_max"])
    minors = [m for m in facts.python_minors if low <= Version(m) <= high]
    targets = []
    for platform in answers["platforms"]:
        last = facts.platforms[platform].last_release
        targets.append((platform, [m for m in minors if not last or m in last["python"]]))
    return targets


def _is_pytorch(key: str) -> bool:
    name = key.split(" ", 1)[0]
    return name in PYTORCH_NAMES or name.startswith(("nvidia-", "cuda-"))


# --- one case --------------------------------------------------------------------------------


@dataclass
class Side:
    """One configuration (ours or the guide's) of a case."""

    project: Path
    cache: Path
    cold: float = 0.0
    online: list[float] = field(default_factory=list)
    resolver: list[float] = field(default_factory=list)
    resolver_cpu: list[float] = field(default_factory=list)
    requests: dict[str, int] = field(default_factory=dict)  # "replica"/"other" -> requests of a warm relock
    pypi_pages: set[str] = field(default_factory=set)  # the PyPI project pages a warm relock asks for
    stats: LockStats | None = None


@dataclass
class CaseResult:
    case: Case
    section: str = ""
    python: str = ""
    ours: Side | None = None
    guide: Side | None = None
    error: str = ""

    def median_ratio(self, phase: str) -> float:
        return ratio(statistics.median(getattr(self.ours, phase)), statistics.median(getattr(self.guide, phase)))

    @property
    def size_ratio(self) -> float:
        return ratio(self.ours.stats.size, self.guide.stats.size)

    @property
    def floor_ratio(self) -> float:
        """Our size without the wheels no setting can remove, over the guide's."""
        return ratio(self.ours.stats.size - self.ours.stats.unusable_bytes(FLOOR_KINDS), self.guide.stats.size)

    @property
    def misses(self) -> list[str]:
        missed = []
        if self.case.two_minors and len(self.case.platforms) == 3 and self.size_ratio > SIZE_GOAL_TWO_MINORS:
            missed.append("size")
        if self.ours.stats.unusable_count(CUTTABLE_KINDS):
            missed.append("size floor")
        if self.median_ratio("resolver_cpu") > RESOLVER_GOAL:
            missed.append("resolver")
        if len(self.case.platforms) <= ONLINE_GOAL_PLATFORMS and self.median_ratio("online") > ONLINE_GOAL:
            missed.append("online")
        return missed


class Runner:
    def __init__(self, uv: list[str], python: Path) -> None:
        self.uv, self.python = uv, python

    def lock(self, side: Side, *options: str) -> tuple[float, float]:
        """Wall and CPU time (user + system) of one `uv lock`."""
        (side.project / "uv.lock").unlink(missing_ok=True)
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        wall = timed(
            [*self.uv, "lock", "--python", str(self.python), *options],
            side.project,
            {"UV_CACHE_DIR": str(side.cache)},
        )
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        return wall, after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime

    def requests(self, side: Side) -> tuple[dict[str, int], set[str]]:
        """HTTP requests of one warm relock, to the replica and elsewhere, and the PyPI
        project pages among them (uv's debug log)."""
        (side.project / "uv.lock").unlink(missing_ok=True)
        env = {**os.environ, "UV_CACHE_DIR": str(side.cache), "RUST_LOG": "uv_client=debug"}
        result = subprocess.run(
            [*self.uv, "lock", "--python", str(self.python), "-v"],
            cwd=side.project,
            capture_output=True,
            text=True,
            env=env,
        )
        sent = [line for line in result.stderr.splitlines() if re.search(r"Sending (revalidation|fresh) request", line)]
        local = sum("://127.0.0.1" in line for line in sent)
        pages = {m[1] for line in sent if "://127.0.0.1" not in line if (m := re.search(r"/simple/([^/]+)/", line))}
        return {"replica": local, "other": len(sent) - local}, pages


def apply_settings(pyproject: Path, uv_settings: list[str], index_settings: list[str]) -> None:
    """Add `[tool.uv]` lines, and lines to every explicit (PyTorch) index, to our pyproject.toml."""
    text = pyproject.read_text()
    for setting in uv_settings:
        text = text.replace("[tool.uv]\n", f"[tool.uv]\n{setting}\n", 1)
    for setting in index_settings:
        text = text.replace("explicit = true\n", f"explicit = true\n{setting}\n")
    pyproject.write_text(text)


def run_case(case: Case, index_url: str, args: argparse.Namespace, uv: list[str], scratch: Path) -> CaseResult:
    facts = load_facts()
    directory = scratch / case.id
    result = CaseResult(case)
    try:
        answers = render(_data_for(case, index_url), directory / "ours")
    except RenderError as error:
        result.error = f"copier refused the answers: {error}"
        return result
    apply_settings(directory / "ours" / "pyproject.toml", args.uv_setting, args.index_setting)
    write_guide_project(directory / "guide", answers, index_url)
    result.section = guide_section(answers["accelerator_strategy"])
    python = interpreter(answers)
    if python is None:
        result.error = f"no Python {answers['python_min']}-{answers['python_max']} interpreter on this machine"
        return result
    result.python = interpreter_label(python)
    runner = Runner(uv, python)
    sides = {name: Side(directory / name, directory / f"cache-{name}") for name in ("ours", "guide")}
    try:
        for side in sides.values():
            side.cold = runner.lock(side)[0]
        for _ in range(args.online_runs):
            for side in sides.values():
                side.online.append(runner.lock(side)[0])
        for _ in range(args.runs):
            for side in sides.values():
                wall, cpu = runner.lock(side, "--offline")
                side.resolver.append(wall)
                side.resolver_cpu.append(cpu)
        for side in sides.values():
            side.requests, side.pypi_pages = runner.requests(side)
    except RuntimeError as error:
        result.error = str(error).strip().splitlines()[0][:200]
        return result
    sides["ours"].stats = lock_stats(sides["ours"].project, targets_of(answers, facts))
    sides["guide"].stats = lock_stats(sides["guide"].project)
    result.ours, result.guide = sides["ours"], sides["guide"]
    if not args.keep:
        for side in sides.values():
            shutil.rmtree(side.cache, ignore_errors=True)
    return result


# --- the report ------------------------------------------------------------------------------


def _pair(ours: float, guide: float, digits: int = 2) -> str:
    return f"{ours:.{digits}f} / {guide:.{digits}f}"


def _median_pair(result: CaseResult, phase: str) -> str:
    digits = 3 if phase.startswith("resolver") else 2
    return _pair(
        statistics.median(getattr(result.ours, phase)), statistics.median(getattr(result.guide, phase)), digits
    )


TABLE_HEADER = [
    "| case | platforms | Python | guide section | uv.lock bytes ours / guide | ratio | wheel URLs ours / guide "
    "| ratio | unusable wheels in ours: musllinux / free-threaded / PyPy / mobile / Intel-Mac cap / other "
    "| floor ratio "
    "| forks ours / guide | resolver s ours / guide | resolver CPU s ours / guide | ratio "
    "| online s ours / guide | ratio "
    "| cold s ours / guide | ratio | goals |",
    "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
]


def table(results: list[CaseResult]) -> list[str]:
    lines = list(TABLE_HEADER)
    for r in results:
        pythons = f"{r.case.data.get('python_min', '')}-{r.case.data.get('python_max', '')}".strip("-") or "all"
        if r.error:
            lines.append(f"| {r.case.id} | {len(r.case.platforms)} | {pythons} |" + " - |" * 15 + f" {r.error[:150]} |")
            continue
        o, g = r.ours.stats, r.guide.stats
        kinds = " / ".join(str(o.unusable_count((kind,))) for kind in FLOOR_KINDS)
        kinds += f" / {o.unusable_count(CUTTABLE_KINDS)}"
        verdict = "met" if not r.misses else "MISS (" + ", ".join(r.misses) + ")"
        lines.append(
            f"| {r.case.id} | {len(r.case.platforms)} | {pythons} | {r.section.split(', ', 1)[-1].strip(chr(34))} "
            f"| {o.size} / {g.size} | {fmt_ratio(r.size_ratio)} | {o.wheel_urls} / {g.wheel_urls} "
            f"| {fmt_ratio(ratio(o.wheel_urls, g.wheel_urls))} | {kinds} | {fmt_ratio(r.floor_ratio)} "
            f"| {o.forks} / {g.forks} | {_median_pair(r, 'resolver')} | {_median_pair(r, 'resolver_cpu')} "
            f"| {fmt_ratio(r.median_ratio('resolver_cpu'))} "
            f"| {_median_pair(r, 'online')} | {fmt_ratio(r.median_ratio('online'))} "
            f"| {_pair(r.ours.cold, r.guide.cold)} | {fmt_ratio(ratio(r.ours.cold, r.guide.cold))} | {verdict} |"
        )
    return lines


def intel_mac_table(results: list[CaseResult]) -> list[str]:
    """Each shape on FOUR against FIVE (the same plus Intel macOS): what the Intel-Mac fork costs."""
    by_id = {r.case.id: r for r in results if not r.error}
    lines = [
        "| shape | forks ours 4 → 5 | resolver CPU s ours 4 → 5 (Δ) | online s ours 4 → 5 (Δ) "
        "| online s guide 4 → 5 (Δ) | online ratio 4 → 5 |",
        "|---|---|---|---|---|---|",
    ]
    for shape in ("pypi", "single", "per-platform"):
        four, five = by_id.get(f"{shape}-{len(FOUR)}"), by_id.get(f"{shape}-{len(FIVE)}")
        if not four or not five:
            continue

        def med(result: CaseResult, side: str, phase: str) -> float:
            return statistics.median(getattr(getattr(result, side), phase))

        cells = []
        for side, phase in (("ours", "resolver_cpu"), ("ours", "online"), ("guide", "online")):
            a, b = med(four, side, phase), med(five, side, phase)
            digits = 3 if phase == "resolver_cpu" else 2
            cells.append(f"{a:.{digits}f} → {b:.{digits}f} ({b - a:+.{digits}f})")
        lines.append(
            f"| {shape} | {four.ours.stats.forks} → {five.ours.stats.forks} | {' | '.join(cells)} "
            f"| {fmt_ratio(four.median_ratio('online'))} → {fmt_ratio(five.median_ratio('online'))} |"
        )
    return lines if len(lines) > 2 else []


def _overlap(a: list[float], b: list[float]) -> bool:
    return min(a) <= max(b) and min(b) <= max(a)


def _runs(values: list[float], digits: int = 2) -> str:
    return f"{statistics.median(values):.{digits}f} s (runs {min(values):.{digits}f}-{max(values):.{digits}f})"


def explain(result: CaseResult) -> list[str]:
    """Why a case misses a goal, from what the two locks hold and how the runs went."""
    ours, guide = result.ours, result.guide
    o, g = ours.stats, guide.stats
    reasons = []
    if "size" in result.misses:
        torch_o = sum(v for k, v in o.package_bytes.items() if _is_pytorch(k))
        torch_g = sum(v for k, v in g.package_bytes.items() if _is_pytorch(k))
        rest = sorted(((v, k) for k, v in o.package_bytes.items() if not _is_pytorch(k)), reverse=True)[:3]
        reasons.append(
            f"size {fmt_ratio(result.size_ratio)} > {SIZE_GOAL_TWO_MINORS}: PyTorch packages (torch family, "
            f"triton, CUDA runtime) {torch_o} vs {torch_g} bytes, the others {o.size - torch_o} vs "
            f"{g.size - torch_g}; largest others in ours: {', '.join(f'{k} {v} B' for v, k in rest)}; "
            f"without the {o.unusable_count(FLOOR_KINDS)} wheels no setting removes "
            f"({o.unusable_bytes(FLOOR_KINDS)} B) it would be {fmt_ratio(result.floor_ratio)}"
        )
    if "size floor" in result.misses:
        cuttable = [name for kind in CUTTABLE_KINDS for name, _ in o.unusable.get(kind, [])]
        reasons.append(
            f"{len(cuttable)} wheels in ours are for a Python or platform the project does not declare, which a "
            f"setting could cut: {', '.join(cuttable[:4])}{' ...' if len(cuttable) > 4 else ''}"
        )
    if "resolver" in result.misses:
        text = (
            f"resolver CPU {fmt_ratio(result.median_ratio('resolver_cpu'))} > {RESOLVER_GOAL}: ours "
            f"{_runs(ours.resolver_cpu, 3)} vs {_runs(guide.resolver_cpu, 3)}; {o.resolutions} resolutions vs "
            f"{g.resolutions}, {o.packages} vs {g.packages} packages"
        )
        if _overlap(ours.resolver_cpu, guide.resolver_cpu):
            text += "; the run ranges overlap: within this machine's noise"
        reasons.append(text)
    if "online" in result.misses:
        text = (
            f"online {fmt_ratio(result.median_ratio('online'))} > {ONLINE_GOAL}: ours {_runs(ours.online)} vs "
            f"{_runs(guide.online)}; a warm relock sends {ours.requests.get('replica', 0)} requests to the PyTorch "
            f"index replica and {ours.requests.get('other', 0)} to PyPI vs the guide's "
            f"{guide.requests.get('replica', 0)} and {guide.requests.get('other', 0)}"
            + (
                f" (PyPI pages only ours asks for: {', '.join(sorted(ours.pypi_pages - guide.pypi_pages))})"
                if ours.pypi_pages - guide.pypi_pages
                else ""
            )
            + "; resolver time alone "
            f"{statistics.median(ours.resolver):.3f} vs {statistics.median(guide.resolver):.3f} s, so the rest is "
            "network"
        )
        if _overlap(ours.online, guide.online):
            text += "; the run ranges overlap: within this machine's noise"
        reasons.append(text)
    return reasons


def report(results: list[CaseResult], args: argparse.Namespace, uv: list[str]) -> list[str]:
    out = ["## Generated locks vs uv's PyTorch guide", "", machine_line(uv, "one fresh cache per configuration"), ""]
    settings = [*args.uv_setting, *[f"(every PyTorch index) {s}" for s in args.index_setting]]
    if settings:
        out += [f"Added to our pyproject.toml for this run: {'; '.join(f'`{s}`' for s in settings)}.", ""]
    out += table(results)
    pythons = sorted({r.python for r in results if r.python})
    out += [
        "",
        f"Ratios are ours / guide. Resolver: `uv lock --offline`, warm cache, median of {args.runs}, wall and "
        "CPU (user + system; the goal is checked on CPU, which the machine's load does not inflate). Online: "
        f"`uv lock`, warm cache of its own, median of {args.online_runs}. Cold: the first `uv lock` on a fresh "
        "cache. Forks: entries of uv.lock's top-level `resolution-markers`. Unusable wheels: in our lock, wheels "
        "that none of the declared platforms (glibc Linux, Windows, macOS) and CPython minors can install; the "
        "first five kinds stay whatever the configuration (Intel-Mac cap: Intel-Mac wheels for the Pythons above "
        "its last torch's, kept because the project supports them elsewhere), `other` (another Python or "
        "platform) a setting could cut. Floor ratio: our bytes without those five kinds, over the guide's. "
        "Python for both locks: " + ", ".join(pythons) + ".",
    ]
    intel = intel_mac_table(results)
    if intel:
        out += ["", "### The Intel-Mac fork", "", *intel]
    misses = [r for r in results if not r.error and r.misses]
    errors = [r for r in results if r.error]
    out += ["", f"### Goals: {GOALS}", ""]
    if not misses and not errors:
        out.append("Met by every case.")
    else:
        out.append(f"Missed by {len(misses) + len(errors)} of {len(results)} cases:")
        for r in misses:
            out += [f"- {r.case.id}:", *[f"  - {reason}" for reason in explain(r)]]
        for r in errors:
            out.append(f"- {r.case.id}: not measured: {r.error}")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--quick", action="store_true", help="one single-platform case, 2 resolver and 1 online run")
    parser.add_argument("--runs", type=int, help="resolver (--offline) runs per lock (default 7, quick 2)")
    parser.add_argument("--online-runs", type=int, help="online runs per lock (default 5, quick 1)")
    parser.add_argument("--cases", help="comma-separated case ids to run (default: all)")
    parser.add_argument(
        "--work-dir", type=Path, default=DEFAULT_WORK_DIR, help="replica, projects, caches (default: %(default)s)"
    )
    parser.add_argument("--uv-setting", action="append", default=[], help="a line to add to our [tool.uv]")
    parser.add_argument(
        "--index-setting", action="append", default=[], help="a line to add to each of our PyTorch indexes"
    )
    parser.add_argument("--keep", action="store_true", help="keep the rendered projects and caches")
    args = parser.parse_args(argv)
    args.runs = args.runs or (2 if args.quick else 7)
    args.online_runs = args.online_runs or (1 if args.quick else 5)

    facts = load_facts()
    cases = quick_cases(facts) if args.quick else full_cases(facts)
    if args.cases:
        wanted = args.cases.split(",")
        cases = [c for c in [*full_cases(facts), *quick_cases(facts)] if c.id in wanted]
        cases = list({c.id: c for c in cases}.values())
    args.work_dir.mkdir(parents=True, exist_ok=True)
    prepare_environment(None, args.work_dir)
    uv = uv_command()
    scratch = Path(tempfile.mkdtemp(prefix="run-", dir=args.work_dir))
    started = time.perf_counter()
    try:
        with replica(args.work_dir) as index_url:
            results = []
            for case in cases:
                progress(f"[lock size] {case.id} ...")
                results.append(run_case(case, index_url, args, uv, scratch))
        out = report(results, args, uv)
        out += ["", f"Benchmark wall time: {time.perf_counter() - started:.0f} s"]
    finally:
        if not args.keep:
            shutil.rmtree(scratch, ignore_errors=True)
    print("\n".join(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
