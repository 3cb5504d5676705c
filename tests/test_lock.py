"""Lock every answer combination with the real uv and verify what each platform installs.

Against the local index replica by default; `--live-index` (or TORCH_UV_LIVE_INDEX=1) uses
the real PyTorch indexes instead.
"""

from __future__ import annotations

import shutil
from itertools import product
from pathlib import Path
from urllib.parse import unquote

import pytest
from answer_matrix import Combination, combination_params, combinations
from expectations import (
    PYPI,
    expected_package_variant,
    expected_release,
    expected_sdk_packages,
    expected_variant,
    extras_of,
    index_packages,
)
from export_check import verify_export
from interpreters import interpreter_for, interpreters
from packaging.specifiers import SpecifierSet
from packaging.utils import parse_wheel_filename
from packaging.version import Version
from pytorch_facts import TORCH_FAMILY, load_facts
from uv_runner import lock, locked_packages, planned_install, source_of, source_url

FACTS = load_facts()
COMBINATIONS = combinations(FACTS)
PARAMS = combination_params(COMBINATIONS)
PYTORCH_PACKAGES = index_packages(FACTS)

pytestmark = pytest.mark.lock


def lockable(combo: Combination) -> Path:
    """The interpreter to lock with, or skip with the reason (counted in the summary)."""
    if combo.lock_skip:
        pytest.skip(f"{combo.id}: {combo.lock_skip}")
    python = interpreter_for(combo.answers["python_min"], combo.answers["python_max"])
    if python is None:
        pytest.skip(
            f"{combo.id}: no Python {combo.answers['python_min']}–{combo.answers['python_max']} "
            f"interpreter on this machine (have {', '.join(interpreters())})"
        )
    return python


def verify_lock(project: Path, answers: dict, index_base: str, python: Path) -> int:
    """Check uv.lock and what every platform (and extra) would install; returns the checks run."""
    packages = locked_packages(project)
    for package in packages:
        url = source_url(package) or ""
        if url.startswith(index_base):
            assert package["name"] in PYTORCH_PACKAGES, f"{package['name']} resolved from a PyTorch index ({url})"
        for wheel in package.get("wheels", []):
            assert wheel.get("hash", "").startswith("sha256:"), f"{package['name']}: wheel without hash"
            assert supported_python(wheel["url"], answers), f"{package['name']}: {wheel['url']} is for another Python"
        if "sdist" in package:
            assert package["sdist"].get("hash"), f"{package['name']}: sdist without hash"
    # The package whose requirements carry torch's bounds and extras.
    project_name = (
        "pin-pytorch"
        if answers.get("layout") == "virtual-workspace"
        else next(p["name"] for p in packages if p.get("source", {}).get("editable") == ".")
    )

    release = expected_release(answers, FACTS)
    chosen = ["torch", *answers["torch_packages"]]
    checks = 0
    for extra in extras_of(answers):
        for platform, selection in product(answers["platforms"], selections(answers)):
            plan = planned_install(project, platform, python, extra, FACTS, selection)
            where = " ".join([platform, *selection, *(["--extra", extra] if extra else [])])
            if selection[:1] == ("--package",):
                # A member asks for plain torch only: it must get the workspace's build of it.
                chosen_here = ["torch"]
            else:
                chosen_here = chosen
            variant = expected_variant(answers, platform, extra, FACTS)
            assert set(chosen_here) <= set(plan), f"{where}: would not install {set(chosen_here) - set(plan)}"
            torch = plan["torch"]
            last_release = FACTS.platforms[platform].last_release
            if last_release:
                assert torch.version == last_release["torch"], where
                if "numpy" in plan and last_release.get("numpy"):
                    # torch 2.2.2 was built against NumPy 1: the constraint must hold there.
                    assert SpecifierSet(last_release["numpy"]).contains(plan["numpy"].version), where
                checks += 1
                continue
            assert torch.release == release, f"{where}: torch {torch.version}, expected release {release}"
            expected_index = PYPI if variant == PYPI else f"{index_base}/{variant}"
            companions = FACTS.variants[variant].triton_packages if variant != PYPI else ()
            if selection[:1] == ("--package",):
                companions = companions[:1]  # only the triton torch itself requires
            wanted = [*chosen_here, *companions, *expected_sdk_packages(answers, variant, FACTS)]
            for name in wanted:
                package_variant = expected_package_variant(answers, name, platform, extra, FACTS)
                expected_index = PYPI if package_variant == PYPI else f"{index_base}/{package_variant}"
                planned = plan.get(name)
                assert planned is not None, f"{where}: {name} missing"
                urls = source_of(packages, project_name, name, planned.version, extra)
                assert len(urls) == 1, f"{where}: {name}=={planned.version} has several sources: {urls}"
                url = urls.pop()
                if expected_index == PYPI:
                    assert not url.startswith(index_base), f"{where}: {name} from {url}, expected PyPI's build"
                    assert planned.local == "", f"{where}: {name}=={planned.version} from PyPI has a local version"
                else:
                    assert url.rstrip("/") == expected_index, f"{where}: {name} from {url}, expected {expected_index}"
                    if name in TORCH_FAMILY or name in FACTS.companions:
                        assert planned.local == variant, f"{where}: {name}=={planned.version}, expected +{variant}"
            checks += 1
    return checks


