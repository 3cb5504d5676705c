"""The template repository's own workflows, and the fleet-update files projects get.

- `.github/workflows/` at the repository root (the template's CI, not rendered into projects)
  passes check-jsonschema's GitHub workflow schema, pins every action to a full commit SHA
  with its version in a comment, keeps `permissions` minimal and credentials unpersisted;
- `update_workflow` adds the scheduled update job to the generated CI (GitHub workflow or
  GitLab job, both valid for their schema), the script they run, and nothing when declined;
- the validators really reject broken files (so a pass means something).
Truth for the file formats (the validators' bundled schemas and rules); consistency otherwise.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from validators import (
    GITHUB_WORKFLOWS,
    GITLAB_CI,
    assert_valid,
    hadolint_errors,
    pre_commit_errors,
    pyproject_errors,
    schema_errors,
    zizmor_errors,
)

REPO_ROOT = Path(__file__).resolve().parent.parent
OWN_WORKFLOWS = sorted((REPO_ROOT / ".github" / "workflows").glob("*.yml"))
UPDATE_SCRIPT = ".template-update/update.py"
# `uses: owner/repo@<40 hex>  # v1.2.3`: immutable, and still readable.
PINNED = re.compile(r"^\s*(?:- )?uses: ([\w.-]+/[\w./-]+)@([0-9a-f]{40})\s+# v\d+(?:\.\d+){2}$")


def load(path: Path) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def steps_of(workflow: dict) -> list[dict]:
    return [step for job in workflow["jobs"].values() for step in job.get("steps", [])]


def check_pinned_and_minimal(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    uses = [line for line in text.splitlines() if re.match(r"^\s*(?:- )?uses:", line)]
    assert uses, f"{path.name} uses no action"
    for line in uses:
        assert PINNED.match(line), f"{path.name}: not pinned to a release's full SHA with its version: {line.strip()}"
    workflow = load(path)
    assert workflow["permissions"] == {"contents": "read"}, f"{path.name}: top-level permissions must be read-only"
    for step in steps_of(workflow):
        if step.get("uses", "").startswith("actions/checkout@"):
            assert step["with"]["persist-credentials"] is False, f"{path.name}: checkout persists the token"


# --- the template's own CI -----------------------------------------------------------------


def test_the_repositorys_own_workflows_are_valid_pinned_and_minimal() -> None:
    assert {p.name for p in OWN_WORKFLOWS} == {"tests.yml", "live-index.yml", "facts-refresh.yml"}
    assert not (errors := schema_errors(GITHUB_WORKFLOWS, *OWN_WORKFLOWS)), errors
    for path in OWN_WORKFLOWS:
        check_pinned_and_minimal(path)


def test_push_and_pull_requests_run_the_suite_and_real_installs_on_windows_and_macos() -> None:
    workflow = load(REPO_ROOT / ".github/workflows/tests.yml")
    assert {"push", "pull_request"} <= set(workflow[True])  # YAML 1.1 reads the key `on` as True
    suite, install = workflow["jobs"]["suite"], workflow["jobs"]["install"]
    assert suite["runs-on"] == "ubuntu-latest"
    assert [s["run"] for s in suite["steps"] if "run" in s] == ["bash .ci/run"]
    assert next(s for s in suite["steps"] if "checkout" in s.get("uses", ""))["with"]["fetch-depth"] == 0
    assert install["strategy"]["matrix"]["os"] == ["windows-latest", "macos-latest"]
    runs = "\n".join(s.get("run", "") for s in install["steps"])
    assert "copy --trust --defaults --vcs-ref HEAD" in runs and "--data accelerator=cpu" in runs
    for command in ("uv sync --locked", "uv run --no-sync pytest", "uv run --no-sync ci-demo-doctor"):
        assert command in runs


def test_the_weekly_live_job_checks_facts_and_locks_and_reports_an_issue() -> None:
    workflow = load(REPO_ROOT / ".github/workflows/live-index.yml")
    assert [entry["cron"] for entry in workflow[True]["schedule"]]
    runs = [s.get("run", "") for s in workflow["jobs"]["live"]["steps"]]
    assert "uv run python -m tools.facts check --require-reachable" in runs
    assert "uv run pytest --live-index -m lock" in runs
    report = workflow["jobs"]["report"]
    assert report["needs"] == "live" and report["if"] == "failure()"
    assert report["permissions"] == {"issues": "write"}
    script = report["steps"][0]["run"]
    assert "gh issue list --state open" in script and "gh issue comment" in script and "gh issue create" in script


def test_the_repositorys_github_directory_is_not_rendered(copie) -> None:
    for ci, expected in (("github", {"ci.yml", "template-update.yml"}), ("none", set())):
        result = copie.copy(extra_answers={"ci": ci})
        assert result.exit_code == 0, result.exception
        workflows = result.project_dir / ".github" / "workflows"
        assert {p.name for p in workflows.glob("*")} == expected
        assert not (result.project_dir / "tests.yml").exists() and not (result.project_dir / ".ci").exists()


# --- update_workflow ------------------------------------------------------------------------


@pytest.mark.parametrize("ci", ["github", "gitlab"])
@pytest.mark.parametrize("update_workflow", [True, False], ids=["update", "no-update"])
def test_update_workflow_adds_the_scheduled_update_job(copie, ci: str, update_workflow: bool) -> None:
    result = copie.copy(extra_answers={"ci": ci, "update_workflow": update_workflow, "docker": True})
    assert result.exit_code == 0, result.exception
    project = result.project_dir
    assert_valid(project)
    assert (project / UPDATE_SCRIPT).is_file() == update_workflow
    workflow = project / ".github/workflows/template-update.yml"
    assert workflow.is_file() == (update_workflow and ci == "github")
    if ci == "gitlab":
        jobs = load(project / ".gitlab-ci.yml")
        assert ("template-update" in jobs) == update_workflow
        if update_workflow:
            job = jobs["template-update"]
            assert job["script"] == [f"uv run {UPDATE_SCRIPT} --gitlab"]
            assert job["rules"] == [{"if": '$CI_PIPELINE_SOURCE == "schedule" && $TEMPLATE_UPDATE == "true"'}]
            assert "TEMPLATE_UPDATE_TOKEN" in (project / "README.md").read_text(encoding="utf-8")
    elif update_workflow:
        check_pinned_and_minimal(workflow)
        update = load(workflow)
        assert update[True]["schedule"] and "workflow_dispatch" in update[True]
        job = update["jobs"]["update"]
        assert job["permissions"] == {"contents": "write", "pull-requests": "write"}
        steps = {step.get("id") or step.get("uses", "").split("@")[0]: step for step in job["steps"]}
        assert steps["update"]["run"].startswith(f"uv run {UPDATE_SCRIPT} --github-output")
        pr = steps["peter-evans/create-pull-request"]
        assert pr["if"] == "steps.update.outputs.updated == 'true'"
        assert pr["with"]["branch"] == "template-update"
        assert pr["with"]["body-path"] == "${{ steps.update.outputs.body-path }}"


def test_update_workflow_is_not_asked_without_ci(copie) -> None:
    result = copie.copy(extra_answers={"ci": "none"})
    assert result.exit_code == 0, result.exception
    answers = load(result.project_dir / ".copier-answers.yml")
    assert answers.get("update_workflow", False) is False
    assert not (result.project_dir / UPDATE_SCRIPT).exists()


# --- the validators reject what is broken ---------------------------------------------------


def test_the_validators_reject_broken_files(tmp_path: Path) -> None:
    workflow = tmp_path / "workflow.yml"
    workflow.write_text("on: push\njobs:\n  test:\n    steps:\n      - run: true\n", encoding="utf-8")
    assert "runs-on" in schema_errors(GITHUB_WORKFLOWS, workflow)
    gitlab = tmp_path / ".gitlab-ci.yml"
    gitlab.write_text("test:\n  script: 5\n", encoding="utf-8")
    assert schema_errors(GITLAB_CI, gitlab)
    config = tmp_path / ".pre-commit-config.yaml"
    config.write_text("repos:\n  - repo: https://example.invalid/hooks\n    hooks:\n      - id: x\n", encoding="utf-8")
    assert "rev" in pre_commit_errors(config)
    dockerfile = tmp_path / "Dockerfile"
    dockerfile.write_text("FROM python\nUSER root\n", encoding="utf-8")
    errors = hadolint_errors(dockerfile)
    assert "DL3006" in errors and "DL3002" in errors  # untagged base image; ends as root
    # A tag instead of a commit, a token left in .git/config, an expression pasted into a script.
    unsafe = tmp_path / ".github" / "workflows" / "unsafe.yml"
    unsafe.parent.mkdir(parents=True)
    unsafe.write_text(
        "on: pull_request\npermissions:\n  contents: read\njobs:\n  test:\n    runs-on: ubuntu-latest\n"
        "    steps:\n      - uses: actions/checkout@v5\n      - run: echo ${{ github.head_ref }}\n",
        encoding="utf-8",
    )
    errors = zizmor_errors(unsafe)
    assert all(f"[{audit}]" in errors for audit in ("unpinned-uses", "artipacked", "template-injection")), errors
    # A licence expression with a dangling operator (PEP 639), a name that is no distribution
    # name: each file reported, the valid one not.
    valid, licence, name = (tmp_path / f"{stem}.toml" for stem in ("valid", "licence", "name"))
    valid.write_text('[project]\nname = "demo"\nversion = "1.0"\nlicense = "MIT"\n', encoding="utf-8")
    licence.write_text('[project]\nname = "demo"\nversion = "1.0"\nlicense = "MIT AND"\n', encoding="utf-8")
    name.write_text('[project]\nname = "no spaces"\nversion = "1.0"\n', encoding="utf-8")
    errors = pyproject_errors(valid, licence, name)
    assert str(valid) not in errors and "project.license" in errors and "project.name" in errors, errors
