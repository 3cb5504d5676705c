"""Render every answer combination and check the uv configuration's promises statically."""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from answer_matrix import WORKSPACE_MEMBERS, Combination, combination_params, combinations
from conftest import REPO_ROOT, text_problems
from copier._main import Worker
from expectations import PYPI, expected_package_variant, expected_variant, extras_of, marker_environment
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.version import Version
from pytorch_facts import TORCH_FAMILY, load_facts

FACTS = load_facts()
COMBINATIONS = combinations(FACTS)
ALL_PYTHONS = FACTS.python_minors


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
        # With extras torch comes only with an extra: a plain `torch` here would install PyPI's.
        torch = [] if answers.get("accelerator_strategy") == "extras" else ["torch"]
        plain = [*torch, "pin-pytorch"] if layout == "virtual-workspace" else torch
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


PARAMS = combination_params(COMBINATIONS)


@dataclass(frozen=True)
class Rendered:
    project: Path
    answers: dict
    pyproject: dict  # the root pyproject.toml
    pinning: dict  # the pyproject.toml holding torch's requirements
    sources: dict[str, list[dict]]  # index sources by package

    @property
    def uv(self) -> dict:
        return self.pyproject["tool"]["uv"]


@pytest.fixture
def rendered(render, pytorch_index: str, combo: Combination) -> Rendered:
    """The combination's project, rendered once per session (the render cache of conftest.py)
    with the index test_lock.py locks against, so that the lock test reuses the render."""
    answers = {**combo.answers, "pytorch_index_url": pytorch_index}
    project = render(answers)
    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    pinning = pinning_pyproject(project, answers)
    return Rendered(project, answers, pyproject, pinning, sources_of(pyproject))


@pytest.mark.parametrize("combo", PARAMS)
def test_no_unsafe_index_settings(rendered: Rendered) -> None:
    text = (rendered.project / "pyproject.toml").read_text()
    assert "extra-index-url" not in text and "index-strategy" not in text


@pytest.mark.parametrize("combo", PARAMS)
def test_workspace_members_depend_on_plain_torch(rendered: Rendered) -> None:
    check_workspace(rendered.project, rendered.pyproject, rendered.answers)


@pytest.mark.parametrize("combo", PARAMS)
def test_every_index_is_explicit_and_used(rendered: Rendered) -> None:
    indexes = {i["name"]: i for i in rendered.uv.get("index", []) if not i.get("default")}
    used = {e["index"] for entries in rendered.sources.values() for e in entries}
    assert all(i["explicit"] is True for i in indexes.values())
    assert used == set(indexes), f"declared {sorted(indexes)} but sources use {sorted(used)}"
    base_url = rendered.answers.get("pytorch_index_url", FACTS.default_index_url)
    for name, index in indexes.items():
        assert index["url"] == f"{base_url}/{name.removeprefix('pytorch-')}"


@pytest.mark.parametrize("combo", PARAMS)
def test_torch_family_shares_its_sources(rendered: Rendered) -> None:
    packages = ["torch", *rendered.answers["torch_packages"]]
    sources = rendered.sources
    if sources:
        assert [p for p in TORCH_FAMILY if p in sources] == [p for p in TORCH_FAMILY if p in packages]
        assert all(sources[p] == sources["torch"] for p in packages if p not in FACTS.companions)


@pytest.mark.parametrize("combo", PARAMS)
def test_companions_share_the_sources_of_the_indexes_that_publish_them(rendered: Rendered) -> None:
    """torchcodec, torchao, ...: torch's sources, less those of variants whose index has no build."""
    indexes = {i["name"]: i["url"].rsplit("/", 1)[-1] for i in rendered.uv.get("index", []) if not i.get("default")}
    for package in [p for p in rendered.answers["torch_packages"] if p in FACTS.companions]:
        kinds = FACTS.companions[package].index_kinds
        publishing = [e for e in rendered.sources.get("torch", []) if FACTS.variants[indexes[e["index"]]].kind in kinds]
        assert rendered.sources.get(package, []) == publishing, package


