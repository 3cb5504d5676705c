"""Facts the 2026-12 audit corrected, as a rendered project shows them (consistency with the
facts file; the facts themselves are checked against PyPI in tests/test_facts_tool.py):
torchaudio serves every release it admits, Intel Macs keep NumPy 1, ROCm wires both triton
packages, and a build that relies on an unconfirmed fact says so at its index."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from pytorch_facts import load_facts
from uv_config import INTEL_MAC, build_config

FACTS = load_facts()


def render(copie, **answers) -> Path:
    result = copie.copy(extra_answers=answers)
    assert result.exit_code == 0, result.exception
    return result.project_dir


def pyproject(project: Path) -> dict:
    return tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))


def default_answers(**changes) -> dict:
    """The template's defaults for a config built outside copier."""
    newest = FACTS.newest
    answers = {
        "accelerator_strategy": "single",
        "accelerator": "cpu",
        "platforms": ["linux-x86_64", "windows-x86_64", "macos-arm64"],
        "python_min": newest.python[0],
        "python_max": newest.python[-1],
        "torch_min": newest.minor,
        "torch_packages": ["torchvision"],
        "pytorch_index_url": FACTS.default_index_url,
    }
    return {**answers, **changes}


def test_torchaudio_with_the_defaults_renders_without_a_torch_cap(copie) -> None:
    project = render(copie, torch_packages=["torchvision", "torchaudio"])
    data = pyproject(project)
    dependencies = data["project"]["dependencies"]
    torch = next(line for line in dependencies if line.startswith("torch>"))
    assert "<" not in torch.split(";")[0], torch
    audio = next(line for line in dependencies if line.startswith("torchaudio"))
    assert audio.split(";")[0].strip() == f"torchaudio>={FACTS.newest.torchaudio}"
    assert "Capped below" not in (project / "pyproject.toml").read_text(encoding="utf-8")


@pytest.mark.parametrize("release", FACTS.releases, ids=lambda r: r.minor)
def test_torchaudio_never_caps_torch(release) -> None:
    """From any torch_min, asking for torchaudio admits every release torch alone admits."""
    span = {"torch_min": release.minor, "python_min": release.python[0], "python_max": release.python[-1]}
    alone = build_config(default_answers(**span))
    with_audio = build_config(default_answers(**span, torch_packages=["torchaudio"]))
    assert [r.torch for r in with_audio.releases] == [r.torch for r in alone.releases]
    assert with_audio.capped_by == alone.capped_by


def test_intel_macs_keep_numpy_below_2(copie) -> None:
    last = FACTS.platforms[INTEL_MAC].last_release
    python_max = max(set(last["python"]) & set(FACTS.newest.python) or FACTS.newest.python)
    project = render(
        copie,
        platforms=["linux-x86_64", INTEL_MAC],
        torch_min=FACTS.newest.minor,
        python_min=FACTS.newest.python[0],
        python_max=python_max,
    )
    constraints = pyproject(project)["tool"]["uv"]["constraint-dependencies"]
    assert constraints == [f"numpy{last['numpy']} ; {FACTS.platforms[INTEL_MAC].marker}"]
    assert "numpy" not in " ".join(pyproject(project)["project"]["dependencies"])


def test_no_numpy_constraint_without_intel_macs(copie) -> None:
    assert "constraint-dependencies" not in pyproject(render(copie))["tool"]["uv"]


@pytest.mark.parametrize("variant", [name for name, v in FACTS.variants.items() if v.triton], ids=str)
def test_the_triton_torch_requires_comes_from_the_variant_index_and_no_other(copie, variant: str) -> None:
    release = next(r for r in FACTS.releases if variant in r.variants)
    project = render(
        copie,
        accelerator=variant,
        platforms=list(FACTS.variants[variant].platforms),
        torch_min=release.minor,
        python_min=release.python[0],
        python_max=release.python[-1],
    )
    data = pyproject(project)
    names = [line.split(" ")[0] for line in data["project"]["dependencies"]]
    triton = FACTS.variants[variant].triton
    assert triton in names
    assert [s["index"] for s in data["tool"]["uv"]["sources"][triton]] == [f"pytorch-{variant}"]
    # Every triton package installs the same `triton` module: only the one torch requires is
    # wired (a second one could overwrite it, or be missing from the index and fail the lock).
    assert [name for name in names if "triton" in name] == [triton]
    assert [name for name in data["tool"]["uv"]["sources"] if "triton" in name] == [triton]


def unconfirmed_pairs() -> list[tuple[str, str]]:
    return [(r.minor, v) for r in FACTS.releases for v in r.variants if v in r.unconfirmed]


@pytest.mark.skipif(not unconfirmed_pairs(), reason="every variant of the facts is confirmed")
def test_an_unconfirmed_variant_is_flagged_at_its_index(copie) -> None:
    minor, variant = unconfirmed_pairs()[0]
    release = FACTS.release(minor)
    text = (
        render(
            copie,
            accelerator=variant,
            platforms=list(FACTS.variants[variant].platforms),
            torch_min=minor,
            python_min=release.python[0],
            python_max=release.python[-1],
            torch_packages=[],
        )
        / "pyproject.toml"
    ).read_text(encoding="utf-8")
    block = text.split(f'name = "pytorch-{variant}"')[0].rsplit("[[tool.uv.index]]", 1)[0]
    lines = block.rstrip().splitlines()
    start = max(i for i, line in enumerate(lines) if line.startswith("# Unconfirmed: "))
    note = " ".join(line.removeprefix("# ") for line in lines[start:])
    assert f"torch {minor}" in note and note.endswith("`uv lock` confirms).")
    assert all(len(line) <= 100 for line in lines[start:])


def test_confirmed_builds_carry_no_unconfirmed_note() -> None:
    """The note names exactly what the admitted releases mark unconfirmed."""
    for release in FACTS.releases:
        for variant in release.variants:
            config = build_config(
                default_answers(
                    accelerator=variant,
                    platforms=list(FACTS.variants[variant].platforms),
                    torch_min=release.minor,
                    python_min=release.python[0],
                    python_max=release.python[-1],
                    torch_packages=[],
                )
            )
            unsure = [r.minor for r in config.releases if variant in r.unconfirmed]
            companions_unsure = FACTS.variants[variant].triton_packages and any(
                "triton" in r.unconfirmed for r in config.releases
            )
            sdk = FACTS.variants[variant].sdk
            sdk_unsure = sdk and sdk.sdk.metadata_fact in FACTS.unconfirmed
            [index] = config.indexes
            expected_none = not unsure and not companions_unsure and not sdk_unsure
            assert (index.unconfirmed is None) == expected_none, (release.minor, variant)


def test_a_companion_without_a_build_for_the_variant_falls_back_to_pypi_and_says_so(copie) -> None:
    release = FACTS.newest
    for name, companion in FACTS.companions.items():
        lacking = next((v for v in release.variants if not companion.on_index_of(FACTS.variants[v])), None)
        if lacking is None:
            continue
        variant = FACTS.variants[lacking]
        pythons = [m for m in release.python if not companion.python or m in companion.python]
        project = render(
            copie,
            accelerator=lacking,
            platforms=list(variant.platforms),
            torch_packages=[name],
            torch_min=release.minor,
            python_min=pythons[0],
            python_max=pythons[-1],
        )
        text = (project / "pyproject.toml").read_text(encoding="utf-8")
        assert f"# {name} has no {variant.label} build: PyPI's build where that index serves torch." in text
        assert name not in pyproject(project)["tool"]["uv"]["sources"]
        assert any(line.startswith(name) for line in pyproject(project)["project"]["dependencies"])
