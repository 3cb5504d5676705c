"""compiled_extensions: packages `uv sync` compiles against the project's own torch (flash-attn).

- Refusals (consistency, through the real copier CLI): a package is refused when no chosen
  platform, in no extra, gets a torch build it compiles against.
- Rendering (consistency): the requirement goes where torch's does, limited by a marker to
  the platforms that can build it, with `extra-build-dependencies` (torch as match-runtime) and
  `dependency-metadata` taken from extensions/compiled_extensions.toml.
- Locking (truth: the real uv against the index replica and PyPI's real flash-attn sdist):
  the lock succeeds without building, every platform installs flash-attn exactly where its
  build is one flash-attn compiles against, the PyTorch builds are unchanged, and the export
  still points each PyTorch wheel at its index.
- Build environment (truth: a real `uv sync`): the isolated build gets the torch build that
  uv.lock installs, from the variant's index.
"""

from __future__ import annotations

import platform as host
import sys
import tomllib
from pathlib import Path

import pytest
from compiled_extensions import load_extensions
from expectations import PYPI, expected_release, expected_variant, extras_of
from export_check import verify_export
from helpers import last_line, run_copier
from interpreters import interpreter_for, interpreters
from pytorch_facts import load_facts
from test_lock import verify_lock
from uv_runner import UvError, lock, locked_packages, planned_install, run_uv

FACTS = load_facts()
NEWEST = FACTS.newest
FLASH = load_extensions()["flash-attn"]
DEFAULT_PLATFORMS = ["linux-x86_64", "windows-x86_64", "macos-arm64"]
CURRENT_PLATFORMS = [name for name in FACTS.platforms if not FACTS.platforms[name].last_release]


def _of_kind(kind: str, platform: str = "linux-x86_64") -> str | None:
    """The newest release's first variant of `kind` with wheels for `platform`."""
    return next(
        (v for v in NEWEST.variants if FACTS.variants[v].kind == kind and platform in FACTS.variants[v].platforms),
        None,
    )


CUDA, CPU, ROCM, XPU = (_of_kind(kind) for kind in ("cuda", "cpu", "rocm", "xpu"))


def answers(strategy: str, platforms: list[str], **extra) -> dict:
    return {
        "project_name": "Compiled Project",
        "accelerator_strategy": strategy,
        "platforms": platforms,
        "torch_min": NEWEST.minor,
        "python_min": NEWEST.python[0],
        "python_max": NEWEST.python[-1],
        "torch_packages": ["torchvision"],
        "compiled_extensions": ["flash-attn"],
        "ci": "none",
        "pre_commit": False,
        **extra,
    }


def builds_flash_attn(answers: dict, platform: str, extra: str | None) -> bool:
    """Whether `platform` (with `extra`) gets a torch build flash-attn compiles against, from the
    facts alone: the variant it installs, or PyPI's own build there."""
    if FACTS.platforms[platform].last_release:
        return False
    variant = expected_variant(answers, platform, extra, FACTS)
    name = NEWEST.pypi[platform] if variant == PYPI else variant
    return FACTS.variants[name].kind in FLASH.kinds and FACTS.platforms[platform].os in FLASH.oses


def _skip_unless(*values) -> list:
    return [] if all(values) else [pytest.mark.skip(reason="the facts no longer have such a variant")]


# --- refusals -------------------------------------------------------------------------------


REFUSED = [
    pytest.param(
        answers("single", ["linux-x86_64"], accelerator=ROCM),
        "linux-x86_64 (ROCm",
        id="rocm-only",
        marks=_skip_unless(ROCM),
    ),
    pytest.param(
        answers("pypi", ["windows-x86_64", "macos-arm64"]),
        "windows-x86_64 (PyPI's build",
        id="windows-and-macos-only",
    ),
    pytest.param(
        answers("extras", ["linux-x86_64", "windows-x86_64"], accelerators=[CPU, XPU]),
        "linux-x86_64 (CPU only",
        id="cpu-and-xpu-extras",
        marks=_skip_unless(CPU, XPU),
    ),
    pytest.param(
        answers("per-platform", ["linux-x86_64", "windows-x86_64"], linux_accelerator=ROCM, windows_accelerator=CUDA),
        "windows-x86_64 (CUDA",
        id="cuda-on-windows-only",
        marks=_skip_unless(ROCM, CUDA),
    ),
]


