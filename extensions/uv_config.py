"""Turn the template's answers into the uv configuration a generated project needs.

The template renders what `build_config` returns; nothing here writes TOML. Rules:
- one explicit index per variant in use, wired to every PyTorch package it serves;
- a source is limited by a marker to the chosen platforms where its variant has wheels,
  so every other platform falls back to PyPI's build;
- torch's version range stops before the first release that lacks something the answers
  need (a variant, torchaudio, a Python minor), so every platform gets the same release.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace

import yaml
from compiled_extensions import CompiledExtension, ExtensionPlan, plan_extensions
from packaging.version import Version
from pytorch_facts import Facts, Platform, Release, Variant, VariantSdk, load_facts
from strategy import PYPI_BUILD, Strategy
from tool_versions import TOOLS

INTEL_MAC = "macos-x86_64"
# The [[tool.uv.index]] name of the default_index_url answer (UV_INDEX_MIRROR_USERNAME, ...).
MIRROR_INDEX_NAME = "mirror"
# What `docker run` needs to hand the container the GPU of each kind of build.
DOCKER_DEVICES = {
    "cuda": "--gpus all",
    "rocm": "--device=/dev/kfd --device=/dev/dri --group-add video",
    "xpu": "--device=/dev/dri",
}


def listed_answer(value) -> tuple[str, ...]:
    """A multiselect answer as a tuple; copier's CLI hands over `--data` lists as YAML text
    until their question is asked."""
    if isinstance(value, str):
        value = yaml.safe_load(value) if value.strip() else []
    return tuple(value or ())


@dataclass(frozen=True)
class TorchAnswers:
    """The answers the uv configuration depends on, typed and hashable (one plan per answer set)."""

    strategy: Strategy
    platforms: tuple[str, ...]
    torch_min: str
    python_min: str
    python_max: str
    pytorch_index_url: str = ""
    default_index_url: str = ""
    accelerator: str = ""
    linux_accelerator: str = PYPI_BUILD
    windows_accelerator: str = PYPI_BUILD
    accelerators: tuple[str, ...] = ()
    torch_packages: tuple[str, ...] = ()
    compiled_extensions: tuple[str, ...] = ()
    gpu_targets: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (question, targets) per SDK

    @classmethod
    def of(cls, answers: Mapping | TorchAnswers, facts: Facts | None = None) -> TorchAnswers:
        """From copier's answers (the ones given so far: missing ones take neutral values)."""
        if isinstance(answers, TorchAnswers):
            return answers
        facts = facts or load_facts()
        questions = [f"{sdk}_gpu_targets" for sdk in facts.sdks]
        return cls(
            strategy=Strategy(answers.get("accelerator_strategy") or Strategy.PYPI),
            platforms=listed_answer(answers.get("platforms")),
            torch_min=str(answers.get("torch_min") or ""),
            python_min=str(answers.get("python_min") or ""),
            python_max=str(answers.get("python_max") or ""),
            pytorch_index_url=answers.get("pytorch_index_url") or "",
            default_index_url=answers.get("default_index_url") or "",
            accelerator=answers.get("accelerator") or "",
            linux_accelerator=answers.get("linux_accelerator") or PYPI_BUILD,
            windows_accelerator=answers.get("windows_accelerator") or PYPI_BUILD,
            accelerators=listed_answer(answers.get("accelerators")),
            torch_packages=listed_answer(answers.get("torch_packages")),
            compiled_extensions=listed_answer(answers.get("compiled_extensions")),
            gpu_targets=tuple((q, listed_answer(answers[q])) for q in questions if answers.get(q)),
        )

    def os_accelerator(self, os_name: str) -> str:
        """per-platform: the answer for `os_name` ("linux", "windows")."""
        return self.linux_accelerator if os_name == "linux" else self.windows_accelerator

    def targets(self, question: str) -> tuple[str, ...]:
        return dict(self.gpu_targets).get(question, ())


@dataclass(frozen=True)
class Mirror:
    """The company mirror of the whole package index (default_index_url), uv's default index."""

    name: str
    url: str


@dataclass(frozen=True)
class Index:
    name: str
    url: str
    variant: Variant
    platforms: tuple[str, ...]  # the chosen platforms it serves
    without_wheels: tuple[str, ...] = ()  # the chosen platforms it was picked for but lacks wheels
    unconfirmed: str | None = None  # what the project relies on here that no registry confirmed


