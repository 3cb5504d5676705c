"""The generated docs are tests: every shell command of a rendered project's README.md (FAQ
included) and of the after-copy message runs, in the order the README gives, against the index
replica; the README's claims about behaviour are assertions.

Renders come from a tagged git copy of the working tree (so the README's `copier update`
commands work), with the test's copier standing in for `uvx --with copier-template-extensions
copier`. A command that cannot run here is skipped by name with its reason; the counts of run and
skipped commands (per reason) are in the closing summary ("torch-uv-template matrix").
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from helpers import data_options, run_copier_cli
from interpreters import interpreter_for
from pytorch_facts import TORCH_FAMILY, load_facts
from template_versions import git, release, snapshot_template
from uv_runner import UV, planned_installs

FACTS = load_facts()
UVX_COPIER = "uvx --with copier-template-extensions copier"
TAG = "v1.0.0"
GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "Docs Run",
    "GIT_AUTHOR_EMAIL": "docs-run@example.invalid",
    "GIT_COMMITTER_NAME": "Docs Run",
    "GIT_COMMITTER_EMAIL": "docs-run@example.invalid",
}
COMMON = {"ci": "none", "pre_commit": False, "project_name": "Docs Run"}

# One render per strategy x layout and the cases the issue names: extras in both workspace
# layouts, an Intel Mac, companions. All run by default; all but the first two are `slow`, which
# CONTRIBUTING.md's quick subset (`-m "not lock and not slow"`) leaves out.
RENDERS = {
    "extras-virtual-workspace": {
        "accelerator_strategy": "extras",
        "layout": "virtual-workspace",
        "workspace_members": ["core", "train"],
    },
    "pypi-project": {"accelerator_strategy": "pypi"},
    "extras-workspace": {"accelerator_strategy": "extras", "layout": "workspace"},
    "extras-project-companions": {
        "accelerator_strategy": "extras",
        "torch_packages": ["torchvision", "torchaudio", "torchcodec"],
    },
    "pypi-virtual-workspace": {"accelerator_strategy": "pypi", "layout": "virtual-workspace"},
    "single-project-intel-mac": {
        "accelerator_strategy": "single",
        "accelerator": "cpu",
        "platforms": ["linux-x86_64", "macos-x86_64", "macos-arm64"],
        "torch_packages": [],
    },
    "single-workspace": {"accelerator_strategy": "single", "accelerator": "cpu", "layout": "workspace"},
    "per-platform-project": {"accelerator_strategy": "per-platform"},
    "per-platform-virtual-workspace": {"accelerator_strategy": "per-platform", "layout": "virtual-workspace"},
}
DEFAULT_SUITE = ("extras-virtual-workspace", "pypi-project")

FENCE = re.compile(r"^```(?:console|sh|bash|shell)\n(.*?)^```", re.MULTILINE | re.DOTALL)
PLACEHOLDER = re.compile(r"<[a-z][a-z -]*>")
EXTRA_OPTION = re.compile(r"--extra (\S+)")
STAND_IN = "the replica's torch is a stand-in wheel without torch.version (tests/test_end_to_end.py runs a real one)"


def shell_commands(markdown: str) -> list[tuple[int, list[str]]]:
    """Each console block's commands (backslash continuations joined), by block."""
    blocks = []
    for number, match in enumerate(FENCE.finditer(markdown)):
        commands = []
        for line in match.group(1).replace("\\\n", " ").splitlines():
            line = line.strip()
            if line and not line.startswith("#"):
                commands.append(line)
        blocks.append((number, commands))
    return blocks


def message_commands(message: str) -> list[str]:
    """The indented commands of the after-copy message's "Next steps"."""
    steps = message.split("Next steps:", 1)[1]
    commands = []
    for line in steps.splitlines()[1:]:
        if not line.strip():
            if commands:
                break
            continue
        if not line.startswith("  "):
            break
        commands.append(line.strip())
    return commands


def skip_reason(command: str) -> str | None:
    if "git push" in command:
        return "git push: no remote here"
    if command.startswith("docker"):
        return "docker: no daemon here"
    if command.startswith("pip install"):
        return "pip install: installs into the caller's interpreter (tests/test_exports.py checks the export)"
    if command.startswith("MAX_JOBS="):
        return "compiles a CUDA extension: needs the CUDA toolkit and a GPU"
    if PLACEHOLDER.search(command):
        return "a placeholder for the user to fill in"
    if re.search(r"-doctor\b|\bpytest\b", command) and command.startswith("uv run"):
        return STAND_IN
    return None


