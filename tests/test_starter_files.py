"""The starter files beyond the PyTorch configuration: what the generated README tells the reader
to run outside uv, the licence, the ignored files and the type checker.

- the README's `docker build`/`docker run` commands are ones the docs run
  (tests/test_generated_docs.py) recognises as needing a Docker daemon, so it names and counts
  them as skipped instead of failing or silently passing over them;
- `license`: an SPDX expression lands as PEP 639's `license` in every [project] table (the root,
  pin-pytorch, each member), validate-pyproject accepts it; MIT, Apache-2.0 and BSD-3-Clause get
  their full text in LICENSE with the author and the year (shipped in the wheel), any other
  expression no invented text and a README line saying to add it, the proprietary default none;
  an invalid or non-canonical expression is refused through the CLI, naming the answer, before
  anything is written;
- `.gitignore` keeps `.env` files, the root `data/` and `checkpoints/` folders, weights and
  experiment logs out of git (git check-ignore decides), and nothing the template renders nor
  a package's own `data` module;
- (marker `slow`) type checking: the rendered code passes `ty check` (the dev group's checker,
  the one CI runs) against a real CPU torch from the wheelhouse, in every layout.
"""

from __future__ import annotations

import datetime
import os
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest
from helpers import last_line, run_copier
from interpreters import interpreters
from licenses import PROPRIETARY, TEXTS
from pytorch_facts import load_facts
from test_generated_docs import shell_commands, skip_reason
from tool_versions import TOOLS
from uv_runner import UV
from validators import pyproject_errors
from wheelhouse import real_cpu_torch

TEMPLATE = Path(__file__).resolve().parents[1] / "template"


@pytest.mark.parametrize(
    "answers",
    [{"accelerator_strategy": "extras"}, {"accelerator_strategy": "pypi"}],
    ids=["extras", "pypi"],
)
def test_readme_docker_commands_are_skipped_by_name_in_the_docs_run(render, answers: dict) -> None:
    project = render({**answers, "docker": True, "ci": "github", "pre_commit": True})
    commands = [c for _, block in shell_commands((project / "README.md").read_text()) for c in block]
    docker = [command for command in commands if "docker " in command]
    assert docker and any(c.startswith("docker build") for c in docker), commands
    assert {skip_reason(command) for command in docker} == {"docker: no daemon here"}, docker


# --- license --------------------------------------------------------------------------------


def project_tables(project: Path) -> dict[str, dict]:
    """Every pyproject.toml's [project] table, by path."""
    tables = {}
    for path in sorted(project.rglob("pyproject.toml")):
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        if "project" in data:
            tables[path.relative_to(project).as_posix()] = data["project"]
    return tables


@pytest.mark.parametrize("layout", ["project", "workspace", "virtual-workspace"])
@pytest.mark.parametrize("license", [*TEXTS, "MIT OR Apache-2.0", "LicenseRef-Custom", PROPRIETARY])
def test_license_answer_lands_in_every_project_table_and_license_file(render, layout: str, license: str) -> None:
    answers = {"license": license, "layout": layout, "workspace_members": ["core"], "author_name": "Ada Lovelace"}
    project = render({**answers, "ci": "none", "docker": False, "pre_commit": False})

    tables = project_tables(project)
    expected = {"project": {"pyproject.toml"}, "workspace": {"pyproject.toml", "packages/core/pyproject.toml"}}
    expected["virtual-workspace"] = {"packages/pin-pytorch/pyproject.toml", "packages/core/pyproject.toml"}
    assert set(tables) == expected[layout]
    assert {table["license"] for table in tables.values()} == {license}, tables
    assert not (errors := pyproject_errors(*(project / path for path in tables))), errors

    readme = (project / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## License\n", 1)[1]
    if license in TEXTS:
        text = (project / "LICENSE").read_text(encoding="utf-8")
        shipped = (TEMPLATE / "_licenses" / f"{license}.jinja").read_text(encoding="utf-8")
        year = datetime.date.today().year
        assert text == shipped.replace("{{ year }}", str(year)).replace("{{ holder }}", "Ada Lovelace")
        assert f"Copyright (c) {year}" in text or f"Copyright {year} Ada Lovelace" in text
        assert "see `LICENSE`" in section
        root = tomllib.loads((project / "pyproject.toml").read_text(encoding="utf-8"))
        assert root.get("project", {}).get("license-files", ["LICENSE"]) == ["LICENSE"]
    else:
        assert not (project / "LICENSE").exists()
        assert "no licence is granted" in section if license == PROPRIETARY else "add the\nlicence text" in section
    assert "license-files" not in (project / "pyproject.toml").read_text(encoding="utf-8") or license in TEXTS


def test_license_without_author_names_the_projects_authors(render) -> None:
    project = render({"license": "BSD-3-Clause", "author_name": "", "ci": "none"})
    assert f"Copyright (c) {datetime.date.today().year}, The My Torch Project authors\n" in (
        project / "LICENSE"
    ).read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("license", "expected"),
    [
        ("MIT AND", "license: 'MIT AND' is not an SPDX licence expression"),
        ("Not A Licence", "license: 'Not A Licence' is not an SPDX licence expression"),
        ("", "license: '' is not an SPDX licence expression"),
        ("apache-2.0", "license: write 'apache-2.0' as 'Apache-2.0'"),
    ],
    ids=["dangling-operator", "unknown-id", "empty", "not-canonical"],
)
def test_bad_license_is_refused_before_writing(license: str, expected: str, tmp_path: Path) -> None:
    destination = tmp_path / "project"
    code, output = run_copier({"license": license}, destination)
    assert code != 0, output
    assert expected in last_line(output), output
    assert not destination.exists()


