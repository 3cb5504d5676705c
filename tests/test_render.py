"""Render every answer combination and check the uv configuration's promises statically."""

from __future__ import annotations

import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from answer_matrix import WORKSPACE_MEMBERS, Combination, combinations
from expectations import PYPI, expected_package_variant, expected_variant, extras_of, marker_environment
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.version import Version
from pytorch_facts import TORCH_FAMILY, load_facts

FACTS = load_facts()
COMBINATIONS = combinations(FACTS)
ALL_PYTHONS = FACTS.python_minors


def render(copie, answers: dict) -> Path:
    result = copie.copy(extra_answers=answers)
    assert result.exit_code == 0, result.exception
    return result.project_dir


def sources_of(pyproject: dict) -> dict[str, list[dict]]:
    """Index sources by package (workspace member sources left out)."""
    sources = pyproject["tool"]["uv"].get("sources", {})
    listed = {name: entry if isinstance(entry, list) else [entry] for name, entry in sources.items()}
    return {name: entries for name, entries in listed.items() if all("index" in e for e in entries)}


def pinning_pyproject(project: Path, answers: dict) -> dict:
    """The pyproject.toml holding torch's requirements: pin-pytorch's in a virtual workspace."""
    where = "packages/pin-pytorch/pyproject.toml" if answers.get("layout") == "virtual-workspace" else "pyproject.toml"
    return tomllib.loads((project / where).read_text())


def check_workspace(project: Path, pyproject: dict, answers: dict) -> None:
    """Members depend on plain torch (plus pin-pytorch) and carry no uv settings of their own."""
    layout = answers.get("layout", "project")
    if layout == "project":
        assert not (project / "packages").exists() and "workspace" not in pyproject["tool"]["uv"]
        return
    assert pyproject["tool"]["uv"]["workspace"]["members"] == ["packages/*"]
    assert ("project" in pyproject) == (layout == "workspace")
    members = answers["workspace_members"] + (["pin-pytorch"] if layout == "virtual-workspace" else [])
    workspace_sources = {n for n, e in pyproject["tool"]["uv"]["sources"].items() if e == {"workspace": True}}
    assert workspace_sources == set(members)
    for member in answers["workspace_members"]:
        member_pyproject = tomllib.loads((project / "packages" / member / "pyproject.toml").read_text())
        plain = ["torch", "pin-pytorch"] if layout == "virtual-workspace" else ["torch"]
        assert member_pyproject["project"]["dependencies"] == plain
        assert "tool" not in member_pyproject
        assert (project / "packages" / member / "tests").is_dir()
    if layout == "workspace":
        assert set(answers["workspace_members"]) <= set(pyproject["project"]["dependencies"])


def index_of(entries: list[dict], env: dict, extra: str | None) -> str:
    """The index uv uses for a package with these source entries on `env` (PYPI when none applies)."""
    applying = [
        e
        for e in entries
        if e.get("extra") in (None, extra) and Marker(e.get("marker", "python_version > '0'")).evaluate(env)
    ]
    assert len(applying) <= 1, f"several sources apply at once: {applying}"
    return applying[0]["index"] if applying else PYPI


def requirements_for(pyproject: dict, extra: str | None) -> list[Requirement]:
    lines = [line for line in pyproject["project"]["dependencies"] if line not in WORKSPACE_MEMBERS]
    if extra:
        lines += pyproject["project"]["optional-dependencies"][extra]
    return [Requirement(line) for line in lines]


