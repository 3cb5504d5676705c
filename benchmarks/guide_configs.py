"""The configuration uv's PyTorch guide gives for the same targets as a set of template answers.

The guide is astral-sh/uv `docs/guides/integration/pytorch.md` ("Using uv with PyTorch"), as of
uv 0.13 (read at commit 26a9dd4b2125; the file last changed in 7e6caa45f6, 2026-08-14). Each
strategy of the template maps to one section of it:

- `pypi`          -> "Installing PyTorch": plain `torch>=X` / `torchvision>=Y`, PyPI only.
- `single`        -> "Using a PyTorch index": one explicit index; `[tool.uv.sources]` sends the
                     torch family there, gated by `sys_platform == 'linux' or sys_platform == 'win32'`
                     for CUDA and Intel GPUs, `sys_platform == 'linux'` for ROCm, no marker for CPU
                     (the cpu index also serves macOS). ROCm and Intel GPUs add their triton
                     package to `dependencies` (with the same marker) and source it from the index.
- `per-platform`  -> "Configuring accelerators with environment markers": one source entry per
                     OS, `marker = "sys_platform == 'linux'"` / `"sys_platform == 'win32'"`; an OS
                     that uses PyPI's build gets no entry (macOS always falls back to PyPI).
- `extras`        -> "Configuring accelerators with optional dependencies": `dependencies = []`,
                     one extra per accelerator holding the torch family, `conflicts` between all
                     extras, sources with `extra = "<name>"` and no marker. For ROCm/Intel GPU
                     extras the triton package of "Using a PyTorch index" goes into the extra and
                     is sourced with the same `extra`.

Common to all shapes, as in the guide: `requires-python = ">=<python_min>"` with no upper
bound, versions as `>=` the lowest release only, no `environments`, no
`required-environments`, no Intel-macOS handling (the guide has none: the lock simply has no
torch wheel there), `explicit = true` indexes.

Deliberate differences from the guide's literal text, so that only the PyTorch configuration
differs from the template's project:
- the index URL is the same replica base URL the template is rendered with;
- index names are `pytorch-<variant>` (the guide says `pytorch-rocm` for ROCm; names do not
  reach uv.lock) and extra names are the template's (`rocm7-2` for `rocm7.2`);
- the ROCm snippets of the guide also list `pytorch-triton-rocm`, which installs the same
  `triton` module as the `triton-rocm` ROCm torch requires: the template wires only the one torch
  requires (extensions/pytorch_facts.toml) and the index replica serves no `pytorch-triton-rocm`,
  so it is left out;
- the project carries the template's dev dependency group (pytest, ruff), so both locks hold
  the same non-PyTorch packages.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
for _path in (REPO_ROOT / "extensions", REPO_ROOT / "tests"):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

from pytorch_facts import Facts, Release, Variant, load_facts  # noqa: E402

GUIDE = "astral-sh/uv docs/guides/integration/pytorch.md"
SECTIONS = {
    "pypi": "Installing PyTorch",
    "single": "Using a PyTorch index",
    "per-platform": "Configuring accelerators with environment markers",
    "extras": "Configuring accelerators with optional dependencies",
}
# "Using a PyTorch index": where the guide lets each kind of index serve torch.
KIND_MARKERS = {
    "cpu": None,
    "cuda": "sys_platform == 'linux' or sys_platform == 'win32'",
    "xpu": "sys_platform == 'linux' or sys_platform == 'win32'",
    "rocm": "sys_platform == 'linux'",
}
OS_MARKERS = {"linux": "sys_platform == 'linux'", "windows": "sys_platform == 'win32'"}
DEV_GROUP = ["pytest>=8", "ruff>=0.8"]


def guide_section(strategy: str) -> str:
    return f'{GUIDE}, "{SECTIONS[strategy]}"'


def _release(answers: dict, facts: Facts) -> Release:
    minor = answers.get("torch_min") or facts.newest.minor
    return next(r for r in facts.releases if r.minor == minor)


def _family(answers: dict, release: Release) -> list[str]:
    """`torch>=2.15.0`, `torchvision>=0.29.2`: the guide's bounds, from the lowest release."""
    chosen = answers.get("torch_packages", ["torchvision"])
    return [
        f"{name}>={release.package_version(name)}"
        for name in ("torch", "torchvision", "torchaudio")
        if name == "torch" or name in chosen
    ]


def _packages(answers: dict) -> list[str]:
    chosen = answers.get("torch_packages", ["torchvision"])
    return [name for name in ("torch", "torchvision", "torchaudio") if name == "torch" or name in chosen]


def _triton(variant: Variant, release: Release, marker: str | None) -> str | None:
    if not variant.triton:
        return None
    return f"{variant.triton}>={release.triton}" + (f" ; {marker}" if marker else "")


def _or(markers: list[str]) -> str | None:
    return None if not markers else markers[0] if len(markers) == 1 else " or ".join(markers)


