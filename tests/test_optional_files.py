"""The optional files: CI (GitHub Actions, GitLab CI), dependency updates (Dependabot, Renovate),
Dockerfile and pre-commit configuration.

- every ci × docker × pre_commit answer yields exactly its files, and they pass their real
  validators (check-jsonschema's GitHub/GitLab/Dependabot/Renovate schemas, pre-commit
  validate-config, hadolint, zizmor);
- the dependency updates cover uv.lock, the pinned actions and the pinned hook repository;
- the CI files hold the promised jobs, test both ends of the Python range, and their
  merge-conflict check really fails on markers; every action is pinned to the commit
  tool_versions.ACTIONS names, and zizmor finds nothing;
- pre-commit runs the project's own ruff (uv.lock's), the one CI lints with;
- for every accelerator in the facts, the Dockerfile builds with uv's Debian image and runs on
  a slim Debian (torch's wheels bring CUDA, cuDNN and ROCm: no second copy from a CUDA or ROCm
  base image; XPU on the variant's `docker_image`, Intel's driver being no wheel), a compiled
  extension builds in the toolkit's -devel image, and the GitHub workflow installs CPU torch
  where the lock holds a GPU build;
- (marker `lock`) against the local index replica: the CI step that swaps the locked GPU build
  for the CPU build installs no GPU package, keeps the lock's versions and verifies uv.lock.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from answer_matrix import gpu_variant
from conftest import text_problems
from pytorch_facts import load_facts
from test_validators import check_pinned_and_minimal
from tool_versions import ACTIONS, TOOLS
from validators import assert_valid, hadolint_errors

FACTS = load_facts()
# A CUDA and a ROCm build of the newest release (the CUDA one the template prefers).
CUDA, ROCM = gpu_variant(FACTS.newest, FACTS, "cuda"), gpu_variant(FACTS.newest, FACTS, "rocm")
GITHUB_WORKFLOW = ".github/workflows/ci.yml"
UPDATE_WORKFLOW = ".github/workflows/template-update.yml"
GITLAB_CI = ".gitlab-ci.yml"
PRE_COMMIT = ".pre-commit-config.yaml"
DEPENDABOT = ".github/dependabot.yml"
RENOVATE = "renovate.json"
DEFAULT_RUNNERS = {"ubuntu-latest", "macos-latest", "windows-latest"}
# copier update's inline conflict markers (tests/template_versions.py pins the same ones).
CONFLICTED = (
    "a = 1\n<<<<<<< before updating\nb = 1\n||||||| last update\nb = 0\n=======\nb = 2\n>>>>>>> after updating\n"
)
CLEAN = "title\n=====\n\nx = '<<<<<<< not at line start'\n  =======\n"
# What `docker run` needs for each kind of build (uv_config.DOCKER_DEVICES, spelled out).
DOCKER_FLAGS = {
    "cpu": "",
    "cuda": "--gpus all",
    "rocm": "--device=/dev/kfd --device=/dev/dri --group-add video",
    "xpu": "--device=/dev/dri",
}
GPU_PACKAGE = re.compile(r"^(nvidia-|cuda-|triton|pytorch-triton|intel-)")


def load_yaml(path: Path) -> dict:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict), f"{path.name} does not hold a YAML mapping"
    return data


def newest_release_with(variant: str):
    return next(release for release in FACTS.releases if variant in release.variants)


def image_of(variant: str, python: str) -> str:
    return FACTS.variants[variant].docker_image.replace("{python}", python)


UV_IMAGE = f"ghcr.io/astral-sh/uv:{TOOLS['uv']}-{TOOLS['debian']}-slim"
SLIM_DEBIAN = f"debian:{TOOLS['debian']}-slim"


def stages_of(variant: str, python: str) -> list[str]:
    """The build and the runtime stage's images for a build of `variant` compiling nothing."""
    return [UV_IMAGE, image_of(variant, python) if FACTS.variants[variant].kind == "xpu" else SLIM_DEBIAN]


def from_lines(dockerfile: Path) -> list[str]:
    return re.findall(r"^FROM\s+(\S+)", dockerfile.read_text(encoding="utf-8"), re.MULTILINE)


def runs(steps: list[dict]) -> str:
    return "\n".join(step.get("run", "") for step in steps)