@pytest.mark.parametrize("combo", COMBINATIONS, ids=[c.id for c in COMBINATIONS])
def test_rendered_configuration_keeps_its_promises(copie, combo: Combination) -> None:
    project = render(copie, combo.answers)
    text = (project / "pyproject.toml").read_text()
    pyproject = tomllib.loads(text)
    uv = pyproject["tool"]["uv"]
    answers = combo.answers

    # Never the unsafe index settings.
    assert "extra-index-url" not in text and "index-strategy" not in text

    pinning = pinning_pyproject(project, answers)
    check_workspace(project, pyproject, answers)

    # Every index is explicit and used by a source; every source names a declared index.
    indexes = {i["name"]: i for i in uv.get("index", []) if not i.get("default")}
    sources = sources_of(pyproject)
    used = {e["index"] for entries in sources.values() for e in entries}
    assert all(i["explicit"] is True for i in indexes.values())
    assert used == set(indexes), f"declared {sorted(indexes)} but sources use {sorted(used)}"
    base_url = answers.get("pytorch_index_url", FACTS.default_index_url)
    for name, index in indexes.items():
        assert index["url"] == f"{base_url}/{name.removeprefix('pytorch-')}"

    # Every torch package in use is wired to exactly the same sources (a companion package to
    # those of the indexes that publish it).
    packages = ["torch", *answers["torch_packages"]]
    wired = [p for p in TORCH_FAMILY if p in sources]
    if indexes:
        assert wired == [p for p in TORCH_FAMILY if p in packages]
        assert all(sources[p] == sources["torch"] for p in packages if p not in FACTS.companions)
        for package in [p for p in packages if p in FACTS.companions]:
            kinds = FACTS.companions[package].index_kinds
            publishing = [
                e
                for e in sources["torch"]
                if indexes[e["index"]]["url"].rsplit("/", 1)[-1]
                in {name for name, v in FACTS.variants.items() if v.kind in kinds}
            ]
            assert sources.get(package, []) == publishing, package

    # Markers send each platform (for each extra) to the right index, and the requirements apply there.
    for extra in extras_of(answers):
        for platform in answers["platforms"]:
            for python in (answers["python_min"], answers["python_max"]):
                env = marker_environment(platform, python, FACTS, (extra,) if extra else ())
                want = expected_variant(answers, platform, extra, FACTS)
                got = index_of(sources.get("torch", []), env, extra)
                assert got == (PYPI if want == PYPI else f"pytorch-{want}"), (platform, extra)
                reqs = [r for r in requirements_for(pinning, extra) if r.marker is None or r.marker.evaluate(env)]
                names = [r.name for r in reqs]
                assert all(names.count(p) == 1 for p in packages), (platform, extra, names)
                for package in [p for p in packages if p in FACTS.companions]:
                    want_package = expected_package_variant(answers, package, platform, extra, FACTS)
                    got_package = index_of(sources.get(package, []), env, extra)
                    assert got_package == (PYPI if want_package == PYPI else f"pytorch-{want_package}"), package
                for companion in FACTS.variants[want].triton_packages if want != PYPI else ():
                    assert companion in names and index_of(sources[companion], env, extra) == f"pytorch-{want}"
                if platform == "macos-x86_64":
                    torch_req = next(r for r in reqs if r.name == "torch")
                    assert str(torch_req.specifier) == f"=={FACTS.platforms[platform].last_release['torch']}"

    # requires-python is bounded above (uv keeps only wheels whose Python tag it admits), so
    # `environments` names platforms only: a Python cap there is redundant, except the Intel
    # Mac's where its last release stops below python_max.
    next_minor = f"3.{Version(answers['python_max']).minor + 1}"
    requires_python = SpecifierSet(pinning["project"]["requires-python"])
    assert requires_python == SpecifierSet(f">={answers['python_min']},<{next_minor}")
    intel_mac = FACTS.platforms["macos-x86_64"]
    intel_capped = Version(intel_mac.last_release["python"][-1]) < Version(answers["python_max"])
    for marker in uv["environments"]:
        is_intel_mac = marker.startswith(intel_mac.marker)
        assert ("python_version" in marker) == (is_intel_mac and intel_capped), marker
    # environments with requires-python: exactly the chosen platforms and Python range.
    envs = [Marker(m) for m in uv["environments"]]
    required = [Marker(m) for m in uv["required-environments"]]
    assert len(required) == len(answers["platforms"])
    for platform in FACTS.platforms:
        for python in ALL_PYTHONS:
            env = marker_environment(platform, python, FACTS)
            in_range = Version(answers["python_min"]) <= Version(python) <= Version(answers["python_max"])
            if platform == "macos-x86_64":
                in_range = in_range and python in FACTS.platforms[platform].last_release["python"]
            expected = platform in answers["platforms"] and in_range
            locked_for = any(m.evaluate(env) for m in envs) and env["python_full_version"] in requires_python
            assert locked_for == expected, (platform, python)
        if platform in answers["platforms"]:
            env = marker_environment(platform, answers["python_min"], FACTS)
            assert sum(m.evaluate(env) for m in required) == 1, platform

    # Extras conflict with each other.
    if answers["accelerator_strategy"] == "extras":
        package = {"package": "pin-pytorch"} if answers.get("layout") == "virtual-workspace" else {}
        assert uv["conflicts"] == [[{**package, "extra": e} for e in extras_of(answers)]]
    else:
        assert "conflicts" not in uv and "optional-dependencies" not in pinning["project"]

    if answers.get("default_index_url"):
        assert [i for i in uv["index"] if i.get("default")] == [
            {"name": "mirror", "url": answers["default_index_url"], "default": True}
        ]


