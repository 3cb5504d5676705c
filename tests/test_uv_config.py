"""Unit tests of extensions/uv_config.py's rules on small synthetic facts (consistency: each rule
against its own statement, independent of the real facts file)."""

from __future__ import annotations

from dataclasses import FrozenInstanceError
from pathlib import Path

import pytest
from pytorch_facts import Facts, load_facts
from uv_config import TorchAnswers, _bounds, admitted_releases, build_config, platform_marker

PLATFORMS = {
    "lin-a": ("linux", "sys_platform == 'linux' and platform_machine == 'a'"),
    "lin-b": ("linux", "sys_platform == 'linux' and platform_machine == 'b'"),
    "win-a": ("windows", "sys_platform == 'win32' and platform_machine == 'a'"),
    "mac-a": ("macos", "sys_platform == 'darwin' and platform_machine == 'a'"),
}
# (torch, torchvision, torchaudio, python, variants), newest first.
RELEASES = [
    ("3.2.0", "1.2.0", "", ["3.12", "3.13"], ["cpu", "gpu2"]),
    ("3.1.1", "1.1.2", "3.1.1", ["3.11", "3.12"], ["cpu", "gpu1", "gpu2"]),
    ("3.1.0", "1.1.1", "3.1.0", ["3.11", "3.12"], ["cpu", "gpu1"]),
    ("3.0.0", "1.0.0", "3.0.0", ["3.10", "3.11", "3.12"], ["cpu", "gpu1"]),
]


def _list(items) -> str:
    return "[" + ", ".join(f'"{item}"' for item in items) + "]"


@pytest.fixture(scope="module")
def facts(tmp_path_factory: pytest.TempPathFactory) -> Facts:
    lines = ['researched = "test"', 'default_index_url = "https://example.invalid/whl"', "[sources]", "[unconfirmed]"]
    lines += ["[preferred]", 'variants = ["gpu1"]']
    for name, (os_name, marker) in PLATFORMS.items():
        lines += [f"[platforms.{name}]", f'label = "{name}"', f'os = "{os_name}"', f'marker = "{marker}"']
        lines += ['uv_python_platform = "x"', 'wheel_tag = "x"']
        lines += [f"[runtime.{name}]", f'sys_platform = "{os_name}"', 'machine = "a"', 'github_runner = "x"']
    for name in ("cpu", "gpu1", "gpu2"):
        lines += [f"[variants.{name}]", 'kind = "cpu"', f'label = "{name}"', 'docker_image = "x"']
        lines += [f"platforms = {_list(['lin-a', 'win-a'] if name == 'gpu2' else ['lin-a', 'lin-b', 'win-a'])}"]
    for torch, vision, audio, python, variants in RELEASES:
        lines += ["[[releases]]", f'torch = "{torch}"', f'torchvision = "{vision}"', f'torchaudio = "{audio}"']
        lines += [f"python = {_list(python)}", f"variants = {_list(variants)}", 'triton = "1"', "unconfirmed = []"]
        lines += ['macos_arm64_tag = "x"', 'pypi = { lin-a = "cpu", lin-b = "cpu", win-a = "cpu", mac-a = "cpu" }']
    path: Path = tmp_path_factory.mktemp("facts") / "facts.toml"
    path.write_text("\n".join(lines) + "\n")
    return load_facts(path)


def release(facts: Facts, torch: str):
    return next(r for r in facts.releases if r.torch == torch)


# --- _bounds ----------------------------------------------------------------------------------


def test_bounds_cap_torch_below_the_next_minor(facts: Facts) -> None:
    admitted = [release(facts, "3.0.0"), release(facts, "3.1.0")]
    assert _bounds("torch", admitted, release(facts, "3.2.0")) == ">=3.0,<3.2"


def test_bounds_cap_a_companion_at_the_next_patch_of_the_same_minor(facts: Facts) -> None:
    admitted = [release(facts, "3.1.0")]
    assert _bounds("torchvision", admitted, release(facts, "3.1.1")) == ">=1.1.1,<1.1.2"


def test_bounds_are_open_without_a_next_release(facts: Facts) -> None:
    assert _bounds("torch", [release(facts, "3.2.0")], None) == ">=3.2"
    assert _bounds("torchvision", [release(facts, "3.2.0")], None) == ">=1.2.0"


