"""The suite's own machinery: what its speed and its shared renders rely on."""

from __future__ import annotations

import os
import subprocess
import tempfile
from pathlib import Path

import conftest
import pytest
from helpers import TEMPLATE_SNAPSHOT

GROUP = "suite-harness"


@pytest.mark.xdist_group(GROUP)
def test_xdist_groups_reach_the_scheduler(request: pytest.FixtureRequest) -> None:
    """`--dist loadgroup` sends the tests of one group to one worker only if the group is in
    the node id the worker reports: a combination's render and lock tests, and a docs run's two
    tests, share one render per group. Without it every worker renders again."""
    if not os.environ.get("PYTEST_XDIST_WORKER"):
        pytest.skip("one process (-n 0): no scheduler to group for")
    assert request.node.nodeid.endswith(f"@{GROUP}"), (
        f"{request.node.nodeid}: pytest-xdist's loadgroup lost the group (pytest-xdist#1386)"
    )


def test_temporary_files_follow_the_sessions_temporary_directory(
    tmp_path_factory: pytest.TempPathFactory, pytestconfig: pytest.Config
) -> None:
    """conftest.use_memory_for_temporary_files sets TMPDIR before anything asks for a
    temporary directory: pytest's base temp (projects, uv's cache) and the template snapshot
    must be inside it, in every worker, or the session writes to the disk after all."""
    directory = Path(tempfile.gettempdir()).resolve()
    assert os.environ.get("TMPDIR") is None or Path(os.environ["TMPDIR"]).resolve() == directory
    if not pytestconfig.option.basetemp:  # a --basetemp of the user's own is where they put it
        assert tmp_path_factory.getbasetemp().resolve().is_relative_to(directory)
    assert Path(os.environ[TEMPLATE_SNAPSHOT]).resolve().is_relative_to(directory)


def test_directories_of_killed_sessions_are_removed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A session killed before its clean-up leaves its RAM directory behind: the next session
    removes it, and leaves those of sessions still running."""
    dead = subprocess.Popen(["true"])  # a process that is gone
    dead.wait()
    monkeypatch.setattr(conftest, "MEMORY_TEMPORARY_ROOT", tmp_path)
    abandoned = tmp_path / f"{conftest.MEMORY_PREFIX}{dead.pid}-abc"
    running = tmp_path / f"{conftest.MEMORY_PREFIX}{os.getpid()}-def"
    for directory in (abandoned, running):
        (directory / "pytest-of-someone").mkdir(parents=True)
    conftest.remove_abandoned_memory_directories()
    assert not abandoned.exists()
    assert running.exists()