@dataclass(frozen=True)
class Source:
    index: str
    marker: str | None = None
    extra: str | None = None


@dataclass(frozen=True)
class Route:
    """One variant, the platforms it serves in this project, and (extras mode) its extra."""

    variant: Variant
    platforms: tuple[str, ...]
    marker: str | None
    extra: str | None = None
    without_wheels: tuple[str, ...] = ()  # platforms it was chosen for that get PyPI's build


@dataclass(frozen=True)
class SdkWiring:
    """The SDK one route's torch requires (ROCm 7.14's wheels) and the part of it installed."""

    route: Route
    sdk: VariantSdk
    targets: tuple[str, ...]  # the GPU targets whose device libraries are installed

    @property
    def requirement(self) -> str:
        return self.sdk.requirement(self.targets)

    @property
    def packages(self) -> list[str]:
        """The selector and every package it pulls in: all index-only, all wired."""
        return self.sdk.sdk.packages_for(self.sdk.sdk.extras_for(self.targets))

    @property
    def narrowed(self) -> bool:
        """Fewer targets than torch asks for: torch's own requirement is overridden."""
        return set(self.targets) < set(self.sdk.sdk.targets)

    @property
    def override(self) -> str:
        return self.requirement + (f" ; {self.route.marker}" if self.route.marker else "")

    @property
    def why_sourced(self) -> str:
        """Why the SDK's packages are direct dependencies, each with a source."""
        sdk = self.sdk.sdk
        return (
            f"{sdk.selector} and the {len(self.packages) - 1} packages it installs: {self.route.variant.label} builds "
            f"of torch take the {sdk.label} as wheels from their own index (PyPI's packages of these names are "
            "placeholders), and uv applies an index only to direct dependencies, so each is one."
        )

    @property
    def why_overridden(self) -> str:
        """Why override-dependencies replaces torch's SDK requirement, with what it saves."""
        sdk = self.sdk.sdk
        dropped = [t for t in sdk.targets if t not in self.targets]
        known = [sdk.target_sizes_mb[t] for t in dropped if t in sdk.target_sizes_mb]
        saved = f", {round(sum(known), 1)} MB less for the {len(known)} whose size is known" if known else ""
        return (
            f"{self.route.variant.label}: torch asks for the device libraries of all {len(sdk.targets)} GPU targets "
            f"({sdk.all_targets_extra}); this installs those of {', '.join(self.targets)} only: "
            f"{len(dropped)} fewer device wheels{saved}."
        )


def gpu_targets_answer(variant: Variant) -> str | None:
    """The question that picks the GPU targets of `variant`'s SDK (`rocm_gpu_targets`)."""
    return f"{variant.sdk.sdk.name}_gpu_targets" if variant.sdk else None


@dataclass(frozen=True)
class Build:
    """What one platform installs (with one extra in extras mode)."""

    platform: Platform
    extra: str | None
    index: Variant | None  # the PyTorch index's variant; None: PyPI's own build
    pypi: Variant | None  # what PyPI's torch is there; None on Intel Macs (their last release)
    label: str  # e.g. "CUDA 13.0 build (pytorch-cu130)", "PyPI's build (CPU/MPS)"
    docker_image: str

    @property
    def variant(self) -> Variant | None:
        """The build actually installed (an index variant or what PyPI's build is)."""
        return self.index or self.pypi

    @property
    def kind(self) -> str:
        return self.variant.kind if self.variant else "cpu"

    @property
    def is_cpu(self) -> bool:
        return self.kind == "cpu"

    @property
    def ci_install(self) -> str:
        """How CPU-only CI installs it: `locked` (uv.lock as is) or `cpu-index` (swap to CPU)."""
        return "locked" if self.is_cpu else "cpu-index"

    @property
    def docker_run(self) -> str:
        return " ".join(["docker run --rm", *filter(None, [DOCKER_DEVICES.get(self.kind)])])