def test_bounds_do_not_cap_at_a_release_without_the_package(facts: Facts) -> None:
    assert _bounds("torchaudio", [release(facts, "3.1.1")], release(facts, "3.2.0")) == ">=3.1.1"


# --- platform_marker --------------------------------------------------------------------------


def test_marker_is_none_for_every_chosen_platform(facts: Facts) -> None:
    assert platform_marker(["lin-a", "win-a"], ["lin-a", "win-a"], facts) is None


def test_marker_collapses_a_whole_os_to_sys_platform(facts: Facts) -> None:
    assert platform_marker(["lin-a", "lin-b"], ["lin-a", "lin-b", "win-a"], facts) == "sys_platform == 'linux'"


def test_marker_names_the_machines_of_a_partly_chosen_os(facts: Facts) -> None:
    marker = platform_marker(["lin-a", "win-a"], ["lin-a", "lin-b", "win-a", "mac-a"], facts)
    assert marker == f"({PLATFORMS['lin-a'][1]}) or sys_platform == 'win32'"


def test_marker_of_one_machine_has_no_parentheses(facts: Facts) -> None:
    assert platform_marker(["lin-b"], ["lin-a", "lin-b"], facts) == PLATFORMS["lin-b"][1]


# --- admitted_releases ------------------------------------------------------------------------


def answer_values(**changes) -> dict:
    """Answers as copier hands them over."""
    base = {
        "torch_min": "3.0",
        "python_min": "3.12",
        "python_max": "3.12",
        "accelerator_strategy": "single",
        "accelerator": "cpu",
        "platforms": ["lin-a"],
        "torch_packages": [],
        "pytorch_index_url": "https://example.invalid/whl",
    }
    return {**base, **changes}


def answers(**changes) -> TorchAnswers:
    return TorchAnswers.of(answer_values(**changes))


def torches(admitted) -> list[str]:
    return [r.torch for r in admitted]


def test_every_release_is_admitted_when_all_serve(facts: Facts) -> None:
    admitted, next_release, why = admitted_releases(answers(), facts)
    assert torches(admitted) == ["3.0.0", "3.1.0", "3.1.1", "3.2.0"] and next_release is None and why is None


def test_admission_stops_at_a_release_without_the_variant(facts: Facts) -> None:
    admitted, next_release, why = admitted_releases(answers(accelerator="gpu1"), facts)
    assert torches(admitted) == ["3.0.0", "3.1.0", "3.1.1"] and next_release.torch == "3.2.0"
    assert why == "gpu1 is not published for torch 3.2.0"


def test_admission_stops_at_a_release_without_the_package(facts: Facts) -> None:
    admitted, next_release, why = admitted_releases(answers(torch_packages=["torchaudio"]), facts)
    assert torches(admitted) == ["3.0.0", "3.1.0", "3.1.1"] and why == "torchaudio has no release for torch 3.2.0"


def test_admission_stops_at_a_release_without_a_python_of_the_range(facts: Facts) -> None:
    admitted, next_release, why = admitted_releases(answers(torch_min="3.1", python_min="3.11"), facts)
    assert torches(admitted) == ["3.1.0", "3.1.1"] and why == "torch 3.2.0 has no wheels for Python 3.11"


def test_admission_starts_at_torch_min_and_can_be_empty(facts: Facts) -> None:
    admitted, next_release, why = admitted_releases(answers(torch_min="3.2", accelerator="gpu1"), facts)
    assert admitted == [] and next_release.torch == "3.2.0" and "gpu1" in why


# --- one plan per answer set ----------------------------------------------------------------


def test_one_frozen_plan_per_answer_set(facts: Facts) -> None:
    """copier renders every file and runs validators with the same answers: they share one plan,
    which nothing can change afterwards; answers it does not read do not make another."""
    chosen = answer_values()
    plan = build_config(chosen, facts)
    assert build_config({**chosen, "project_name": "Another name"}, facts) is plan
    assert build_config(TorchAnswers.of(chosen, facts), facts) is plan
    assert build_config({**chosen, "accelerator": "gpu1"}, facts) is not plan
    with pytest.raises(FrozenInstanceError):
        plan.strategy = "extras"
