"""Turn a facts refresh into one reviewed change: the pull request the scheduled job opens.

    uv run python -m tools.facts_pull_request [--push REMOTE] [--body-file PATH] [--github-output PATH]
                                              [--check-report PATH ...]

Run after `python -m tools.facts refresh` (both channels) in a clean checkout of the default
branch. When `extensions/pytorch_facts.toml` differs from the checked-out commit, it writes a
CHANGELOG.md "Unreleased" entry from what changed (read from both versions of the facts, not
from the text diff), commits both on the branch `facts-refresh` (recreated from that commit, so
each run replaces the last one's proposal), pushes it with `--push`, and writes the pull
request's body (the summary, the facts diff, what a maintainer does next, and what `check`
still reports in the `--check-report` files) to `--body-file`.
With `--github-output` it sets `changed`, `branch` and `title` for the workflow. Without a
change it does nothing and says so.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Sequence
from datetime import date
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "extensions"))

from pytorch_facts import Facts, Release, read_facts  # noqa: E402

BRANCH = "facts-refresh"
FACTS_PATH = "extensions/pytorch_facts.toml"
CHANGELOG = "CHANGELOG.md"
UNRELEASED = "## Unreleased"
GENERATED = "### Generated projects"
ANSWERS = "### Answers"
WIDTH = 92  # CHANGELOG.md's line length
# The fields of a release worth a line when they change, in words.
FIELDS = {
    "torch": "newest patch",
    "python": "Python minors",
    "index_python": "index-only Python minors",
    "torchvision": "torchvision",
    "torchaudio": "torchaudio",
    "triton": "triton",
    "pypi": "PyPI's builds",
    "macos_arm64_tag": "macOS arm64 wheel tag",
    "date": "release date",
}


def git(repo: Path, *args: str) -> str:
    result = subprocess.run(["git", *args], cwd=repo, capture_output=True, text=True)
    if result.returncode:
        raise SystemExit(f"git {' '.join(args)} failed: {result.stderr.strip()}")
    return result.stdout


# --- what changed ------------------------------------------------------------------------------


def changes(old: Facts, new: Facts) -> list[str]:
    """One line per change a reviewer (and a CHANGELOG reader) cares about, newest release first."""
    lines = []
    old_releases = {r.minor: r for r in old.releases}
    old_candidates = {r.minor: r for r in old.candidates}
    for release in new.releases:
        before = old_releases.get(release.minor)
        if before is None:
            lines.append(_offered(release, new, promoted=release.minor in old_candidates))
        else:
            lines += _release_changes(before, release)
    for candidate in new.candidates:
        before = old_candidates.get(candidate.minor)
        if before is None:
            lines.append(
                f"torch {candidate.torch} is on the PyTorch test channel: recorded as a release candidate"
                f" ({_builds(candidate)}; {_python(candidate)}), not offered until PyPI publishes it"
            )
        else:
            lines += [f"{line} (release candidate)" for line in _release_changes(before, candidate)]
    for name, variant in new.variants.items():
        if name not in old.variants:
            lines.append(f"new accelerator variant `{name}` ({variant.label})")
    for name, companion in new.companions.items():
        if name in old.companions and old.companions[name].version != companion.version:
            lines.append(f"{name}: newest release {old.companions[name].version} → {companion.version}")
    return lines


def _offered(release: Release, facts: Facts, *, promoted: bool) -> str:
    how = "PyPI published its release candidate" if promoted else "new release"
    default = ", and the default for new projects" if release == facts.newest else ""
    return (
        f"torch {release.minor} ({release.torch}, {how}): offered as `torch_min`{default};"
        f" {_builds(release)}; {_python(release)}; torchvision {release.torchvision or 'none'},"
        f" torchaudio {release.torchaudio or 'none'}"
    )


def _release_changes(before: Release, after: Release) -> list[str]:
    minor = after.minor
    lines = []
    added = [v for v in after.variants if v not in before.variants]
    if added:
        lines.append(f"torch {minor}: new builds {', '.join(f'`{v}`' for v in added)}")
    for field, words in FIELDS.items():
        old, new = getattr(before, field), getattr(after, field)
        if old != new:
            lines.append(f"torch {minor}: {words} {_show(old)} → {_show(new)}")
    settled = [name for name in before.unconfirmed if name not in after.unconfirmed]
    if settled:
        lines.append(f"torch {minor}: confirmed by the registries: {', '.join(settled)}")
    return lines


def _builds(release: Release) -> str:
    return "builds " + (", ".join(f"`{v}`" for v in release.variants) or "none read")


def _python(release: Release) -> str:
    if not release.python:
        return "Python minors not read"
    return f"Python {release.python[0]}–{release.python[-1]}"


def _show(value: object) -> str:
    if isinstance(value, dict):
        return ", ".join(f"{k} {v}" for k, v in value.items()) or "none"
    if isinstance(value, tuple | list):
        return ", ".join(map(str, value)) or "none"
    return str(value) or "none"


# --- CHANGELOG.md and the pull request --------------------------------------------------------


def changelog_entry(old: Facts, new: Facts, lines: list[str], today: str) -> tuple[str, str | None]:
    """The "Generated projects" bullet, and the "Answers" one where the default release moved."""
    items = [f"{line}." for line in lines] or ["sources and unconfirmed facts only."]
    generated = "\n".join(
        [
            f"- PyTorch facts refreshed from the registries (`python -m tools.facts refresh`, {today}):",
            *(textwrap.fill(item, WIDTH, initial_indent="  - ", subsequent_indent="    ") for item in items),
        ]
    )
    answers = None
    if new.newest.minor != old.newest.minor:
        answers = textwrap.fill(
            f"- Carry over unchanged; `torch_min` defaults to {new.newest.minor} for new projects"
            f" (existing projects move with `copier update --data torch_min={new.newest.minor}`).",
            WIDTH,
            subsequent_indent="  ",
        )
    return generated, answers


def add_to_changelog(text: str, generated: str, answers: str | None) -> str:
    """`text` with the bullets first in their sections under "## Unreleased" (created as needed)."""
    head, found, rest = text.partition(f"{UNRELEASED}\n")
    if not found:
        raise SystemExit(f"{CHANGELOG} has no '{UNRELEASED}' section")
    unreleased, released, older = rest.partition("\n## ")
    section = unreleased.replace("Nothing yet.", "").strip()
    for heading, bullet in ((GENERATED, generated), (ANSWERS, answers)):
        if bullet is None:
            continue
        if heading in section:
            section = section.replace(f"{heading}\n\n", f"{heading}\n\n{bullet}\n", 1)
        elif heading == GENERATED:
            section = f"{heading}\n\n{bullet}\n\n{section}".strip()
        else:
            section = f"{section}\n\n{heading}\n\n{bullet}".strip()
    return f"{head}{UNRELEASED}\n\n{section}\n" + (f"\n## {older}" if released else "")


def title(lines: list[str], new: Facts, old: Facts) -> str:
    added = [r.torch for r in new.releases if old.release(r.minor) is None]
    candidates = [r.torch for r in new.candidates if r.minor not in {c.minor for c in old.candidates}]
    if added:
        return f"Facts: torch {', '.join(added)} released"
    if candidates:
        return f"Facts: torch {', '.join(candidates)} release candidate on the test channel"
    return f"Facts refresh: {len(lines)} change{'s' * (len(lines) != 1)} from the registries"


def body(lines: list[str], diff: str, generated: str, answers: str | None, left: list[str]) -> str:
    summary = "\n".join(f"- {line}" for line in lines) or "- sources and unconfirmed facts only"
    entry = generated + (f"\n\n{answers}" if answers else "")
    if left:
        rows = "\n".join(left)
        summary += (
            "\n\n## Left for a maintainer\n\nWhat `check` still reports after the refresh (refresh never deletes,"
            " and a new variant needs its hand-kept facts: add `[variants.<name>]` on this branch):\n\n"
            f"```\n{rows}\n```"
        )
    return f"""Opened by the scheduled facts refresh (`.github/workflows/facts-refresh.yml`): `python -m
tools.facts refresh` read PyPI and the stable PyTorch indexes, and `refresh --channel test` the
release-candidate channel; this branch holds what changed. Each run replaces it.