@dataclass(frozen=True)
class DockerBuild:
    """What the Dockerfile builds for one Linux build: its two stages' images and how to build and
    run it. torch's Linux wheels bring CUDA, cuDNN and ROCm (nvidia-*, rocm wheels), so a slim
    Debian runs them; Intel's GPU driver (Level Zero, OpenCL) is no wheel and Debian has none, so
    XPU builds run on Intel's image. A build stage that compiles an extension is the toolkit's
    -devel image (nvcc)."""

    build: Build
    compiles: bool  # a compiled extension (compiled_extensions) builds in the container

    @property
    def extra(self) -> str | None:
        return self.build.extra

    @property
    def build_image(self) -> str:
        if self.compiles:
            return self.build.docker_image.replace("-runtime-", "-devel-")
        return f"ghcr.io/astral-sh/uv:{TOOLS['uv']}-{TOOLS['debian']}-slim"

    @property
    def runtime_image(self) -> str:
        return self.build.docker_image if self.build.kind == "xpu" else f"debian:{TOOLS['debian']}-slim"

    def build_args(self, default: DockerBuild) -> list[str]:
        """The `--build-arg`s that pick this build: the extra, and the images that differ from
        the Dockerfile's defaults (`default`'s)."""
        if self.extra is None:
            return []
        args = [f"ACCELERATOR={self.extra}"]
        if self.build_image != default.build_image:
            args.append(f"BUILD_IMAGE={self.build_image}")
        if self.runtime_image != default.runtime_image:
            args.append(f"RUNTIME_IMAGE={self.runtime_image}")
        return [f"--build-arg {arg}" for arg in args]

    def tag(self, name: str) -> str:
        return f"{name}:{self.extra}" if self.extra else name

    def docker_build(self, name: str, default: DockerBuild) -> str:
        return " ".join(["docker build", *self.build_args(default), "-t", self.tag(name), "."])

    def docker_run(self, name: str) -> str:
        return f"{self.build.docker_run} {self.tag(name)}"


@dataclass(frozen=True)
class TorchConfig:
    """The plan of one render: built once per answer set (`build_config`) and never changed."""

    strategy: Strategy
    platforms: list[str]
    python_min: str
    python_max: str
    requires_python: str  # `>=3.11,<3.16`: bounded, so the lock holds no wheel for other Pythons
    releases: list[Release]  # oldest first, the ones the torch range admits
    capped_by: str | None  # why the range stops before the newest release, if it does
    routes: list[Route]
    indexes: list[Index]
    requirements: list[str]  # project dependencies (all but extras mode)
    extras: dict[str, list[str]]  # extras mode: extra name -> requirements
    sources: dict[str, list[Source]]
    conflicts: list[list[str]]
    environments: list[str]
    required_environments: list[str]
    packages: list[str]  # torch family packages in use, torch first
    triton_packages: list[str]
    constraints: list[str]  # uv constraint-dependencies (limits without requiring)
    sdks: list[SdkWiring]  # the SDKs routes' torch requires as index-only wheels
    # Companion packages (torchcodec, ...) a route's variant has no build of: PyPI's build there.
    companion_fallbacks: list[tuple[str, Variant]]
    builds: dict[tuple[str, str | None], Build]  # (platform, extra) -> what it installs
    intel_mac: dict | None
    intel_mac_python_cap: str | None  # `python_version <` this on Intel Macs, when their torch stops earlier
    extension_plans: list[ExtensionPlan]  # compiled_extensions
    mirror: Mirror | None  # default_index_url

    @property
    def newest(self) -> Release:
        return self.releases[-1]

    @property
    def overrides(self) -> list[str]:
        """uv override-dependencies: torch's SDK requirement where fewer GPU targets are chosen."""
        return [wiring.override for wiring in self.sdks if wiring.narrowed]

    @property
    def sdk_packages(self) -> list[str]:
        return list(dict.fromkeys(package for wiring in self.sdks for package in wiring.packages))

    @property
    def compiled_extensions(self) -> list[CompiledExtension]:
        """The chosen packages compiled against torch, each once."""
        return list({plan.extension.name: plan.extension for plan in self.extension_plans}.values())

    def build(self, platform: str, extra: str | None = None) -> Build:
        return self.builds[platform, extra]

    @property
    def extra_names(self) -> list[str | None]:
        """The extras (extras mode), else [None]: what `build()` takes as `extra`."""
        return extra_names(self.builds)

    @property
    def first_extra(self) -> str | None:
        """The extra the README's and the after-copy message's `uv sync --extra` use."""
        return self.extra_names[0]

    @property
    def ci_extra(self) -> str | None:
        """The extra CI tests (extras mode): cpu when there is one (CPU everywhere), else the first."""
        if not self.extras:
            return None
        return "cpu" if "cpu" in self.extras else next(iter(self.extras))

    @property
    def ci_builds(self) -> list[Build]:
        """What CI installs, one job per platform."""
        return [self.build(p, self.ci_extra) for p in self.platforms]

    @property
    def ci_swaps(self) -> bool:
        """Whether some CI job swaps the locked GPU build for the CPU build."""
        return any(not build.is_cpu for build in self.ci_builds)

    @property
    def linux(self) -> str | None:
        """The platform a Linux container or a Linux-only CI installs: x86_64 when supported."""
        return next((p for p in ("linux-x86_64", "linux-aarch64") if p in self.platforms), None)

    @property
    def ci_linux_build(self) -> Build | None:
        """What a Linux-only CI (GitLab's hosted runners) installs; None without a Linux platform."""
        return self.build(self.linux, self.ci_extra) if self.linux else None

    @property
    def docker_builds(self) -> list[DockerBuild]:
        """What the container installs on `linux`: one build per extra (the default first)."""
        if not self.linux:
            return []
        compiling = {plan.extra for plan in self.extension_plans if self.linux in plan.platforms}
        builds = [self.build(self.linux, extra) for extra in self.extra_names]
        return [DockerBuild(build, build.extra in compiling) for build in builds]

    @property
    def project_builds(self) -> list[str]:
        """The PyTorch index variants the project installs somewhere (the doctor's PROJECT_BUILDS)."""
        return [route.variant.name for route in self.routes]

    @property
    def pypi_build_platforms(self) -> list[tuple[str, str]]:
        """(sys.platform, platform.machine()) where some build is PyPI's own (the doctor's
        PYPI_BUILD_PLATFORMS)."""
        pypi = [(b.platform.sys_platform, b.platform.machine) for b in self.builds.values() if b.index is None]
        return list(dict.fromkeys(pypi))

    def pypi_build(self, platform: str) -> str:
        """What PyPI's own torch is on `platform`, e.g. "CUDA 13.2" or "CPU/MPS"."""
        build = self.build(platform, self.extra_names[0])
        return "CPU/MPS" if build.platform.os == "macos" else build.pypi.label