def locks_expected_torch(project: Path, answers: dict) -> bool:
    """Whether uv.lock's torch is the release the facts expect (or an Intel Mac's last one)."""
    last_releases = [FACTS.platforms[p].last_release for p in answers["platforms"]]
    allowed = {expected_release(answers, FACTS), *(last["torch"] for last in last_releases if last)}
    torches = [Version(p["version"]).base_version for p in locked_packages(project) if p["name"] == "torch"]
    return bool(torches) and set(torches) <= allowed


def supported_python(url: str, answers: dict) -> bool:
    """Whether a locked wheel can serve a Python of the project's range (the bounded
    requires-python keeps the others out of the lock): a CPython-specific tag (`cp312`,
    `cp313t`) must be within python_min..python_max; other tags (`py3`, `abi3`) can."""
    low, high = Version(answers["python_min"]), Version(answers["python_max"])
    tags = parse_wheel_filename(unquote(url.rsplit("/", 1)[-1]))[3]
    specific = [t for t in tags if t.interpreter.startswith("cp") and t.abi != "abi3"]
    return not specific or any(low <= Version(f"3.{t.interpreter[3:]}") <= high for t in specific)


def selections(answers: dict) -> list[tuple[str, ...]]:
    """The installs to verify: the project; in a workspace all packages, and each member alone
    (members depend on plain torch; in extras mode they have no torch of their own: the extras
    belong to the root or pin-pytorch, so only the whole workspace can select one)."""
    layout = answers.get("layout", "project")
    if layout == "project":
        return [()]
    members = [] if answers["accelerator_strategy"] == "extras" else answers["workspace_members"]
    return [("--all-packages",), *[("--package", member) for member in members]]


@pytest.mark.parametrize("combo", PARAMS)
def test_combination_locks_and_installs_the_right_build(
    render, pytorch_index, combo: Combination, tmp_path: Path, record_property
) -> None:
    python = lockable(combo)
    # test_render.py's render of the combination (same answers, same worker), copied: the
    # render cache's projects stay as rendered.
    project = tmp_path / "project"
    shutil.copytree(render({**combo.answers, "pytorch_index_url": pytorch_index}), project, symlinks=True)
    lock(project, python, expected=lambda locked: locks_expected_torch(locked, combo.answers))
    record_property("count:combinations locked", 1)
    checks = verify_lock(project, combo.answers, pytorch_index, python)
    record_property("count:per-platform verifications", checks)
    # The same lock exported for pip/Docker consumers (pylock.toml, once per extra).
    selection = ("--all-packages",) if combo.answers.get("layout", "project") != "project" else ()
    exported = verify_export(project, combo.answers, pytorch_index, FACTS, selection)
    record_property("count:pylock export verifications", exported)
