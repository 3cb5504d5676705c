"""Throwaway, tagged git copies of this template, for testing `copier update`.

`copier update` only works between two git refs of a template, so the update tests copy the
template's own files (copier.yml, template/, extensions/) from the working tree into a new
git repository, tag that `v1.0.0`, edit the copy programmatically into a `v2.0.0` and tag it
too. The edits are anchored on lines the real template is expected to keep; when an anchor
disappears, the edit fails with a message that says which one, so the test is updated rather
than silently testing nothing.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent

# What a copier template needs from this repository: the questions, the rendered files, the
# Jinja extensions copier.yml loads and the migration scripts. Everything else (tests, CI,
# docs) is not shipped.
TEMPLATE_PARTS = ("copier.yml", "template", "extensions", "migrations")

_IGNORED = shutil.ignore_patterns("__pycache__", "*.pyc", "*.pyo", ".DS_Store")

# The lines around an inline conflict (copier runs `git merge-file -L "before updating"
# -L "last update" -L "after updating"`; the base section is not written by default).
CONFLICT_START = "<<<<<<< before updating"
CONFLICT_END = ">>>>>>> after updating"
_MARKER_LINE = re.compile(r"^(<{7}|>{7}|={7}|\|{7})( |$)")


def git(cwd: Path, *args: str) -> str:
    """Run git in `cwd` and return its stdout; fail loudly with git's stderr."""
    process = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True, check=False)
    if process.returncode:
        raise AssertionError(
            f"git {' '.join(args)} failed in {cwd} ({process.returncode}):\n{process.stdout}{process.stderr}"
        )
    return process.stdout


def commit_all(repo: Path, message: str) -> None:
    git(repo, "add", "--all")
    git(repo, "commit", "--quiet", "--no-gpg-sign", "--no-verify", "-m", message)


def init_repo(path: Path) -> None:
    git(path, "init", "--quiet", "--initial-branch=main")


def snapshot_template(dest: Path, source: Path = REPO_ROOT) -> Path:
    """Copy the template's files from `source` into a new git repository at `dest`."""
    dest.mkdir(parents=True)
    for part in TEMPLATE_PARTS:
        origin = source / part
        if not origin.exists():
            continue
        if origin.is_dir():
            shutil.copytree(origin, dest / part, ignore=_IGNORED)
        else:
            shutil.copy2(origin, dest / part)
    init_repo(dest)
    return dest


def release(repo: Path, tag: str) -> None:
    """Commit everything in `repo` and tag it (PEP 440 tags: copier sorts them as versions)."""
    commit_all(repo, f"release {tag}")
    git(repo, "tag", tag)


def replace_once(
    path: Path,
    pattern: str,
    replacement: str | Callable[[re.Match[str]], str],
    *,
    flags: int = re.MULTILINE,
) -> None:
    """Substitute the single match of regex `pattern` in `path`; fail if it is not exactly one."""
    text = path.read_text(encoding="utf-8")
    matches = len(re.findall(pattern, text, flags))
    if matches != 1:
        raise AssertionError(
            f"{path}: expected exactly one match of {pattern!r}, found {matches}. "
            "The template changed: move the test's anchor to a line it still has."
        )
    path.write_text(re.sub(pattern, replacement, text, count=1, flags=flags), encoding="utf-8")


def insert_after_line(path: Path, pattern: str, new_lines: str) -> None:
    """Insert `new_lines` (newline-terminated) after the single line matching `pattern`."""
    replace_once(path, rf"^({pattern})\n", lambda m: m.group(1) + "\n" + new_lines)


def insert_after_template_line(template_dir: Path, pattern: str, new_lines: str) -> Path:
    """Like `insert_after_line`, but in whichever file under `template_dir` has the line.

    The template moves text between files (pyproject.toml.jinja imports macros, for one), so
    a v2 edit names the line it changes, not the file. Exactly one line in all the files must
    match; the file edited is returned.
    """
    line = re.compile(rf"^(?:{pattern})$", re.MULTILINE)
    hits = []
    for path in sorted(template_dir.rglob("*")):
        if not path.is_file():
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        hits += [path] * len(line.findall(text))
    if len(hits) != 1:
        raise AssertionError(
            f"expected exactly one line matching {pattern!r} under {template_dir}, found {len(hits)} "
            f"({sorted({h.relative_to(template_dir).as_posix() for h in hits})}). "
            "The template changed: move the test's anchor to a line it still has."
        )
    insert_after_line(hits[0], pattern, new_lines)
    return hits[0]


def append_text(path: Path, text: str) -> None:
    content = path.read_text(encoding="utf-8")
    if not content.endswith("\n"):
        content += "\n"
    path.write_text(content + text, encoding="utf-8")


def find_conflict_markers(project_dir: Path) -> dict[str, list[str]]:
    """Files (relative, POSIX) holding conflict-marker lines, with those lines.

    `copier update` exits 0 even when it leaves conflicts behind, so this is how a caller
    (test, CI step, pre-commit hook) finds out. `.git` is skipped.
    """
    found: dict[str, list[str]] = {}
    for path in sorted(project_dir.rglob("*")):
        if ".git" in path.relative_to(project_dir).parts or not path.is_file():
            continue
        try:
            lines = path.read_text(encoding="utf-8").splitlines()
        except UnicodeDecodeError:
            continue
        markers = [line for line in lines if _MARKER_LINE.match(line)]
        if markers:
            found[path.relative_to(project_dir).as_posix()] = markers
    return found


def find_rej_files(project_dir: Path) -> list[str]:
    return sorted(
        p.relative_to(project_dir).as_posix()
        for p in project_dir.rglob("*.rej")
        if ".git" not in p.relative_to(project_dir).parts
    )


def isolated_git_env(home: Path) -> dict[str, str]:
    """Environment for git and copier that ignores the developer's own configuration."""
    home.mkdir(parents=True, exist_ok=True)
    gitconfig = home / "gitconfig"
    gitconfig.write_text("", encoding="utf-8")
    copier_settings = home / "copier-settings.yml"
    # copier 9.19.1 rejects a truly empty settings file (yaml None is not a mapping).
    copier_settings.write_text("{}\n", encoding="utf-8")
    identity = "Template Tests"
    email = "template-tests@example.invalid"
    return {
        "COPIER_SETTINGS_PATH": str(copier_settings),
        "GIT_CONFIG_GLOBAL": str(gitconfig),
        "GIT_CONFIG_NOSYSTEM": "1",
        "GIT_AUTHOR_NAME": identity,
        "GIT_AUTHOR_EMAIL": email,
        "GIT_COMMITTER_NAME": identity,
        "GIT_COMMITTER_EMAIL": email,
        "GIT_TERMINAL_PROMPT": "0",
    }