def matrix_of(workflow: dict, python: str | None = None) -> dict[str, dict]:
    """The test matrix by platform, for one Python (by default the oldest: every platform has it)."""
    entries = workflow["jobs"]["test"]["strategy"]["matrix"]["include"]
    python = python or min((entry["python"] for entry in entries), key=lambda v: tuple(map(int, v.split("."))))
    return {entry["platform"]: entry for entry in entries if entry["python"] == python}


def cpu_swap_script(project: Path, ci: str) -> tuple[str, dict]:
    """The shell script that installs the CPU build in place of the locked GPU build, and its env."""
    if ci == "github":
        workflow = load_yaml(project / GITHUB_WORKFLOW)
        step = next(s for s in workflow["jobs"]["test"]["steps"] if s.get("if") == "matrix.torch == 'cpu-index'")
        return step["run"], dict(step.get("env", {}))
    job = load_yaml(project / GITLAB_CI)["test"]
    return next(line for line in job["script"] if "--no-install-package" in line), {}


def conflict_check_fails(project: Path, ci: str, files: dict[str, str]) -> bool:
    """Run the CI job's merge-conflict check in a git repository holding `files`."""
    if ci == "github":
        steps = load_yaml(project / GITHUB_WORKFLOW)["jobs"]["conflict-markers"]["steps"]
        script = next(s["run"] for s in steps if "run" in s)
    else:
        script = "\n".join(load_yaml(project / GITLAB_CI)["conflict-markers"]["script"])
    repo = project.parent / f"conflict-check-{ci}-{len(list(project.parent.iterdir()))}"
    repo.mkdir()
    for name, text in files.items():
        (repo / name).write_text(text, encoding="utf-8")
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    subprocess.run(["git", "add", "-A"], cwd=repo, check=True)
    result = subprocess.run(["bash", "-eo", "pipefail", "-c", script], cwd=repo, capture_output=True, text=True)
    assert result.returncode in (0, 1), result.stderr
    return result.returncode == 1


# --- which files, and what they hold --------------------------------------------------------


@pytest.mark.parametrize(
    ("ci", "docker", "pre_commit"),
    list(itertools.product(["github", "gitlab", "none"], [True, False], [True, False])),
    ids=lambda value: str(value).lower(),
)
def test_optional_files_follow_the_answers(render, ci: str, docker: bool, pre_commit: bool) -> None:
    project = render({"ci": ci, "docker": docker, "pre_commit": pre_commit})

    assert (project / GITHUB_WORKFLOW).is_file() == (ci == "github")
    assert (project / ".github").exists() == (ci == "github")
    assert (project / GITLAB_CI).is_file() == (ci == "gitlab")
    assert (project / "Dockerfile").is_file() == docker
    assert (project / ".dockerignore").is_file() == docker
    assert (project / PRE_COMMIT).is_file() == pre_commit
    assert (project / DEPENDABOT).is_file() == (ci == "github")
    assert (project / RENOVATE).is_file() == (ci == "gitlab")
    leftovers = [p.name for p in project.rglob("*") if p.name in ("", ".jinja") or p.suffix == ".jinja"]
    assert not leftovers, f"unrendered file names: {leftovers}"

    for name in (
        GITHUB_WORKFLOW,
        UPDATE_WORKFLOW,
        GITLAB_CI,
        DEPENDABOT,
        RENOVATE,
        PRE_COMMIT,
        "Dockerfile",
        ".dockerignore",
    ):
        if not (project / name).is_file():
            continue
        assert not text_problems(name, (project / name).read_text(encoding="utf-8"))
    # The generated README says how to use each of them, and nothing about the missing ones.
    readme = (project / "README.md").read_text(encoding="utf-8")
    assert ("uvx pre-commit install" in readme) == pre_commit
    assert ("docker build" in readme and "docker run" in readme) == docker
    assert ("Dependabot" in readme) == (ci == "github") and ("renovate.json" in readme) == (ci == "gitlab")
    assert ("uv audit --locked" in readme) == (ci != "none")
    # The files parse and follow their formats: SchemaStore's schemas, pre-commit, hadolint.
    assert_valid(project)
    if ci == "github":
        check_github_workflow(project)
        check_dependabot(project, pre_commit)
    if ci == "gitlab":
        check_gitlab_ci(project)
        check_renovate(project, pre_commit)
    if pre_commit:
        check_pre_commit(project)
    if docker:
        check_dockerfile(project)