class ConfigError(ValueError):
    """The answers ask for something no configuration can deliver."""


def python_minors_between(python_min: str, python_max: str) -> list[str]:
    low, high = Version(python_min), Version(python_max)
    return [f"3.{minor}" for minor in range(low.minor, high.minor + 1)] if low <= high else []


def extra_names(builds: Mapping[tuple[str, str | None], object]) -> list[str | None]:
    """The extras of (platform, extra)-keyed builds (extras mode), else [None]."""
    return list(dict.fromkeys(extra for _, extra in builds))


def variants_in_use(answers: TorchAnswers) -> list[str]:
    """The variant names the answers put in play, in a stable order."""
    if answers.strategy == Strategy.SINGLE:
        return [answers.accelerator]
    if answers.strategy == Strategy.EXTRAS:
        return list(answers.accelerators)
    if answers.strategy == Strategy.PER_PLATFORM:
        picked = []
        for os_name in ("linux", "windows"):
            name = answers.os_accelerator(os_name)
            if name != PYPI_BUILD and any(p.startswith(os_name) for p in answers.platforms) and name not in picked:
                picked.append(name)
        return picked
    return []


def release_blockers(release: Release, answers: TorchAnswers, facts: Facts) -> list[str]:
    """Why `release` cannot serve the answers (empty when it can)."""
    blockers = []
    missing_variants = [name for name in variants_in_use(answers) if name not in release.variants]
    if missing_variants:
        verb = "is" if len(missing_variants) == 1 else "are"
        blockers.append(f"{' and '.join(missing_variants)} {verb} not published for torch {release.torch}")
    for package in answers.torch_packages:
        companion = facts.companions.get(package)
        if companion is not None:
            if not companion.serves(release.torch):
                blockers.append(f"{package} serves torch {companion.torch} only")
        elif not release.package_version(package):
            blockers.append(f"{package} has no release for torch {release.torch}")
    span = python_minors_between(answers.python_min, answers.python_max)
    missing_python = [m for m in span if m not in release.python]
    if missing_python:
        blockers.append(f"torch {release.torch} has no wheels for Python {', '.join(missing_python)}")
    return blockers


