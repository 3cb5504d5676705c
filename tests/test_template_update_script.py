"""The generated update job's script, `.template-update/update.py`, run for real.

A local template repository (this template's files) gets two releases, v1.0.0 and v2.0.0,
and a CHANGELOG.md; a project generated at v1.0.0 runs the script the way its CI job does.
The pull-request step is the only thing not run: on GitHub an action commits the working
tree to the `template-update` branch (emulated here with git, to check the branch's diff),
on GitLab the script itself pushes (to a local bare repository) and calls the merge-request
API (a stub server on 127.0.0.1 records the calls). What is asserted is the branch content,
the pull-request title and body, and that conflicts fail the job instead of being proposed.
Truth for copier, git and the script; the GitHub action and GitLab's API are stand-ins.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import copier
import pytest
import yaml
from template_versions import (
    append_text,
    commit_all,
    find_conflict_markers,
    git,
    init_repo,
    release,
    snapshot_template,
)

# Neither the developer's copier settings nor their git configuration leak in.
pytestmark = pytest.mark.usefixtures("isolated_git")

SCRIPT = ".template-update/update.py"
V1, V2 = "v1.0.0", "v2.0.0"
DATA = {"project_name": "Fleet Member", "description": "One of many projects."}
V2_SECTION = "\n## Added by template v2\n\nThis paragraph comes from template v2.\n"
V2_NOTICE = "NOTICE-v2.txt"
CHANGELOG_V1 = "## v1.0.0 — commit {v1}\n\n### Generated projects\n\n- The first release.\n"
CHANGELOG_V2 = (
    "## v2.0.0 — commit {v2}\n\n### Generated projects\n\n- README gains a section; new NOTICE-v2.txt.\n\n"
    "### Answers\n\n- Carry over unchanged.\n"
)


@pytest.fixture
def two_releases(tmp_path: Path) -> Path:
    """This template as a repository with v1.0.0 and v2.0.0 tagged, and a CHANGELOG.md on
    its default branch recording both (written after the tags, as the release procedure does)."""
    repo = snapshot_template(tmp_path / "template-repo")
    release(repo, V1)
    append_text(repo / "template" / "README.md.jinja", V2_SECTION)
    (repo / "template" / V2_NOTICE).write_text("new in v2\n", encoding="utf-8")
    release(repo, V2)
    commits = {tag: git(repo, "rev-parse", tag).strip() for tag in (V1, V2)}
    changelog = "# Changelog\n\n" + CHANGELOG_V2.format(v2=commits[V2]) + "\n" + CHANGELOG_V1.format(v1=commits[V1])
    (repo / "CHANGELOG.md").write_text(changelog, encoding="utf-8")
    commit_all(repo, "CHANGELOG.md: record v1.0.0 and v2.0.0")
    return repo


def generate(template: Path, dst: Path, **data) -> Path:
    copier.run_copy(str(template), dst, data={**DATA, **data}, defaults=True, unsafe=True, vcs_ref=V1, quiet=True)
    init_repo(dst)
    commit_all(dst, "generated from the template")
    return dst


def run_script(project: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """The CI job's command; copier from this test environment instead of `uvx` (same copier
    and copier-template-extensions as the suite, no download)."""
    environment = {**os.environ, "TEMPLATE_UPDATE_COPIER": f'"{sys.executable}" -m copier', **(env or {})}
    return subprocess.run(
        [sys.executable, SCRIPT, *args], cwd=project, capture_output=True, text=True, env=environment, timeout=600
    )


def outputs(path: Path) -> dict[str, str]:
    return dict(line.split("=", 1) for line in path.read_text(encoding="utf-8").splitlines())


def branch_diff(project: Path, base: str = "main", branch: str = "template-update") -> tuple[list[str], str]:
    names = git(project, "diff", "--name-only", base, branch).split()
    return names, git(project, "diff", base, branch)


def test_update_script_proposes_exactly_the_new_release(two_releases: Path, tmp_path: Path) -> None:
    project = generate(two_releases, tmp_path / "project", ci="github")
    assert (project / SCRIPT).is_file()
    github_output = tmp_path / "github-output"

    done = run_script(project, "--github-output", str(github_output), "--out", str(tmp_path / "pr"))

    assert done.returncode == 0, done.stdout + done.stderr
    out = outputs(github_output)
    assert (out["updated"], out["old"], out["new"]) == ("true", V1, V2)
    assert out["title"] == f"Update the project template to {V2} (from {V1})"
    body = Path(out["body-path"]).read_text(encoding="utf-8")
    assert f"from template **{V1}** to **{V2}**" in body
    # The CHANGELOG entries after v1 up to v2: v2's, its subheadings one level down; not v1's.
    assert "### v2.0.0\n\n#### Generated projects\n\n- README gains a section; new NOTICE-v2.txt." in body
    assert "#### Answers\n\n- Carry over unchanged." in body
    assert "The first release." not in body

    # What peter-evans/create-pull-request does with the working tree: one commit on the branch.
    git(project, "checkout", "--quiet", "-b", "template-update")
    commit_all(project, out["title"])
    names, diff = branch_diff(project)
    assert names == [".copier-answers.yml", V2_NOTICE, "README.md"]
    assert f"-_commit: {V1}\n+_commit: {V2}" in diff
    assert "+## Added by template v2" in diff
    # The branch is a fresh v2 render of the same answers, nothing more, nothing less.
    fresh = tmp_path / "fresh-v2"
    copier.run_copy(
        str(two_releases), fresh, data={**DATA, "ci": "github"}, defaults=True, unsafe=True, vcs_ref=V2, quiet=True
    )
    for name in names:
        assert (project / name).read_text(encoding="utf-8") == (fresh / name).read_text(encoding="utf-8"), name
    print(f"\n--- update PR branch diff (main..template-update) ---\n{diff}--- PR body ---\n{body}")

    # Once merged, the next scheduled run has nothing to propose.
    git(project, "checkout", "--quiet", "main")
    git(project, "merge", "--quiet", "--ff-only", "template-update")
    github_output.unlink()
    again = run_script(project, "--github-output", str(github_output))
    assert again.returncode == 0, again.stderr
    assert outputs(github_output) == {"updated": "false", "old": V2, "new": V2}
    assert git(project, "status", "--porcelain").strip() == ""


def test_update_script_fails_on_conflicts_instead_of_proposing_them(two_releases: Path, tmp_path: Path) -> None:
    project = generate(two_releases, tmp_path / "project", ci="github")
    # The user rewrote the end of the README, where v2 appends its section.
    append_text(project / "README.md", "\n## Our own closing section\n\nWritten by the user.\n")
    commit_all(project, "user edits the README's end")
    github_output = tmp_path / "github-output"

    done = run_script(project, "--github-output", str(github_output))

    assert done.returncode == 1
    assert "copier update left conflicts" in done.stdout and "  README.md" in done.stdout
    assert list(find_conflict_markers(project)) == ["README.md"]
    assert not github_output.exists()  # no outputs: the pull-request step does not run


class _GitLabStub(BaseHTTPRequestHandler):
    """The two merge-request endpoints the script calls, recording every request."""

    calls: list[tuple[str, str, dict | None, str | None]] = []
    existing: list[dict] = []

    def _reply(self, payload) -> None:
        data = json.dumps(payload).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _record(self) -> dict | None:
        length = int(self.headers.get("Content-Length") or 0)
        body = json.loads(self.rfile.read(length)) if length else None
        self.calls.append((self.command, self.path, body, self.headers.get("PRIVATE-TOKEN")))
        return body

    def do_GET(self) -> None:
        self._record()
        self._reply(self.existing)

    def do_POST(self) -> None:
        body = self._record()
        type(self).existing = [{"iid": 7, **(body or {})}]
        self._reply({"iid": 7, "web_url": "http://127.0.0.1/mr/7"})

    def do_PUT(self) -> None:
        self._record()
        self._reply({"iid": 7, "web_url": "http://127.0.0.1/mr/7"})

    def log_message(self, *args) -> None:
        pass


def test_update_script_pushes_the_branch_and_opens_then_refreshes_one_merge_request(
    two_releases: Path, tmp_path: Path
) -> None:
    project = generate(two_releases, tmp_path / "project", ci="gitlab")
    gitlab_ci = yaml.safe_load((project / ".gitlab-ci.yml").read_text(encoding="utf-8"))
    assert gitlab_ci["template-update"]["script"] == [f"uv run {SCRIPT} --gitlab"]
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "--quiet", "--bare", str(remote))
    git(project, "push", "--quiet", str(remote), "main")
    _GitLabStub.calls, _GitLabStub.existing = [], []
    server = ThreadingHTTPServer(("127.0.0.1", 0), _GitLabStub)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    env = {
        "TEMPLATE_UPDATE_TOKEN": "glpat-test-token",
        "TEMPLATE_UPDATE_PUSH_URL": str(remote),
        "CI_API_V4_URL": f"http://127.0.0.1:{server.server_port}/api/v4",
        "CI_PROJECT_ID": "42",
        "CI_DEFAULT_BRANCH": "main",
    }
    try:
        first = run_script(project, "--gitlab", env=env)
        assert first.returncode == 0, first.stdout + first.stderr
        # A second run (say, the template published a fix meanwhile) refreshes the same request.
        git(project, "checkout", "--quiet", "main")
        git(project, "reset", "--quiet", "--hard", "main")
        second = run_script(project, "--gitlab", env=env)
        assert second.returncode == 0, second.stdout + second.stderr
    finally:
        server.shutdown()

    api = "/api/v4/projects/42/merge_requests"
    methods = [(method, path.split("?")[0]) for method, path, _, _ in _GitLabStub.calls]
    assert methods == [("GET", api), ("POST", api), ("GET", api), ("PUT", f"{api}/7")]
    assert all(token == "glpat-test-token" for *_, token in _GitLabStub.calls)
    assert "source_branch=template-update" in _GitLabStub.calls[0][1]
    created = _GitLabStub.calls[1][2]
    assert created["source_branch"] == "template-update" and created["target_branch"] == "main"
    assert created["title"] == f"Update the project template to {V2} (from {V1})"
    assert "### v2.0.0" in created["description"]
    assert _GitLabStub.calls[3][2]["description"] == created["description"]
    # The pushed branch holds the update, one commit on top of main.
    names = git(remote, "diff", "--name-only", "main", "template-update").split()
    assert names == [".copier-answers.yml", V2_NOTICE, "README.md"]
    assert git(remote, "rev-list", "--count", "main..template-update").strip() == "1"


def test_update_script_without_a_token_says_which_variable_is_missing(two_releases: Path, tmp_path: Path) -> None:
    project = generate(two_releases, tmp_path / "project", ci="gitlab")
    done = run_script(project, "--gitlab", env={"TEMPLATE_UPDATE_TOKEN": ""})
    assert done.returncode == 1
    assert "TEMPLATE_UPDATE_TOKEN is not set" in done.stderr