@pytest.mark.parametrize("pre_commit", [True, False], ids=["pre-commit", "no-pre-commit"])
def test_message_after_copy_installs_the_hooks_after_the_sync(render, capfd, pre_commit: bool) -> None:
    render({"pre_commit": pre_commit, "ci": "none"}, fresh=True)
    message = capfd.readouterr().err
    assert "uv sync" in message and ("uvx pre-commit install" in message) == pre_commit, message
    if pre_commit:
        assert message.index("uv sync") < message.index("uvx pre-commit install"), message


def readme_docker_commands(project: Path) -> list[str]:
    """The `docker` commands of the generated README, in order."""
    readme = (project / "README.md").read_text(encoding="utf-8")
    return re.findall(r"^(docker (?:build|run) .*)$", readme, re.MULTILINE)


def check_github_workflow(project: Path) -> None:
    workflow = load_yaml(project / GITHUB_WORKFLOW)
    text = (project / GITHUB_WORKFLOW).read_text(encoding="utf-8")
    jobs = workflow["jobs"]
    assert {"conflict-markers", "lint", "lock", "test"} <= set(jobs)
    assert "uv run --no-sync ruff check" in runs(jobs["lint"]["steps"])
    assert "uv run --no-sync ruff format --check" in runs(jobs["lint"]["steps"])
    assert "uv lock --check" in runs(jobs["lock"]["steps"])
    # Linux, macOS and Windows for the default platforms.
    assert {entry["os"] for entry in matrix_of(workflow).values()} == DEFAULT_RUNNERS
    assert jobs["test"]["runs-on"] == "${{ matrix.os }}"
    assert "uv run --no-sync pytest" in runs(jobs["test"]["steps"])
    # Every action pinned to the commit of the release tool_versions.ACTIONS names, read-only
    # token, checkout without persisted credentials (nothing in ci.yml pushes).
    check_pinned_and_minimal(project / GITHUB_WORKFLOW)
    pinned = {f"{action}@{sha}": tag for action, sha, tag in ACTIONS.values()}
    for line in re.findall(r"^\s*(?:- )?uses: (\S+)\s+# (\S+)$", text, re.MULTILINE):
        assert pinned.get(line[0]) == line[1], line
    # setup-uv with its cache on in every job that installs the project's dependencies.
    setups = {name: s for name, job in jobs.items() for s in job["steps"] if s.get("uses", "").startswith("astral-sh/")}
    assert set(setups) == {"lint", "lock", "audit", "test"}
    assert all(setups[name]["with"]["enable-cache"] is True for name in ("lint", "lock", "test"))
    # uv audit reads uv.lock alone.
    assert "uv audit --locked --preview-features audit-command" in runs(jobs["audit"]["steps"])
    # Both ends of the Python range: every platform with python_min, the first one with python_max too.
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text(encoding="utf-8"))
    entries = jobs["test"]["strategy"]["matrix"]["include"]
    assert {entry["python"] for entry in entries} == {answers["python_min"], answers["python_max"]}
    assert set(matrix_of(workflow, answers["python_min"])) == set(answers["platforms"])
    if answers["python_max"] != answers["python_min"]:
        assert len(matrix_of(workflow, answers["python_max"])) == 1
    assert setups["test"]["with"]["python-version"] == "${{ matrix.python }}"
    # The merge-conflict check fails on copier's markers, and only on them.
    assert conflict_check_fails(project, "github", {"pyproject.toml": CONFLICTED, "README.md": CLEAN})
    assert not conflict_check_fails(project, "github", {"README.md": CLEAN})
    assert "${{" in text


def check_gitlab_ci(project: Path) -> None:
    ci = load_yaml(project / GITLAB_CI)
    assert {"conflict-markers", "lint", "lock", "test"} <= set(ci)
    assert ci["stages"] == ["check", "test"]
    assert "uv run --no-sync ruff check" in ci["lint"]["script"]
    assert "uv run --no-sync ruff format --check" in ci["lint"]["script"]
    assert "uv lock --check" in ci["lock"]["script"]
    assert "uv run --no-sync pytest" in ci["test"]["script"]
    assert "uv audit --locked --preview-features audit-command" in ci["audit"]["script"]
    # Both ends of the Python range (uv downloads each: the image has no Python).
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text(encoding="utf-8"))
    if answers["python_max"] != answers["python_min"]:
        ends = [answers["python_min"], answers["python_max"]]
        assert ci["test"]["parallel"]["matrix"] == [{"UV_PYTHON": ends}]
    assert ci["default"]["image"] == f"ghcr.io/astral-sh/uv:$UV_VERSION-{TOOLS['debian']}-slim"
    assert "Linux only" in (project / GITLAB_CI).read_text(encoding="utf-8")
    assert conflict_check_fails(project, "gitlab", {"pyproject.toml": CONFLICTED, "README.md": CLEAN})
    assert not conflict_check_fails(project, "gitlab", {"README.md": CLEAN})