@pytest.mark.parametrize("combo", PARAMS)
def test_each_platform_gets_its_build(rendered: Rendered) -> None:
    """Markers send each platform (for each extra) to the right index, and the requirements apply there."""
    answers, sources = rendered.answers, rendered.sources
    packages = ["torch", *answers["torch_packages"]]
    for extra in extras_of(answers):
        for platform in answers["platforms"]:
            for python in (answers["python_min"], answers["python_max"]):
                env = marker_environment(platform, python, FACTS, (extra,) if extra else ())
                want = expected_variant(answers, platform, extra, FACTS)
                got = index_of(sources.get("torch", []), env, extra)
                assert got == (PYPI if want == PYPI else f"pytorch-{want}"), (platform, extra)
                reqs = [
                    r for r in requirements_for(rendered.pinning, extra) if r.marker is None or r.marker.evaluate(env)
                ]
                names = [r.name for r in reqs]
                assert all(names.count(p) == 1 for p in packages), (platform, extra, names)
                for triton in FACTS.variants[want].triton_packages if want != PYPI else ():
                    assert triton in names and index_of(sources[triton], env, extra) == f"pytorch-{want}"
                for package in [p for p in packages if p in FACTS.companions]:
                    want_package = expected_package_variant(answers, package, platform, extra, FACTS)
                    got_package = index_of(sources.get(package, []), env, extra)
                    assert got_package == (PYPI if want_package == PYPI else f"pytorch-{want_package}"), package
                if platform == "macos-x86_64":
                    torch_req = next(r for r in reqs if r.name == "torch")
                    assert str(torch_req.specifier) == f"=={FACTS.platforms[platform].last_release['torch']}"


@pytest.mark.parametrize("combo", PARAMS)
def test_lock_covers_exactly_the_chosen_platforms_and_pythons(rendered: Rendered) -> None:
    """environments (with requires-python): exactly the chosen platforms and Python range;
    required-environments: each chosen platform once."""
    answers = rendered.answers
    envs = [Marker(m) for m in rendered.uv["environments"]]
    requires_python = SpecifierSet(rendered.pinning["project"]["requires-python"])
    required = [Marker(m) for m in rendered.uv["required-environments"]]
    # requires-python is bounded above (uv keeps only wheels whose Python tag it admits), so
    # `environments` names platforms only: a Python cap there is redundant, except the Intel
    # Mac's where its last release stops below python_max.
    next_minor = f"3.{Version(answers['python_max']).minor + 1}"
    assert requires_python == SpecifierSet(f">={answers['python_min']},<{next_minor}")
    intel_mac = FACTS.platforms["macos-x86_64"]
    intel_capped = Version(intel_mac.last_release["python"][-1]) < Version(answers["python_max"])
    for marker in rendered.uv["environments"]:
        assert ("python_version" in marker) == (marker.startswith(intel_mac.marker) and intel_capped), marker
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


@pytest.mark.parametrize("combo", PARAMS)
def test_extras_conflict_with_each_other(rendered: Rendered) -> None:
    answers = rendered.answers
    if answers["accelerator_strategy"] == "extras":
        package = {"package": "pin-pytorch"} if answers.get("layout") == "virtual-workspace" else {}
        assert rendered.uv["conflicts"] == [[{**package, "extra": e} for e in extras_of(answers)]]
    else:
        assert "conflicts" not in rendered.uv and "optional-dependencies" not in rendered.pinning["project"]


@pytest.mark.parametrize("combo", PARAMS)
def test_company_mirror_is_the_default_index(rendered: Rendered) -> None:
    mirrors = [i for i in rendered.uv.get("index", []) if i.get("default")]
    url = rendered.answers.get("default_index_url")
    assert mirrors == ([{"name": "mirror", "url": url, "default": True}] if url else [])


# --- README suggestions --------------------------------------------------------------------

COPIER_UPDATE = "copier update --trust --defaults"


@pytest.fixture(scope="session")
def template_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The template's files outside git: copier reads them in place instead of cloning each time."""
    copy = tmp_path_factory.mktemp("template")
    shutil.copy(REPO_ROOT / "copier.yml", copy)
    for folder in ("template", "extensions"):
        shutil.copytree(REPO_ROOT / folder, copy / folder, ignore=shutil.ignore_patterns("__pycache__"))
    return copy


# A value the user fills in (`<mirror>`): no answer to check.
PLACEHOLDER = re.compile(r"=<[a-z][a-z -]*>")


def suggested_data(readme: str) -> list[dict[str, str]]:
    """The answers each `copier update ... --data` command of the README sets, as the strings
    copier's CLI receives (copier casts them by question type); commands with a placeholder
    for the user to fill in aside."""
    suggestions = []
    for line in readme.splitlines():
        if COPIER_UPDATE in line and "--data" in line and not PLACEHOLDER.search(line):
            words = shlex.split(line.split(COPIER_UPDATE, 1)[1])
            pairs = [words[i + 1].split("=", 1) for i, word in enumerate(words) if word == "--data"]
            suggestions.append(dict(pairs))
    return suggestions


