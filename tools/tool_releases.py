"""The tool versions generated projects pin (extensions/tool_versions.py) against PyPI's releases.

`python -m tools.facts check` reports each one PyPI has moved past, `refresh` writes the new
version into tool_versions.py (its comments and layout kept: one value is replaced in place).
What "moved past" means depends on how the version is written:

- an exact version (`"0.13.9"`, a hook revision `"v6.0.0"`): PyPI's newest release is another one;
- a range (`">=0.9,<0.14"`, `">=8"`): PyPI's newest release is outside it. refresh raises the
  upper bound to just above it, at the bound's own precision (`<0.14` -> `<0.15`), and keeps
  the lower bound: a minimum is a fact about features, not about what is new.

Pre-releases are ignored. The GitHub actions (tool_versions.ACTIONS) are pinned to commits on
GitHub, which these machines cannot reach: Dependabot keeps generated projects' pins current.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from packaging.specifiers import SpecifierSet
from packaging.version import InvalidVersion, Version

from tools.observations import PYPI, Fact
from tools.simple_index import SimpleIndex, Unreachable

TOOL_VERSIONS = Path(__file__).resolve().parents[1] / "extensions" / "tool_versions.py"
# TOOLS key -> the PyPI project whose releases it follows. pre-commit-hooks publishes every
# release of its hook repository to PyPI under the same version.
TRACKED = {
    "uv": "uv",
    "uv_build": "uv-build",
    "pre_commit_hooks": "pre-commit-hooks",
    "pytest": "pytest",
    "ruff": "ruff",
    "ty": "ty",
}


@dataclass(frozen=True)
class Pin:
    key: str
    value: str  # as tool_versions.py writes it

    @property
    def prefix(self) -> str:
        """A hook revision's `v` (kept on refresh)."""
        return "v" if self.value.startswith("v") else ""

    @property
    def exact(self) -> Version | None:
        try:
            return Version(self.value.removeprefix("v"))
        except InvalidVersion:
            return None

    def admits(self, version: Version) -> bool:
        exact = self.exact
        return version == exact if exact is not None else version in SpecifierSet(self.value)

    def moved_to(self, version: Version) -> str:
        """The value that admits `version`."""
        if self.exact is not None:
            return f"{self.prefix}{version}"
        parts = []
        for specifier in SpecifierSet(self.value):
            if specifier.operator == "<" and version >= Version(specifier.version):
                precision = len(specifier.version.split("."))
                release = [*version.release, 0, 0][:precision]
                release[-1] += 1
                parts.append("<" + ".".join(map(str, release)))
            else:
                parts.append(str(specifier))
        # SpecifierSet sorts its members; the file writes the lower bound first.
        return ",".join(sorted(parts, key=lambda part: not part.startswith(">")))


def read_pins(path: Path = TOOL_VERSIONS) -> dict[str, Pin]:
    """The tracked TOOLS entries of tool_versions.py, as written (the file is not imported: a
    copy in a test is read the same way)."""
    text = path.read_text(encoding="utf-8")
    pins = {}
    for key in TRACKED:
        match = _entry(key).search(text)
        if match is None:
            raise ValueError(f"{path}: no TOOLS entry {key!r}")
        pins[key] = Pin(key, match.group(2))
    return pins


def newest_release(index: SimpleIndex, project: str) -> Version | Unreachable:
    try:
        versions = index.versions(project)
    except Unreachable as error:
        return error
    if versions is None:
        return Unreachable(f"{index.base_url}/{project}/: no such project")
    stable = [version for version in versions if not version.is_prerelease and not version.is_devrelease]
    return max(stable) if stable else Unreachable(f"{index.base_url}/{project}/: no release")


def observe(index: SimpleIndex, path: Path = TOOL_VERSIONS) -> list[Fact]:
    """One fact per tracked tool: confirmed when the pin admits PyPI's newest release."""
    found = []
    for key, pin in read_pins(path).items():
        project = TRACKED[key]
        newest = newest_release(index, project)
        evidence = f"{index.base_url}/{project}/"
        label = f"tool_versions {key} ({project})"
        if isinstance(newest, Unreachable):
            found.append(Fact(label, PYPI, pin.value, newest, evidence))
            continue
        observed = pin.value if pin.admits(newest) else pin.moved_to(newest)
        found.append(Fact(label, PYPI, pin.value, observed, f"{evidence} newest {newest}"))
    return found


def refresh(index: SimpleIndex, path: Path = TOOL_VERSIONS) -> list[Fact]:
    """Write every version PyPI has moved past into `path`; returns the facts changed."""
    changed = [fact for fact in observe(index, path) if fact.status == "differs"]
    text = path.read_text(encoding="utf-8")
    for fact in changed:
        key = fact.label.split()[1]
        text = _entry(key).sub(lambda match, value=fact.observed: f'{match.group(1)}"{value}"', text, count=1)
    path.write_text(text, encoding="utf-8")
    return changed


def _entry(key: str) -> re.Pattern[str]:
    return re.compile(rf'^(\s*"{re.escape(key)}": )"([^"]*)"', re.MULTILINE)