def admitted_releases(answers: TorchAnswers, facts: Facts) -> tuple[list[Release], Release | None, str | None]:
    """Consecutive releases from `torch_min` up that serve the answers, then the first release
    that does not (None when all do) and why."""
    admitted: list[Release] = []
    for release in facts.releases_from(answers.torch_min):
        blockers = release_blockers(release, answers, facts)
        if blockers:
            return admitted, release, "; ".join(blockers)
        admitted.append(release)
    return admitted, None, None


def platform_marker(names: list[str], chosen: list[str], facts: Facts) -> str | None:
    """A marker selecting `names` among the `chosen` platforms; None when it is all of them.

    Platforms of one OS that are all selected collapse to `sys_platform == ...`.
    """
    if set(names) >= set(chosen):
        return None
    parts: list[str] = []
    for os_name, sys_platform in (("linux", "linux"), ("windows", "win32"), ("macos", "darwin")):
        of_os = [n for n in chosen if facts.platforms[n].os == os_name]
        selected = [n for n in of_os if n in names]
        if not selected:
            continue
        if selected == of_os:
            parts.append(f"sys_platform == '{sys_platform}'")
        else:
            parts.extend(facts.platforms[n].marker for n in selected)
    if len(parts) == 1:
        return parts[0]
    return " or ".join(f"({part})" if " and " in part else part for part in parts)


def _routes(answers: TorchAnswers, modern: list[str], facts: Facts) -> list[Route]:
    routes = []
    for name in variants_in_use(answers):
        variant = facts.variants[name]
        meant = [p for p in answers.platforms if facts.platforms[p].os != "macos"]
        if answers.strategy == Strategy.PER_PLATFORM:
            oses = [os for os in ("linux", "windows") if answers.os_accelerator(os) == name]
            meant = [p for p in meant if facts.platforms[p].os in oses]
        served = [p for p in meant if p in modern and p in variant.platforms]
        extra = variant.extra_name if answers.strategy == Strategy.EXTRAS else None
        marker = platform_marker(served, list(answers.platforms), facts)
        missing = tuple(p for p in meant if p not in served)
        routes.append(Route(variant, tuple(served), marker, extra, missing))
    return routes


def _builds(
    platforms: list[str], routes: list[Route], release: Release, python: str, intel_mac: dict | None, facts: Facts
) -> dict[tuple[str, str | None], Build]:
    """(platform, extra) -> Build for every chosen platform and extra."""
    builds = {}
    for extra in [route.extra for route in routes if route.extra] or [None]:
        for name in platforms:
            platform = facts.platforms[name]
            route = next((r for r in routes if name in r.platforms and r.extra == extra), None)
            pypi = facts.variants[release.pypi[name]] if name != INTEL_MAC else None
            if route is not None:
                label = f"{route.variant.label} build ({route.variant.index_name})"
            elif pypi is None:
                label = f"PyPI's torch {intel_mac['torch']} (CPU, the last release for Intel Macs)"
            else:
                label = f"PyPI's build ({'CPU/MPS' if platform.os == 'macos' else pypi.label})"
            variant = route.variant if route else pypi or facts.variants["cpu"]
            image = variant.docker_image.replace("{python}", python)
            builds[name, extra] = Build(platform, extra, route and route.variant, pypi, label, image)
    return builds


def _bounds(package: str, releases: list[Release], next_release: Release | None) -> str:
    """`>=` the first admitted release's version, `<` the next release's first version.

    The facts hold each minor's newest patch, so the cap is the next minor (`<2.12`) unless
    the next release shares the minor (torchvision 0.29.1 -> 0.29.2): then the patch itself.
    """
    low = releases[0].minor if package == "torch" else releases[0].package_version(package)
    spec = f">={low}"
    high = next_release.package_version(package) if next_release is not None else ""
    if high == releases[-1].package_version(package):
        # The next torch still uses this release (torchaudio 2.11.1 serves torch>=2.11): torch's
        # own cap bounds it.
        high = ""
    if high:
        high_minor = Version(".".join(high.split(".")[:2]))
        same_minor = Version(".".join(releases[-1].package_version(package).split(".")[:2])) == high_minor
        spec += f",<{high if same_minor else high_minor}"
    return spec