@dataclass
class Run:
    project: Path
    python: Path
    env: dict
    ran: list[str] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)
    outputs: dict[str, str] = field(default_factory=dict)

    def shell(self, command: str, cwd: Path, **env: str) -> str:
        process = subprocess.run(
            ["bash", "-c", command], cwd=cwd, env={**self.env, **env}, capture_output=True, text=True, timeout=600
        )
        assert process.returncode == 0, (
            f"README command failed ({process.returncode}) in {cwd}: {command}\n{process.stdout}{process.stderr}"
        )
        return process.stdout + process.stderr

    def command(self, command: str, cwd: Path) -> None:
        reason = skip_reason(command)
        if reason:
            self.skipped.append((command, reason))
            return
        export = re.match(r"export (\w+)=(\S+)", command)
        if export:
            self.env[export.group(1)] = export.group(2)
        if "copier update" in command:
            # The README's precondition: "The git working tree must be clean".
            self.shell("git add -A && git diff --cached --quiet || git commit -qm 'before copier update'", cwd)
        if UVX_COPIER in command:
            # The test's copier stands in for uvx's; its CLI runs in this process (helpers.py).
            assert command.startswith(f"{UVX_COPIER} "), f"copier inside a longer command: {command}"
            argv = ["copier", *shlex.split(command.removeprefix(UVX_COPIER))]
            code, output = run_copier_cli(argv, env=self.env, cwd=cwd)
            assert code == 0, f"README command failed ({code}) in {cwd}: {command}\n{output}"
            self.outputs[command] = output
            self.ran.append(command)
            return
        if re.match(r"uv (sync|run)\b", command) and "--no-sync" not in command:
            # Resolved first; a GPU build is resolved, not installed: it pulls PyPI's triton and
            # CUDA libraries, and PyPI's own torch on Linux is its CUDA build (gigabytes).
            expanded = re.sub(r"\$(\w+)", lambda variable: self.env.get(variable[1], ""), command)
            words = shlex.split(expanded.partition(" #")[0])
            options = uv_run_options(words[2:]) if words[1] == "run" else words[2:]
            plan = self.shell(shlex.join(["uv", "sync", *options, "--dry-run"]), cwd)
            torch = planned_installs(plan).get("torch")
            if torch and not is_cpu_build(torch.local):
                if words[1] == "run":  # everything but the build's big wheels, then the command
                    held_back = ["torch", *heavy_packages(cwd)]
                    skipping = [option for name in held_back for option in ("--no-install-package", name)]
                    self.shell(shlex.join(["uv", "sync", *options, *skipping]), cwd)
                    plan = self.shell(command, cwd, UV_NO_SYNC="1")
                self.outputs[command] = plan
                self.ran.append(command)
                return
        self.outputs[command] = self.shell(command, cwd)
        self.ran.append(command)


# Wheels bigger than this are a GPU build's (triton, most CUDA libraries): NumPy's are under 20 MB.
HEAVY_WHEEL_BYTES = 30 * 2**20


def is_cpu_build(local_version: str) -> bool:
    """Whether torch's local version (`cpu` in `2.15.0+cpu`) names a CPU variant of the facts."""
    variant = FACTS.variants.get(local_version)
    return variant is not None and variant.kind == "cpu"


def heavy_packages(project: Path) -> list[str]:
    """The packages of `project`'s uv.lock with a wheel bigger than HEAVY_WHEEL_BYTES."""
    lock = project / "uv.lock"
    if not lock.exists():
        return []
    packages = tomllib.loads(lock.read_text())["package"]
    return sorted(
        {p["name"] for p in packages if any(w.get("size", 0) > HEAVY_WHEEL_BYTES for w in p.get("wheels", []))}
    )


def uv_run_options(words: list[str]) -> list[str]:
    """The options of `uv run <options> <command...>` (those taking a value keep it)."""
    options = []
    while words and words[0].startswith("-"):
        option, *words = words
        options.append(option)
        if option in ("--extra", "--package", "--group") and words:
            options.append(words.pop(0))
    return options


