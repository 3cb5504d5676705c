"""Opt-in: a `pypi` project synced against the real PyPI, with PyPI's real CUDA torch.

The end-to-end test installs a `+cpu` wheel through the replica, whose distribution and
`torch.__version__` agree. PyPI's Linux torch is a CUDA build whose `torch.__version__` has a
`+cuXYZ` label that its distribution version does not: only a real install shows whether the
doctor tells the two apart. This test renders `accelerator_strategy=pypi` for linux-x86_64,
runs `uv lock` and `uv sync` against uv's default index (the rendered project declares no other
index), then the project's own pytest and `<package>-doctor --strict`, and asserts the doctor
reports PyPI's build and no warning.

It downloads PyPI's CUDA torch and its NVIDIA libraries (about 3 GB), so it is deselected
unless asked for: `uv run pytest --real-pypi -m real_pypi -n 0 -s` (or TORCH_UV_REAL_PYPI=1).
Set UV_CACHE_DIR to keep the download between runs. Skipped, with the reason, on a machine
that is not Linux x86_64, without an interpreter for the newest release's Python range, or when
uv cannot reach its default index.
"""

from __future__ import annotations

import platform
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from interpreters import interpreters
from packaging.version import Version
from pytorch_facts import load_facts
from test_end_to_end import Steps
from uv import find_uv_bin

pytestmark = pytest.mark.real_pypi

PLATFORM = "linux-x86_64"
PRINT_BUILD = (
    "import importlib.metadata, torch;"
    " print(importlib.metadata.version('torch'), torch.__version__, torch.version.cuda or '-')"
)


def pypi_unreachable(steps: Steps, python: Path, scratch: Path) -> str | None:
    """Why uv cannot resolve from its default index, or None when it can (a one-package resolve)."""
    requirements = scratch / "probe.in"
    requirements.write_text("packaging\n")
    command = [find_uv_bin(), "pip", "compile", "--quiet", "--no-header", "--refresh-package", "packaging"]
    command += ["--python", str(python), str(requirements)]
    try:
        result = subprocess.run(
            command, capture_output=True, text=True, timeout=120, env={**steps.env, "UV_HTTP_TIMEOUT": "15"}
        )
    except subprocess.TimeoutExpired:
        return "uv pip compile of one package from its default index timed out"
    if result.returncode == 0:
        return None
    last = (result.stderr.strip().splitlines() or ["no output"])[-1].strip()
    return f"uv pip compile of one package from its default index failed ({result.returncode}): {last}"


def test_pypi_project_with_pypis_cuda_torch(copie, tmp_path: Path, record_property) -> None:
    if not (sys.platform == "linux" and platform.machine() == "x86_64"):
        pytest.skip(f"PyPI's CUDA torch installs on {PLATFORM} only; this is {sys.platform} {platform.machine()}")
    facts = load_facts()
    release = facts.newest
    minor = next((m for m in release.python if m in interpreters()), None)
    if minor is None:
        pytest.skip(f"no Python {release.python[0]}–{release.python[-1]} interpreter for torch {release.torch} here")
    python = interpreters()[minor]
    steps = Steps("real-pypi", record_property)
    if why := pypi_unreachable(steps, python, tmp_path):
        pytest.skip(why)

    with steps.timed("render"):
        result = copie.copy(
            extra_answers={
                "project_name": "Real PyPI",
                "accelerator_strategy": "pypi",
                "platforms": [PLATFORM],
                "torch_packages": [],
                "torch_min": release.minor,
                "python_min": minor,
                "python_max": minor,
                "ci": "none",
                "pre_commit": False,
            }
        )
    assert result.exit_code == 0, result.exception
    project = steps.project = result.project_dir
    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    # Only uv's default index (PyPI) and nothing else may be asked for packages.
    assert "index" not in pyproject.get("tool", {}).get("uv", {}), pyproject["tool"]["uv"]
    [doctor] = [name for name in pyproject["project"]["scripts"] if name.endswith("-doctor")]

    try:
        steps.uv("uv lock", "lock", "--python", str(python))
        steps.uv("uv sync", "sync", "--python", str(python))
        distribution, runtime, cuda = steps.uv("torch build", "run", "--no-sync", "python", "-c", PRINT_BUILD).split()
        print(f"[real-pypi] torch distribution {distribution}, torch.__version__ {runtime}, CUDA {cuda}", flush=True)
        record_property("torch", f"{distribution} / {runtime} / CUDA {cuda}")
        assert Version(distribution).local is None, f"PyPI's torch has a local version: {distribution}"
        assert cuda != "-", f"PyPI's Linux torch {distribution} is not a CUDA build"
        known = facts.release(f"{Version(distribution).major}.{Version(distribution).minor}")
        if known is not None and known.torch == distribution:  # the facts' PyPI build is the real one
            assert facts.variants[known.pypi[PLATFORM]].cuda == cuda, (known.pypi, cuda)

        tests = steps.uv("pytest", "run", "--no-sync", "pytest", "-q")
        record_property("project_tests", tests.strip().splitlines()[-1])
        print(f"[real-pypi] $ uv run pytest -q: {tests.strip().splitlines()[-1]}", flush=True)

        doctor_output = steps.uv(f"{doctor} --strict", "run", "--no-sync", doctor, "--strict")
        record_property("doctor_output", doctor_output)
        print(f"[real-pypi] $ uv run {doctor} --strict\n{doctor_output}", flush=True)
        shown_runtime = f"; torch.__version__ {runtime}" if runtime != distribution else ""
        [line] = [line.split(maxsplit=1)[1] for line in doctor_output.splitlines() if line.startswith("torch ")]
        assert line == f"{distribution} (PyPI's build: CUDA {cuda}{shown_runtime})", doctor_output
        assert "warning:" not in doctor_output and "ok: no problems found" in doctor_output, doctor_output
    finally:
        steps.report()
