"""The one way the tests run copier's CLI, and the isolation it runs in.

In-process renders go through the `render` fixture (tests/conftest.py, pytest-copie); a test
that needs copier's real exit status, messages and files on disk runs the CLI here, as users
do, on the template snapshot the session renders (tests/conftest.py).
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import traceback
from pathlib import Path

from copier._cli import CopierApp

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


def run_copier(data: dict, dst: Path, *, trust: bool = True) -> tuple[int, str]:
    """`copier copy --defaults` with `data`, as a user runs it: exit status and output (colours
    removed). copier's own command-line application runs in this process (a new interpreter per
    call would cost 2.5 s of CPU, the render 0.1-0.5 s); an exception it lets through is printed
    and exits 1, as the interpreter does. The session's isolation (conftest.isolated_tools) applies."""
    args = ["copier", "copy", *(["--trust"] if trust else []), "--defaults", *data_options(data)]
    return run_copier_cli([*args, "--vcs-ref", "HEAD", template_source(), str(dst)])


def run_copier_cli(argv: list[str], env: dict[str, str] | None = None, cwd: Path | None = None) -> tuple[int, str]:
    """copier's command line `argv` (`["copier", "copy", ...]`) in this process, with `env` set
    and in `cwd` for the call: exit status and stderr + stdout, colours removed."""
    output = io.StringIO()
    saved = dict(os.environ)
    os.environ.update({"NO_COLOR": "1", **(env or {})})
    try:
        with (
            contextlib.chdir(cwd or Path.cwd()),
            contextlib.redirect_stderr(output),
            contextlib.redirect_stdout(output),
        ):
            try:
                _, code = CopierApp.run(argv, exit=False)
            except SystemExit as stop:
                code = stop.code if isinstance(stop.code, int) else 1
            except Exception as error:  # uncaught: what the interpreter does with it
                traceback.print_exception(error)
                code = 1
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return code, ANSI.sub("", output.getvalue())


def last_line(output: str) -> str:
    lines = [line.strip() for line in output.splitlines() if line.strip()]
    return lines[-1] if lines else ""
