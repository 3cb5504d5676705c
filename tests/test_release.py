"""The template's releases: recorded correctly, and the working tree updates from the newest.

- CHANGELOG.md records every release tag with the tag's commit; the newest release is found
  by tag, or by that commit in a clone without tags (consistency, and truth for git).
- Projects rendered at the newest release, committed and edited like a user would, update to
  the working tree with `copier update`: no conflicts, the edits kept, the result equal to a
  fresh render plus the same edits (truth: the real copier on the real released template).
- No choice the newest release offers disappears without a `_migrations` entry that carries
  it over (consistency of copier.yml and the facts between two versions).
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from dataclasses import replace
from pathlib import Path

import pytest
import tomlkit
import yaml
from choices import TemplateText, choices_of, uncovered_removals
from expectations import expected_release, variants_used
from facts_edits import edited, own_facts_env, without_oldest_release, working_tree_facts
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.version import Version
from pytorch_facts import Facts, read_facts
from releases import (
    CHANGELOG,
    REPO_ROOT,
    Release,
    changelog_releases,
    extract_at,
    newest_release,
    read_at,
    release_tags,
)
from template_versions import (
    TEMPLATE_PARTS,
    commit_all,
    find_conflict_markers,
    find_rej_files,
    git,
    init_repo,
    insert_after_line,
    snapshot_template,
)

# Neither the developer's copier settings nor their git configuration leak in.
pytestmark = pytest.mark.usefixtures("isolated_git")

FACTS_TOML = "extensions/pytorch_facts.toml"
FACTS_PY = "extensions/pytorch_facts.py"
EXTENSIONS_TOML = "extensions/compiled_extensions.toml"
# The files TemplateText holds, in its field order.
TEMPLATE_TEXT_FILES = ("copier.yml", FACTS_TOML, FACTS_PY, EXTENSIONS_TOML)


@pytest.fixture(scope="module")
def newest() -> Release:
    return newest_release()


def working_tree_file(path: str) -> Path:
    """A template file of the working tree ($TORCH_UV_FACTS_FILE's for the facts)."""
    return working_tree_facts() if path == FACTS_TOML else REPO_ROOT / path


def working_tree_text() -> TemplateText:
    return TemplateText(*(working_tree_file(p).read_text(encoding="utf-8") for p in TEMPLATE_TEXT_FILES))


def text_at(commit: str) -> TemplateText:
    return TemplateText(*(read_at(REPO_ROOT, commit, p) or "" for p in TEMPLATE_TEXT_FILES))


# --- the release record --------------------------------------------------------------------


def test_changelog_records_every_release_tag_with_its_commit() -> None:
    text = (REPO_ROOT / CHANGELOG).read_text(encoding="utf-8")
    recorded = changelog_releases(text)
    assert recorded, "CHANGELOG.md records no release"
    assert list(recorded) == sorted(recorded, key=Version, reverse=True), "releases must be listed newest first"
    # "Unreleased" collects what the next release brings, above the releases.
    assert text.index("## Unreleased") < text.index(f"## {next(iter(recorded))}")
    tags = release_tags(REPO_ROOT)  # a clone without tags checks the record alone
    for index, (tag, commit) in enumerate(recorded.items()):
        if commit is None:
            # Between tagging a release and recording its commit (CONTRIBUTING.md).
            assert index == 0 and tag in tags, f"{tag}: record the release's full commit hash in its heading"
            continue
        assert git(REPO_ROOT, "cat-file", "-t", commit).strip() == "commit", f"{tag}: {commit} is not a commit here"
    for tag in tags:
        assert tag in recorded, f"tag {tag} has no CHANGELOG.md entry"
        if recorded[tag]:
            assert git(REPO_ROOT, "rev-parse", f"{tag}^{{commit}}").strip() == recorded[tag], tag


def _clone(tmp_path: Path, *options: str) -> Path:
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "--quiet", *options, f"file://{REPO_ROOT}", str(clone))
    # The working tree's record, committed or not (it is what is being tested).
    shutil.copy2(REPO_ROOT / CHANGELOG, clone / CHANGELOG)
    return clone


def test_a_clone_without_tags_finds_the_newest_release_by_its_recorded_commit(newest: Release, tmp_path: Path) -> None:
    clone = _clone(tmp_path, "--no-tags")
    assert release_tags(clone) == []

    found = newest_release(clone)

    assert found == Release(newest.tag, newest.commit, CHANGELOG)


def test_a_shallow_clone_without_tags_says_to_fetch_the_history(tmp_path: Path) -> None:
    clone = _clone(tmp_path, "--no-tags", "--depth=1")
    head = git(clone, "rev-parse", "HEAD").strip()
    if head == newest_release().commit:
        pytest.skip("HEAD is the newest release itself: a depth-1 clone still has its commit")
    with pytest.raises(AssertionError, match="fetch the whole history"):
        newest_release(clone)


