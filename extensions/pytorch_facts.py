"""Typed access to `pytorch_facts.toml`, the one place PyTorch distribution facts live."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from packaging.specifiers import SpecifierSet
from packaging.version import Version

FACTS_FILE = Path(__file__).with_name("pytorch_facts.toml")
FACTS_FILE_ENV = "TORCH_UV_FACTS_FILE"

TORCH_FAMILY = ("torch", "torchvision", "torchaudio")
OPTIONAL_PACKAGES = ("torchvision", "torchaudio")


@dataclass(frozen=True)
class Platform:
    name: str
    label: str
    os: str
    marker: str
    uv_python_platform: str
    wheel_tag: str
    macos_deployment_target: str | None
    last_release: dict | None
    sys_platform: str
    machine: str
    github_runner: str
    gitlab_tag: str


@dataclass(frozen=True)
class Sdk:
    """An SDK torch requires as wheels that only its variant's index serves (ROCm from 7.14).

    `selector[extras]` pulls in the rest: `requires` always, `extras[extra]` per extra, and one
    device package per GPU target (`target_extra` selects it, `all_targets_extra` all of them).
    """

    name: str
    label: str
    selector: str
    torch_extras: tuple[str, ...]
    requires: tuple[str, ...]
    extras: dict[str, tuple[str, ...]]
    all_targets_extra: str
    target_extra: str  # "device-{target}"
    target_package: str  # "rocm-sdk-device-{target}"
    target_requires: tuple[str, ...]
    targets: tuple[str, ...]
    target_sizes_mb: dict[str, float]

    def extras_for(self, targets: list[str] | tuple[str, ...] | None) -> list[str]:
        """The selector's extras that install `targets` (None or every target: torch's own)."""
        if targets is None or set(targets) >= set(self.targets):
            return list(self.torch_extras)
        chosen = [t for t in self.targets if t in targets]
        kept = [e for e in self.torch_extras if e != self.all_targets_extra]
        return [*kept, *(self.target_extra.format(target=t) for t in chosen)]

    def packages_for(self, extras: list[str]) -> list[str]:
        """Every package `selector[extras]` installs, the selector first."""
        packages = [self.selector, *self.requires]
        for extra in extras:
            if extra == self.all_targets_extra:
                packages += [self.target_package.format(target=t) for t in self.targets]
            elif extra in self.extras:
                packages += self.extras[extra]
            else:
                target = self.target_of(extra)
                packages.append(self.target_package.format(target=target))
        return list(dict.fromkeys(packages))

    @property
    def metadata_fact(self) -> str:
        """The facts' `unconfirmed` key for the SDK packages' own requirements."""
        return f"{self.name}-sdk-metadata"

    def target_of(self, extra: str) -> str:
        """`device-gfx1100` -> `gfx1100` (a KeyError for an extra naming no target)."""
        prefix, _, suffix = self.target_extra.partition("{target}")
        target = extra.removeprefix(prefix).removesuffix(suffix) if extra.startswith(prefix) else ""
        if target not in self.targets:
            raise KeyError(f"{self.selector} has no extra {extra!r}")
        return target


@dataclass(frozen=True)
class VariantSdk:
    """The SDK a variant's torch requires, at the version its index serves."""

    sdk: Sdk
    version: str  # "7.14.0"

    @property
    def specifier(self) -> str:
        """torch's pin: the SDK's release series, `==7.14.*`."""
        return "==" + ".".join(self.version.split(".")[:2]) + ".*"

    def requirement(self, targets: list[str] | tuple[str, ...] | None = None) -> str:
        """`rocm[libraries,device-all]==7.14.*` (torch's own for all targets)."""
        return f"{self.sdk.selector}[{','.join(self.sdk.extras_for(targets))}]{self.specifier}"


