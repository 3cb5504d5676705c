"""`copier update` keeps every user edit.

Each test builds a throwaway git repository of this template (see template_versions.py),
tags it v1.0.0, edits the copy into a v2.0.0, generates a project from v1, commits user
edits in it and updates it to v2. What is asserted is what a user of the template relies
on: edits that do not touch the template's changes survive untouched, edits that do are
flagged by conflict markers (copier itself exits 0), and a choice the template removes is
carried over by a `_migrations` step instead of silently falling back to the default.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import copier
import pytest
import yaml
from facts_edits import edit_file, own_facts_env, relabel_variant, working_tree_facts
from template_versions import (
    CONFLICT_END,
    CONFLICT_START,
    append_text,
    commit_all,
    find_conflict_markers,
    find_rej_files,
    git,
    init_repo,
    insert_after_line,
    insert_after_template_line,
    release,
    replace_once,
    snapshot_template,
)

# Neither the developer's copier settings nor their git configuration leak in.
pytestmark = pytest.mark.usefixtures("isolated_git")

V1, V2 = "v1.0.0", "v2.0.0"
DATA = {
    "project_name": "Update Demo",
    "description": "Demo project for the update tests.",
    "ci": "github",
}
PACKAGE = "update_demo"

# The rendered text file whose template both v2 and the user edit. README.md.jinja is the
# natural one; the others are fallbacks should it ever be renamed.
TEXT_FILE_CANDIDATES = ("README.md", ".gitignore", "src/{{package_name}}/__init__.py")


@pytest.fixture
def template_repo(tmp_path: Path) -> Path:
    """This template, as a git repository with v1.0.0 tagged; the test edits and tags v2."""
    repo = snapshot_template(tmp_path / "template-repo")
    shutil.copy2(working_tree_facts(), repo / "extensions" / "pytorch_facts.toml")
    release(repo, V1)
    return repo


# --- helpers ------------------------------------------------------------------------------


def text_file(template_dir: Path) -> tuple[Path, str]:
    """(template file, rendered path) of the first candidate the template has."""
    for rendered in TEXT_FILE_CANDIDATES:
        for suffix in (".jinja", ""):
            source = template_dir / f"{rendered}{suffix}"
            if source.is_file():
                return source, rendered.replace("{{package_name}}", PACKAGE)
    raise AssertionError(f"none of {TEXT_FILE_CANDIDATES} in {template_dir}: update the test")


def generate(template_repo: Path, dst: Path, data: dict | None = None) -> Path:
    """Render v1 into `dst` and commit it, as a user would right after `copier copy`."""
    copier.run_copy(
        str(template_repo),
        dst,
        data={**DATA, **(data or {})},
        defaults=True,
        unsafe=True,
        vcs_ref=V1,
        quiet=True,
    )
    init_repo(dst)
    commit_all(dst, "generated from the template")
    return dst


def update(project: Path, **kwargs) -> copier.Worker:
    """`copier update --trust --defaults --vcs-ref v2.0.0` (what the README recommends)."""
    options = {"defaults": True, "unsafe": True, "overwrite": True, "vcs_ref": V2, "quiet": True}
    return copier.run_update(project, **{**options, **kwargs})


def answers(project: Path) -> dict:
    return yaml.safe_load((project / ".copier-answers.yml").read_text(encoding="utf-8"))


def read(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def tree(root: Path) -> dict[str, str]:
    """Every file under `root` but .git, by relative path, with its content."""
    return {
        path.relative_to(root).as_posix(): read(path)
        for path in sorted(root.rglob("*"))
        if path.is_file() and ".git" not in path.relative_to(root).parts
    }


# --- the edits ----------------------------------------------------------------------------

V2_RUFF_LINE = 'ignore = ["E501"]  # added by template v2'
V2_TEXT_SECTION = "\n## Added by template v2\n\nThis paragraph comes from template v2.\n"
V2_NEW_FILE = "NOTICE-v2.txt"
USER_DEPENDENCY = '    "numpy>=2",  # added by the user'
USER_PARAGRAPH = "Our own paragraph, written by the user after generating the project.\n"
USER_MODULE = '"""A model the user wrote."""\n\nimport torch\n\n\nclass Net(torch.nn.Module):\n    pass\n'


def make_v2_no_overlap(repo: Path) -> str:
    """v2 changes pyproject.toml's ruff settings, the end of a text file, and adds a file."""
    insert_after_template_line(repo / "template", r"select = \[.*\]", V2_RUFF_LINE + "\n")
    source, rendered = text_file(repo / "template")
    append_text(source, V2_TEXT_SECTION)
    (repo / "template" / V2_NEW_FILE).write_text("new in v2\n", encoding="utf-8")
    release(repo, V2)
    return rendered