def check_dependabot(project: Path, pre_commit: bool) -> None:
    updates = {entry["package-ecosystem"]: entry for entry in load_yaml(project / DEPENDABOT)["updates"]}
    assert set(updates) == {"uv", "github-actions"} | ({"pre-commit"} if pre_commit else set())
    for entry in updates.values():
        assert entry["directory"] == "/" and entry["schedule"]["interval"] == "weekly", entry
        assert entry["cooldown"]["default-days"] >= 1, entry


def check_renovate(project: Path, pre_commit: bool) -> None:
    config = json.loads((project / RENOVATE).read_text(encoding="utf-8"))
    # The whole uv.lock refreshed, not only the direct dependencies' pins.
    assert config["lockFileMaintenance"]["enabled"] is True
    assert config.get("pre-commit", {}).get("enabled", False) is pre_commit
    # The template-update job, not Renovate's copier manager, runs copier update.
    update_workflow = yaml.safe_load((project / ".copier-answers.yml").read_text(encoding="utf-8"))["update_workflow"]
    assert config.get("copier", {}).get("enabled", True) is not update_workflow


def check_pre_commit(project: Path) -> None:
    config = load_yaml(project / PRE_COMMIT)
    hooks = {hook["id"]: hook for repo in config["repos"] for hook in repo["hooks"]}
    assert {
        "check-merge-conflict",
        "trailing-whitespace",
        "end-of-file-fixer",
        "ruff-check",
        "ruff-format",
        "uv-lock-check",
    } <= set(hooks)
    # Without it the hook only looks during a git merge, and copier update is none.
    assert "--assume-in-merge" in hooks["check-merge-conflict"]["args"]
    assert hooks["uv-lock-check"]["entry"] == "uv lock --check"
    # One ruff: the hooks run the project's own (uv.lock's dev group, what CI lints with), not a
    # second release pinned in a hook repository.
    assert not [repo for repo in config["repos"] if "ruff" in repo["repo"]]
    for hook in ("ruff-check", "ruff-format"):
        assert hooks[hook]["language"] == "system"
        assert hooks[hook]["entry"].startswith("uv run --no-sync ruff "), hooks[hook]
    for repo in config["repos"]:
        assert repo["repo"] == "local" or re.fullmatch(r"v?\d+\.\d+\.\d+", repo["rev"]), repo


def check_dockerfile(project: Path) -> None:
    text = (project / "Dockerfile").read_text(encoding="utf-8")
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text(encoding="utf-8"))
    assert not (errors := hadolint_errors(project / "Dockerfile")), errors
    # Two stages: uv (pinned: its image, or copied from it) installs; the final stage gets the
    # environment and its uv-managed Python only, and runs unprivileged.
    build, runtime = re.split(r"^FROM ", text, flags=re.MULTILINE)[1:]
    assert build.startswith((f"{UV_IMAGE} AS build", "${BUILD_IMAGE} AS build")) or (
        f"COPY --from=ghcr.io/astral-sh/uv:{TOOLS['uv']} /uv /uvx /bin/" in build
    ), build
    assert re.findall(r"^COPY --from=(\S+) (\S+)", runtime, re.MULTILINE) == [
        ("build", "/python"),
        ("build", "/app/.venv"),
    ]
    assert "uv " not in runtime and "UV_PYTHON_INSTALL_DIR=/python" in build
    assert "UV_COMPILE_BYTECODE=1" in text and "UV_LINK_MODE=copy" in text
    # Two syncs: the dependencies alone (cached layer), then the project. A workspace's first
    # sync cannot check uv.lock without the members' pyproject.toml files: --frozen there.
    syncs = re.findall(r"^\s*(uv sync .*)$", text, re.MULTILINE)
    assert len(syncs) == 2, syncs
    if answers.get("layout", "project") == "project":
        assert "--locked --no-install-project" in syncs[0]
    else:
        assert "--frozen --no-install-workspace" in syncs[0]
    assert "--locked" in syncs[1] and "--no-install" not in syncs[1]
    # Installed as wheels: the final stage has no source tree for an editable install to point at.
    assert all("--no-dev --no-editable" in sync for sync in syncs), syncs
    assert text.count("--mount=type=cache,target=/root/.cache/uv") == 2
    assert re.search(r"^USER (?!root)\S+$", runtime, re.MULTILINE)
    # The entry point is the doctor module, wherever the layout puts it.
    module = re.search(r'^CMD \["python", "-m", "(\w+)\.doctor"\]$', text, re.MULTILINE)
    assert module and list(project.glob(f"**/src/{module[1]}/doctor.py")), module
    assert ".venv" in (project / ".dockerignore").read_text(encoding="utf-8")


