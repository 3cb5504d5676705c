"""What a rendered project must do on each platform, derived from the answers and the facts
alone (independently of extensions/uv_config.py, which the template uses to render)."""

from __future__ import annotations

from packaging.specifiers import SpecifierSet
from pytorch_facts import Facts, load_facts

PYPI = "pypi"
SYS_PLATFORM = {"linux": "linux", "windows": "win32", "macos": "darwin"}
MACHINE = {"x86_64": "x86_64", "aarch64": "aarch64", "arm64": "arm64"}


def marker_environment(platform: str, python: str, facts: Facts | None = None, extras: tuple[str, ...] = ()) -> dict:
    """A PEP 508 environment for `platform` running CPython `python` (a minor like "3.12")."""
    facts = facts or load_facts()
    os_name = facts.platforms[platform].os
    machine = platform.split("-", 1)[1]
    if os_name == "windows" and machine == "x86_64":
        machine = "AMD64"
    return {
        "sys_platform": SYS_PLATFORM[os_name],
        "platform_system": {"linux": "Linux", "windows": "Windows", "macos": "Darwin"}[os_name],
        "platform_machine": machine,
        "python_version": python,
        "python_full_version": f"{python}.0",
        "implementation_name": "cpython",
        "platform_python_implementation": "CPython",
        "os_name": "nt" if os_name == "windows" else "posix",
        "extra": extras[0] if extras else "",
    }


def expected_variant(answers: dict, platform: str, extra: str | None = None, facts: Facts | None = None) -> str:
    """The variant `platform` must install (PYPI for PyPI's own build)."""
    facts = facts or load_facts()
    strategy = answers["accelerator_strategy"]
    if strategy == "pypi" or platform == "macos-x86_64":
        return PYPI
    if strategy == "single":
        wanted = answers["accelerator"]
    elif strategy == "extras":
        wanted = next(v for v in answers["accelerators"] if facts.variants[v].extra_name == extra)
    else:
        key = "linux_accelerator" if facts.platforms[platform].os == "linux" else "windows_accelerator"
        wanted = answers.get(key, PYPI) if facts.platforms[platform].os != "macos" else PYPI
    if wanted == PYPI or platform not in facts.variants[wanted].platforms:
        return PYPI
    return wanted


def expected_package_variant(
    answers: dict, package: str, platform: str, extra: str | None = None, facts: Facts | None = None
) -> str:
    """The variant `package` must come from on `platform`: torch's, except for a companion
    package (torchcodec, ...) whose builds that variant's index does not publish: PyPI's."""
    facts = facts or load_facts()
    variant = expected_variant(answers, platform, extra, facts)
    companion = facts.companions.get(package)
    if companion is not None and variant != PYPI and facts.variants[variant].kind not in companion.index_kinds:
        return PYPI
    return variant


def package_serves(facts: Facts, release, package: str) -> bool:
    """Whether `package` (torchvision, torchaudio or a companion) has a build for `release`."""
    companion = facts.companions.get(package)
    if companion is not None:
        return not companion.torch or SpecifierSet(companion.torch).contains(release.torch)
    return bool(release.package_version(package))


def extras_of(answers: dict) -> list[str | None]:
    """The extras to verify: each accelerator's (normalised) extra, or None outside extras mode."""
    if answers["accelerator_strategy"] != "extras":
        return [None]
    return [variant.extra_name for name, variant in load_facts().variants.items() if name in answers["accelerators"]]


def variants_used(answers: dict) -> list[str]:
    strategy = answers["accelerator_strategy"]
    if strategy == "single":
        return [answers["accelerator"]]
    if strategy == "extras":
        return list(answers["accelerators"])
    if strategy == "per-platform":
        chosen = [
            answers.get(f"{os_name}_accelerator", PYPI)
            for os_name in ("linux", "windows")
            if any(p.startswith(os_name) for p in answers["platforms"])
        ]
        return [v for v in chosen if v != PYPI]
    return []


def expected_release(answers: dict, facts: Facts | None = None) -> str:
    """The torch release every platform must get: the newest one reachable from torch_min
    without crossing a release that lacks a variant in use, a chosen package, or wheels for
    a Python minor of the range."""
    facts = facts or load_facts()
    low, high = (int(answers[k].split(".")[1]) for k in ("python_min", "python_max"))
    pythons = [f"3.{minor}" for minor in range(low, high + 1)]
    floor = tuple(int(part) for part in answers["torch_min"].split(".")[:2])
    newest = None
    for release in reversed(facts.releases):  # oldest first
        if tuple(int(part) for part in release.torch.split(".")[:2]) < floor:
            continue
        serves = (
            all(v in release.variants for v in variants_used(answers))
            and all(package_serves(facts, release, p) for p in answers["torch_packages"])
            and all(p in release.python for p in pythons)
        )
        if not serves:
            break
        newest = release.torch
    assert newest is not None, "the answers admit no release (the template should have refused them)"
    return newest


def expected_sdk_packages(answers: dict, variant: str, facts: Facts | None = None) -> list[str]:
    """What the SDK torch requires on `variant`'s index installs (ROCm 7.14's wheels), the
    selector first: for the GPU targets answered, else all of them (torch's own requirement)."""
    facts = facts or load_facts()
    sdk = facts.variants[variant].sdk if variant != PYPI else None
    if sdk is None:
        return []
    return sdk.sdk.packages_for(sdk.sdk.extras_for(answers.get(f"{sdk.sdk.name}_gpu_targets")))


def index_packages(facts: Facts | None = None) -> set[str]:
    """Every package a PyTorch index may serve a project: the torch family, the tritons, the
    companions and the SDK packages (all targets)."""
    facts = facts or load_facts()
    tritons = {t for v in facts.variants.values() for t in v.triton_packages}
    sdks = {p for sdk in facts.sdks.values() for p in sdk.packages_for([sdk.all_targets_extra, *sdk.extras])}
    return {"torch", "torchvision", "torchaudio", *tritons, *facts.companions, *sdks}
