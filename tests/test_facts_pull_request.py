"""The scheduled facts refresh's script, `tools/facts_pull_request.py`, run for real.

A local repository holds this repository's facts file and CHANGELOG.md on `main`, with a bare
repository as its `origin`; the facts tool refreshes the file against the index replica, whose
test channel serves the synthetic next release (tests/facts_edits.py), and the script commits,
pushes and writes the pull request's body as the workflow runs it. Only opening the pull request
(`gh pr create|edit`) is left to the workflow. What is asserted is the pushed branch, its
CHANGELOG.md entry and the body.
"""

from __future__ import annotations

import contextlib
import shutil
from pathlib import Path

import pytest
import tomlkit
from facts_edits import edit_file, next_release_channel
from index_replica import ReplicaServer, build_replica
from pytorch_facts import FACTS_FILE, load_facts, read_facts
from template_versions import commit_all, git, init_repo

from tools import facts_pull_request
from tools.facts import main as facts_main

REPO = Path(__file__).resolve().parents[1]
FACTS = load_facts()
FACTS_PATH = facts_pull_request.FACTS_PATH
BRANCH = facts_pull_request.BRANCH


pytestmark = pytest.mark.usefixtures("isolated_git")


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """A clone of `main` (the facts file and CHANGELOG.md) whose `origin` is a bare repository."""
    origin, work = tmp_path / "origin.git", tmp_path / "work"
    seed = tmp_path / "seed"
    (seed / "extensions").mkdir(parents=True)
    shutil.copyfile(FACTS_FILE, seed / FACTS_PATH)
    shutil.copyfile(REPO / "CHANGELOG.md", seed / "CHANGELOG.md")
    init_repo(seed)
    commit_all(seed, "main")
    git(tmp_path, "clone", "--quiet", "--bare", str(seed), str(origin))
    git(tmp_path, "clone", "--quiet", str(origin), str(work))
    return work


@pytest.fixture(scope="module")
def test_channel(tmp_path_factory: pytest.TempPathFactory):
    """The replica: today's stable indexes, the synthetic next release on the test channel:
    (base URL, that release, its new variant)."""
    directory = tmp_path_factory.mktemp("channel")
    test, next_release = next_release_channel(directory)
    with ReplicaServer(build_replica(directory / "whl", test=test)) as server:
        yield server.base_url, test.newest, next_release.new_variant


def run(checkout: Path, tmp_path: Path, *reports: Path) -> tuple[dict[str, str], str]:
    """The script as the workflow runs it: (its outputs, the body it wrote)."""
    body, outputs = tmp_path / "body.md", tmp_path / "github-output"
    outputs.write_text("", encoding="utf-8")
    arguments = ["--repo", str(checkout), "--push", "origin", "--body-file", str(body), "--github-output", str(outputs)]
    arguments += [item for report in reports for item in ("--check-report", str(report))]
    assert facts_pull_request.main(arguments) == 0
    written = dict(line.split("=", 1) for line in outputs.read_text(encoding="utf-8").splitlines())
    return written, body.read_text(encoding="utf-8") if body.exists() else ""


def pushed(checkout: Path, path: str) -> str:
    return git(checkout, "show", f"origin/{BRANCH}:{path}")


def unreleased(changelog: str) -> str:
    return changelog.split("## Unreleased\n", 1)[1].split("\n## ", 1)[0]


def test_unchanged_facts_propose_nothing(checkout: Path, tmp_path: Path) -> None:
    outputs, body = run(checkout, tmp_path)
    assert outputs == {"changed": "false"} and not body
    assert BRANCH not in git(checkout, "ls-remote", "--heads", "origin")