@pytest.mark.parametrize("layout", ["project", "workspace", "virtual-workspace"])
def test_dockerfile_and_ci_follow_the_layout(render, layout: str) -> None:
    project = render({"layout": layout, "docker": True, "ci": "gitlab", "pre_commit": False})
    check_dockerfile(project)
    # Workspace members appear in `uv export` as `-e ./packages/...` lines, which neither the
    # skip list nor the constraints file can take: the export leaves the workspace out.
    script, _ = cpu_swap_script(project, "gitlab")
    assert "--no-emit-workspace" in script and "--no-emit-project" not in script
    assert_valid(project)


# --- the accelerator decides the base image and how CI installs torch ----------------------


@pytest.mark.parametrize("variant", list(FACTS.variants))
def test_dockerfile_base_image_matches_every_accelerator(render, variant: str) -> None:
    release = newest_release_with(variant)
    platforms = list(FACTS.variants[variant].platforms)
    python = release.python[0]
    project = render(
        {
            "accelerator_strategy": "single",
            "accelerator": variant,
            "torch_min": release.minor,
            "python_min": python,
            "python_max": release.python[-1],
            "platforms": platforms,
            "docker": True,
            "ci": "github",
            "pre_commit": False,
        }
    )

    # No CUDA, cuDNN or ROCm from a base image: torch's wheels bring them.
    assert from_lines(project / "Dockerfile") == stages_of(variant, python)
    text = (project / "Dockerfile").read_text(encoding="utf-8")
    assert f"uv python install {python}" in text
    # The GPU reaches the container.
    kind = FACTS.variants[variant].kind
    hint = {"cpu": "docker run --rm my", "cuda": "--gpus all", "rocm": "--device=/dev/kfd --device=/dev/dri"}
    assert hint.get(kind, "--device=/dev/dri") in text
    assert ("NVIDIA_DRIVER_CAPABILITIES=compute,utility" in text) == (kind == "cuda")
    check_dockerfile(project)
    # The README builds and runs it with the same commands, the GPU flags included.
    run = " ".join(["docker run --rm", *filter(None, [DOCKER_FLAGS[kind]]), "my-torch-project"])
    assert readme_docker_commands(project) == ["docker build -t my-torch-project .", run]
    assert f"# Run:   {run}\n" in text

    # CI runs CPU builds: plain `uv sync --locked` where the lock has one, the swap elsewhere.
    matrix = matrix_of(load_yaml(project / GITHUB_WORKFLOW))
    assert set(matrix) == set(platforms)
    for platform, entry in matrix.items():
        expected = "locked" if FACTS.variants[variant].kind == "cpu" else "cpu-index"
        assert entry["torch"] == expected, f"{platform}: {entry}"
    assert_valid(project)


@pytest.mark.parametrize(
    ("answers", "variant"),
    [
        ({"accelerator_strategy": "pypi"}, FACTS.newest.pypi["linux-x86_64"]),
        (
            {"accelerator_strategy": "per-platform", "linux_accelerator": "pypi", "windows_accelerator": CUDA},
            FACTS.newest.pypi["linux-x86_64"],
        ),
        (
            {"accelerator_strategy": "per-platform", "linux_accelerator": CUDA, "windows_accelerator": "pypi"},
            CUDA,
        ),
        (
            {"accelerator_strategy": "single", "accelerator": CUDA, "platforms": ["linux-aarch64", "macos-arm64"]},
            CUDA,
        ),
    ],
    ids=["pypi", "perplatform-pypi-linux", "perplatform-cuda-linux", "single-cuda-aarch64"],
)
def test_dockerfile_base_image_follows_the_linux_build(render, answers: dict, variant: str) -> None:
    project = render({"docker": True, "ci": "none", "pre_commit": False, **answers})
    python = yaml.safe_load((project / ".copier-answers.yml").read_text())["python_min"]
    assert from_lines(project / "Dockerfile") == stages_of(variant, python)
    text = (project / "Dockerfile").read_text(encoding="utf-8")
    assert ("--gpus all" in text) == (FACTS.variants[variant].kind == "cuda")


