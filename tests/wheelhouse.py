"""Real PyTorch wheels on this machine: the wheelhouse the index replica serves them from.

The wheelhouse is the directory in TORCH_UV_WHEELHOUSE, else the one in PIP_FIND_LINKS (the
same choice as conftest's replica: its wheels replace the replica's stand-ins of the same
file name). `real_cpu_torch()` picks the CPU torch wheel this machine can install, and says
which template answers and which interpreter go with it.
"""

from __future__ import annotations

import os
import zipfile
from dataclasses import dataclass
from pathlib import Path

from packaging.tags import Tag, platform_tags
from packaging.utils import parse_wheel_filename
from packaging.version import Version

WHEELHOUSE_VARIABLES = ("TORCH_UV_WHEELHOUSE", "PIP_FIND_LINKS")
STAND_IN_GENERATOR = "Generator: index_replica"


def wheelhouse() -> Path | None:
    """The directory of real wheels (TORCH_UV_WHEELHOUSE, else PIP_FIND_LINKS), if any."""
    for variable in WHEELHOUSE_VARIABLES:
        candidate = os.environ.get(variable)
        if candidate and Path(candidate).is_dir():
            return Path(candidate)
    return None


@dataclass(frozen=True)
class RealWheel:
    path: Path
    version: Version  # 2.13.0+cpu
    python: str  # the Python minor of its cpXY tag, "3.11"
    platform_tags: frozenset[str]  # "manylinux_2_28_x86_64", ...

    @property
    def torch_min(self) -> str:
        return f"{self.version.major}.{self.version.minor}"


def _python_of(tag: Tag) -> str | None:
    """The minor ("3.11") of a CPython tag that a regular (GIL) interpreter installs, else None."""
    digits = tag.interpreter.removeprefix("cp")
    if not tag.interpreter.startswith("cp") or not digits.isdigit() or len(digits) < 2:
        return None
    if tag.abi not in (tag.interpreter, "abi3", "none"):  # cp313t: free-threaded builds
        return None
    return f"{digits[0]}.{digits[1:]}"


def _is_stand_in(path: Path) -> bool:
    """A wheel the index replica generated (a tiny stand-in), not a real build."""
    try:
        with zipfile.ZipFile(path) as archive:
            wheel_files = [name for name in archive.namelist() if name.endswith(".dist-info/WHEEL")]
            return any(STAND_IN_GENERATOR in archive.read(name).decode(errors="replace") for name in wheel_files)
    except (OSError, zipfile.BadZipFile):
        return True


def real_cpu_torch(directory: Path | None = None) -> tuple[RealWheel | None, str]:
    """The newest real `torch-*+cpu` wheel for this machine's platform, or None and why not."""
    directory = directory if directory is not None else wheelhouse()
    if directory is None:
        names = " or ".join(WHEELHOUSE_VARIABLES)
        return None, f"no wheelhouse: set {names} to a directory holding a real CPU torch wheel"
    here = set(platform_tags())
    found: list[RealWheel] = []
    seen: list[str] = []
    for path in sorted(directory.glob("torch-*.whl")):
        name, version, _, tags = parse_wheel_filename(path.name)
        seen.append(path.name)
        if name != "torch" or version.local != "cpu":
            continue
        for tag in tags:
            python = _python_of(tag)
            if python and tag.platform in here and not _is_stand_in(path):
                found.append(RealWheel(path, version, python, frozenset(t.platform for t in tags)))
                break
    if not found:
        listed = ", ".join(seen) or "no torch wheels"
        return None, f"no real CPU torch wheel for this machine's platform in {directory} ({listed})"
    return max(found, key=lambda wheel: (wheel.version, Version(wheel.python))), ""
