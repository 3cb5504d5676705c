"""Organisation presets: one set of answers (mirrors, platforms, CI, accelerator) for many repos.

Copier's own mechanisms, as the README documents them, through the real CLI:
- `copier copy --data-file org.yml --data project_name=...`: projects that differ only in
  what the name determines;
- copier's user settings file (`defaults:`, and `trust:` instead of `--trust`);
- a preset with an impossible answer is refused, naming the answer, before anything is
  written, whichever way it is passed.
Truth for copier's handling of presets; the refusal is the template's own answer checks.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from helpers import last_line, run_copier_cli, template_source
from pytorch_facts import load_facts

FACTS = load_facts()
PLATFORMS = ["linux-x86_64", "windows-x86_64"]
# The newest release's first CUDA build that has wheels for both platforms.
ACCELERATOR = next(
    name
    for name in FACTS.newest.variants
    if FACTS.variants[name].kind == "cuda" and set(PLATFORMS) <= set(FACTS.variants[name].platforms)
)
PRESET = {
    "author_name": "Example Org ML Platform",
    "pytorch_index_url": "https://artifacts.example.invalid/pytorch/whl",
    "default_index_url": "https://artifacts.example.invalid/pypi/simple",
    "platforms": PLATFORMS,
    "accelerator_strategy": "single",
    "accelerator": ACCELERATOR,
    "ci": "gitlab",
    "docker": True,
    "pre_commit": True,
}
NAMES = {"Vision API": ("vision-api", "vision_api"), "Ranker": ("ranker", "ranker"), "Trainer": ("trainer", "trainer")}


def copier(*args: str, settings: Path, cwd: Path) -> tuple[int, str]:
    """copier's CLI with these user settings; exit status and output."""
    # --vcs-ref HEAD: the working tree, not the newest release tag copier would take.
    argv = ["copier", "copy", "--quiet", "--vcs-ref", "HEAD", *args]
    return run_copier_cli(argv, env={"COPIER_SETTINGS_PATH": str(settings)}, cwd=cwd)


@pytest.fixture
def empty_settings(tmp_path: Path) -> Path:
    settings = tmp_path / "copier-settings.yml"
    settings.write_text("{}\n", encoding="utf-8")
    return settings


def normalised_tree(project: Path, name: str) -> dict[str, str]:
    """The project with its name, distribution name and import name (`ranker` is both), and the
    upper-case import name (the device variable's prefix), replaced by one placeholder; without
    `_commit` (each render of a dirty template checkout is a new commit)."""

    def normalise(text: str) -> str:
        for form in (name, *NAMES[name], NAMES[name][1].upper()):
            text = text.replace(form, "<NAME>")
        return re.sub(r"(?m)^_commit: .*\n", "", text)

    tree = {}
    for path in sorted(project.rglob("*")):
        if path.is_file():
            relative = path.relative_to(project).as_posix()
            tree[normalise(relative)] = normalise(path.read_text(encoding="utf-8"))
    return tree


def test_one_preset_bootstraps_projects_that_differ_only_by_name(tmp_path: Path, empty_settings: Path) -> None:
    preset = tmp_path / "org.yml"
    preset.write_text(yaml.safe_dump(PRESET, sort_keys=False), encoding="utf-8")
    trees = []
    for name in NAMES:
        destination = NAMES[name][0]
        done = copier(
            "--trust",
            "--defaults",
            "--data-file",
            str(preset),
            "--data",
            f"project_name={name}",
            template_source(),
            destination,
            settings=empty_settings,
            cwd=tmp_path,
        )
        assert done[0] == 0, done[1]
        project = tmp_path / destination
        answers = yaml.safe_load((project / ".copier-answers.yml").read_text(encoding="utf-8"))
        assert {key: answers[key] for key in PRESET} == PRESET
        assert (answers["project_name"], answers["project_slug"], answers["package_name"]) == (name, *NAMES[name])
        trees.append(normalised_tree(project, name))
    assert trees[0] == trees[1] == trees[2]
    # The preset's mirrors, accelerator and CI are what the projects use.
    pyproject = (tmp_path / "ranker" / "pyproject.toml").read_text(encoding="utf-8")
    assert f"{PRESET['pytorch_index_url']}/{ACCELERATOR}" in pyproject
    assert PRESET["default_index_url"] in pyproject
    assert (tmp_path / "ranker" / ".gitlab-ci.yml").is_file() and (tmp_path / "ranker" / "Dockerfile").is_file()


def test_user_settings_defaults_act_as_the_preset(tmp_path: Path) -> None:
    settings = tmp_path / "copier-settings.yml"
    # `trust:` in the settings file replaces --trust for this template.
    settings.write_text(yaml.safe_dump({"defaults": PRESET, "trust": [template_source()]}), encoding="utf-8")

    done = copier(
        "--defaults", "--data", "project_name=Ranker", template_source(), "ranker", settings=settings, cwd=tmp_path
    )

    assert done[0] == 0, done[1]
    answers = yaml.safe_load((tmp_path / "ranker" / ".copier-answers.yml").read_text(encoding="utf-8"))
    assert {key: answers[key] for key in PRESET} == PRESET


# Docker images run Linux: a preset for macOS-only projects cannot have a Dockerfile.
IMPOSSIBLE = {**PRESET, "platforms": ["macos-arm64"], "accelerator_strategy": "pypi", "docker": True}
del IMPOSSIBLE["accelerator"]


@pytest.mark.parametrize("via", ["data-file", "settings-defaults"])
def test_a_preset_with_an_impossible_answer_is_refused_before_writing(tmp_path: Path, via: str) -> None:
    settings = tmp_path / "copier-settings.yml"
    if via == "data-file":
        settings.write_text("{}\n", encoding="utf-8")
        preset = tmp_path / "org.yml"
        preset.write_text(yaml.safe_dump(IMPOSSIBLE), encoding="utf-8")
        args = ["--trust", "--data-file", str(preset)]
    else:
        settings.write_text(yaml.safe_dump({"defaults": IMPOSSIBLE}), encoding="utf-8")
        args = ["--trust"]

    argv = [*args, "--defaults", "--data", "project_name=Ranker", template_source(), "ranker"]
    done = copier(*argv, settings=settings, cwd=tmp_path)

    code, output = done
    assert code != 0
    refusal = last_line(output)
    assert "docker" in refusal and "macos-arm64" in refusal, output
    assert not (tmp_path / "ranker").exists()
