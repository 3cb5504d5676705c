"""The starter files beyond the PyTorch configuration: what the generated README tells the reader
to run outside uv, the licence, the ignored files and the type checker.

- the README's `docker build`/`docker run` commands are ones the docs run
  (tests/test_generated_docs.py) recognises as needing a Docker daemon, so it names and counts
  them as skipped instead of failing or silently passing over them;
"""

from __future__ import annotations

import pytest
from test_generated_docs import shell_commands, skip_reason


@pytest.mark.parametrize(
    "answers",
    [{"accelerator_strategy": "extras"}, {"accelerator_strategy": "pypi"}],
    ids=["extras", "pypi"],
)
def test_readme_docker_commands_are_skipped_by_name_in_the_docs_run(render, answers: dict) -> None:
    project = render({**answers, "docker": True, "ci": "github", "pre_commit": True})
    commands = [c for _, block in shell_commands((project / "README.md").read_text()) for c in block]
    docker = [command for command in commands if "docker " in command]
    assert docker and any(c.startswith("docker build") for c in docker), commands
    assert {skip_reason(command) for command in docker} == {"docker: no daemon here"}, docker