def make_user_edits_no_overlap(project: Path, text_path: str) -> None:
    """Edits far from what v2 changes: a dependency, the text file's top, a new module."""
    insert_after_line(project / "pyproject.toml", r"dependencies = \[", USER_DEPENDENCY + "\n")
    text = project / text_path
    lines = read(text).splitlines(keepends=True)
    first = next(i for i, line in enumerate(lines) if line.strip())
    lines[first] = lines[first].rstrip("\n") + " (edited by the user)\n"
    lines.insert(first + 1, "\n" + USER_PARAGRAPH)
    text.write_text("".join(lines), encoding="utf-8")
    (project / "src" / PACKAGE / "model.py").write_text(USER_MODULE, encoding="utf-8")


# --- scenario A: no overlap ---------------------------------------------------------------


def test_update_keeps_user_edits_and_applies_template_changes(template_repo: Path, tmp_path: Path) -> None:
    """User edits that do not overlap v2's changes all survive; all of v2 arrives."""
    project = generate(template_repo, tmp_path / "project")
    text_path = make_v2_no_overlap(template_repo)
    make_user_edits_no_overlap(project, text_path)
    commit_all(project, "user edits")

    update(project)

    assert find_conflict_markers(project) == {}
    assert find_rej_files(project) == []
    assert answers(project)["_commit"] == V2
    # The exact expectation: a fresh v2 render with the same user edits applied. Anything
    # lost, duplicated or left over from v1 shows up as a difference.
    fresh = tmp_path / "fresh-v2"
    copier.run_copy(str(template_repo), fresh, data=DATA, defaults=True, unsafe=True, vcs_ref=V2, quiet=True)
    make_user_edits_no_overlap(fresh, text_path)
    assert tree(project) == tree(fresh)
    pyproject = read(project / "pyproject.toml")
    assert USER_DEPENDENCY in pyproject and V2_RUFF_LINE in pyproject
    text = read(project / text_path)
    assert USER_PARAGRAPH in text and "(edited by the user)" in text and V2_TEXT_SECTION in text
    assert read(project / "src" / PACKAGE / "model.py") == USER_MODULE
    # copier leaves the result uncommitted for review.
    assert git(project, "status", "--porcelain").strip()


def test_update_without_vcs_ref_takes_newest_tag_not_head(template_repo: Path, tmp_path: Path) -> None:
    """Why releases must be tagged: `copier update` goes to the newest PEP 440 tag and
    ignores commits after it (and a tag that is not PEP 440, such as `latest`)."""
    project = generate(template_repo, tmp_path / "project")
    make_v2_no_overlap(template_repo)
    (template_repo / "template" / "UNRELEASED.txt").write_text("not released\n", encoding="utf-8")
    commit_all(template_repo, "work after v2")
    git(template_repo, "tag", "latest")

    update(project, vcs_ref=None)

    assert answers(project)["_commit"] == V2
    assert (project / V2_NEW_FILE).is_file()
    assert not (project / "UNRELEASED.txt").exists()


# --- scenario B: the user and v2 edit the same lines ---------------------------------------

V2_DEV_LINE = '    "mypy>=1.13",  # added by template v2'
USER_DEV_LINE = '    "hypothesis>=6",  # added by the user'


def _conflicting_update(template_repo: Path, project: Path) -> None:
    insert_after_template_line(template_repo / "template", r"dev = \[", V2_DEV_LINE + "\n")
    release(template_repo, V2)
    insert_after_line(project / "pyproject.toml", r"dev = \[", USER_DEV_LINE + "\n")
    insert_after_line(project / "pyproject.toml", r"dependencies = \[", USER_DEPENDENCY + "\n")
    commit_all(project, "user edits")