@pytest.mark.parametrize(("data", "fragment"), REFUSED)
def test_refused_without_a_build_it_compiles_against(data: dict, fragment: str, tmp_path: Path) -> None:
    dst = tmp_path / "project"
    code, output = run_copier(data, dst)
    assert code != 0, f"copier accepted {data}:\n{output}"
    message = last_line(output)
    assert "Invalid choice for 'compiled_extensions'" in message
    assert "compiled_extensions: flash-attn compiles only against a CUDA build of torch on Linux" in message
    assert fragment in message
    assert "or drop flash-attn" in message
    assert not dst.exists()


# --- rendering and locking --------------------------------------------------------------------

ACCEPTED = [
    pytest.param(answers("single", DEFAULT_PLATFORMS, accelerator=CUDA), id="single-cuda"),
    pytest.param(answers("pypi", DEFAULT_PLATFORMS), id="pypi"),
    pytest.param(answers("extras", CURRENT_PLATFORMS, accelerators=[CPU, CUDA]), id="extras-cpu-cuda"),
    pytest.param(
        answers("per-platform", DEFAULT_PLATFORMS, linux_accelerator=CUDA, windows_accelerator=CPU),
        id="per-platform",
    ),
    pytest.param(
        answers("single", DEFAULT_PLATFORMS, accelerator=CUDA, layout="virtual-workspace", workspace_members=["core"]),
        id="virtual-workspace",
    ),
]


@pytest.fixture(autouse=True)
def project_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Let uv read the project's own `[tool.uv]` settings. conftest sets UV_NO_CONFIG=1 to keep
    the user's uv.toml out, but that also drops `dependency-metadata` and
    `extra-build-dependencies` from pyproject.toml (uv 0.13.9); an empty XDG_CONFIG_HOME keeps
    the user's configuration out instead."""
    monkeypatch.setenv("UV_NO_CONFIG", "0")
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "no-user-config"))


def _render(copie, data: dict, pytorch_index: str) -> Path:
    result = copie.copy(extra_answers={**data, "pytorch_index_url": pytorch_index})
    assert result.exit_code == 0, result.exception
    return result.project_dir


def _requirement_lists(project: Path, data: dict) -> dict[str | None, list[str]]:
    """The requirement lists that carry torch: extra -> list (None: the dependencies)."""
    home = project / "packages" / "pin-pytorch" if data.get("layout") == "virtual-workspace" else project
    table = tomllib.loads((home / "pyproject.toml").read_text())["project"]
    if data["accelerator_strategy"] == "extras":
        return dict(table["optional-dependencies"])
    return {None: table["dependencies"]}


@pytest.mark.parametrize("data", ACCEPTED)
def test_rendered_configuration_follows_the_data(copie, data: dict) -> None:
    project = _render(copie, data, FACTS.default_index_url)
    uv = tomllib.loads((project / "pyproject.toml").read_text())["tool"]["uv"]
    assert uv["extra-build-dependencies"] == {
        "flash-attn": [{"requirement": "torch", "match-runtime": True}, *FLASH.build_requires]
    }
    assert uv["dependency-metadata"] == [
        {
            "name": "flash-attn",
            "version": FLASH.version,
            "requires-dist": list(FLASH.requires_dist),
            "requires-python": FLASH.requires_python,
        }
    ]
    assert uv["required-version"] == ">=0.10"
    for extra, requirements in _requirement_lists(project, data).items():
        flash = [r for r in requirements if r.startswith("flash-attn")]
        wanted = any(builds_flash_attn(data, p, extra) for p in data["platforms"])
        assert len(flash) == (1 if wanted else 0), f"extra {extra}: {flash}"
        if flash:
            assert flash[0].startswith(f"flash-attn=={FLASH.version}")
    readme = (project / "README.md").read_text()
    assert "## Compiled extensions" in readme and "match-runtime = true" in readme
    assert "no-build-isolation-package" in readme