## What changed

{summary}

## CHANGELOG.md entry (Unreleased)

{entry}

## Before merging

CONTRIBUTING.md, "From the facts pull request to a release": review the diff (hand-kept facts
of any new variant: label, driver minimums, Docker image), wait for the test suite on this pull
request, merge, then cut a release so projects get it with `copier update`.

## Facts diff

```diff
{diff.rstrip()}
```
"""


# --- running it --------------------------------------------------------------------------------


def left_over(reports: list[Path]) -> list[str]:
    """The `differs` lines of `check` outputs: what the refresh could not write."""
    return [
        line
        for report in reports
        for line in report.read_text(encoding="utf-8").splitlines()
        if line.startswith("differs")
    ]


def propose(repo: Path, push: str | None, body_file: Path | None, reports: list[Path]) -> dict[str, str]:
    diff = git(repo, "diff", "HEAD", "--", FACTS_PATH)
    if not diff:
        print(f"{FACTS_PATH} is unchanged: nothing to propose")
        return {"changed": "false"}
    with tempfile.TemporaryDirectory() as scratch:
        old_file = Path(scratch) / "pytorch_facts.toml"
        old_file.write_text(git(repo, "show", f"HEAD:{FACTS_PATH}"), encoding="utf-8")
        old = read_facts(old_file)
    new = read_facts(repo / FACTS_PATH)
    lines = changes(old, new)
    generated, answers = changelog_entry(old, new, lines, date.today().isoformat())
    changelog = repo / CHANGELOG
    changelog.write_text(add_to_changelog(changelog.read_text(encoding="utf-8"), generated, answers), encoding="utf-8")
    subject = title(lines, new, old)
    git(repo, "switch", "--force-create", BRANCH)
    git(repo, "add", "--", FACTS_PATH, CHANGELOG)
    git(repo, "commit", "--quiet", "--message", f"{subject}\n\n" + "\n".join(f"- {line}" for line in lines))
    if push:
        git(repo, "push", "--force", "--quiet", push, f"{BRANCH}:{BRANCH}")
    text = body(lines, diff, generated, answers, left_over(reports))
    if body_file:
        body_file.write_text(text, encoding="utf-8")
    print(f"committed on {BRANCH}: {subject}")
    return {"changed": "true", "branch": BRANCH, "title": subject}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.facts_pull_request", description=__doc__.split("\n\n")[0])
    parser.add_argument("--repo", type=Path, default=REPO, help="the checkout (default: this one)")
    parser.add_argument("--push", metavar="REMOTE", help="push the branch there (force: it replaces the last run's)")
    parser.add_argument("--body-file", type=Path, help="write the pull request's body (Markdown) there")
    parser.add_argument("--github-output", type=Path, help="append changed=, branch= and title= there")
    parser.add_argument(
        "--check-report",
        type=Path,
        action="append",
        default=[],
        help="output of `python -m tools.facts check` after the refresh: its differences go in the body (repeatable)",
    )
    args = parser.parse_args(argv)
    outputs = propose(args.repo, args.push, args.body_file, args.check_report)
    if args.github_output:
        with args.github_output.open("a", encoding="utf-8") as output:
            output.writelines(f"{key}={value}\n" for key, value in outputs.items())
    return 0


if __name__ == "__main__":
    sys.exit(main())
