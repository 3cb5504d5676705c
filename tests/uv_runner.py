"""Run the real uv on a rendered project and read what it says it would install."""

from __future__ import annotations

import functools
import os
import re
import subprocess
import tomllib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from pytorch_facts import Facts, load_facts
from uv import find_uv_bin

# The uv binary itself: `python -m uv` would export this repository's VIRTUAL_ENV into the
# generated projects' commands.
UV = [find_uv_bin()]
INSTALL_LINE = re.compile(r"^ \+ (?P<name>[A-Za-z0-9._-]+)==(?P<version>\S+)$", re.MULTILINE)


class UvError(AssertionError):
    pass


def run_uv(args: list[str], project: Path, env: dict | None = None, timeout: int = 600) -> str:
    """Run `uv <args>` in `project`; raise with uv's own output when it fails."""
    result = subprocess.run(
        [*UV, *args], cwd=project, capture_output=True, text=True, timeout=timeout, env={**os.environ, **(env or {})}
    )
    if result.returncode != 0:
        raise UvError(f"uv {' '.join(args)} failed ({result.returncode}):\n{result.stderr}{result.stdout}")
    return result.stderr + result.stdout


# Set by tests/conftest.py when the uv cache is the test session's own (see `lock`).
OFFLINE_FIRST = "TORCH_UV_LOCK_OFFLINE_FIRST"


def lock(project: Path, python: Path, expected: Callable[[Path], bool] | None = None) -> str:
    """`uv lock`; in a test session with its own cache, first from that cache alone
    (`--offline`), then online if it lacks a page.

    The PyPI this suite reaches sends no caching headers, so every online lock downloads all
    its PyPI pages again (about 1 s of a warm 1.1 s lock, 0.06 s offline). Offline, uv
    resolves from the same pages, fetched online earlier in the session; a lock that fails
    offline runs online and fails with uv's own message. Offline, uv also passes over a version
    whose metadata is not cached yet and may settle on an older one: a lock that `expected`
    (given the project) refuses is deleted and made again online, which is what the test then
    checks (deleted: `uv lock` keeps the versions an existing uv.lock holds while they fit).
    """
    if os.environ.get(OFFLINE_FIRST) == "1":
        try:
            output = run_uv(["lock", "--offline", "--python", str(python)], project)
        except UvError:
            pass
        else:
            if expected is None or expected(project):
                return output
            (project / "uv.lock").unlink()
    return run_uv(["lock", "--python", str(python)], project)


@dataclass(frozen=True)
class Planned:
    name: str
    version: str

    @property
    def local(self) -> str:
        return self.version.partition("+")[2]

    @property
    def release(self) -> str:
        return self.version.partition("+")[0]


def planned_install(
    project: Path,
    platform: str,
    python: Path,
    extra: str | None = None,
    facts: Facts | None = None,
    selection: tuple[str, ...] = (),
) -> dict[str, Planned]:
    """What `uv sync` would install on `platform` from uv.lock alone (`--frozen --offline`: the
    lock was just made, so uv need not resolve again to check it is current).

    `selection`: uv's package selection, e.g. ("--all-packages",) or ("--package", "core").
    """
    target = (facts or load_facts()).platforms[platform]
    args = [
        "sync",
        "--frozen",
        "--dry-run",
        "--offline",
        "--python",
        str(python),
        "--python-platform",
        target.uv_python_platform,
        *selection,
    ]
    if extra:
        args += ["--extra", extra]
    env = {"MACOSX_DEPLOYMENT_TARGET": target.macos_deployment_target} if target.macos_deployment_target else {}
    return planned_installs(run_uv(args, project, env))


def planned_installs(output: str) -> dict[str, Planned]:
    """The packages uv's output says it installs (its ` + name==version` lines), by name."""
    return {m["name"]: Planned(m["name"], m["version"]) for m in INSTALL_LINE.finditer(output)}


def locked_packages(project: Path) -> list[dict]:
    """uv.lock's packages, not to be modified: a test reads its lock several times (the lock's
    own check, then each verification), and parsing a GPU project's lock takes ~30 ms."""
    return _parsed_lock((project / "uv.lock").read_text())["package"]


@functools.lru_cache(maxsize=8)
def _parsed_lock(text: str) -> dict:
    return tomllib.loads(text)


def source_url(package: dict) -> str | None:
    """The registry URL a locked package comes from (None for the project itself)."""
    source = package.get("source", {})
    return source.get("registry")


def source_of(packages: list[dict], project_name: str, name: str, version: str, extra: str | None) -> set[str]:
    """Where `name==version` comes from for the project (with `extra`).

    When several indexes serve the same name and version (e.g. triton-rocm for two ROCm
    extras), uv.lock names the source on the project's dependency edge for each extra.
    """
    candidates = {source_url(p) for p in packages if p["name"] == name and p["version"] == version}
    if len(candidates) <= 1:
        return candidates
    project = next(p for p in packages if p["name"] == project_name)
    edges = project.get("optional-dependencies", {}).get(extra, []) if extra else project.get("dependencies", [])
    return {
        e["source"]["registry"]
        for e in edges
        if e["name"] == name and e.get("version", version) == version and "source" in e
    } or candidates