def test_no_compiled_extension_leaves_the_configuration_alone(copie) -> None:
    data = {**answers("single", DEFAULT_PLATFORMS, accelerator=CUDA), "compiled_extensions": []}
    project = _render(copie, data, FACTS.default_index_url)
    uv = tomllib.loads((project / "pyproject.toml").read_text())["tool"]["uv"]
    assert "extra-build-dependencies" not in uv and "dependency-metadata" not in uv
    assert uv["required-version"] == ">=0.6.1"
    assert "## Compiled extensions" not in (project / "README.md").read_text()


def _python_for(data: dict) -> Path:
    python = interpreter_for(data["python_min"], data["python_max"])
    if python is None:
        have = ", ".join(interpreters())
        pytest.skip(f"no Python {data['python_min']}–{data['python_max']} interpreter here (have {have})")
    return python


@pytest.mark.lock
@pytest.mark.parametrize("data", ACCEPTED)
def test_locks_without_building_and_installs_where_it_compiles(copie, pytorch_index: str, data: dict) -> None:
    python = _python_for(data)
    project = _render(copie, data, pytorch_index)
    output = run_uv(["lock", "-v", "--python", str(python)], project)
    # uv takes the requirements from dependency-metadata: it neither downloads nor builds the sdist.
    assert f"Found dependency metadata entry for `flash-attn=={FLASH.version}`" in output
    assert "Downloading source distribution: flash-attn" not in output
    assert "Building flash-attn" not in output
    [flash] = [p for p in locked_packages(project) if p["name"] == "flash-attn"]
    assert flash["version"] == FLASH.version
    assert flash["sdist"]["hash"].startswith("sha256:") and "wheels" not in flash
    assert {d["name"] for d in flash["dependencies"]} == set(FLASH.requires_dist)
    # The PyTorch builds are the ones the lock matrix proves without flash-attn.
    verify_lock(project, data, pytorch_index, python)
    workspace = data.get("layout", "project") != "project"
    selection = ("--all-packages",) if workspace else ()
    verify_export(project, data, pytorch_index, FACTS, selection)
    for extra in extras_of(data):
        for platform in data["platforms"]:
            plan = planned_install(project, platform, python, extra, FACTS, selection)
            where = f"{platform}{' --extra ' + extra if extra else ''}"
            if builds_flash_attn(data, platform, extra):
                assert plan.get("flash-attn") and plan["flash-attn"].version == FLASH.version, where
            else:
                assert "flash-attn" not in plan, f"{where}: installs flash-attn, which cannot build there"


@pytest.mark.lock
@pytest.mark.skipif(
    not (sys.platform == "linux" and host.machine() == "x86_64"), reason="a real uv sync needs a linux-x86_64 machine"
)
@pytest.mark.skipif(CUDA is None, reason="the newest release has no CUDA variant for linux-x86_64")
def test_build_environment_gets_the_locked_torch_build(copie, pytorch_index: str) -> None:
    """`uv sync` builds flash-attn with the exact torch of uv.lock (match-runtime), from the
    variant's index. The replica's torch is a stand-in without `torch.utils`, so the build
    then stops at flash-attn's `from torch.utils.cpp_extension import ...`: torch itself was
    importable in the isolated environment."""
    data = answers("single", ["linux-x86_64"], accelerator=CUDA)
    python = _python_for(data)
    project = _render(copie, data, pytorch_index)
    lock(project, python)
    with pytest.raises(UvError) as failure:
        run_uv(["sync", "-v", "--python", str(python)], project)
    log = str(failure.value)
    release = expected_release(data, FACTS)
    assert f"Adding direct dependency: torch=={release}+{CUDA}" in log
    assert f"Selecting: torch=={release}+{CUDA} [compatible]" in log
    assert "No module named 'torch.utils'" in log
