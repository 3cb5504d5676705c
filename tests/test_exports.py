"""What the generated README says about exports and switching builds, checked with the real uv.

- The pylock.toml check of the lock matrix (tests/export_check.py) catches a PyTorch package
  that left its index (a guard: torchvision without its source fails it).
- `uv export --format requirements.txt --emit-index-url` writes every explicit index as a
  global `--extra-index-url`, the other extras' ones too, and warns (truth).
- Switching between builds of the same version in one environment (uv#16368): uv 0.13.9
  replaces a build with a local version by one without, and `--reinstall-package` does too,
  which is what scripts/sync.py adds (truth, with two tiny wheels on two local indexes).
"""

from __future__ import annotations

import base64
import hashlib
import re
import zipfile
from pathlib import Path

import pytest
from expectations import extras_of
from export_check import verify_export
from pytorch_facts import load_facts
from test_compiled_extensions import project_settings  # noqa: F401 (a fixture)
from uv_runner import lock, run_uv

pytestmark = pytest.mark.lock

FACTS = load_facts()
NEWEST = FACTS.newest
PLATFORMS = ["linux-x86_64", "windows-x86_64", "macos-arm64"]
# Two variants of the newest release with wheels for all of them but macOS (CPU and a GPU build).
PAIR = [v for v in NEWEST.variants if {"linux-x86_64", "windows-x86_64"} <= set(FACTS.variants[v].platforms)][:2]


def answers(**extra) -> dict:
    return {
        "accelerator_strategy": "extras",
        "accelerators": PAIR,
        "platforms": PLATFORMS,
        "torch_min": NEWEST.minor,
        "python_min": NEWEST.python[0],
        "python_max": NEWEST.python[-1],
        "torch_packages": ["torchvision"],
        "ci": "none",
        "pre_commit": False,
        **extra,
    }


@pytest.fixture
def locked(copie, pytorch_index: str, python: Path) -> Path:
    if len(PAIR) < 2:
        pytest.skip("the newest release has fewer than two variants for Linux and Windows")
    result = copie.copy(extra_answers={**answers(), "pytorch_index_url": pytorch_index})
    assert result.exit_code == 0, result.exception
    lock(result.project_dir, python)
    return result.project_dir


def test_export_check_catches_a_package_off_its_index(locked: Path, pytorch_index: str, python: Path) -> None:
    verify_export(locked, answers(), pytorch_index, FACTS)
    pyproject = locked / "pyproject.toml"
    text = pyproject.read_text()
    without = re.sub(r"^torchvision = \[\n(?:    .*\n)*\]\n", "", text, flags=re.MULTILINE)
    assert without != text, "no torchvision source to remove"
    pyproject.write_text(without)
    lock(locked, python)
    with pytest.raises(AssertionError, match=r"torchvision.*(expected|local version)"):
        verify_export(locked, answers(), pytorch_index, FACTS)


@pytest.mark.usefixtures("project_settings")  # UV_NO_CONFIG=1 would drop the indexes from the export
def test_requirements_export_spreads_every_index_and_warns(locked: Path, pytorch_index: str) -> None:
    extra = extras_of(answers())[0]
    output = run_uv(
        ["export", "--format", "requirements.txt", "--frozen", "--no-dev", "--extra", extra, "--emit-index-url"],
        locked,
    )
    assert "does not support per-package index pinning" in output
    global_indexes = re.findall(r"^--extra-index-url (\S+)$", output, re.MULTILINE)
    assert sorted(global_indexes) == sorted(f"{pytorch_index}/{variant}" for variant in PAIR)
    assert re.search(rf"^torch==\S+\+{re.escape(PAIR[0])} ", output, re.MULTILINE)


# --- switching builds in one environment ------------------------------------------------------


def _wheel_index(root: Path, version: str) -> str:
    """A one-wheel PEP 503 index for `demo==version`; returns its URL."""
    name = f"demo-{version}-py3-none-any.whl"
    files = {
        "demo/__init__.py": f"__version__ = {version!r}\n",
        f"demo-{version}.dist-info/METADATA": f"Metadata-Version: 2.1\nName: demo\nVersion: {version}\n",
        f"demo-{version}.dist-info/WHEEL": "Wheel-Version: 1.0\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = []
    (root / "simple" / "demo").mkdir(parents=True)
    with zipfile.ZipFile(root / name, "w") as archive:
        for path, content in files.items():
            archive.writestr(path, content)
            digest = base64.urlsafe_b64encode(hashlib.sha256(content.encode()).digest()).rstrip(b"=").decode()
            record.append(f"{path},sha256={digest},{len(content)}")
        record.append(f"demo-{version}.dist-info/RECORD,,")
        archive.writestr(f"demo-{version}.dist-info/RECORD", "\n".join(record) + "\n")
    sha = hashlib.sha256((root / name).read_bytes()).hexdigest()
    (root / "simple" / "demo" / "index.html").write_text(f'<a href="../../{name}#sha256={sha}">{name}</a>\n')
    return (root / "simple").as_uri()


def _installed(project: Path) -> str:
    [metadata] = project.glob(".venv/lib/python*/site-packages/demo-*.dist-info/METADATA")
    lines = metadata.read_text().splitlines()
    return next(line.split(":", 1)[1].strip() for line in lines if line.startswith("Version:"))


@pytest.mark.parametrize("reinstall", [False, True], ids=["plain-sync", "reinstall-package"])
def test_switching_from_a_local_version_replaces_the_build(tmp_path: Path, python: Path, reinstall: bool) -> None:
    local = PAIR[0] if PAIR else "local"
    project = tmp_path / "project"
    project.mkdir()
    (project / "pyproject.toml").write_text(
        f"""[project]
name = "switch"
version = "0"
requires-python = ">={NEWEST.python[0]}"

[project.optional-dependencies]
variant = ["demo>=1.0"]
plain = ["demo>=1.0"]

[tool.uv]
conflicts = [[{{ extra = "variant" }}, {{ extra = "plain" }}]]

[tool.uv.sources]
demo = [{{ index = "variant", extra = "variant" }}, {{ index = "plain", extra = "plain" }}]

[[tool.uv.index]]
name = "variant"
url = "{_wheel_index(tmp_path / "variant", f"1.0+{local}")}"
explicit = true

[[tool.uv.index]]
name = "plain"
url = "{_wheel_index(tmp_path / "plain", "1.0")}"
explicit = true
"""
    )
    sync = ["sync", "--python", str(python)]
    run_uv([*sync, "--extra", "variant"], project)
    assert _installed(project) == f"1.0+{local}"
    run_uv([*sync, "--extra", "plain", *(["--reinstall-package", "demo"] if reinstall else [])], project)
    assert _installed(project) == "1.0", "uv kept the build with a local version (uv#16368)"
    # No extra chosen: no build at all (uv#10360, no default extra).
    run_uv(sync, project)
    assert not list(project.glob(".venv/lib/python*/site-packages/demo-*.dist-info"))