def guide_config(answers: dict, index_base: str, facts: Facts | None = None) -> dict:
    """The guide's configuration for these answers, as plain data (dependencies, sources...)."""
    facts = facts or load_facts()
    strategy = answers["accelerator_strategy"]
    release = _release(answers, facts)
    base = index_base.rstrip("/")
    dependencies: list[str] = []
    extras: dict[str, list[str]] = {}
    sources: dict[str, list[dict]] = {}
    indexes: list[tuple[str, str]] = []
    conflicts: list[list[str]] = []

    def add_index(variant: Variant) -> str:
        name = f"pytorch-{variant.name}"
        if (name, f"{base}/{variant.name}") not in indexes:
            indexes.append((name, f"{base}/{variant.name}"))
        return name

    def route(variant: Variant, marker: str | None = None, extra: str | None = None) -> None:
        index = add_index(variant)
        for package in [*_packages(answers), *([variant.triton] if variant.triton else [])]:
            entry = {"index": index}
            if extra:
                entry["extra"] = extra
            if marker:
                entry["marker"] = marker
            sources.setdefault(package, []).append(entry)

    if strategy == "pypi":
        dependencies = _family(answers, release)
    elif strategy == "single":
        variant = facts.variants[answers["accelerator"]]
        marker = KIND_MARKERS[variant.kind]
        dependencies = _family(answers, release)
        if triton := _triton(variant, release, marker):
            dependencies.append(triton)
        route(variant, marker)
    elif strategy == "per-platform":
        dependencies = _family(answers, release)
        by_variant: dict[str, list[str]] = {}
        for os_name in ("linux", "windows"):
            choice = answers.get(f"{os_name}_accelerator", "pypi")
            if choice != "pypi" and any(p.startswith(os_name) for p in answers["platforms"]):
                by_variant.setdefault(choice, []).append(OS_MARKERS[os_name])
        for name, markers in by_variant.items():
            variant = facts.variants[name]
            marker = _or(markers)
            if triton := _triton(variant, release, marker):
                dependencies.append(triton)
            route(variant, marker)
    elif strategy == "extras":
        for name in answers["accelerators"]:
            variant = facts.variants[name]
            extra = variant.extra_name
            extras[extra] = _family(answers, release)
            if triton := _triton(variant, release, KIND_MARKERS[variant.kind]):
                extras[extra].append(triton)
            route(variant, None, extra)
        if len(extras) > 1:
            conflicts = [list(extras)]
    else:
        raise ValueError(f"unknown strategy {strategy!r}")
    return {
        "section": guide_section(strategy),
        "requires_python": f">={answers['python_min']}",
        "dependencies": dependencies,
        "extras": extras,
        "conflicts": conflicts,
        "sources": sources,
        "indexes": indexes,
    }


def _toml_list(items: list[str], indent: str = "    ") -> str:
    if not items:
        return "[]"
    return "[\n" + "".join(f"{indent}{json.dumps(item)},\n" for item in items) + "]"


def _inline(entry: dict) -> str:
    return "{ " + ", ".join(f"{key} = {json.dumps(value)}" for key, value in entry.items()) + " }"


def guide_pyproject(answers: dict, index_base: str, name: str = "my-torch-project", facts: Facts | None = None) -> str:
    """pyproject.toml text of the guide's configuration for these answers."""
    config = guide_config(answers, index_base, facts)
    lines = [
        f"# Equivalent of the template's answers per {config['section']}.",
        "[project]",
        f"name = {json.dumps(name)}",
        'version = "0.1.0"',
        f"requires-python = {json.dumps(config['requires_python'])}",
        f"dependencies = {_toml_list(config['dependencies'])}",
    ]
    if config["extras"]:
        lines += ["", "[project.optional-dependencies]"]
        lines += [f"{extra} = {_toml_list(requirements)}" for extra, requirements in config["extras"].items()]
    lines += ["", "[dependency-groups]", f"dev = {_toml_list(DEV_GROUP)}"]
    if config["conflicts"]:
        lines += ["", "[tool.uv]", "conflicts = ["]
        for group in config["conflicts"]:
            lines.append("    [" + ", ".join(_inline({"extra": extra}) for extra in group) + "],")
        lines.append("]")
    if config["sources"]:
        lines += ["", "[tool.uv.sources]"]
        for package, entries in config["sources"].items():
            lines.append(f"{package} = [")
            lines += [f"    {_inline(entry)}," for entry in entries]
            lines.append("]")
    for index_name, url in config["indexes"]:
        lines += [
            "",
            "[[tool.uv.index]]",
            f"name = {json.dumps(index_name)}",
            f"url = {json.dumps(url)}",
            "explicit = true",
        ]
    return "\n".join(lines) + "\n"


def write_guide_project(
    directory: Path, answers: dict, index_base: str, name: str = "my-torch-project", facts: Facts | None = None
) -> Path:
    """A minimal project with the guide's configuration (no package: the guide's examples have
    no build system, and `uv lock` needs none)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "pyproject.toml").write_text(guide_pyproject(answers, index_base, name, facts), encoding="utf-8")
    return directory
