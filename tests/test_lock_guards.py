"""The lock proof catches what it claims to catch.

- `required-environments` turns "a platform has no wheel" into a failed lock; without it
  the same lock succeeds and holds no torch at all for that platform (the field report).
- A template that breaks a promise fails the lock matrix: a source without its marker
  (macOS sent to a CUDA index), or torchvision left without a source (PyPI's build).
- A lock the facts refuse is made again from scratch, not from the refused uv.lock.
"""

from __future__ import annotations

import re
import shutil
import tomllib
from pathlib import Path

import pytest
import tomlkit
import uv_runner
from answer_matrix import gpu_variant
from expectations import expected_release
from index_replica import ReplicaServer
from interpreters import interpreter_for
from packaging.version import Version
from pytorch_facts import load_facts
from template_versions import replace_once
from test_lock import verify_lock
from uv_runner import UvError, lock, locked_packages

pytestmark = pytest.mark.lock
FACTS = load_facts()

ANSWERS = {
    "accelerator_strategy": "single",
    "accelerator": "cpu",
    "platforms": ["linux-x86_64", "windows-x86_64", "macos-arm64"],
    "torch_packages": ["torchvision"],
    "ci": "none",
    "pre_commit": False,
}
NEWEST = load_facts().newest
# A CUDA build of the newest release over its whole Python range.
CUDA_ANSWERS = {
    **ANSWERS,
    "accelerator": gpu_variant(NEWEST, load_facts(), "cuda"),
    "torch_min": NEWEST.minor,
    "python_min": NEWEST.python[0],
    "python_max": NEWEST.python[-1],
}


@pytest.fixture
def replica_without_windows(replica_root: Path, tmp_path: Path):
    """The replica with every win_amd64 wheel taken off the cpu index."""
    root = tmp_path / "replica-without-windows"
    (root / "cpu").mkdir(parents=True)
    (root / "files").symlink_to(replica_root / "files")
    for project in (replica_root / "cpu").iterdir():
        if project.is_dir():
            page = (project / "index.html").read_text()
            (root / "cpu" / project.name).mkdir()
            kept = "\n".join(line for line in page.splitlines() if "win_amd64" not in line)
            (root / "cpu" / project.name / "index.html").write_text(kept + "\n")
    with ReplicaServer(root) as server:
        yield server.base_url


def drop_setting(pyproject: Path, key: str) -> None:
    """Remove a multi-line `key = [...]` array from pyproject.toml."""
    replace_once(pyproject, rf"^{key} = \[\n(?:    .*\n)*\]\n", "")


def test_required_environments_turn_a_missing_wheel_into_a_failed_lock(
    copie, replica_without_windows: str, python: Path
) -> None:
    result = copie.copy(extra_answers={**ANSWERS, "pytorch_index_url": replica_without_windows})
    assert result.exit_code == 0, result.exception
    project = result.project_dir

    with pytest.raises(UvError, match=r"(?s)No solution found when resolving dependencies for split.*win32"):
        lock(project, python)

    # The same project without the guard: uv "succeeds" and Windows silently has no torch.
    drop_setting(project / "pyproject.toml", "required-environments")
    drop_setting(project / "pyproject.toml", "environments")
    lock(project, python)
    torch_wheels = [w["url"] for p in locked_packages(project) if p["name"] == "torch" for w in p.get("wheels", [])]
    assert torch_wheels and not [url for url in torch_wheels if "win_amd64" in url]


def test_a_source_without_its_marker_fails_the_lock_proof(
    copie, broken_template, pytorch_index: str, python: Path
) -> None:
    template = broken_template(
        "template/_pyproject.jinja", re.escape('{% if source.marker %}, marker = "{{ source.marker }}"{% endif %}'), ""
    )
    result = copie.copy(extra_answers={**CUDA_ANSWERS, "pytorch_index_url": pytorch_index}, template_dir=template)
    assert result.exit_code == 0, result.exception
    assert "marker" not in tomllib.loads((result.project_dir / "pyproject.toml").read_text())["tool"]["uv"]["sources"]
    with pytest.raises(AssertionError, match="darwin|macos"):
        lock(result.project_dir, python)
        verify_lock(
            result.project_dir,
            CUDA_ANSWERS,
            pytorch_index,
            python,
        )


