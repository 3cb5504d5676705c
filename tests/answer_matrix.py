"""Every answer combination that matters, derived from the facts file.

How combinations are enumerated (README.md, "The test matrix", says the same):
- platform sets: the template's default (Linux x86_64 + Windows + macOS arm64), all
  four current platforms, each platform alone, both Linux machines, and the default plus
  Intel macOS (which pins 2.2.2 there and narrows Python to what 2.2.2 supports);
- `pypi`: every platform set;
- `single`: every variant × every platform set the variant has wheels for;
- `per-platform`: every Linux choice (PyPI or a variant) and every Windows choice at least
  once, paired round-robin, on the default set; plus the four-platform and Intel sets;
- `extras`: every pair of variants published together by some release, plus each
  release's full variant list on all platforms;
- around those: torch-only and torchaudio package sets, the oldest release, Python ranges
  this machine has no interpreter for (rendered, and skipped by name when locking),
  a company mirror as default index;
- layouts: every combination above is a single `project`; each one on the default or
  four-platform set, and every extras pair that includes `cpu`, is repeated as a
  `workspace` and as a `virtual-workspace` with two members.
torch_min is the newest release that publishes everything a combination needs; the Python
range is that release's full range (narrowed for Intel macOS).
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

import pytest
from packaging.version import Version
from pytorch_facts import Facts, Release, load_facts

DEFAULT_PLATFORMS = ("linux-x86_64", "windows-x86_64", "macos-arm64")
PLATFORM_SETS = {
    "3os": DEFAULT_PLATFORMS,
    "all": ("linux-x86_64", "linux-aarch64", "windows-x86_64", "macos-arm64"),
    "linux": ("linux-x86_64",),
    "linuxarm": ("linux-aarch64",),
    "linux2": ("linux-x86_64", "linux-aarch64"),
    "windows": ("windows-x86_64",),
    "macos": ("macos-arm64",),
    "intelmac": (*DEFAULT_PLATFORMS, "macos-x86_64"),
}
MIRROR_URL = "https://mirror.example.invalid/simple"


@dataclass(frozen=True)
class Combination:
    id: str
    answers: dict = field(hash=False)
    # Why this combination cannot be locked here (rendered all the same), if it cannot.
    lock_skip: str | None = None


def newest_release_with(variants: list[str], facts: Facts) -> Release | None:
    for release in facts.releases:
        if all(v in release.variants for v in variants):
            return release
    return None


def gpu_variant(release: Release, facts: Facts, kind: str | None = None) -> str | None:
    """The release's first accelerator build other than CPU (of `kind`, if given), in the order the
    template prefers for its default: what tests use wherever "some GPU build" is meant."""
    names = [v for v in facts.preferred_variants if v in release.variants] + list(release.variants)
    return next((v for v in names if facts.variants[v].kind != "cpu" and kind in (None, facts.variants[v].kind)), None)


def _answers(strategy: str, platforms: tuple[str, ...], release: Release, facts: Facts, **extra) -> dict:
    python = list(release.python)
    if "macos-x86_64" in platforms:
        intel_python = facts.platforms["macos-x86_64"].last_release["python"]
        python = [m for m in python if m in intel_python]
    answers = {
        "project_name": "Matrix Project",
        "accelerator_strategy": strategy,
        "platforms": list(platforms),
        "torch_min": release.minor,
        "python_min": python[0],
        "python_max": python[-1],
        "torch_packages": ["torchvision"],
        "ci": "none",
        "pre_commit": False,
    }
    answers.update(extra)
    return answers


def _serves(variant: str, platforms: list[str] | tuple[str, ...], facts: Facts) -> bool:
    return any(p in facts.variants[variant].platforms for p in platforms)


def _covers(variant: str, platforms: list[str] | tuple[str, ...], facts: Facts) -> bool:
    return all(p in facts.variants[variant].platforms for p in platforms)


def combinations(facts: Facts | None = None) -> list[Combination]:
    facts = facts or load_facts()
    newest = facts.newest
    combos: list[Combination] = []

    for set_name, platforms in PLATFORM_SETS.items():
        combos.append(Combination(f"pypi-{set_name}", _answers("pypi", platforms, newest, facts)))

    for variant in facts.variants:
        release = newest_release_with([variant], facts)
        for set_name, platforms in PLATFORM_SETS.items():
            if release and _serves(variant, platforms, facts):
                answers = _answers("single", platforms, release, facts, accelerator=variant)
                combos.append(Combination(f"single-{variant}-{set_name}-t{release.minor}", answers))

    for set_name in ("3os", "all", "intelmac", "linux"):
        platforms = PLATFORM_SETS[set_name]
        linux = [p for p in platforms if p.startswith("linux")]
        windows = [p for p in platforms if p.startswith("windows")]
        # A variant serves the platforms of its OS it has wheels for, PyPI's build the others.
        linux_choices = ["pypi", *[v for v in facts.variants if _serves(v, linux, facts)]]
        windows_choices = ["pypi", *[v for v in facts.variants if _serves(v, windows, facts)]] if windows else [None]
        if set_name != "3os":
            linux_choices = linux_choices[:3]  # the full pairing runs on the default set
        pairs = (
            zip(linux_choices, itertools.cycle(windows_choices))
            if len(linux_choices) >= len(windows_choices)
            else zip(itertools.cycle(linux_choices), windows_choices)
        )
        for linux_choice, windows_choice in pairs:
            used = [v for v in (linux_choice, windows_choice) if v not in (None, "pypi")]
            release = newest_release_with(used, facts)
            if release is None:
                continue
            extra = {"linux_accelerator": linux_choice}
            if windows_choice is not None:
                extra["windows_accelerator"] = windows_choice
            answers = _answers("per-platform", platforms, release, facts, **extra)
            combos.append(
                Combination(
                    f"perplatform-{linux_choice}-{windows_choice or 'none'}-{set_name}-t{release.minor}", answers
                )
            )

    for first, second in itertools.combinations(facts.variants, 2):
        release = newest_release_with([first, second], facts)
        if release is not None:
            answers = _answers("extras", DEFAULT_PLATFORMS, release, facts, accelerators=[first, second])
            combos.append(Combination(f"extras-{first}+{second}-3os-t{release.minor}", answers))
    for release in facts.releases:
        answers = _answers("extras", PLATFORM_SETS["all"], release, facts, accelerators=list(release.variants))
        combos.append(Combination(f"extras-every-all-t{release.minor}", answers))
    gpu = gpu_variant(newest, facts)
    answers = _answers("extras", PLATFORM_SETS["intelmac"], newest, facts, accelerators=["cpu", gpu])
    combos.append(Combination(f"extras-cpu+{gpu}-intelmac-t{newest.minor}", answers))

    combos.extend(_edge_cases(facts))
    return combos + _in_workspaces(combos)


def _companion_cases(facts: Facts) -> list[Combination]:
    """The companion packages (torchcodec, ...) with a variant whose index publishes them all,
    per platform with one whose index does not (PyPI's build there), and as extras."""
    if not facts.companions:
        return []
    release = facts.newest
    packages = ["torchvision", *facts.companions]

    def publishes_all(name: str) -> bool:
        return all(c.on_index_of(facts.variants[name]) for c in facts.companions.values())

    gpus = [v for v in release.variants if facts.variants[v].kind != "cpu"]
    # The Python range every companion has wheels for.
    pythons = [m for m in release.python if all(not c.python or m in c.python for c in facts.companions.values())]
    span = {"python_min": pythons[0], "python_max": pythons[-1]}
    covered = next((v for v in gpus if publishes_all(v) and _covers(v, ["windows-x86_64"], facts)), None)
    uncovered = next((v for v in gpus if not publishes_all(v) and _covers(v, ["linux-x86_64"], facts)), None)
    combos = [
        Combination(
            f"extras-every-companions-3os-t{release.minor}",
            _answers(
                "extras",
                DEFAULT_PLATFORMS,
                release,
                facts,
                accelerators=list(release.variants),
                torch_packages=packages,
                **span,
            ),
        )
    ]
    if covered:
        combos.append(
            Combination(
                f"single-{covered}-companions-3os-t{release.minor}",
                _answers(
                    "single", DEFAULT_PLATFORMS, release, facts, accelerator=covered, torch_packages=packages, **span
                ),
            )
        )
    if covered and uncovered:
        extra = {"linux_accelerator": uncovered, "windows_accelerator": covered, "torch_packages": packages, **span}
        combos.append(
            Combination(
                f"perplatform-{uncovered}-{covered}-companions-3os-t{release.minor}",
                _answers("per-platform", DEFAULT_PLATFORMS, release, facts, **extra),
            )
        )
    return combos


WORKSPACE_MEMBERS = ["core", "train"]
LAYOUT_SUFFIX = {"workspace": "ws", "virtual-workspace": "vws"}


def _in_workspaces(combos: list[Combination]) -> list[Combination]:
    chosen = [
        c
        for c in combos
        if not c.lock_skip
        and (
            set(c.answers["platforms"]) in (set(PLATFORM_SETS["3os"]), set(PLATFORM_SETS["all"]))
            and (c.answers["accelerator_strategy"] != "extras" or "cpu" in c.answers["accelerators"])
        )
    ]
    return [
        Combination(f"{c.id}-{suffix}", {**c.answers, "layout": layout, "workspace_members": WORKSPACE_MEMBERS})
        for layout, suffix in LAYOUT_SUFFIX.items()
        for c in chosen
    ]


def _edge_cases(facts: Facts) -> list[Combination]:
    newest, oldest = facts.newest, facts.releases[-1]
    gpu = gpu_variant(newest, facts)
    combos = [
        Combination(
            f"single-{gpu}-torchonly",
            _answers("single", DEFAULT_PLATFORMS, newest, facts, accelerator=gpu, torch_packages=[]),
        ),
        Combination(
            "single-cpu-mirror",
            _answers("single", DEFAULT_PLATFORMS, newest, facts, accelerator="cpu", default_index_url=MIRROR_URL),
            lock_skip="default_index_url points at a company mirror, which this machine cannot reach",
        ),
    ]
    with_audio = [r for r in facts.releases if r.torchaudio]
    if with_audio:
        release = with_audio[0]
        variant = release.variants[-1]
        combos.append(
            Combination(
                f"single-{variant}-audio-t{release.minor}",
                _answers(
                    "single",
                    DEFAULT_PLATFORMS,
                    release,
                    facts,
                    accelerator=variant,
                    torch_packages=["torchvision", "torchaudio"],
                ),
            )
        )
        combos.append(
            Combination(
                f"extras-audio-t{release.minor}",
                _answers(
                    "extras",
                    PLATFORM_SETS["all"],
                    release,
                    facts,
                    accelerators=list(release.variants[:3]),
                    torch_packages=["torchvision", "torchaudio"],
                ),
            )
        )
    # per-platform with a Linux build that lacks one of the Linux machines: PyPI's build there.
    partial = [(v, r) for r in facts.releases for v in r.variants if not _covers(v, PLATFORM_SETS["linux2"], facts)]
    if partial:
        variant, release = partial[0]
        answers = _answers("per-platform", PLATFORM_SETS["all"], release, facts, linux_accelerator=variant)
        combos.append(
            Combination(
                f"perplatform-{variant}-fallback-all-t{release.minor}", {**answers, "windows_accelerator": "pypi"}
            )
        )
    combos.append(
        Combination(
            f"single-cpu-oldest-t{oldest.minor}",
            _answers("single", PLATFORM_SETS["all"], oldest, facts, accelerator="cpu"),
        )
    )
    combos += _companion_cases(facts)
    newest_python = max(facts.python_minors, key=Version)
    narrow = _answers(
        "single",
        DEFAULT_PLATFORMS,
        newest,
        facts,
        accelerator=gpu,
        python_min=newest_python,
        python_max=newest_python,
    )
    combos.append(Combination(f"single-{gpu}-py{newest_python}", narrow))
    return combos


def combination_params(combos: list[Combination]) -> list:
    """pytest parameters, one xdist group per combination: its render promises (test_render.py)
    and its lock test (test_lock.py) run in the worker that rendered it, on one render."""
    return [pytest.param(c, id=c.id, marks=pytest.mark.xdist_group(c.id)) for c in combos]