# --- .gitignore -----------------------------------------------------------------------------


def test_gitignore_keeps_secrets_data_and_checkpoints_out_but_not_the_code(render, tmp_path: Path) -> None:
    """git itself decides, in a repository holding the rendered project and files it must ignore."""
    project = render({"layout": "workspace", "workspace_members": ["core"], "ci": "none"})
    repo = tmp_path / "repo"
    shutil.copytree(project, repo)
    ignored = [
        ".env",
        ".env.local",
        "data/train.csv",
        "checkpoints/epoch=3.ckpt",
        "model.safetensors",
        "export/model.onnx",
        "weights.pt",
        "runs/exp1/events.out",
        "wandb/run-1/log",
        "lightning_logs/v0/x",
    ]
    kept = ["src/my_torch_project/data/__init__.py", "packages/core/src/core/data.py", ".env.example"]
    for name in ignored + kept:
        (repo / name).parent.mkdir(parents=True, exist_ok=True)
        (repo / name).write_text("x\n")
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    check = subprocess.run(
        ["git", "check-ignore", "--no-index", *ignored, *kept], cwd=repo, capture_output=True, text=True
    )
    assert set(check.stdout.split()) == set(ignored), check.stdout
    # Nothing the template renders is ignored.
    rendered = [p.relative_to(project).as_posix() for p in project.rglob("*") if p.is_file()]
    check = subprocess.run(["git", "check-ignore", "--no-index", *rendered], cwd=repo, capture_output=True, text=True)
    assert check.stdout == "", check.stdout


# --- type checking --------------------------------------------------------------------------


@pytest.mark.slow
@pytest.mark.parametrize(
    "answers",
    [
        {"accelerator_strategy": "single", "accelerator": "cpu"},
        {"accelerator_strategy": "extras", "layout": "workspace", "workspace_members": ["core"]},
        {"accelerator_strategy": "per-platform", "layout": "virtual-workspace", "workspace_members": ["core"]},
    ],
    ids=["single-project", "extras-workspace", "perplatform-virtual-workspace"],
)
def test_rendered_code_passes_the_type_checker(render, answers: dict, tmp_path: Path) -> None:
    """ty, as CI runs it (`uv run --no-sync ty check`), on an environment holding a real torch:
    its types are what the generated code is checked against (a stand-in torch has none)."""
    wheel, why_not = real_cpu_torch()
    if wheel is None:
        pytest.skip(why_not)
    release = next((r for r in load_facts().releases if r.minor == wheel.torch_min), None)
    python = interpreters().get(wheel.python)
    if release is None or python is None:
        pytest.skip(f"{wheel.path.name}: no torch {wheel.torch_min} in the facts or no Python {wheel.python} here")
    project = render({**answers, "torch_min": wheel.torch_min, "python_min": wheel.python, "ci": "github"})
    packages = [Path(path).parent for path in project_tables(project)]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "UV_PROJECT"))}
    venv = tmp_path / "venv"

    def uv(*args: str) -> None:
        done = subprocess.run([*UV, *args], cwd=project, env=env, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stdout + done.stderr

    uv("venv", "--quiet", "--python", str(python), str(venv))
    requirements = [str(wheel.path), f"pytest{TOOLS['pytest']}", f"ty{TOOLS['ty']}"]
    uv("pip", "install", "--quiet", "--python", str(venv), *requirements)
    editable = [argument for package in packages for argument in ("-e", str(project / package))]
    uv("pip", "install", "--quiet", "--no-deps", "--python", str(venv), *editable)

    ty = subprocess.run(
        [str(venv / "bin" / "ty"), "check", "--python", str(venv), "--output-format", "concise"],
        cwd=project,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert ty.returncode == 0, ty.stdout + ty.stderr
    assert "All checks passed!" in ty.stdout + ty.stderr
    # CI runs the same command, after installing the project.
    workflow = (project / ".github/workflows/ci.yml").read_text(encoding="utf-8")
    assert "run: uv run --no-sync ty check" in workflow