# --- updating from the newest release to the working tree ----------------------------------

ANSWER_SETS = {
    "defaults": {},
    "gitlab-docker-workspace": {
        "ci": "gitlab",
        "docker": True,
        "layout": "workspace",
        "workspace_members": '["core", "train"]',
    },
    "no-ci-extras": {"ci": "none", "accelerator_strategy": "extras", "pre_commit": False},
}
# A development dependency: `dependencies` holds the torch family, whose range a facts-only
# change moves (a new release that drops a variant or a Python minor caps it), and an edit
# next to a line the update changes conflicts whatever the template does.
USER_DEPENDENCY = '    "numpy>=2",  # added by the user'
USER_PARAGRAPH = "Our own paragraph, written by the user after generating the project.\n"
USER_MODULE = '"""A model the user wrote."""\n\nimport torch\n\n\nclass Net(torch.nn.Module):\n    pass\n'


def release_then_head(newest: Release, dest: Path) -> Path:
    """A repository holding the newest release's template (tagged as it is) and, on top,
    the working tree's: what `copier update` to HEAD sees, committed or not."""
    dest.mkdir(parents=True)
    extract_at(REPO_ROOT, newest.commit, TEMPLATE_PARTS, dest)
    init_repo(dest)
    commit_all(dest, f"release {newest.tag}")
    git(dest, "tag", newest.tag)
    head = snapshot_template(dest.parent / "head-parts")
    shutil.copy2(working_tree_file(FACTS_TOML), head / FACTS_TOML)
    for part in TEMPLATE_PARTS:
        if (dest / part).is_dir():
            shutil.rmtree(dest / part)
        (dest / part).unlink(missing_ok=True)
        if (head / part).is_dir():
            shutil.copytree(head / part, dest / part)
        elif (head / part).is_file():
            shutil.copy2(head / part, dest / part)
    subprocess.run(["git", "add", "--all"], cwd=dest, check=True)
    if git(dest, "status", "--porcelain").strip():
        commit_all(dest, "the working tree")
    return dest


def copier_cli(*args: str) -> None:
    """One process per command, as users run it (the facts are per process). Each version
    renders with its own facts file: $TORCH_UV_FACTS_FILE is HEAD's (release_then_head)."""
    done = subprocess.run(
        [sys.executable, "-m", "copier", *args], capture_output=True, text=True, env=own_facts_env(), check=False
    )
    assert done.returncode == 0, done.stderr


def render(template: Path, dst: Path, answers: dict, vcs_ref: str) -> Path:
    data_file = dst.with_name(f"{dst.name}-answers.yml")
    data_file.write_text(yaml.safe_dump({"project_name": "Release Demo", **answers}), encoding="utf-8")
    copier_cli(
        "copy",
        "--trust",
        "--defaults",
        "--quiet",
        f"--data-file={data_file}",
        "--vcs-ref",
        vcs_ref,
        str(template),
        str(dst),
    )
    return dst


def recorded_answers(project: Path) -> dict:
    """The answers the project was generated with: what `copier update` keeps."""
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text(encoding="utf-8"))
    return {key: value for key, value in answers.items() if not key.startswith("_")}


def user_edits(project: Path) -> None:
    """A development dependency, a README paragraph near the top and a module of their own."""
    insert_after_line(project / "pyproject.toml", r"dev = \[", USER_DEPENDENCY + "\n")
    readme = project / "README.md"
    lines = readme.read_text(encoding="utf-8").splitlines(keepends=True)
    lines.insert(1, "\n" + USER_PARAGRAPH)
    readme.write_text("".join(lines), encoding="utf-8")
    package = recorded_answers(project)["package_name"]
    (project / "src" / package / "model.py").write_text(USER_MODULE, encoding="utf-8")


def comparable_tree(root: Path) -> dict[str, str]:
    """Every file but .git and uv.lock; the answers without `_commit`."""
    files = {}
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root).as_posix()
        if not path.is_file() or ".git" in path.relative_to(root).parts or relative == "uv.lock":
            continue
        text = path.read_text(encoding="utf-8")
        if relative == ".copier-answers.yml":
            text = re.sub(r"(?m)^_commit: .*\n", "", text)
        files[relative] = text
    return files


def expected_torch(answers: dict, facts: Facts) -> SpecifierSet:
    """torch's range after the update, from the facts: the answers are kept, so it starts at
    torch_min and stops below the release after the newest one that still serves them."""
    newest = Version(expected_release(answers, facts))
    above = [release for release in facts.releases if Version(release.torch) > newest]
    cap = f",<{above[-1].minor}" if above else ""
    return SpecifierSet(f">={answers['torch_min']}{cap}")