def test_a_release_candidate_becomes_one_pull_request(checkout: Path, tmp_path: Path, test_channel) -> None:
    base, candidate, new_variant = test_channel
    facts_file = checkout / FACTS_PATH
    assert facts_main(["refresh", "--channel", "test", "--index-url", base, "--facts", str(facts_file)]) == 0
    report = tmp_path / "check-test.txt"
    with report.open("w", encoding="utf-8") as output, contextlib.redirect_stdout(output):
        assert facts_main(["check", "--channel", "test", "--index-url", base, "--facts", str(facts_file)]) == 1
    outputs, body = run(checkout, tmp_path, report)

    assert outputs == {
        "changed": "true",
        "branch": BRANCH,
        "title": f"Facts: torch {candidate.torch} release candidate on the test channel",
    }
    # One commit on top of main, with the facts and CHANGELOG.md only.
    git(checkout, "fetch", "--quiet", "origin")
    assert git(checkout, "rev-list", "--count", f"origin/main..origin/{BRANCH}").strip() == "1"
    changed = git(checkout, "diff", "--name-only", f"origin/main..origin/{BRANCH}").split()
    assert sorted(changed) == ["CHANGELOG.md", FACTS_PATH]
    assert read_facts(facts_file).candidates[0].torch == candidate.torch

    changelog = pushed(checkout, "CHANGELOG.md")
    before = (REPO / "CHANGELOG.md").read_text(encoding="utf-8")
    entry = unreleased(changelog)
    assert entry.startswith("\n### Generated projects\n\n- PyTorch facts refreshed from the registries")
    rows = entry.splitlines()
    start = rows.index(next(row for row in rows if row.startswith("- PyTorch facts refreshed")))
    end = next(i for i in range(start + 1, len(rows)) if rows[i].startswith("- "))
    # Wrapped as the file is, and the entries already there are kept, after it.
    assert all(len(row) <= facts_pull_request.WIDTH for row in rows[start:end])
    assert rows[:start] + rows[end:] == unreleased(before).splitlines()
    variants = ", ".join(f"`{v}`" for v in candidate.variants if v in FACTS.variants)
    line = (
        f"torch {candidate.torch} is on the PyTorch test channel: recorded as a release candidate"
        f" (builds {variants}; Python {candidate.python[0]}–{candidate.python[-1]}), not offered until PyPI"
        " publishes it"
    )
    assert f"- {line}." in " ".join(" ".join(rows[start:end]).split()), entry
    assert changelog.split("\n## v", 1)[1] == before.split("\n## v", 1)[1]  # released entries untouched
    assert entry.count("### Answers") == unreleased(before).count("### Answers")  # the default did not move

    assert f"- {line}" in body
    assert "## Facts diff" in body and "+candidate = true" in body
    # The variant the probes found, for the maintainer to add.
    left = body.split("## Left for a maintainer", 1)[1].split("## CHANGELOG.md entry", 1)[0]
    assert f"differs      {new_variant} index (not in the file) (PyTorch test channel)" in left
    assert body.split("```diff\n", 1)[1].startswith("diff --git a/extensions/pytorch_facts.toml")


def test_the_next_run_replaces_the_branch_and_promotes_the_candidate(
    checkout: Path, tmp_path: Path, test_channel
) -> None:
    base, candidate, _ = test_channel
    facts_file = checkout / FACTS_PATH
    assert facts_main(["refresh", "--channel", "test", "--index-url", base, "--facts", str(facts_file)]) == 0
    run(checkout, tmp_path)
    # Main takes the candidate; PyPI then publishes it (what `refresh` writes, edited here).
    git(checkout, "push", "--quiet", "origin", f"{BRANCH}:main")
    git(checkout, "switch", "--quiet", "--detach", "origin/main")

    def publish(document) -> None:
        table = document["releases"][0]
        del table["candidate"]
        table["unconfirmed"] = tomlkit.array()

    edit_file(facts_file, publish)
    outputs, body = run(checkout, tmp_path)

    assert outputs["title"] == f"Facts: torch {candidate.torch} released"
    git(checkout, "fetch", "--quiet", "origin")
    assert git(checkout, "rev-list", "--count", f"origin/main..origin/{BRANCH}").strip() == "1"
    entry = " ".join(unreleased(pushed(checkout, "CHANGELOG.md")).split())
    offered = f"- torch {candidate.minor} ({candidate.torch}, PyPI published its release candidate): offered as"
    assert f"{offered} `torch_min`, and the default for new projects;" in entry
    answers = entry.split("### Answers ", 1)[1]
    assert answers.startswith(f"- Carry over unchanged; `torch_min` defaults to {candidate.minor} for new projects")
    assert any(line.startswith(offered) for line in body.splitlines())