def uv_environment(python: Path, home: Path) -> dict:
    """What the commands run with: the interpreter as `python`, the real uv first on PATH."""
    bin_dir = home / "bin"
    bin_dir.mkdir(parents=True, exist_ok=True)
    for name in ("python", "python3"):
        link = bin_dir / name
        if not link.exists():
            link.symlink_to(python)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_", "VIRTUAL_ENV", "PYTHONPATH"))}
    path = os.pathsep.join([str(bin_dir), str(Path(UV[0]).parent), env.get("PATH", "")])
    return {**env, **GIT_IDENTITY, "PATH": path, "UV_PYTHON": str(python)}


@pytest.fixture(scope="module")
def template_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The working tree's template as a tagged git repository, what `copier update` needs."""
    repo = snapshot_template(tmp_path_factory.mktemp("docs-template") / "torch-uv-template")
    old = {name: os.environ.get(name) for name in GIT_IDENTITY}
    os.environ.update(GIT_IDENTITY)
    try:
        release(repo, TAG)
    finally:
        for name, value in old.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    return repo


def copier_copy(template: str, destination: Path, answers: dict, env: dict, cwd: Path) -> str:
    """`copier copy --trust --defaults` with `answers`, as the README's render command; its output."""
    argv = ["copier", "copy", "--trust", "--defaults", *data_options(answers), template, str(destination)]
    code, output = run_copier_cli(argv, env=env, cwd=cwd)
    assert code == 0, f"copier copy failed:\n{output}"
    return output


def python_for(answers: dict) -> Path:
    release_ = FACTS.release(answers.get("torch_min", FACTS.newest.minor))
    python_min = answers.get("python_min", release_.python[0])
    python_max = answers.get("python_max", release_.python[-1])
    python = interpreter_for(python_min, python_max)
    if python is None:
        pytest.skip(f"no Python {python_min}–{python_max} interpreter on this machine")
    return python


def params():
    for name in RENDERS:
        # One xdist group per render: the tests using its docs run share one run (the fixture
        # is per worker, so tests of one render on two workers ran its commands twice).
        marks = [pytest.mark.xdist_group(f"docs-{name}")]
        if name not in DEFAULT_SUITE:
            marks.append(pytest.mark.slow)
        yield pytest.param(name, id=name, marks=marks)


@pytest.fixture(scope="module", params=list(params()))
def docs_run(request, template_repo: Path, pytorch_index: str, tmp_path_factory: pytest.TempPathFactory) -> tuple:
    """Render, then run the after-copy message's commands and the README's, in order."""
    name = request.param
    answers = {**COMMON, **RENDERS[name], "pytorch_index_url": pytorch_index}
    python = python_for(answers)
    home = tmp_path_factory.mktemp(f"docs-{name}")
    project = home / "project"
    env = uv_environment(python, home)
    message = copier_copy(str(template_repo), project, answers, env, home)
    run = Run(project, python, env)
    where = home
    for command in message_commands(message):
        if command.startswith("cd "):  # later steps run where the message moved to
            where = where / shlex.split(command)[1]
            run.ran.append(command)
            continue
        run.command(command, where)
    assert where == project, f"the after-copy message leaves the reader in {where}, not the project"
    readme = (project / "README.md").read_text()
    for number, commands in shell_commands(readme):
        # Blocks that run copier update change the answers: each runs in its own clone, so the
        # blocks after it see the project as the README's reader left it.
        where = project
        if any("copier update" in c for c in commands):
            run.shell("git add -A && git diff --cached --quiet || git commit -qm 'README commands so far'", project)
            where = home / f"clone-{number}"
            run.shell(f"git clone -q {shlex.quote(str(project))} {shlex.quote(str(where))}", home)
        for command in commands:
            run.command(command, where)
    return name, answers, run, message


@pytest.mark.lock
def test_every_readme_command_runs(docs_run, record_property) -> None:
    name, answers, run, _ = docs_run
    record_property("count:readme commands run", len(run.ran))
    record_property("count:readme commands skipped", len(run.skipped))
    for _, reason in run.skipped:
        record_property(f"count:readme commands skipped: {reason}", 1)
    print(f"{name}: {len(run.ran)} README commands run, {len(run.skipped)} skipped")
    for command, reason in run.skipped:
        print(f"  skipped {command!r}: {reason}")
    assert any(c.startswith("uv lock") for c in run.ran), "the README never locks"
    assert any(c.startswith(("uv sync", "python scripts/sync.py")) for c in run.ran), "the README never installs"