def test_torchvision_without_a_source_fails_the_lock_proof(
    copie, broken_template, pytorch_index: str, python: Path
) -> None:
    template = broken_template(
        "extensions/uv_config.py",
        r"for package in served:",
        'for package in [p for p in served if p != "torchvision"]:',
    )
    answers = CUDA_ANSWERS
    result = copie.copy(extra_answers={**answers, "pytorch_index_url": pytorch_index}, template_dir=template)
    assert result.exit_code == 0, result.exception
    lock(result.project_dir, python)
    with pytest.raises(AssertionError, match=r"torchvision.*expected"):
        verify_lock(result.project_dir, answers, pytorch_index, python)


def test_a_companion_left_on_pypi_fails_the_lock_proof(
    copie, broken_template, pytorch_index: str, python: Path
) -> None:
    """torchcodec/torchao from PyPI next to an index torch is another build: the proof sees it."""
    companion = next(iter(FACTS.companions))
    variant = next(
        v
        for v in FACTS.newest.variants
        if FACTS.companions[companion].on_index_of(FACTS.variants[v]) and FACTS.variants[v].kind != "cpu"
    )
    template = broken_template(
        "extensions/uv_config.py",
        r"for package in served:",
        f'for package in [p for p in served if p != "{companion}"]:',
    )
    newest = FACTS.newest
    wheels_for = FACTS.companions[companion].python
    pythons = [m for m in newest.python if not wheels_for or m in wheels_for]  # minors it has wheels for
    answers = {
        **ANSWERS,
        "accelerator": variant,
        "torch_packages": ["torchvision", companion],
        "torch_min": newest.minor,
        "python_min": pythons[0],
        "python_max": pythons[-1],
    }
    result = copie.copy(extra_answers={**answers, "pytorch_index_url": pytorch_index}, template_dir=template)
    assert result.exit_code == 0, result.exception
    assert companion not in tomllib.loads((result.project_dir / "pyproject.toml").read_text())["tool"]["uv"]["sources"]
    lock(result.project_dir, python)
    with pytest.raises(AssertionError, match=rf"{companion}.*expected"):
        verify_lock(result.project_dir, answers, pytorch_index, python)


def locked_torch(project: Path) -> set[str]:
    return {Version(p["version"]).base_version for p in locked_packages(project) if p["name"] == "torch"}


def test_a_lock_the_facts_refuse_is_made_again_from_scratch(
    render, pytorch_index: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`uv lock` keeps what an existing uv.lock holds while it still fits the requirements. An
    offline lock from an incomplete cache can settle on an older torch; once refused, the online
    lock must not start from it (a full run locked torch 2.13.0 where the facts expect 2.14.1:
    the online relock had kept the offline lock's choice). The offline lock is played by a
    uv.lock of the older release put in place; the online lock is uv's."""
    older = FACTS.releases[1]
    pythons = [minor for minor in NEWEST.python if minor in older.python]
    answers = {
        **ANSWERS,
        "platforms": ["linux-x86_64"],
        "torch_packages": [],
        "torch_min": older.minor,
        "python_min": pythons[0],
        "python_max": pythons[-1],
    }
    python = interpreter_for(pythons[0], pythons[-1])
    if python is None:
        pytest.skip(f"no Python {pythons[0]}–{pythons[-1]} interpreter on this machine")
    project = tmp_path / "project"
    shutil.copytree(render({**answers, "pytorch_index_url": pytorch_index}), project, symlinks=True)
    pyproject = project / "pyproject.toml"
    original = pyproject.read_text(encoding="utf-8")
    # A lock of the older release for the same project: what the offline lock settles on.
    document = tomlkit.parse(original)
    document["tool"]["uv"]["constraint-dependencies"] = [f"torch<{NEWEST.minor}"]
    pyproject.write_text(tomlkit.dumps(document), encoding="utf-8")
    lock(project, python)
    assert locked_torch(project) == {older.torch}
    settled = (project / "uv.lock").read_text(encoding="utf-8")
    pyproject.write_text(original, encoding="utf-8")
    (project / "uv.lock").unlink()

    run_uv = uv_runner.run_uv

    def offline_settles_on_the_older_release(args: list[str], cwd: Path, *rest, **options) -> str:
        if "--offline" in args:
            (cwd / "uv.lock").write_text(settled, encoding="utf-8")
            return "Resolved (offline)"
        return run_uv(args, cwd, *rest, **options)

    monkeypatch.setattr(uv_runner, "run_uv", offline_settles_on_the_older_release)
    monkeypatch.setenv(uv_runner.OFFLINE_FIRST, "1")
    wanted = expected_release(answers, FACTS)
    lock(project, python, expected=lambda locked: locked_torch(locked) == {wanted})

    assert wanted == NEWEST.torch and locked_torch(project) == {wanted}