def _requirements(
    releases: list[Release],
    next_release: Release | None,
    packages: list[str],
    intel_mac: dict | None,
    routes: list[Route],
    sdks: list[SdkWiring],
    facts: Facts,
) -> list[str]:
    """Requirement strings for the torch family plus the triton companions and the SDK
    packages of `routes`."""
    not_intel_mac = "platform_machine != 'x86_64' or sys_platform != 'darwin'"
    lines = []
    for package in packages:
        companion = facts.companions.get(package)
        if companion is not None:  # its own range; never on Intel Macs (the answer checks refuse it)
            lines.append(f"{package}{companion.requires}")
            continue
        spec = f"{package}{_bounds(package, releases, next_release)}"
        if intel_mac:
            lines.append(f"{spec} ; {not_intel_mac}")
            lines.append(f"{package}=={intel_mac[package]} ; {facts.platforms[INTEL_MAC].marker}")
        else:
            lines.append(spec)
    for route in routes:
        marker = f" ; {route.marker}" if route.marker else ""
        for triton in route.variant.triton_packages:
            lines.append(triton + marker)
        for wiring in [w for w in sdks if w.route is route]:
            lines.append(wiring.requirement + marker)
            lines += [package + marker for package in wiring.packages[1:]]
    return lines


def _sdk_wirings(routes: list[Route], answers: TorchAnswers) -> list[SdkWiring]:
    wirings = []
    for route in routes:
        sdk = route.variant.sdk
        if sdk is not None:
            chosen = answers.targets(gpu_targets_answer(route.variant)) or sdk.sdk.targets
            targets = tuple(t for t in sdk.sdk.targets if t in chosen)
            wirings.append(SdkWiring(route, sdk, targets))
    return wirings


def _unconfirmed_note(variant: Variant, releases: list[Release], packages: list[str], facts: Facts) -> str | None:
    """What a project using `variant` relies on that the facts mark unconfirmed, in words:
    "torch 2.15, torchaudio 2.11.1 and the triton version"."""
    parts = []
    minors = [release.minor for release in releases if variant.name in release.unconfirmed]
    if minors:
        parts.append(f"torch {', '.join(minors)}")
    for package in [p for p in packages if p not in facts.companions]:
        versions = [release.package_version(package) for release in releases if package in release.unconfirmed]
        if versions:
            parts.append(f"{package} {', '.join(dict.fromkeys(versions))}")
    companions = [p for p in packages if p in facts.companions and facts.companions[p].on_index_of(variant)]
    if companions:  # the indexes' companion builds are not known in detail (facts: unconfirmed)
        parts.append(f"its {'/'.join(companions)} builds")
    if variant.triton_packages and any("triton" in release.unconfirmed for release in releases):
        parts.append("the triton version")
    if variant.sdk and variant.sdk.sdk.metadata_fact in facts.unconfirmed:
        parts.append(f"the {variant.sdk.sdk.label} packages' requirements")
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else f"{', '.join(parts[:-1])} and {parts[-1]}"


def build_config(answers: Mapping | TorchAnswers, facts: Facts | None = None) -> TorchConfig:
    """The whole uv configuration for a set of (already validated) answers: built once per
    answer set and facts, then shared (copier renders every file, and validators ask again)."""
    facts = facts or load_facts()
    typed = TorchAnswers.of(answers, facts)
    key = (json.dumps(asdict(typed)), id(facts))
    if key not in _PLANS:
        if len(_PLANS) >= _PLANS_KEPT:
            _PLANS.pop(next(iter(_PLANS)))
        _PLANS[key] = (facts, _plan(typed, facts))  # the facts are kept so that their id stays theirs
    return _PLANS[key][1]


_PLANS: dict[tuple[str, int], tuple[Facts, TorchConfig]] = {}
_PLANS_KEPT = 64