@dataclass(frozen=True)
class Variant:
    name: str
    kind: str
    label: str
    platforms: tuple[str, ...]
    triton: str | None
    docker_image: str
    cuda: str | None
    rocm: str | None
    driver_linux: str | None
    driver_windows: str | None
    sdk: VariantSdk | None = None

    @property
    def index_name(self) -> str:
        return f"pytorch-{self.name}"

    @property
    def triton_packages(self) -> tuple[str, ...]:
        """The triton packages that must come from this variant's index (none for CUDA/CPU)."""
        return (self.triton,) if self.triton else ()

    @property
    def extra_name(self) -> str:
        """The variant as a (PEP 685 normalised) extra name: `rocm7.2` -> `rocm7-2`."""
        return self.name.replace(".", "-")


@dataclass(frozen=True)
class Companion:
    """A package built against torch that the variant indexes also publish (torchcodec, torchao)."""

    name: str
    label: str
    version: str
    requires: str  # the specifier the project asks for ("" = any)
    torch: str  # the torch releases it serves ("" = not stated)
    index_kinds: tuple[str, ...]  # variant kinds whose indexes publish it
    platforms: tuple[str, ...]
    python: tuple[str, ...]  # CPython minors with wheels; () = any (a pure-Python wheel)

    def on_index_of(self, variant: Variant) -> bool:
        return variant.kind in self.index_kinds

    def serves(self, torch: str) -> bool:
        """Whether it works with torch `torch` (a version), by its compatibility table."""
        return not self.torch or SpecifierSet(self.torch).contains(torch)


@dataclass(frozen=True)
class Release:
    torch: str
    date: str
    python: tuple[str, ...]
    index_python: tuple[str, ...]
    torchvision: str
    torchaudio: str
    triton: str
    variants: tuple[str, ...]
    pypi: dict[str, str]
    macos_arm64_tag: str
    unconfirmed: tuple[str, ...]
    # Read from the test channel before PyPI has it: kept in `Facts.candidates`, never offered.
    candidate: bool = False

    @property
    def minor(self) -> str:
        """`2.15.0` -> `2.15`: the unit users choose (`torch_min`)."""
        return ".".join(self.torch.split(".")[:2])

    def package_version(self, package: str) -> str:
        return {"torch": self.torch, "torchvision": self.torchvision, "torchaudio": self.torchaudio}[package]


@dataclass(frozen=True)
class Facts:
    researched: str
    default_index_url: str
    sources: dict[str, str]
    platforms: dict[str, Platform]
    variants: dict[str, Variant]
    releases: tuple[Release, ...]  # newest first
    unconfirmed: dict[str, str]
    preferred_variants: tuple[str, ...]  # the default accelerator's order of preference
    companions: dict[str, Companion]
    sdks: dict[str, Sdk]
    # Releases on the test channel only (`candidate = true`): the facts tool reads them, the
    # questions and renders never see them until PyPI publishes the release.
    candidates: tuple[Release, ...] = ()

    @property
    def optional_packages(self) -> list[str]:
        """What `torch_packages` offers: torchvision, torchaudio and the companions."""
        return [*OPTIONAL_PACKAGES, *self.companions]

    @property
    def newest(self) -> Release:
        return self.releases[0]

    @property
    def torch_minors(self) -> list[str]:
        return [release.minor for release in self.releases]

    @property
    def python_minors(self) -> list[str]:
        minors = {minor for release in self.releases for minor in release.python}
        return sorted(minors, key=Version)

    def release(self, minor: str) -> Release | None:
        for release in self.releases:
            if release.minor == minor or release.torch == minor:
                return release
        return None

    def releases_from(self, minor: str) -> list[Release]:
        """Releases at or above `minor`, oldest first (the order a version range grows)."""
        floor = Version(minor)
        return sorted(
            (release for release in self.releases if Version(release.minor) >= floor),
            key=lambda release: Version(release.torch),
        )


def _variant(name: str, data: dict, sdks: dict[str, Sdk]) -> Variant:
    sdk = data.get("sdk")
    return Variant(
        name=name,
        kind=data["kind"],
        label=data["label"],
        platforms=tuple(data["platforms"]),
        triton=data.get("triton"),
        docker_image=data["docker_image"],
        cuda=data.get("cuda"),
        rocm=data.get("rocm"),
        driver_linux=data.get("driver_linux"),
        driver_windows=data.get("driver_windows"),
        sdk=VariantSdk(sdks[sdk["name"]], sdk["version"]) if sdk else None,
    )