def test_conflict_in_pyproject_is_marked_inline_and_loses_nothing(template_repo: Path, tmp_path: Path) -> None:
    project = generate(template_repo, tmp_path / "project")
    _conflicting_update(template_repo, project)

    # Through the CLI, to pin the exit status: copier reports success despite the conflict.
    process = subprocess.run(
        [sys.executable, "-m", "copier", "update", "--trust", "--defaults", "--vcs-ref", V2, str(project)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert process.returncode == 0, process.stderr

    conflicts = find_conflict_markers(project)
    assert list(conflicts) == ["pyproject.toml"]
    assert conflicts["pyproject.toml"][0] == CONFLICT_START
    assert conflicts["pyproject.toml"][-1] == CONFLICT_END
    pyproject = read(project / "pyproject.toml")
    # Both sides of the conflict are there, and the user's non-conflicting edit too.
    assert USER_DEV_LINE in pyproject and V2_DEV_LINE in pyproject
    assert USER_DEPENDENCY in pyproject
    user_side = pyproject.split(CONFLICT_START, 1)[1].split("=======", 1)[0]
    v2_side = pyproject.split("=======", 1)[1].split(CONFLICT_END, 1)[0]
    assert USER_DEV_LINE in user_side and V2_DEV_LINE in v2_side
    # copier records the conflict in git's index (status "UU"), so a plain `git commit`
    # refuses; but `git add` or `git commit -a` marks it resolved and commits the markers.
    assert "UU pyproject.toml" in git(project, "status", "--porcelain").splitlines()
    refused = subprocess.run(["git", "commit", "-m", "x"], cwd=project, capture_output=True, text=True, check=False)
    assert refused.returncode != 0 and "unmerged" in refused.stderr + refused.stdout
    # And nothing marks it as a merge in progress: pre-commit's check-merge-conflict hook
    # only looks for markers with --assume-in-merge.
    assert not (project / ".git" / "MERGE_HEAD").exists()
    assert answers(project)["_commit"] == V2


def test_conflict_rej_mode_writes_rej_files_instead_of_markers(template_repo: Path, tmp_path: Path) -> None:
    project = generate(template_repo, tmp_path / "project")
    _conflicting_update(template_repo, project)

    update(project, conflict="rej")

    assert find_conflict_markers(project) == {}
    assert find_rej_files(project) == ["pyproject.toml.rej"]
    pyproject = read(project / "pyproject.toml")
    rejected = read(project / "pyproject.toml.rej")
    # The file takes v2's side; the user's conflicting hunk waits in the .rej file.
    assert V2_DEV_LINE in pyproject and USER_DEV_LINE not in pyproject
    assert USER_DEV_LINE in rejected
    assert USER_DEPENDENCY in pyproject  # the hunk that applied cleanly is kept


# --- scenario C: v2 renames a choice -------------------------------------------------------

OLD_CI, NEW_CI = "gitlab", "gitlab-ci"

MIGRATION_SCRIPT = '''\
"""Template v2.0.0 renamed the `ci` choice `gitlab` to `gitlab-ci`: carry the answer over."""

import re
import sys
from pathlib import Path


answers = Path(sys.argv[1])
text = answers.read_text(encoding="utf-8")
answers.write_text(re.sub(r"(?m)^ci: gitlab$", "ci: gitlab-ci", text), encoding="utf-8")
'''

MIGRATION_ENTRY = """\
  # v2.0.0 renamed the `ci` choice gitlab -> gitlab-ci. `before`: the answers file must be
  # rewritten before copier re-asks the questions, or the old answer is already gone.
  - version: v2.0.0
    when: "{{ _stage == 'before' }}"
    command:
      - "{{ _copier_python }}"
      - "{{ _copier_conf.src_path }}/migrations/v2_rename_gitlab_ci.py"
      - "{{ _copier_conf.answers_file }}"
"""


def make_v2_renaming_ci_choice(repo: Path, *, with_migration: bool) -> None:
    copier_yml = repo / "copier.yml"
    # The choice's value, wherever its label is: `<label>: gitlab` inside the ci question.
    replace_once(copier_yml, rf"^(ci:\n(?:[ \t]+.*\n)*?[ \t]+[^\n]*: ){OLD_CI}$", rf"\g<1>{NEW_CI}")
    # Templates compare answers in Jinja, in contents and in file names: follow the rename.
    comparison = re.compile(rf"""(ci\s*==\s*)(['"]){OLD_CI}\2""")

    def rename(text: str) -> str:
        return comparison.sub(rf"\g<1>\g<2>{NEW_CI}\g<2>", text)

    for path in sorted((repo / "template").rglob("*"), key=lambda p: len(p.parts), reverse=True):
        if path.is_file() and rename(read(path)) != read(path):
            path.write_text(rename(read(path)), encoding="utf-8")
        if rename(path.name) != path.name:
            path.rename(path.with_name(rename(path.name)))
    if with_migration:
        (repo / "migrations").mkdir(exist_ok=True)
        (repo / "migrations" / "v2_rename_gitlab_ci.py").write_text(MIGRATION_SCRIPT, encoding="utf-8")
        text = read(copier_yml)
        if re.search(r"(?m)^_migrations:\n", text):
            replace_once(copier_yml, r"^_migrations:\n", lambda m: m.group(0) + MIGRATION_ENTRY)
        else:
            append_text(copier_yml, "\n_migrations:\n" + MIGRATION_ENTRY)
    config = yaml.safe_load(read(copier_yml))
    choices = config["ci"]["choices"]
    values = list(choices.values()) if isinstance(choices, dict) else choices
    assert NEW_CI in values and OLD_CI not in values
    if with_migration:
        assert any(m.get("version") == V2 for m in config["_migrations"] if isinstance(m, dict))
    release(repo, V2)


def test_renamed_choice_is_carried_over_by_migration(template_repo: Path, tmp_path: Path) -> None:
    project = generate(template_repo, tmp_path / "project", {"ci": OLD_CI})
    assert answers(project)["ci"] == OLD_CI
    make_v2_renaming_ci_choice(template_repo, with_migration=True)

    update(project)

    assert answers(project)["ci"] == NEW_CI
    assert answers(project)["_commit"] == V2
    assert find_conflict_markers(project) == {}
    # v2 only renamed the choice: for this project the update changes nothing but the answers.
    assert git(project, "status", "--porcelain", "--untracked-files=all").splitlines() == [" M .copier-answers.yml"]


def test_renamed_choice_without_migration_silently_becomes_the_default(template_repo: Path, tmp_path: Path) -> None:
    """The danger the migration rule exists for: `update --defaults` drops an answer whose
    choice disappeared and takes the question's default, with no error and no warning."""
    project = generate(template_repo, tmp_path / "project", {"ci": OLD_CI})
    make_v2_renaming_ci_choice(template_repo, with_migration=False)
    default = yaml.safe_load(read(template_repo / "copier.yml"))["ci"]["default"]
    assert default not in (OLD_CI, NEW_CI)

    had_gitlab_ci = (project / ".gitlab-ci.yml").is_file()

    worker = update(project)

    assert answers(project)["ci"] == default
    assert worker.answers.combined["ci"] == default
    # And what was rendered for the old answer goes with it, again without a word: the
    # project loses its GitLab pipeline (when the template has one) and gets the default's.
    if had_gitlab_ci:
        changes = git(project, "status", "--porcelain", "--untracked-files=all").splitlines()
        assert " D .gitlab-ci.yml" in changes, changes


def test_multiselect_answer_losing_one_choice_is_reset_entirely_to_the_default(tmp_path: Path) -> None:
    """Same rule for multiselect questions (platforms, torch_packages, accelerators): when one
    selected choice disappears, copier does not drop just that item, it discards the whole
    answer and `update --defaults` takes the default list. A tiny template pins it down."""
    template = tmp_path / "tiny-template"
    template.mkdir()
    question = "items:\n  type: str\n  multiselect: true\n  default: '[\"a\"]'\n  choices: {choices}\n"
    (template / "copier.yml").write_text(question.format(choices="[a, b, c]"), encoding="utf-8")
    (template / "{{_copier_conf.answers_file}}.jinja").write_text(
        "{{ _copier_answers|to_nice_yaml }}", encoding="utf-8"
    )
    init_repo(template)
    release(template, V1)
    project = tmp_path / "project"
    copier.run_copy(str(template), project, data={"items": ["b", "c"]}, defaults=True, quiet=True)
    init_repo(project)
    commit_all(project, "generated")
    (template / "copier.yml").write_text(question.format(choices="[a, b]"), encoding="utf-8")
    release(template, V2)

    update(project)

    assert answers(project)["items"] == ["a"]  # not ["b"]: the still-valid "b" is lost too


# --- template changes outside template/: extensions/ ---------------------------------------


def test_update_renders_with_the_new_versions_facts(template_repo: Path, tmp_path: Path) -> None:
    """A change to extensions/pytorch_facts.toml reaches updated projects like a fresh copy.

    Through the CLI (one process per command, as users run it): in-process, whatever
    imported pytorch_facts first would decide which facts every later render sees."""

    def cli(*args: str) -> None:
        process = subprocess.run(
            [sys.executable, "-m", "copier", *args], capture_output=True, text=True, env=own_facts_env(), check=False
        )
        assert process.returncode == 0, process.stderr

    data = [f"--data={key}={value}" for key, value in DATA.items()]
    project = tmp_path / "project"
    cli("copy", "--trust", "--defaults", *data, "--vcs-ref", V1, str(template_repo), str(project))
    init_repo(project)
    commit_all(project, "generated")
    variant = answers(project)["accelerator"]  # the build the project's pyproject.toml names
    facts = template_repo / "extensions" / "pytorch_facts.toml"
    edit_file(facts, lambda document: relabel_variant(document, variant, " (relabelled in v2)"))
    release(template_repo, V2)
    fresh = tmp_path / "fresh-v2"
    cli("copy", "--trust", "--defaults", *data, "--vcs-ref", V2, str(template_repo), str(fresh))
    assert "(relabelled in v2)" in read(fresh / "pyproject.toml")

    cli("update", "--trust", "--defaults", "--vcs-ref", V2, str(project))

    # copier update renders the old version first in the same process: the extension must not
    # render v2 with v1's cached modules and facts (jinja_extension.py drops them).
    assert "(relabelled in v2)" in read(project / "pyproject.toml")
    assert read(project / "pyproject.toml") == read(fresh / "pyproject.toml")


# --- workspaces: members are rendered from one directory per member ------------------------


def test_update_adds_a_workspace_member_and_keeps_the_existing_ones(
    template_repo: Path, tmp_path: Path, capfd: pytest.CaptureFixture
) -> None:
    """What the generated README promises: `copier update --data workspace_members=[...]`
    creates the new member, wires it into the root, and keeps the edits in an existing one
    (nor claims to create it: a task once printed "created packages/core" twice, from
    copier's scratch renders)."""
    data = {"layout": "virtual-workspace", "workspace_members": ["core"]}
    project = generate(template_repo, tmp_path / "project", data)
    core_init = project / "packages/core/src/core/__init__.py"
    core_init.write_text(read(core_init) + "USER_CONSTANT = 42\n", encoding="utf-8")
    git(project, "commit", "--quiet", "--all", "-m", "edit the core member")
    git(template_repo, "tag", V2)  # the same template: only the answer changes

    capfd.readouterr()
    update(project, data={"workspace_members": ["core", "serve"]})

    assert "created packages/core" not in capfd.readouterr().out
    assert "USER_CONSTANT = 42" in read(core_init)
    assert (project / "packages/serve/src/serve/__init__.py").is_file()
    serve = tomllib.loads(read(project / "packages/serve/pyproject.toml"))
    assert serve["project"]["dependencies"] == ["torch", "pin-pytorch"]
    root_sources = tomllib.loads(read(project / "pyproject.toml"))["tool"]["uv"]["sources"]
    assert root_sources["serve"] == {"workspace": True}
    assert answers(project)["workspace_members"] == ["core", "serve"]
    assert not find_conflict_markers(project)


V2_MEMBER_LINE = "# added by template v2 to every member's tests\n"


def test_update_brings_template_changes_into_existing_members(template_repo: Path, tmp_path: Path) -> None:
    """A member is template output like any other file: v2's change to the member template
    reaches packages/core, merged with the user's edit there. (Members were once made by a
    task that skipped existing ones: an update never reached them, and a project updated from
    a release differed from a fresh render of the same answers.)"""
    data = {"layout": "workspace", "workspace_members": ["core"]}
    project = generate(template_repo, tmp_path / "project", data)
    core_init = project / "packages/core/src/core/__init__.py"
    core_init.write_text(read(core_init) + "USER_CONSTANT = 42\n", encoding="utf-8")
    commit_all(project, "edit the core member")
    member_tests = [
        path for path in (template_repo / "template").rglob("*.jinja") if "member" in path.parent.parent.name
    ]
    assert len(member_tests) == 1 and member_tests[0].parent.name == "tests", member_tests
    append_text(member_tests[0], V2_MEMBER_LINE)
    release(template_repo, V2)

    update(project)

    assert not find_conflict_markers(project)
    assert read(project / "packages/core/tests/test_core.py").endswith(V2_MEMBER_LINE)
    assert "USER_CONSTANT = 42" in read(core_init)