def test_every_strategy_and_variant_is_in_the_matrix() -> None:
    strategies = {c.answers["accelerator_strategy"] for c in COMBINATIONS}
    assert strategies == {"pypi", "single", "per-platform", "extras"}
    singles = {c.answers["accelerator"] for c in COMBINATIONS if c.answers["accelerator_strategy"] == "single"}
    assert singles == set(FACTS.variants)
    extras = [c.answers for c in COMBINATIONS if c.answers["accelerator_strategy"] == "extras"]
    in_extras = {v for answers in extras for v in answers["accelerators"]}
    assert in_extras == set(FACTS.variants)
    assert len({c.id for c in COMBINATIONS}) == len(COMBINATIONS)


def without_commit(answers_file: str) -> str:
    return "\n".join(line for line in answers_file.splitlines() if not line.startswith("_commit:"))


JINJA_RESIDUE = re.compile(r"\{\{|\}\}|\{%|%\}|\{#|#\}")


@pytest.mark.parametrize("combo", COMBINATIONS[::7], ids=[c.id for c in COMBINATIONS[::7]])
def test_rendered_text_is_clean_and_reproducible(copie, combo: Combination) -> None:
    first, second = render(copie, combo.answers), render(copie, combo.answers)
    files = sorted(p.relative_to(first) for p in first.rglob("*") if p.is_file())
    assert files == sorted(p.relative_to(second) for p in second.rglob("*") if p.is_file())
    for relative in files:
        text = (first / relative).read_text()
        if relative.name == ".copier-answers.yml":
            # A dirty template checkout is committed anew for each render: only _commit differs.
            assert without_commit(text) == without_commit((second / relative).read_text())
            continue
        assert text == (second / relative).read_text(), f"{relative} differs between two renders"
        assert not JINJA_RESIDUE.search(text.replace("${{", "")), f"Jinja residue in {relative}"
        assert text.endswith("\n") and not text.endswith("\n\n"), f"{relative} must end with one newline"
        most_blank_lines = 2 if relative.suffix == ".py" else 1  # PEP 8 separates definitions by two
        assert "\n" * (most_blank_lines + 2) not in text, f"{relative} has runs of blank lines"
        assert not any(line != line.rstrip() for line in text.splitlines()), f"trailing whitespace in {relative}"
    for check in (["check"], ["format", "--check"]):
        ruff = subprocess.run(
            [sys.executable, "-m", "ruff", *check, "--no-cache", "."], cwd=first, capture_output=True, text=True
        )
        assert ruff.returncode == 0, f"ruff {' '.join(check)} fails on the rendered project:\n{ruff.stdout}"


ANSWERS_FILE_VCS_KEYS = ("_commit:", "_src_path:")


def test_the_suites_template_snapshot_renders_what_the_repository_renders(copie) -> None:
    """tests/conftest.py renders from a plain copy of the working tree instead of the git
    repository (no clone per render): both must give the same project, but for the answers
    file's record of where the template came from."""
    repository = Path(__file__).resolve().parents[1]
    assert Path(copie.default_template_dir).resolve() != repository
    combo = next(c for c in COMBINATIONS if c.answers.get("layout") == "virtual-workspace")
    answers = {**combo.answers, "ci": "github", "docker": True, "pre_commit": True}
    from_repository = copie.copy(extra_answers=answers, template_dir=repository)
    assert from_repository.exit_code == 0, from_repository.exception
    from_snapshot = render(copie, answers)
    files = sorted(p.relative_to(from_snapshot) for p in from_snapshot.rglob("*") if p.is_file())
    assert files == sorted(
        p.relative_to(from_repository.project_dir) for p in from_repository.project_dir.rglob("*") if p.is_file()
    )
    for relative in files:
        ours, theirs = ((root / relative).read_text() for root in (from_snapshot, from_repository.project_dir))
        if relative.name == ".copier-answers.yml":
            ours, theirs = (
                "\n".join(line for line in text.splitlines() if not line.startswith(ANSWERS_FILE_VCS_KEYS))
                for text in (ours, theirs)
            )
        assert ours == theirs, relative