def _suggestion_cases() -> list:
    """One combination per set of answers the README's suggestions depend on besides the build
    (strategy, layout, platforms, torch packages): copier's questionnaire costs ~1 s a run."""
    seen, cases = set(), []
    for param in PARAMS:
        answers = param.values[0].answers
        key = (
            answers["accelerator_strategy"],
            answers.get("layout", "project"),
            tuple(answers.get("platforms", [])),
            tuple(answers.get("torch_packages", [])),
        )
        if key not in seen:
            seen.add(key)
            cases.append(param)
    return cases


@pytest.mark.parametrize("combo", _suggestion_cases())
def test_readme_suggestions_are_accepted_by_copier(rendered: Rendered, template_copy: Path, tmp_path: Path) -> None:
    """Every `--data` the README suggests passes copier's own validation on top of the project's
    recorded answers, as `copier update --defaults --data ...` would apply them (consistency)."""
    recorded = yaml.safe_load((rendered.project / ".copier-answers.yml").read_text())
    recorded = {key: value for key, value in recorded.items() if not key.startswith("_")}
    suggestions = suggested_data((rendered.project / "README.md").read_text())
    if rendered.answers.get("layout", "project") != "project":
        assert any("workspace_members" in data for data in suggestions)
    for data in suggestions:
        with Worker(
            src_path=str(template_copy),
            dst_path=tmp_path,
            data={**recorded, **data},
            defaults=True,
            unsafe=True,
            quiet=True,
        ) as worker:
            worker._ask()  # copier's questionnaire: parses and validates every answer, raises on a bad one
        # Recorded as suggested (a list in the order of copier's choices, which it records).
        for key, value in data.items():
            assert worker.answers.combined[key] == (json.loads(value) if value.startswith("[") else value)


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


SAMPLE = PARAMS[::7]


def rendered_files(project: Path) -> list[Path]:
    return sorted(p.relative_to(project) for p in project.rglob("*") if p.is_file())


@pytest.mark.parametrize("combo", SAMPLE)
def test_rendering_twice_gives_the_same_files(rendered: Rendered, render) -> None:
    first, second = rendered.project, render(rendered.answers, fresh=True)
    assert rendered_files(first) == rendered_files(second)
    for relative in rendered_files(first):
        text, again = (first / relative).read_text(), (second / relative).read_text()
        if relative.name == ".copier-answers.yml":
            # A dirty template checkout is committed anew for each render: only _commit differs.
            text, again = without_commit(text), without_commit(again)
        assert text == again, f"{relative} differs between two renders"


@pytest.mark.parametrize("combo", PARAMS)
def test_rendered_text_is_clean(rendered: Rendered) -> None:
    problems = [
        problem
        for relative in rendered_files(rendered.project)
        if relative.name != ".copier-answers.yml"
        for problem in text_problems(relative.as_posix(), (rendered.project / relative).read_text())
    ]
    assert not problems


@pytest.mark.parametrize("combo", SAMPLE)
def test_rendered_project_passes_ruff(rendered: Rendered) -> None:
    for check in (["check"], ["format", "--check"]):
        ruff = subprocess.run(
            [sys.executable, "-m", "ruff", *check, "--no-cache", "."],
            cwd=rendered.project,
            capture_output=True,
            text=True,
        )
        assert ruff.returncode == 0, f"ruff {' '.join(check)} fails on the rendered project:\n{ruff.stdout}"


ANSWERS_FILE_VCS_KEYS = ("_commit:", "_src_path:")


def test_the_suites_template_snapshot_renders_what_the_repository_renders(copie, render) -> None:
    """tests/conftest.py renders from a plain copy of the working tree instead of the git
    repository (no clone per render): both must give the same project, but for the answers
    file's record of where the template came from."""
    repository = Path(__file__).resolve().parents[1]
    assert Path(copie.default_template_dir).resolve() != repository
    combo = next(c for c in COMBINATIONS if c.answers.get("layout") == "virtual-workspace")
    answers = {**combo.answers, "ci": "github", "docker": True, "pre_commit": True}
    from_repository = copie.copy(extra_answers=answers, template_dir=repository)
    assert from_repository.exit_code == 0, from_repository.exception
    from_snapshot = render(answers, fresh=True)
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