@pytest.mark.parametrize("accelerators", [["cpu", CUDA], [CUDA, ROCM]], ids="+".join)
def test_extras_dockerfile_takes_the_extra_and_its_image_as_build_args(render, accelerators: list[str]) -> None:
    answers = {"accelerator_strategy": "extras", "accelerators": accelerators, "docker": True, "ci": "github"}
    project = render({**answers, "pre_commit": False})
    python = yaml.safe_load((project / ".copier-answers.yml").read_text())["python_min"]
    text = (project / "Dockerfile").read_text(encoding="utf-8")
    first = accelerators[0]
    build, runtime = stages_of(first, python)
    assert re.search(rf"^ARG BUILD_IMAGE={re.escape(build)}$", text, re.MULTILINE)
    assert re.search(rf"^ARG RUNTIME_IMAGE={re.escape(runtime)}$", text, re.MULTILINE)
    assert re.search(rf"^ARG ACCELERATOR={re.escape(FACTS.variants[first].extra_name)}$", text, re.MULTILINE)
    assert from_lines(project / "Dockerfile") == ["${BUILD_IMAGE}", "${RUNTIME_IMAGE}"]
    assert all('--extra "${ACCELERATOR}"' in line for line in re.findall(r"uv sync .*", text))
    # Every extra's images are documented as the build args that pick them.
    for name in accelerators:
        extra = FACTS.variants[name].extra_name
        build, runtime = stages_of(name, python)
        assert f"#   {extra}: BUILD_IMAGE={build}, RUNTIME_IMAGE={runtime}\n" in text, name
    # The README's commands build and run every extra's image: the build args that differ from
    # the Dockerfile's defaults, and the GPU flags of its kind.
    commands = readme_docker_commands(project)
    assert len(commands) == 2 * len(accelerators), commands
    default_build = stages_of(first, python)
    pairs = zip(commands[::2], commands[1::2], strict=True)
    for name, (docker_build, docker_run) in zip(accelerators, pairs, strict=True):
        extra = FACTS.variants[name].extra_name
        build, runtime = stages_of(name, python)
        expected = [f"--build-arg ACCELERATOR={extra}"]
        expected += [f"--build-arg BUILD_IMAGE={build}"] if build != default_build[0] else []
        expected += [f"--build-arg RUNTIME_IMAGE={runtime}"] if runtime != default_build[1] else []
        assert docker_build == f"docker build {' '.join(expected)} -t my-torch-project:{extra} .", docker_build
        assert f"#     {docker_build}\n" in text
        flags = DOCKER_FLAGS[FACTS.variants[name].kind]
        assert docker_run == " ".join(["docker run --rm", *filter(None, [flags]), f"my-torch-project:{extra}"])
    check_dockerfile(project)

    # CI tests the cpu extra when there is one (CPU everywhere), else the first extra with the swap.
    workflow = load_yaml(project / GITHUB_WORKFLOW)
    extra = "cpu" if "cpu" in accelerators else FACTS.variants[first].extra_name
    assert f"uv sync --locked --extra {extra}" in runs(workflow["jobs"]["test"]["steps"])
    swaps = {platform for platform, entry in matrix_of(workflow).items() if entry["torch"] == "cpu-index"}
    assert swaps == (set() if "cpu" in accelerators else {"linux-x86_64", "windows-x86_64"})
    assert_valid(project)


def test_dockerfile_compiles_extensions_in_the_toolkits_devel_image_only(render) -> None:
    """The -devel image (nvcc) is the build stage; the final stage is the same slim Debian."""
    answers = {"accelerator_strategy": "single", "accelerator": CUDA, "compiled_extensions": ["flash-attn"]}
    project = render({**answers, "docker": True, "ci": "none", "pre_commit": False})
    python = yaml.safe_load((project / ".copier-answers.yml").read_text())["python_min"]
    devel = image_of(CUDA, python).replace("-runtime-", "-devel-")
    assert devel != image_of(CUDA, python)
    assert from_lines(project / "Dockerfile") == [devel, SLIM_DEBIAN]
    text = (project / "Dockerfile").read_text(encoding="utf-8")
    assert "ARG MAX_JOBS" in text
    check_dockerfile(project)