def check_facts_driven_lines(project: Path, answers: dict, facts: Facts) -> None:
    """What the facts say the updated project asks for: torch's range, the indexes of the
    variants in use, the Python range."""
    pyproject = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
    extras = pyproject["project"].get("optional-dependencies", {})
    lines = [*pyproject["project"]["dependencies"], *(line for extra in extras.values() for line in extra)]
    torch = [Requirement(line) for line in lines if Requirement(line).name == "torch"]
    assert torch and {r.specifier for r in torch} == {expected_torch(answers, facts)}, torch
    indexes = [index["name"] for index in pyproject["tool"]["uv"]["index"]]
    assert indexes == [f"pytorch-{variant}" for variant in variants_used(answers)]
    python = SpecifierSet(f">={answers['python_min']},<3.{Version(answers['python_max']).minor + 1}")
    assert SpecifierSet(pyproject["project"]["requires-python"]) == python


@pytest.mark.parametrize("answers", ANSWER_SETS.values(), ids=ANSWER_SETS.keys())
def test_projects_from_the_newest_release_update_to_the_working_tree(
    newest: Release, tmp_path: Path, answers: dict
) -> None:
    template = release_then_head(newest, tmp_path / "template")
    project = render(template, tmp_path / "project", answers, newest.tag)
    assert yaml.safe_load((project / ".copier-answers.yml").read_text(encoding="utf-8"))["_commit"] == newest.tag
    init_repo(project)
    commit_all(project, f"generated from {newest.tag}")
    kept = recorded_answers(project)
    user_edits(project)
    commit_all(project, "user edits")

    copier_cli("update", "--trust", "--defaults", "--quiet", "--vcs-ref", "HEAD", str(project))

    assert find_conflict_markers(project) == {}
    assert find_rej_files(project) == []
    # A fresh render of the working tree with the project's answers (not today's defaults: a new
    # release moves them), plus the same edits.
    fresh = render(template, tmp_path / "fresh", kept, "HEAD")
    user_edits(fresh)
    assert comparable_tree(project) == comparable_tree(fresh)
    check_facts_driven_lines(project, kept, read_facts(working_tree_file(FACTS_TOML)))
    readme = (project / "README.md").read_text(encoding="utf-8")
    assert USER_PARAGRAPH in readme and USER_DEPENDENCY in (project / "pyproject.toml").read_text(encoding="utf-8")


# --- choices never shrink -------------------------------------------------------------------


def test_no_choice_of_the_newest_release_is_gone_without_a_migration(newest: Release) -> None:
    old = text_at(newest.commit)
    assert choices_of(old), f"no choices read at {newest.tag}"
    assert uncovered_removals(old, working_tree_text(), newest.version) == []


def _without_ci_choice(copier_yml: str, value: str) -> str:
    config_line = re.compile(rf"(?m)^(ci:\n(?:[ \t]+.*\n)*?)[ \t]+[^\n]*: {re.escape(value)}\n")
    assert len(config_line.findall(copier_yml)) == 1
    return config_line.sub(r"\1", copier_yml)


RENAME_MIGRATION = """
_migrations:
  - version: v99.0.0
    when: "{{{{ _stage == 'before' }}}}"
    command:
      - "{{{{ _copier_python }}}}"
      - "{{{{ _copier_conf.src_path }}}}/migrations/rename_choice.py"
      - "{{{{ _copier_conf.answers_file }}}}"
      - {question}
      - {old}={new}
"""


@pytest.mark.parametrize("facts_layout", ["as-written", "re-serialised"])
def test_removing_a_choice_without_a_migration_fails_the_check(facts_layout: str) -> None:
    """Shown on the working tree itself, edited: a copier.yml choice and a facts release, in the
    facts file as written and as another TOML writer lays it out (sub-tables for inline ones)."""
    current = working_tree_text()
    if facts_layout == "re-serialised":
        current = replace(current, facts_toml=tomlkit.dumps(tomllib.loads(current.facts_toml)))
    released = Version("0.1.0")
    assert "gitlab" in choices_of(current)["ci"]
    oldest = read_facts(working_tree_facts()).releases[-1].minor

    no_gitlab = replace(current, copier_yml=_without_ci_choice(current.copier_yml, "gitlab"))
    assert uncovered_removals(current, no_gitlab, released) == ["ci: 'gitlab' removed since 0.1.0 without a migration"]
    no_oldest = replace(current, facts_toml=edited(current.facts_toml, without_oldest_release))
    assert f"torch_min: '{oldest}' removed since 0.1.0 without a migration" in uncovered_removals(
        current, no_oldest, released
    )

    # A migration for a later release that renames the answer covers the removal...
    migrated = no_gitlab.copier_yml + RENAME_MIGRATION.format(question="ci", old="gitlab", new="none")
    assert uncovered_removals(current, replace(current, copier_yml=migrated), released) == []
    # ...one for the release the choice was still in does not, nor one for another question.
    stale = migrated.replace("v99.0.0", "v0.1.0")
    assert uncovered_removals(current, replace(current, copier_yml=stale), released)
    other = no_gitlab.copier_yml + RENAME_MIGRATION.format(question="layout", old="gitlab", new="none")
    assert uncovered_removals(current, replace(current, copier_yml=other), released)


