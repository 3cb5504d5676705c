"""tools/tool_releases.py: the tool versions generated projects pin (extensions/tool_versions.py)
against PyPI's releases, through `python -m tools.facts check` and `refresh`.

Against a local fake index (a PEP 503 page per project, served on 127.0.0.1) whose newest
releases are set by each test: an exact pin PyPI moved past is reported and rewritten (a hook
revision keeps its `v`), a range whose upper bound PyPI moved past gets the next bound at its
own precision and keeps its lower bound, a range that admits the newest release is confirmed,
pre-releases are ignored, an unreachable index is reported as such, and refresh changes only
those values in a copy of tool_versions.py. Against real PyPI (marker `pypi_facts`): the file's
pins admit PyPI's newest releases.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from index_replica import ReplicaServer
from packaging.version import Version

from tools import tool_releases
from tools.facts import pypi_simple_url
from tools.simple_index import SimpleIndex
from tools.tool_releases import Pin

REPO = Path(__file__).resolve().parents[1]
# Each tracked project's releases on the fake index: the current pins, plus newer ones for uv
# (and a pre-release), uv-build (past `<0.14`) and pre-commit-hooks.
RELEASES = {
    "uv": ["0.13.9", "0.14.1", "0.15.0a1"],
    "uv-build": ["0.13.9", "0.14.1"],
    "pre-commit-hooks": ["6.0.0", "6.1.0"],
    "pytest": ["8.4.0", "9.0.2"],
    "ruff": ["0.17.6"],
    "ty": ["1.0.0"],
}


def fake_index(root: Path, releases: dict[str, list[str]]) -> Path:
    for project, versions in releases.items():
        files = [f"{project.replace('-', '_')}-{version}-py3-none-any.whl" for version in versions]
        links = "".join(f'<a href="../files/{name}">{name}</a>\n' for name in files)
        (root / project).mkdir(parents=True)
        (root / project / "index.html").write_text(f"<html><body>\n{links}</body></html>\n", encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def index_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with ReplicaServer(fake_index(tmp_path_factory.mktemp("fake-pypi"), RELEASES)) as server:
        yield server.base_url


@pytest.fixture
def tool_versions(tmp_path: Path) -> Path:
    copy = tmp_path / "tool_versions.py"
    shutil.copyfile(tool_releases.TOOL_VERSIONS, copy)
    return copy


def pinned(path: Path) -> dict[str, str]:
    return {key: pin.value for key, pin in tool_releases.read_pins(path).items()}


@pytest.mark.parametrize(
    ("value", "newest", "expected"),
    [
        ("0.13.9", "0.13.9", "0.13.9"),
        ("0.13.9", "0.14.1", "0.14.1"),
        ("v6.0.0", "6.1.0", "v6.1.0"),
        (">=0.9,<0.14", "0.13.9", ">=0.9,<0.14"),
        (">=0.9,<0.14", "0.14.1", ">=0.9,<0.15"),
        (">=0.9,<0.14", "1.2.0", ">=0.9,<1.3"),
        (">=1,<2", "2.0.1", ">=1,<3"),
        (">=8", "9.0.2", ">=8"),
    ],
)
def test_pin_admits_or_moves_to_the_newest_release(value: str, newest: str, expected: str) -> None:
    pin = Pin("tool", value)
    assert (pin.moved_to(Version(newest)) if not pin.admits(Version(newest)) else value) == expected


def test_check_reports_the_pins_the_index_moved_past(index_url: str, tool_versions: Path) -> None:
    found = {fact.label.split()[1]: fact for fact in tool_releases.observe(SimpleIndex(index_url), tool_versions)}
    assert set(found) == set(tool_releases.TRACKED)
    differs = {key: fact.observed for key, fact in found.items() if fact.status == "differs"}
    assert differs == {"uv": "0.14.1", "uv_build": ">=0.9,<0.15", "pre_commit_hooks": "v6.1.0"}
    assert {key for key, fact in found.items() if fact.status == "confirmed"} == {"pytest", "ruff", "ty"}
    assert "newest 0.14.1" in found["uv"].evidence


def test_refresh_rewrites_only_the_values_that_moved(index_url: str, tool_versions: Path) -> None:
    before = tool_versions.read_text(encoding="utf-8")
    changed = tool_releases.refresh(SimpleIndex(index_url), tool_versions)
    assert sorted(fact.label.split()[1] for fact in changed) == ["pre_commit_hooks", "uv", "uv_build"]
    after = tool_versions.read_text(encoding="utf-8")
    assert pinned(tool_versions) == {
        **pinned(tool_releases.TOOL_VERSIONS),
        "uv": "0.14.1",
        "uv_build": ">=0.9,<0.15",
        "pre_commit_hooks": "v6.1.0",
    }
    # Comments and every other line are kept: three lines differ.
    assert sum(a != b for a, b in zip(before.splitlines(), after.splitlines(), strict=True)) == 3
    # A second refresh finds nothing left.
    assert tool_releases.refresh(SimpleIndex(index_url), tool_versions) == []


def test_an_unreachable_index_is_reported_not_a_difference(tool_versions: Path) -> None:
    found = tool_releases.observe(SimpleIndex("http://127.0.0.1:9", timeout=5), tool_versions)
    assert {fact.status for fact in found} == {"unreachable"}


def test_facts_tool_check_prints_the_tool_lines(index_url: str, tool_versions: Path) -> None:
    """Through the facts tool, as maintainers run it (`--only pypi`: the torch facts are read
    from the same fake index, which lacks them; only the tool lines are looked at)."""
    done = subprocess.run(
        [sys.executable, "-m", "tools.facts", "check", "--only", "pypi", "--pypi-url", index_url]
        + ["--tool-versions", str(tool_versions)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
    )
    lines = [line for line in done.stdout.splitlines() if "tool_versions " in line]
    assert len(lines) == len(tool_releases.TRACKED), done.stdout + done.stderr
    assert any(line.startswith("differs") and "uv_build" in line and "<0.15" in line for line in lines), lines
    assert done.returncode == 1


@pytest.mark.pypi_facts
def test_pypi_has_not_moved_past_the_pinned_tools() -> None:
    index = SimpleIndex(pypi_simple_url())
    found = tool_releases.observe(index)
    if all(fact.status == "unreachable" for fact in found):
        pytest.skip(f"PyPI unreachable: {found[0].observed}")
    assert [f"{fact.label}: {fact.observed}" for fact in found if fact.status != "confirmed"] == []
