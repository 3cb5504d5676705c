"""The template's releases: git tags `vX.Y.Z`, each recorded in CHANGELOG.md with its commit.

Tags do not travel with every clone (`git clone --no-tags`, CI checkouts), so a test that
needs the newest release takes it from the tag when the clone has it and otherwise from the
commit CHANGELOG.md records; the commit itself is in the history either way.
"""

from __future__ import annotations

import re
import subprocess
import tarfile
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path

from packaging.version import InvalidVersion, Version

REPO_ROOT = Path(__file__).resolve().parent.parent
CHANGELOG = "CHANGELOG.md"

# `## v0.1.0 — commit <40 hex digits>`: the heading of a release entry.
_RELEASE_HEADING = re.compile(r"^## (v\d+(?:\.\d+)*)(?: — commit ([0-9a-f]{40}))?\b.*$", re.MULTILINE)


@dataclass(frozen=True)
class Release:
    tag: str
    commit: str  # full hash
    found_by: str  # "tag" or "CHANGELOG.md"

    @property
    def version(self) -> Version:
        return Version(self.tag)


def _git(repo: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess[bytes]:
    process = subprocess.run(["git", *args], cwd=repo, capture_output=True, check=False)
    if check and process.returncode:
        raise AssertionError(f"git {' '.join(args)} failed in {repo}: {process.stderr.decode(errors='replace')}")
    return process


def changelog_releases(text: str) -> dict[str, str | None]:
    """Release tag -> recorded commit (None while not recorded yet), newest first."""
    return {match[1]: match[2] for match in _RELEASE_HEADING.finditer(text)}


def release_tags(repo: Path) -> list[str]:
    """The clone's release tags, newest first: PEP 440 versions, no pre-releases (what
    `copier update` would move to)."""
    versions = []
    for tag in _git(repo, "tag", "--list", "v*").stdout.decode().split():
        try:
            version = Version(tag)
        except InvalidVersion:
            continue
        if not version.is_prerelease:
            versions.append((version, tag))
    return [tag for _, tag in sorted(versions, reverse=True)]


def newest_release(repo: Path = REPO_ROOT) -> Release:
    """The newest release: by tag when the clone has tags, else by CHANGELOG.md's commit."""
    recorded = changelog_releases((repo / CHANGELOG).read_text(encoding="utf-8"))
    tags = release_tags(repo)
    if tags:
        commit = _git(repo, "rev-parse", f"{tags[0]}^{{commit}}").stdout.decode().strip()
        return Release(tags[0], commit, "tag")
    if not recorded:
        raise AssertionError(f"{CHANGELOG} records no release and the clone has no release tags")
    newest = max(recorded, key=Version)
    commit = recorded[newest]
    if commit is None:
        raise AssertionError(f"{CHANGELOG}: {newest} has no recorded commit and the clone has no tag for it")
    if _git(repo, "cat-file", "-e", f"{commit}^{{commit}}", check=False).returncode:
        raise AssertionError(
            f"{newest}'s commit {commit} (from {CHANGELOG}) is not in this clone: "
            "fetch the whole history (actions/checkout `fetch-depth: 0`, GitLab `GIT_DEPTH: 0`)"
        )
    return Release(newest, commit, CHANGELOG)


def read_at(repo: Path, commit: str, path: str) -> str | None:
    """A file's text at `commit`, None where it does not exist."""
    process = _git(repo, "show", f"{commit}:{path}", check=False)
    return process.stdout.decode("utf-8") if process.returncode == 0 else None


def extract_at(repo: Path, commit: str, paths: tuple[str, ...], dest: Path) -> None:
    """Write `paths` (files or directories) as they are at `commit` into `dest`."""
    present = [p for p in paths if _git(repo, "cat-file", "-e", f"{commit}:{p}", check=False).returncode == 0]
    archive = _git(repo, "archive", "--format=tar", commit, "--", *present).stdout
    # The "data" filter (Python 3.11.4+) refuses absolute paths and links out of `dest`.
    safe = {"filter": "data"} if hasattr(tarfile, "data_filter") else {}
    with tarfile.open(fileobj=BytesIO(archive)) as tar:
        tar.extractall(dest, **safe)
