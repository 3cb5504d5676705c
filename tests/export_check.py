"""Export a locked project as pylock.toml, the way the generated README tells pip and Docker users
to, and check that every PyTorch wheel in it still comes from its variant's index.

`uv export --format pylock.toml` keeps each wheel's URL and index, so a consumer that has never
seen `[tool.uv.sources]` (pip, a Dockerfile without uv) installs the same builds. Conflicting
extras cannot be exported together (`--all-extras` is refused), so each extra is exported on its
own. `packaging.pylock` then selects what each platform would install, by marker and wheel tag.
"""

from __future__ import annotations

import functools
import tomllib
from pathlib import Path

from expectations import (
    PYPI,
    expected_package_variant,
    expected_release,
    expected_sdk_packages,
    expected_variant,
    extras_of,
    index_packages,
    marker_environment,
)
from packaging.pylock import PackageWheel, Pylock
from packaging.tags import Tag, compatible_tags, cpython_tags, mac_platforms
from packaging.utils import parse_wheel_filename
from pytorch_facts import TORCH_FAMILY, Facts
from uv_runner import run_uv

# The glibc versions a current Linux accepts manylinux wheels for (2.5 = manylinux1 up to a current distro).
GLIBC_MINORS = range(39, 4, -1)


def export_pylock(project: Path, extra: str | None, selection: tuple[str, ...] = ()) -> Pylock:
    """`uv export --format pylock.toml` from uv.lock alone (--frozen: no re-lock)."""
    args = ["export", "--format", "pylock.toml", "--frozen", "--no-dev", *selection]
    if extra:
        args += ["--extra", extra]
    target = project / f"pylock.{extra or 'default'}.toml"
    run_uv([*args, "--output-file", str(target)], project)
    return Pylock.from_dict(tomllib.loads(target.read_text(encoding="utf-8")))


def platform_tags(platform: str, python: str, facts: Facts) -> tuple[Tag, ...]:
    """The wheel tags CPython `python` accepts on `platform`, most specific first."""
    target = facts.platforms[platform]
    return _platform_tags(
        target.os, platform.split("-", 1)[1], target.wheel_tag, target.macos_deployment_target, python
    )


@functools.cache  # ~1,500 tags per Linux platform, asked for ~6,000 times by the lock tests
def _platform_tags(
    os_name: str, machine: str, wheel_tag: str, macos_deployment_target: str | None, python: str
) -> tuple[Tag, ...]:
    if os_name == "linux":
        platforms = [f"manylinux_2_{minor}_{machine}" for minor in GLIBC_MINORS]
        platforms += [f"manylinux{alias}_{machine}" for alias in ("2014", "2010", "1")] + [f"linux_{machine}"]
    elif os_name == "windows":
        platforms = [wheel_tag]
    else:
        major, minor = (int(part) for part in macos_deployment_target.split("."))
        platforms = list(mac_platforms((major, minor), machine))
    version = tuple(int(part) for part in python.split("."))
    return (
        *cpython_tags(version, platforms=platforms),
        *compatible_tags(version, f"cp{version[0]}{version[1]}", platforms=platforms),
    )


def selected(pylock: Pylock, platform: str, python: str, facts: Facts) -> dict[str, tuple[object, object]]:
    """What pylock.toml installs on `platform` with CPython `python`: name -> (package, distribution)."""
    environment = marker_environment(platform, python, facts)
    tags = platform_tags(platform, python, facts)
    return {package.name: (package, dist) for package, dist in pylock.select(environment=environment, tags=tags)}


def verify_export(project: Path, answers: dict, index_base: str, facts: Facts, selection: tuple[str, ...] = ()) -> int:
    """Export once per extra; on every platform (at both ends of the Python range) each PyTorch
    package must be a wheel from its variant's index (PyPI's where the build is PyPI's), with the
    variant's local version and a sha256. Returns the checks run."""
    release = expected_release(answers, facts)
    chosen = ["torch", *answers["torch_packages"]]
    pythons = list(dict.fromkeys([answers["python_min"], answers["python_max"]]))
    checks = 0
    for extra in extras_of(answers):
        pylock = export_pylock(project, extra, selection)
        for package in pylock.packages:
            if package.index and package.index.startswith(index_base):
                assert package.name in index_packages(facts), (
                    f"export --extra {extra}: {package.name} from a PyTorch index ({package.index})"
                )
        for platform in answers["platforms"]:
            variant = expected_variant(answers, platform, extra, facts)
            triton_packages = facts.variants[variant].triton_packages if variant != PYPI else ()
            intel_mac = facts.platforms[platform].last_release
            for python in pythons:
                if intel_mac and python not in intel_mac["python"]:
                    continue  # the Intel-Mac environment stops at its last torch's Python
                where = f"export{' --extra ' + extra if extra else ''}, {platform}, Python {python}"
                installs = selected(pylock, platform, python, facts)
                sdk = expected_sdk_packages(answers, variant, facts)
                for name in [*chosen, *triton_packages, *sdk]:
                    package_variant = expected_package_variant(answers, name, platform, extra, facts)
                    assert name in installs, f"{where}: {name} missing from pylock.toml"
                    package, dist = installs[name]
                    if sdk and name == sdk[0]:  # the SDK's selector is an sdist, built at install
                        assert (package.index or "").rstrip("/") == f"{index_base}/{variant}", f"{where}: {name}"
                        continue
                    assert isinstance(dist, PackageWheel), f"{where}: {name} is not a wheel ({dist})"
                    assert dist.hashes.get("sha256"), f"{where}: {name} wheel without sha256"
                    version = parse_wheel_filename(dist.filename)[1]
                    if name == "torch":
                        expected = intel_mac["torch"] if intel_mac else release
                        assert version.public == expected, f"{where}: torch {version}, expected {expected}"
                    if package_variant == PYPI:
                        assert not dist.url.startswith(index_base), f"{where}: {name} from {dist.url}, expected PyPI's"
                        assert version.local is None, f"{where}: {name} {version} from PyPI has a local version"
                        continue
                    assert (package.index or "").rstrip("/") == f"{index_base}/{variant}", (
                        f"{where}: {name} from index {package.index}, expected {index_base}/{variant}"
                    )
                    assert dist.url.startswith(f"{index_base}/"), f"{where}: {name} wheel at {dist.url}"
                    if name in TORCH_FAMILY or name in facts.companions:
                        assert version.local == variant, f"{where}: {name} {version}, expected +{variant}"
                checks += 1
    return checks