def _plan(answers: TorchAnswers, facts: Facts) -> TorchConfig:
    platforms = [name for name in facts.platforms if name in answers.platforms]
    answers = replace(answers, platforms=tuple(platforms))
    releases, next_release, capped_by = admitted_releases(answers, facts)
    if not releases:
        raise ConfigError(capped_by or "no torch release matches the answers")

    packages = ["torch", *[p for p in facts.optional_packages if p in answers.torch_packages]]
    modern = [p for p in platforms if p != INTEL_MAC]
    intel_mac = None
    if INTEL_MAC in platforms:
        intel_mac = dict(facts.platforms[INTEL_MAC].last_release)
    routes = _routes(answers, modern, facts)
    base_url = answers.pytorch_index_url.rstrip("/")
    indexes = [
        Index(
            r.variant.index_name,
            f"{base_url}/{r.variant.name}",
            r.variant,
            r.platforms,
            r.without_wheels,
            _unconfirmed_note(r.variant, releases, packages, facts),
        )
        for r in routes
    ]

    sdks = _sdk_wirings(routes, answers)
    sources: dict[str, list[Source]] = {}
    companion_fallbacks = []
    for route in routes:
        sdk_packages = [p for wiring in sdks if wiring.route is route for p in wiring.packages]
        served = [*packages, *route.variant.triton_packages, *sdk_packages]
        for package in [p for p in packages if p in facts.companions]:
            if not facts.companions[package].on_index_of(route.variant):
                served.remove(package)
                companion_fallbacks.append((package, route.variant))
        for package in served:
            sources.setdefault(package, []).append(Source(route.variant.index_name, route.marker, route.extra))

    builds = _builds(platforms, routes, releases[-1], answers.python_min, intel_mac, facts)
    # Packages compiled against torch go where torch's requirements go, limited to the
    # platforms (per extra) whose torch build they compile against.
    extension_plans = plan_extensions(
        list(answers.compiled_extensions), builds, facts, lambda names: platform_marker(names, platforms, facts)
    )
    requirements: list[str] = []
    extras: dict[str, list[str]] = {}
    conflicts: list[list[str]] = []
    if answers.strategy == Strategy.EXTRAS:
        for route in routes:
            extras[route.extra] = _requirements(releases, next_release, packages, intel_mac, [route], sdks, facts)
        conflicts = [[route.extra for route in routes]] if len(routes) > 1 else []
    else:
        requirements = _requirements(releases, next_release, packages, intel_mac, routes, sdks, facts)
    for plan in extension_plans:
        (extras[plan.extra] if plan.extra else requirements).append(plan.requirement)

    # The Python range lives in requires-python: uv drops a wheel from the lock when its tag is
    # outside requires-python (upper bound included), not when `environments` excludes it, and
    # with the bound there a Python cap in `environments` leaves the lock byte-identical.
    python_max = Version(answers.python_max)
    requires_python = f">={answers.python_min},<3.{python_max.minor + 1}"
    # An Intel Mac whose last torch stops below python_max gets the Pythons below this only.
    intel_mac_python_cap = None
    if intel_mac and Version(intel_mac["python"][-1]) < python_max:
        intel_mac_python_cap = f"3.{Version(intel_mac['python'][-1]).minor + 1}"
    environments, required = [], []
    for name in platforms:
        marker = facts.platforms[name].marker
        if name == INTEL_MAC and intel_mac_python_cap:
            marker += f" and python_version < '{intel_mac_python_cap}'"
        environments.append(marker)
        required.append(marker)

    triton_packages = [triton for r in routes for triton in r.variant.triton_packages]
    constraints = []
    if intel_mac and intel_mac.get("numpy"):
        constraints.append(f"numpy{intel_mac['numpy']} ; {facts.platforms[INTEL_MAC].marker}")
    return TorchConfig(
        strategy=answers.strategy,
        platforms=platforms,
        python_min=answers.python_min,
        python_max=answers.python_max,
        requires_python=requires_python,
        releases=releases,
        capped_by=capped_by,
        routes=routes,
        indexes=indexes,
        requirements=requirements,
        extras=extras,
        sources=sources,
        conflicts=conflicts,
        environments=environments,
        required_environments=required,
        packages=packages,
        triton_packages=list(dict.fromkeys(triton_packages)),
        constraints=constraints,
        sdks=sdks,
        companion_fallbacks=companion_fallbacks,
        builds=builds,
        intel_mac=intel_mac,
        intel_mac_python_cap=intel_mac_python_cap,
        extension_plans=extension_plans,
        mirror=Mirror(MIRROR_INDEX_NAME, answers.default_index_url) if answers.default_index_url else None,
    )
