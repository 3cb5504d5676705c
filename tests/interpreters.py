"""The CPython interpreters this machine has, by minor version.

uv cannot download interpreters here, and its own discovery trips over pyenv shims, so the
tests find real executables (pyenv's versions, then PATH) and pass them with `--python`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from functools import cache
from pathlib import Path

from packaging.version import Version


def _pyenv_root() -> Path | None:
    if root := os.environ.get("PYENV_ROOT"):
        return Path(root)
    pyenv = shutil.which("pyenv")
    if pyenv is None:
        return None
    result = subprocess.run([pyenv, "root"], capture_output=True, text=True)
    return Path(result.stdout.strip()) if result.returncode == 0 else None


def _candidates() -> list[Path]:
    found = []
    if root := _pyenv_root():
        found += sorted((root / "versions").glob("3.*/bin/python3.*[0-9]"))
    for directory in os.environ.get("PATH", "").split(os.pathsep):
        if "shims" not in directory:
            found += sorted(Path(directory).glob("python3.*[0-9]"))
    return found


def _minor_of(executable: Path) -> str | None:
    try:
        result = subprocess.run(
            [str(executable), "-c", "import sys; print('%d.%d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
            timeout=20,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return result.stdout.strip() if result.returncode == 0 else None


@cache
def interpreters() -> dict[str, Path]:
    """Minor version ("3.12") -> a working executable; the first one found wins."""
    found: dict[str, Path] = {}
    for executable in _candidates():
        minor = _minor_of(executable)
        if minor and minor not in found:
            found[minor] = executable
    return dict(sorted(found.items(), key=lambda item: Version(item[0])))


def interpreter_for(python_min: str, python_max: str) -> Path | None:
    """The oldest interpreter within python_min..python_max (what `uv lock` needs), if any."""
    for minor, executable in interpreters().items():
        if Version(python_min) <= Version(minor) <= Version(python_max):
            return executable
    return None