# --- the CPU swap, run for real against the index replica ----------------------------------


@pytest.mark.lock
@pytest.mark.parametrize(
    ("ci", "answers"),
    [
        ("github", {"accelerator_strategy": "single", "accelerator": CUDA}),
        ("github", {"accelerator_strategy": "pypi"}),
        ("gitlab", {"accelerator_strategy": "extras", "accelerators": [CUDA, ROCM]}),
        (
            "github",
            {"layout": "virtual-workspace", "accelerator_strategy": "extras", "accelerators": [CUDA, ROCM]},
        ),
    ],
    ids=["github-single-cuda", "github-pypi", "gitlab-extras-cuda+rocm", "github-virtual-workspace-extras"],
)
def test_ci_installs_the_cpu_build_of_the_locked_torch(render, pytorch_index: str, ci: str, answers: dict) -> None:
    from interpreters import interpreter_for
    from uv_runner import lock, run_uv

    # fresh: the test locks and installs into the project.
    answers = {"ci": ci, "docker": False, "pre_commit": False, "pytorch_index_url": pytorch_index, **answers}
    project = render(answers, fresh=True)
    chosen = yaml.safe_load((project / ".copier-answers.yml").read_text())
    python = interpreter_for(chosen["python_min"], chosen["python_max"])
    if python is None:
        pytest.skip(f"no Python {chosen['python_min']}–{chosen['python_max']} interpreter on this machine")
    lock(project, python)
    run_uv(["venv", "--quiet", "--python", str(python)], project)

    script, env = cpu_swap_script(project, ci)
    runner_temp = project.parent / f"{project.name}-runner-temp"
    runner_temp.mkdir()
    # The uv executable itself, as CI runs it: `python -m uv pip ...` would target this
    # test run's own environment (uv's parent-interpreter hand-over), not the project's .venv.
    uv = shutil.which("uv", path=str(Path(sys.executable).parent)) or shutil.which("uv")
    assert uv, "no uv executable"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("UV_INTERNAL")},
        **env,
        "RUNNER_TEMP": str(runner_temp),
        "PATH": str(Path(uv).parent) + os.pathsep + os.environ["PATH"],
    }
    result = subprocess.run(
        ["bash", "-eo", "pipefail", "-c", script], cwd=project, capture_output=True, text=True, timeout=900, env=env
    )
    assert result.returncode == 0, result.stdout + result.stderr

    def uv_in_project(*args: str) -> str:
        done = subprocess.run([uv, *args], cwd=project, capture_output=True, text=True, env=env, timeout=300)
        assert done.returncode == 0, done.stderr
        return done.stdout

    listing = json.loads(uv_in_project("pip", "list", "--format", "json"))
    installed = {p["name"]: p["version"] for p in listing}
    own = {p["name"] for p in listing if p.get("editable_project_location")}  # the project, workspace members
    assert installed["torch"].endswith("+cpu"), installed["torch"]
    assert not [name for name in installed if GPU_PACKAGE.match(name)], installed
    # Everything else is what uv.lock pins (the swap changes torch's family only).
    extra = ["--extra", FACTS.variants[CUDA].extra_name] if answers["accelerator_strategy"] == "extras" else []
    exported = uv_in_project(
        "export",
        "--locked",
        "--quiet",
        "--no-hashes",
        "--no-annotate",
        "--no-header",
        "--no-emit-project",
        "--format",
        "requirements-txt",
        *extra,
    )
    pins: dict[str, set[str]] = {}
    for name, version in re.findall(r"^([A-Za-z0-9._-]+)==([^ ;\n]+)", exported, re.MULTILINE):
        pins.setdefault(name, set()).add(version)
    for name, version in installed.items():
        if name not in ("torch", "torchvision", "torchaudio", *own):
            assert version in pins.get(name, set()), f"{name} {version}: uv.lock pins {pins.get(name)}"
    # uv run --no-sync keeps the CPU build.
    assert (
        uv_in_project("run", "--no-sync", "python", "-c", "import torch; print(torch.__version__)")
        .strip()
        .endswith("+cpu")
    )
