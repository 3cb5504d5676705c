"""The suite's own machinery: what its speed and its shared renders rely on."""

from __future__ import annotations

import os

import pytest

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