def installed(run: Run) -> dict[str, str]:
    output = subprocess.run(
        [*UV, "pip", "list", "--format", "json", "--python", str(run.project / ".venv")],
        cwd=run.project,
        env=run.env,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return {p["name"]: p["version"] for p in json.loads(output)}


def dry_run_installs(run: Run, *args: str) -> set[str]:
    return set(planned_installs(run.shell(shlex.join([UV[0], "sync", "--dry-run", *args]), run.project)))


@pytest.mark.lock
def test_readme_claims_about_what_installs_hold(docs_run) -> None:
    name, answers, run, _ = docs_run
    selection = ["--all-packages"] if answers.get("layout", "project") != "project" else []
    readme = (run.project / "README.md").read_text()
    if answers["accelerator_strategy"] == "extras":
        # "`uv sync` with no extra installs no torch at all" (also for a whole workspace).
        assert "installs\nno torch at all" in readme or "installs no torch at all" in readme
        assert dry_run_installs(run, *selection) & {"torch", *FACTS.companions} == set()
        # "Pick the PyTorch build ... with one extra": `--extra "$EXTRA"` gave that extra's build.
        extra = run.env["EXTRA"]
        variant = FACTS.variants[extra].name if extra in FACTS.variants else extra
        assert installed(run)["torch"].endswith(f"+{variant}"), installed(run)
        # No command that runs or installs names an extra other than through $EXTRA, except the
        # switching example (the export writes one file per extra on purpose).
        for command in run.ran + [c for c, _ in run.skipped]:
            if not command.startswith(("uv run", "uv sync")):
                continue
            for option in EXTRA_OPTION.findall(command.partition(" #")[0]):
                assert option == '"$EXTRA"' or "--reinstall-package" in command, command
    else:
        # A CPU build is installed; a GPU build is resolved only (Run.command): in the plan.
        sync = next(c for c in run.ran if re.match(r"uv sync\b", c))
        planned = planned_installs(run.outputs[sync]).get("torch")
        if planned is not None and not is_cpu_build(planned.local):
            return
        assert "torch" in installed(run), "the README's `uv sync` installs no torch"


def test_extras_workspace_member_requires_no_plain_torch(render) -> None:
    """A member's plain `torch` would make `uv sync --all-packages` install PyPI's build."""
    for layout in ("workspace", "virtual-workspace"):
        project = render({"accelerator_strategy": "extras", "layout": layout})
        member = tomllib.loads((project / "packages" / "core" / "pyproject.toml").read_text())
        assert "torch" not in member["project"]["dependencies"], layout


def test_readme_examples_record_a_source_copier_update_can_use(template_repo: Path, tmp_path: Path) -> None:
    """README.md's examples, run as shown (with the example source standing for a clone URL)."""
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    section = readme.split("## Examples, one per strategy", 1)[1].split("\n## ", 1)[0]
    _, commands = shell_commands(section)[0]
    assert len(commands) >= 4
    example = shlex.split(commands[0])
    source, destination = example[-2], example[-1]
    assert not Path(source).exists() and ("://" in source or source.startswith(("gh:", "gl:"))), (
        f"the example renders from {source!r}: copier update resolves a local path from the project"
    )
    project = tmp_path / destination
    env = {**os.environ, **GIT_IDENTITY}
    argv = ["copier", *example[example.index("copier") + 1 : -2], "git+" + template_repo.as_uri(), str(project)]
    code, output = run_copier_cli(argv, env=env, cwd=tmp_path)
    assert code == 0, output
    git(project, "init", "-q")
    subprocess.run(["git", "add", "-A"], cwd=project, check=True)
    subprocess.run(["git", "commit", "-qm", "start"], cwd=project, env=env, check=True)
    code, output = run_copier_cli(["copier", "update", "--trust", "--defaults"], env=env, cwd=project)
    assert code == 0, output


def test_after_copy_message_warns_about_a_machine_local_source(template_repo: Path, tmp_path: Path) -> None:
    env = {**os.environ, **GIT_IDENTITY}
    message = copier_copy(".", tmp_path / "project", {"accelerator_strategy": "pypi", **COMMON}, env, template_repo)
    assert "Warning: .copier-answers.yml records the template as '.'" in message
    remote = copier_copy(
        "git+" + template_repo.as_uri(), tmp_path / "remote", {"accelerator_strategy": "pypi", **COMMON}, env, tmp_path
    )
    assert "records the template as" in remote  # file:// is on this machine too


def test_switching_builds_reinstalls_every_pytorch_package(render) -> None:
    """scripts/sync.py's --reinstall-package list covers everything an extra installs from a
    PyTorch index: torchaudio, the companions and the ROCm triton too, not torch and torchvision only."""
    import importlib.util

    from packaging.requirements import Requirement

    rocm = next(
        v.name for v in FACTS.variants.values() if v.kind == "rocm" and v.triton and v.name in FACTS.newest.variants
    )
    project = render(
        {
            "accelerator_strategy": "extras",
            "accelerators": ["cpu", rocm],
            "platforms": ["linux-x86_64"],
            "torch_packages": ["torchvision", "torchaudio", *FACTS.companions],
            # The newest Python every companion has wheels for.
            "python_max": min(
                (c.python[-1] for c in FACTS.companions.values() if c.python), key=lambda v: int(v.split(".")[1])
            ),
        }
    )
    spec = importlib.util.spec_from_file_location("rendered_sync", project / "scripts" / "sync.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    pyproject = tomllib.loads((project / "pyproject.toml").read_text())
    wired = set(pyproject["tool"]["uv"]["sources"])
    required = {Requirement(r).name for rs in pyproject["project"]["optional-dependencies"].values() for r in rs}
    # The SDK libraries (rocm-sdk-*, cuda-toolkit) belong to one build only: no reinstall needed.
    builds = {*TORCH_FAMILY, *FACTS.companions, *(v.triton for v in FACTS.variants.values() if v.triton)}
    expected = (wired | required) & builds
    assert {"torchaudio", *FACTS.companions, FACTS.variants[rocm].triton} <= expected
    assert expected <= set(module.REINSTALL_ON_SWITCH)


# --- Render-level checks of the README's text (cheap: no lock) --------------------------------


def capped_answers() -> dict:
    """A single-build project whose variant stops before the newest release: torch is capped."""
    for older in reversed(FACTS.releases[:-1]):
        for variant in older.variants:
            if variant not in FACTS.newest.variants and "linux-x86_64" in FACTS.variants[variant].platforms:
                return {
                    "accelerator_strategy": "extras",
                    "accelerators": ["cpu", variant],
                    "torch_min": older.minor,
                    "platforms": ["linux-x86_64"],
                    "layout": "virtual-workspace",
                }
    pytest.skip("every variant of the facts is published for the newest release: nothing is capped")


def test_readme_header_and_bump_procedure_of_a_capped_project(render) -> None:
    answers = capped_answers()
    readme = (render(answers) / "README.md").read_text()
    header = readme.splitlines()[4]
    assert not re.search(r"torch (\d+\.\d+)–\1\b", header), header
    bump = readme.split("## Bumping torch", 1)[1].split("\n## ", 1)[0]
    assert "upper bound" in bump and "every extra" in bump, bump


def test_pypi_readme_claims_no_sources_or_markers(render) -> None:
    readme = (render({"accelerator_strategy": "pypi"}) / "README.md").read_text()
    pyproject = (render({"accelerator_strategy": "pypi"}) / "pyproject.toml").read_text()
    assert "[tool.uv.sources]" not in pyproject
    assert "wired in `[tool.uv.sources]`" not in readme
    assert "keep the markers" not in readme


@pytest.mark.parametrize("layout", ["workspace", "virtual-workspace"])
def test_pypi_workspace_files_say_pypi_picks_the_build(render, layout: str) -> None:
    """Under `pypi` no [tool.uv.sources] entry picks torch's build and no index is configured:
    no comment may say so."""
    project = render({"accelerator_strategy": "pypi", "layout": layout})
    texts = {
        p.relative_to(project).as_posix(): p.read_text() for p in project.rglob("*") if p.suffix in (".md", ".toml")
    }
    claims = {name for name, text in texts.items() if re.search(r"\[tool\.uv\.sources\]`? pick the build", text)}
    assert not claims, claims
    assert "PyPI's build" in texts["README.md"]
    assert "indexes, sources" not in texts["README.md"], "the layout sketch lists indexes the root has not"


def test_faq_commands_are_complete_copier_updates(render) -> None:
    project = render({"accelerator_strategy": "pypi"})
    faq = (project / "README.md").read_text().split("## FAQ", 1)[1].split("\n## ", 1)[0]
    commands = [c for _, block in shell_commands(faq) for c in block]
    platforms = next(c for c in commands if "platforms=" in c)
    assert platforms.startswith(f"{UVX_COPIER} update --trust --defaults --data ")
    answer = shlex.split(platforms)[-1].removeprefix("platforms=")
    recorded, suggested = recorded_platforms(project), json.loads(answer)
    assert set(recorded) < set(suggested) and len(suggested) == len(recorded) + 1
    assert "copier update --trust --data" not in faq


def recorded_platforms(project: Path) -> list:
    import yaml

    return yaml.safe_load((project / ".copier-answers.yml").read_text())["platforms"]


def test_extras_readme_names_the_build_once(render) -> None:
    for layout in ("project", "virtual-workspace"):
        readme = (render({"accelerator_strategy": "extras", "layout": layout}) / "README.md").read_text()
        commands = [c for _, block in shell_commands(readme) for c in block]
        assert any(c.startswith("export EXTRA=") for c in commands)
        for command in commands:
            if command.startswith(("uv run", "uv sync")) and "--reinstall-package" not in command:
                assert set(EXTRA_OPTION.findall(command)) <= {'"$EXTRA"'}, command


def test_intel_mac_python_cap_is_in_the_readme(render) -> None:
    intel = FACTS.platforms["macos-x86_64"].last_release
    answers = {"accelerator_strategy": "pypi", "platforms": ["linux-x86_64", "macos-x86_64"], "torch_packages": []}
    project = render(answers)
    pyproject = (project / "pyproject.toml").read_text()
    cap = re.search(r"platform_machine == 'x86_64' and python_version < '(3\.\d+)'", pyproject)
    assert cap, "Intel Macs are not capped: the facts' last release covers every Python"
    readme = (project / "README.md").read_text()
    assert f"(Python < {cap.group(1)})" in readme
    assert f"python_version < '{cap.group(1)}'" in readme
    assert intel["torch"] in readme


def test_the_faq_mirror_command_locks_when_the_pytorch_index_is_down(
    render, pytorch_index: str, tmp_path: Path
) -> None:
    """The FAQ's `UV_INDEX="<name>=<mirror>/<variant>" uv lock`, with the project's index
    unreachable and the replica as the mirror: the real `uv lock` succeeds and every PyTorch
    package comes from the mirror (truth: uv's own index override)."""
    down = "http://127.0.0.1:9/whl"  # nothing listens on port 9 (discard)
    answers = {**COMMON, "accelerator_strategy": "extras", "pytorch_index_url": down, "platforms": ["linux-x86_64"]}
    project = render(answers)
    readme = (project / "README.md").read_text()
    faq = readme.split("## FAQ", 1)[1]
    [command] = [c for _, block in shell_commands(faq) for c in block if c.startswith("UV_INDEX=")]
    work = tmp_path / "project"
    shutil.copytree(project, work)
    python = python_for(answers)
    env = uv_environment(python, tmp_path)
    failed = subprocess.run([*UV, "lock"], cwd=work, env=env, capture_output=True, text=True, timeout=600)
    assert failed.returncode != 0 and f"Failed to fetch: {down}/" in failed.stderr, failed.stderr
    assert f"`Failed to fetch: {down}/" in faq  # the FAQ entry names the error the user sees
    mirrored = command.replace("<mirror>", pytorch_index).replace("uv lock", shlex.join([*UV, "lock"]))
    subprocess.run(["bash", "-c", mirrored], cwd=work, env=env, check=True, capture_output=True, timeout=600)
    lock = (work / "uv.lock").read_text()
    assert down not in lock
    assert f'registry = "{pytorch_index}/' in lock
