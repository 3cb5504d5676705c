"""The SDK a variant's torch requires as wheels only its index serves (ROCm from 7.14).

- (consistency, facts -> render) the selector (`rocm[...]==<series>.*`) and every package it
  installs are direct dependencies with torch's markers and torch's source, in every strategy
  and layout; a variant whose torch bundles the SDK gets none of them;
- (truth: the real `uv lock` against the replica, which serves torch's requirement as the
  index does) narrowed GPU targets lock to exactly their device packages, and a render
  without the wiring fails the lock with uv's error;
- (consistency) the questions: all targets by default, none or an unknown one refused.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from pytorch_facts import load_facts
from test_lock import verify_lock
from uv_config import gpu_targets_answer
from uv_runner import UvError, lock, locked_packages

FACTS = load_facts()
NEWEST = FACTS.newest
# A variant of the newest release whose torch takes its SDK as wheels, and one (any release)
# of the same kind whose torch bundles it.
SDK_VARIANT = next((v for v in NEWEST.variants if FACTS.variants[v].sdk), None)
BUNDLED = next(
    (
        (v, r)
        for r in FACTS.releases
        for v in r.variants
        if SDK_VARIANT and not FACTS.variants[v].sdk and FACTS.variants[v].kind == FACTS.variants[SDK_VARIANT].kind
    ),
    None,
)
pytestmark = pytest.mark.skipif(SDK_VARIANT is None, reason="no variant of the newest release takes an SDK as wheels")

COMMON = {"ci": "none", "pre_commit": False, "torch_packages": ["torchvision"], "platforms": ["linux-x86_64"]}


def sdk_of(variant: str):
    return FACTS.variants[variant].sdk


def chosen_targets() -> list[str]:
    """Two targets of the SDK, in its order: the first and the last."""
    targets = sdk_of(SDK_VARIANT).sdk.targets
    return [targets[0], targets[-1]]


def render(copie, answers: dict) -> Path:
    result = copie.copy(extra_answers={**COMMON, **answers})
    assert result.exit_code == 0, result.exception
    return result.project_dir


def uv_settings(project: Path) -> dict:
    """The workspace root's [tool.uv]: sources, overrides."""
    return tomllib.loads((project / "pyproject.toml").read_text())["tool"]["uv"]


def pins_file(project: Path, answers: dict) -> dict:
    path = (
        project / ("packages/pin-pytorch" if answers.get("layout") == "virtual-workspace" else ".") / "pyproject.toml"
    )
    return tomllib.loads(path.read_text())


def requirements_of(pyproject: dict) -> list[Requirement]:
    project = pyproject["project"]
    lines = [
        *project.get("dependencies", []),
        *(r for extra in project.get("optional-dependencies", {}).values() for r in extra),
    ]
    return [Requirement(line) for line in lines]


LAYOUTS = [
    pytest.param({"accelerator_strategy": "single", "accelerator": SDK_VARIANT}, id="single-project"),
    pytest.param(
        {"accelerator_strategy": "extras", "accelerators": ["cpu", SDK_VARIANT], "layout": "workspace"},
        id="extras-workspace",
    ),
    pytest.param(
        {
            "accelerator_strategy": "per-platform",
            "linux_accelerator": SDK_VARIANT,
            "windows_accelerator": "cpu",
            "platforms": ["linux-x86_64", "windows-x86_64"],
            "layout": "virtual-workspace",
        },
        id="perplatform-virtual-workspace",
    ),
]


