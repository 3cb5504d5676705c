"""The one way the tests run copier's CLI, and the isolation it runs in.

In-process renders go through the `render` fixture (tests/conftest.py, pytest-copie); a test
that needs copier's real exit status, messages and files on disk runs the CLI here, as users
do, on the template snapshot the session renders (tests/conftest.py).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
ANSI = re.compile(r"\x1b\[[0-9;]*m")
# Where conftest.template_snapshot copied the working tree for this session.
TEMPLATE_SNAPSHOT = "TORCH_UV_TEMPLATE_SNAPSHOT"


def template_source() -> str:
    """What the tests render: the session's snapshot of the working tree, else the repository
    (`--vcs-ref HEAD` then takes its working tree, not the newest release tag)."""
    return os.environ.get(TEMPLATE_SNAPSHOT) or str(REPO_ROOT)


def data_value(value) -> str:
    """`--data` values are YAML: lists as flow sequences, booleans as true/false."""
    return json.dumps(value) if isinstance(value, (list, bool)) else str(value)


def data_options(data: dict) -> list[str]:
    return [option for key, value in data.items() for option in ("--data", f"{key}={data_value(value)}")]


def run_copier(data: dict, dst: Path, *, trust: bool = True, timeout: int = 120) -> tuple[int, str]:
    """`copier copy --defaults` with `data`, as a user runs it: exit status and output (stderr
    first, colours removed). The session's isolation (conftest.isolated_tools) applies."""
    command = [sys.executable, "-m", "copier", "copy", *(["--trust"] if trust else []), "--defaults"]
    command += [*data_options(data), "--vcs-ref", "HEAD", template_source(), str(dst)]
    env = {**os.environ, "NO_COLOR": "1"}
    result = subprocess.run(command, capture_output=True, text=True, env=env, timeout=timeout)
    return result.returncode, ANSI.sub("", result.stderr + result.stdout)


def last_line(output: str) -> str:
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    return lines[-1] if lines else ""