def test_rename_choice_migration_rewrites_single_and_multiselect_answers(tmp_path: Path) -> None:
    answers = tmp_path / ".copier-answers.yml"
    script = REPO_ROOT / "migrations" / "rename_choice.py"

    def run(*args: str) -> dict:
        subprocess.run([sys.executable, str(script), str(answers), *args], check=True, capture_output=True)
        return yaml.safe_load(answers.read_text(encoding="utf-8"))

    answers.write_text("# header\n_commit: v1.0.0\nci: gitlab\nplatforms:\n- a\n- b\n- c\n", encoding="utf-8")
    assert run("ci", "gitlab=gitlab-ci")["ci"] == "gitlab-ci"
    assert run("ci", "gitlab=gitlab-ci")["ci"] == "gitlab-ci"  # idempotent
    assert run("platforms", "b=", "c=a")["platforms"] == ["a"]  # dropped, and merged into "a"
    assert run("missing", "x=y") == {"_commit": "v1.0.0", "ci": "gitlab-ci", "platforms": ["a"]}


TINY_QUESTIONS = """\
ci:
  type: str
  default: github
  choices: [github, {gitlab}, none]
platforms:
  type: str
  multiselect: true
  default: '["linux"]'
  choices: [linux, {macos}, windows]
"""
TINY_MIGRATIONS = """
_migrations:
  - version: v2.0.0
    when: "{{ _stage == 'before' }}"
    command:
      - "{{ _copier_python }}"
      - "{{ _copier_conf.src_path }}/migrations/rename_choice.py"
      - "{{ _copier_conf.answers_file }}"
      - ci
      - gitlab=gitlab-ci
  - version: v2.0.0
    when: "{{ _stage == 'before' }}"
    command:
      - "{{ _copier_python }}"
      - "{{ _copier_conf.src_path }}/migrations/rename_choice.py"
      - "{{ _copier_conf.answers_file }}"
      - platforms
      - macos=macos-arm64
"""


@pytest.mark.parametrize("with_migration", [True, False], ids=["migrated", "not-migrated"])
def test_what_the_check_calls_covered_is_what_copier_carries_over(tmp_path: Path, with_migration: bool) -> None:
    """The check's notion of "covered" against a real `copier update --trust --defaults`: with the
    rename_choice.py entries the answers follow the renamed choices; without them copier resets
    them to the defaults (the multiselect one entirely) and the check reports both."""
    template = tmp_path / "tiny-template"
    (template / "migrations").mkdir(parents=True)
    shutil.copy2(REPO_ROOT / "migrations" / "rename_choice.py", template / "migrations")
    (template / "{{_copier_conf.answers_file}}.jinja").write_text("{{ _copier_answers|to_nice_yaml }}")
    v1 = TINY_QUESTIONS.format(gitlab="gitlab", macos="macos")
    (template / "copier.yml").write_text(v1, encoding="utf-8")
    init_repo(template)
    commit_all(template, "v1")
    git(template, "tag", "v1.0.0")
    project = tmp_path / "project"
    copier_cli(
        "copy",
        "--trust",
        "--defaults",
        "--data=ci=gitlab",
        '--data=platforms=["macos", "windows"]',
        str(template),
        str(project),
    )
    init_repo(project)
    commit_all(project, "generated")
    v2 = TINY_QUESTIONS.format(gitlab="gitlab-ci", macos="macos-arm64") + (TINY_MIGRATIONS if with_migration else "")
    (template / "copier.yml").write_text(v2, encoding="utf-8")
    commit_all(template, "v2")
    git(template, "tag", "v2.0.0")

    copier_cli("update", "--trust", "--defaults", "--quiet", str(project))

    answers = yaml.safe_load((project / ".copier-answers.yml").read_text(encoding="utf-8"))
    facts = working_tree_text()
    problems = uncovered_removals(
        replace(facts, copier_yml=v1),
        replace(facts, copier_yml=v2),
        Version("1.0.0"),
    )
    if with_migration:
        assert (answers["ci"], answers["platforms"]) == ("gitlab-ci", ["macos-arm64", "windows"])
        assert problems == []
    else:
        assert (answers["ci"], answers["platforms"]) == ("github", ["linux"])
        assert problems == [
            "ci: 'gitlab' removed since 1.0.0 without a migration",
            "platforms: 'macos' removed since 1.0.0 without a migration",
        ]