@pytest.mark.parametrize("answers", LAYOUTS)
def test_the_sdk_closure_is_wired_like_torch(copie, answers: dict) -> None:
    """Each package of the closure: a direct requirement with torch's marker and extra, and
    torch's source (uv applies sources to direct dependencies only)."""
    sdk = sdk_of(SDK_VARIANT)
    project = render(copie, answers)
    pyproject = pins_file(project, answers)
    sources = uv_settings(project)["sources"]
    expected = sdk.sdk.packages_for(list(sdk.sdk.torch_extras))
    requirements = requirements_of(pyproject)
    selector = [r for r in requirements if r.name == sdk.sdk.selector]
    assert [str(r.specifier) for r in selector] == [sdk.specifier], selector
    assert set(selector[0].extras) == set(sdk.sdk.torch_extras)
    torch_sources = [s for s in sources["torch"] if s["index"] == f"pytorch-{SDK_VARIANT}"]
    for package in expected:
        assert sources.get(package) == torch_sources, package
        assert any(r.name == package for r in requirements), package
    # Nothing torch does not require: no other SDK package and no device package besides.
    sdk_names = {r.name for r in requirements if r.name.startswith(f"{sdk.sdk.name}-sdk") or r.name == sdk.sdk.selector}
    assert sdk_names == set(expected)


@pytest.mark.skipif(BUNDLED is None, reason="no variant of the SDK's kind bundles it")
def test_a_variant_that_bundles_the_sdk_gets_none_of_it(copie) -> None:
    variant, release = BUNDLED
    answers = {
        "accelerator": variant,
        "torch_min": release.minor,
        "python_min": release.python[0],
        "python_max": release.python[-1],
    }
    project = render(copie, answers)
    pyproject = pins_file(project, answers)
    names = {r.name for r in requirements_of(pyproject)} | set(uv_settings(project)["sources"])
    sdk = sdk_of(SDK_VARIANT).sdk
    assert not {n for n in names if n == sdk.selector or n.startswith(f"{sdk.name}-sdk")}
    assert gpu_targets_answer(FACTS.variants[SDK_VARIANT]) not in (project / ".copier-answers.yml").read_text()


def test_all_targets_by_default_and_no_override(copie) -> None:
    answers = {"accelerator": SDK_VARIANT}
    project = render(copie, answers)
    recorded = (project / ".copier-answers.yml").read_text()
    sdk = sdk_of(SDK_VARIANT).sdk
    assert all(target in recorded for target in sdk.targets)
    assert "override-dependencies" not in uv_settings(project)


def sdk_answers(pytorch_index: str, **more) -> dict:
    return {
        **COMMON,
        "accelerator_strategy": "single",
        "accelerator": SDK_VARIANT,
        "torch_min": NEWEST.minor,
        "python_min": NEWEST.python[0],
        "python_max": NEWEST.python[-1],
        "pytorch_index_url": pytorch_index,
        **more,
    }


@pytest.mark.lock
def test_narrowed_gpu_targets_lock_to_their_device_packages_only(copie, pytorch_index: str, python: Path) -> None:
    sdk = sdk_of(SDK_VARIANT).sdk
    targets = chosen_targets()
    answers = sdk_answers(pytorch_index, **{gpu_targets_answer(FACTS.variants[SDK_VARIANT]): targets})
    project = render(copie, answers)
    uv = uv_settings(project)
    [override] = [Requirement(line) for line in uv["override-dependencies"]]
    assert override.name == sdk.selector and sdk.all_targets_extra not in override.extras
    lock(project, python)
    locked = {p["name"] for p in locked_packages(project)}
    device = sdk.target_package.format(target="")
    assert {name for name in locked if name.startswith(device)} == {
        sdk.target_package.format(target=t) for t in targets
    }
    assert verify_lock(project, answers, pytorch_index, python)


@pytest.mark.lock
def test_a_render_without_the_sdk_wiring_fails_the_lock(
    copie, broken_template, pytorch_index: str, python: Path
) -> None:
    """torch's requirement then goes to the default index, whose packages of these names are
    placeholders (0.1.0): uv finds no version in the SDK's series."""
    template = broken_template("extensions/uv_config.py", r"    return wirings\n", "    return []\n")
    answers = sdk_answers(pytorch_index)
    result = copie.copy(extra_answers=answers, template_dir=template)
    assert result.exit_code == 0, result.exception
    sdk = sdk_of(SDK_VARIANT)
    assert sdk.sdk.selector not in uv_settings(result.project_dir)["sources"]
    with pytest.raises(UvError, match=rf"(?s)No solution found.*{sdk.sdk.selector}"):
        lock(result.project_dir, python)
