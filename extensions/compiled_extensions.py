"""Packages compiled from source against the project's torch: the `compiled_extensions` answer.

The facts live in `compiled_extensions.toml`. For each chosen package the project gets:
- a requirement, limited by a marker to the platforms (per extra, in extras mode) whose torch
  build the package compiles against, so nothing tries to build it elsewhere;
- `[tool.uv.extra-build-dependencies]` with `torch` as `match-runtime = true`, so the isolated
  build environment holds exactly the torch build the lock installs;
- `[[tool.uv.dependency-metadata]]` with the package's requirements, so `uv lock` never has
  to download or build the sdist to learn them.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from packaging.specifiers import SpecifierSet

DATA_FILE = Path(__file__).with_name("compiled_extensions.toml")


@dataclass(frozen=True)
class CompiledExtension:
    name: str
    label: str
    version: str
    requires_dist: tuple[str, ...]
    requires_python: str
    build_requires: tuple[str, ...]
    kinds: tuple[str, ...]  # the torch builds (variant kinds) it compiles against
    oses: tuple[str, ...]
    toolkit: str
    gpus: str
    build_env: tuple[tuple[str, str], ...]
    prebuilt: str
    prebuilt_index: dict[str, tuple[str, ...]]  # package -> variants whose index has wheels
    prebuilt_index_note: str
    not_offered: dict[str, str]  # variant kind or OS -> why the package is not built there
    unconfirmed: tuple[str, ...]

    def why_not(self, kind: str, os_name: str) -> str:
        """Why a torch build of `kind` on `os_name` gets no build of the package ("" when it does)."""
        if os_name not in self.oses:
            return self.not_offered.get(os_name, f"{self.name} is not built on {os_name}")
        if kind not in self.kinds:
            return self.not_offered.get(kind, f"{self.name} does not compile against {kind} builds")
        return ""


@dataclass(frozen=True)
class ExtensionPlan:
    """One chosen package, for one extra (extras mode) or the whole project."""

    extension: CompiledExtension
    extra: str | None
    platforms: tuple[str, ...]  # where it is compiled
    marker: str | None
    builds: tuple[str, ...]  # the torch builds it compiles against there, e.g. "CUDA 13.0 (`pytorch-cu130`)"

    @property
    def requirement(self) -> str:
        spec = f"{self.extension.name}=={self.extension.version}"
        return f"{spec} ; {self.marker}" if self.marker else spec


@cache
def load_extensions(path: Path = DATA_FILE) -> dict[str, CompiledExtension]:
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return {
        name: CompiledExtension(
            name=name,
            label=entry["label"],
            version=entry["version"],
            requires_dist=tuple(entry["requires-dist"]),
            requires_python=entry["requires-python"],
            build_requires=tuple(entry["build-requires"]),
            kinds=tuple(entry["kinds"]),
            oses=tuple(entry["oses"]),
            toolkit=entry["toolkit"],
            gpus=entry["gpus"],
            build_env=tuple((key, text) for key, text in entry["build-env"]),
            prebuilt=entry["prebuilt"],
            prebuilt_index={package: tuple(v) for package, v in entry.get("prebuilt-index", {}).items()},
            prebuilt_index_note=entry.get("prebuilt-index-note", ""),
            not_offered=dict(entry["not-offered"]),
            unconfirmed=tuple(entry["meta"]["unconfirmed"]),
        )
        for name, entry in data["extensions"].items()
    }


def plan_extensions(names: list[str], builds: Mapping, facts, marker_for) -> list[ExtensionPlan]:
    """Where each of `names` is compiled, given what each (platform, extra) installs (`builds`:
    uv_config.Build by platform and extra, None outside extras mode).

    `marker_for(platforms)` is the marker selecting `platforms` among the chosen ones (None for
    all of them). A package that no platform can build gets no plan (answer_checks refuses it).
    """
    extensions = load_extensions()
    plans = []
    for name in names:
        extension = extensions[name]
        for extra in dict.fromkeys(extra for _, extra in builds):
            platforms, labels = [], []
            for (platform, of_extra), build in builds.items():
                if of_extra != extra or build.variant is None:
                    continue
                if extension.why_not(build.variant.kind, facts.platforms[platform].os):
                    continue
                platforms.append(platform)
                if build.label not in labels:
                    labels.append(build.label)
            if platforms:
                plans.append(ExtensionPlan(extension, extra, tuple(platforms), marker_for(platforms), tuple(labels)))
    return plans


def unavailable(name: str, builds: Mapping, facts, python_min: str) -> str:
    """Why `name` cannot answer compiled_extensions for a project installing `builds` (see
    plan_extensions); "" when it can."""
    extensions = load_extensions()
    if name not in extensions:
        return f"compiled_extensions: {name!r} is not offered: choose among {', '.join(extensions)}"
    extension = extensions[name]
    if python_min and not SpecifierSet(extension.requires_python).contains(f"{python_min}.0"):
        return f"compiled_extensions: {name} {extension.version} needs Python {extension.requires_python}"
    if plan_extensions([name], builds, facts, lambda platforms: None):
        return ""
    reasons: dict[str, list[str]] = {}
    for platform in dict.fromkeys(platform for platform, _ in builds):
        for (of_platform, _), build in builds.items():
            if of_platform != platform:
                continue
            variant = build.variant  # None: the Intel-Mac torch
            reason = extension.why_not(variant.kind if variant else "", facts.platforms[platform].os)
            where = f"{platform} ({build.label})"
            if where not in reasons.setdefault(reason, []):
                reasons[reason].append(where)
    details = "; ".join(f"{', '.join(where)}: {reason}" for reason, where in reasons.items())
    kinds = " or ".join(facts_label(kind) for kind in extension.kinds)
    oses = " or ".join(facts_label(os_name) for os_name in extension.oses)
    return (
        f"compiled_extensions: {name} compiles only against a {kinds} build of torch on {oses}, and no chosen "
        f"platform gets one ({details}): choose a {kinds} build for a {oses} platform, or drop {name}"
    )


def facts_label(word: str) -> str:
    """A variant kind or OS as prose: cuda -> CUDA, linux -> Linux."""
    return {"cuda": "CUDA", "rocm": "ROCm", "xpu": "XPU", "cpu": "CPU", "macos": "macOS"}.get(word, word.capitalize())