def _sdk(name: str, data: dict) -> Sdk:
    return Sdk(
        name=name,
        label=data["label"],
        selector=data["selector"],
        torch_extras=tuple(data["torch_extras"]),
        requires=tuple(data["requires"]),
        extras={extra: tuple(packages) for extra, packages in data["extras"].items()},
        all_targets_extra=data["all_targets_extra"],
        target_extra=data["target_extra"],
        target_package=data["target_package"],
        target_requires=tuple(data["target_requires"]),
        targets=tuple(data["targets"]),
        target_sizes_mb=dict(data.get("target_sizes_mb", {})),
    )


def _platform(name: str, data: dict, runtime: dict) -> Platform:
    return Platform(
        name=name,
        label=data["label"],
        os=data["os"],
        marker=data["marker"],
        uv_python_platform=data["uv_python_platform"],
        wheel_tag=data["wheel_tag"],
        macos_deployment_target=data.get("macos_deployment_target"),
        last_release=data.get("last_release"),
        sys_platform=runtime["sys_platform"],
        machine=runtime["machine"],
        github_runner=runtime["github_runner"],
        gitlab_tag=runtime.get("gitlab_tag", ""),
    )


def _release(data: dict) -> Release:
    return Release(
        torch=data["torch"],
        date=data.get("date", ""),
        python=tuple(data["python"]),
        index_python=tuple(data.get("index_python", ())),
        torchvision=data["torchvision"],
        torchaudio=data["torchaudio"],
        triton=data["triton"],
        variants=tuple(data["variants"]),
        pypi=dict(data["pypi"]),
        macos_arm64_tag=data["macos_arm64_tag"],
        unconfirmed=tuple(data["unconfirmed"]),
        candidate=data.get("candidate", False),
    )


def _companion(name: str, data: dict) -> Companion:
    return Companion(
        name=name,
        label=data["label"],
        version=data["version"],
        requires=data["requires"],
        torch=data["torch"],
        index_kinds=tuple(data["index_kinds"]),
        platforms=tuple(data["platforms"]),
        python=tuple(data["python"]),
    )


def load_facts(path: Path | None = None) -> Facts:
    """The facts of `path`, else of $TORCH_UV_FACTS_FILE (tests point it at synthetic facts), else
    of FACTS_FILE."""
    resolved = Path(path or os.environ.get(FACTS_FILE_ENV) or FACTS_FILE).resolve()
    written = resolved.stat()
    return _load_facts(resolved, written.st_mtime_ns, written.st_size)


def read_facts(path: Path) -> Facts:
    """Parse a facts file, uncached (the facts tool rewrites the file it reads)."""
    data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    every = sorted((_release(r) for r in data["releases"]), key=lambda r: Version(r.torch), reverse=True)
    releases = [release for release in every if not release.candidate]
    sdks = {name: _sdk(name, s) for name, s in data.get("sdks", {}).items()}
    return Facts(
        researched=data["researched"],
        default_index_url=data["default_index_url"],
        sources=data["sources"],
        platforms={name: _platform(name, p, data["runtime"][name]) for name, p in data["platforms"].items()},
        variants={name: _variant(name, v, sdks) for name, v in data["variants"].items()},
        releases=tuple(releases),
        unconfirmed=data["unconfirmed"],
        companions={name: _companion(name, c) for name, c in data.get("companions", {}).items()},
        preferred_variants=tuple(data["preferred"]["variants"]),
        sdks=sdks,
        candidates=tuple(release for release in every if release.candidate),
    )


@cache
def _load_facts(path: Path, mtime_ns: int, size: int) -> Facts:
    """Parsed once per version of the file: a process that outlives a rewrite of it (the facts
    tool's refresh, then a render in the same process) reads the new facts."""
    return read_facts(path)
