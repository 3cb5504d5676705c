"""Session set-up shared by the template's tests: isolation, where temporary files live, the
order work goes out in, the index replica, interpreters, and the closing summary (combinations
rendered and locked, verifications, skips, wall time)."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import session_caches
import uv_runner
from helpers import REPO_ROOT, TEMPLATE_SNAPSHOT
from interpreters import interpreter_for
from pytorch_facts import load_facts
from template_versions import commit_all, isolated_git_env, replace_once, snapshot_template


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--live-index",
        action="store_true",
        default=os.environ.get("TORCH_UV_LIVE_INDEX") == "1",
        help="lock against the real PyTorch indexes instead of the local replica (env: TORCH_UV_LIVE_INDEX=1)",
    )
    parser.addoption(
        "--real-pypi",
        action="store_true",
        default=os.environ.get("TORCH_UV_REAL_PYPI") == "1",
        help="also run the real_pypi tests: sync against the real PyPI, about 3 GB (env: TORCH_UV_REAL_PYPI=1)",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The real_pypi tests download gigabytes: deselected unless --real-pypi asks for them.
    The `slow` tests (half a minute or more each) go first, then the `lock` tests (each with its
    combination's render tests: one xdist group), each kind in its order: a long test started
    last keeps one worker busy alone at the end of the run (the harsh synthetic release did,
    for 80 s, when xdist sent the biggest groups first)."""
    if not config.getoption("--real-pypi"):
        deselected = [item for item in items if "real_pypi" in item.keywords]
        if deselected:
            config.hook.pytest_deselected(items=deselected)
            items[:] = [item for item in items if "real_pypi" not in item.keywords]
    items.sort(key=lambda item: ("slow" not in item.keywords, "lock" not in item.keywords))


def pytest_configure(config: pytest.Config) -> None:
    if not hasattr(config, "workerinput"):  # the workers inherit the controller's TMPDIR
        use_memory_for_temporary_files(config)
    # pytest-copie resolves --template against the current directory: default to this repo.
    if Path(config.option.template) == Path.cwd() and Path.cwd() != REPO_ROOT:
        config.option.template = str(REPO_ROOT)
    if Path(config.option.template).resolve() == REPO_ROOT:
        config.option.template = str(template_snapshot(config))
    session_caches.install()
    if not hasattr(config, "workerinput") and not config.getoption("--live-index"):
        start_replica_server(config)
    config.stash[_started] = time.monotonic()
    config.stash[_counts] = {}
    config.stash[_seconds] = {}


# The session writes ~3 GB in ~100,000 files (projects, locks, venvs, git clones, uv's
# cache); on a disk-backed /tmp each file creation cost these VMs 0.3 ms of system time.
MEMORY_TEMPORARY_ROOT = Path("/dev/shm")
MEMORY_NEEDED = 10 * 2**30
MEMORY_PREFIX = "torch-uv-template-tests-"


def use_memory_for_temporary_files(config: pytest.Config) -> None:
    """Put the session's temporary files (pytest's base temp, uv's cache, the template
    snapshot, the replica) in a RAM-backed directory when the machine has one with room
    enough and nobody chose a temporary directory, and remove them at the end, as memory
    should not keep them: a fresh clone's suite, same machine, 275 -> 240 s, system time
    152 -> 92 s. TMPDIR (or --basetemp) keeps them on disk, pytest's way."""
    if os.environ.get("TMPDIR") or config.option.basetemp or os.environ.get("PYTEST_DEBUG_TEMPROOT"):
        return
    try:
        space = os.statvfs(MEMORY_TEMPORARY_ROOT)
    except OSError:
        return
    free_memory = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    if min(space.f_bavail * space.f_frsize, free_memory) < MEMORY_NEEDED:
        return
    if not os.access(MEMORY_TEMPORARY_ROOT, os.W_OK):
        return
    remove_abandoned_memory_directories()
    directory = tempfile.mkdtemp(prefix=f"{MEMORY_PREFIX}{os.getpid()}-", dir=MEMORY_TEMPORARY_ROOT)
    os.environ["TMPDIR"] = directory
    tempfile.tempdir = None  # gettempdir() reads TMPDIR again
    config.add_cleanup(lambda: shutil.rmtree(directory, ignore_errors=True))


def remove_abandoned_memory_directories() -> None:
    """The directories of sessions that ended without their clean-up (killed): RAM until
    reboot otherwise. Named after their session's process, removed once it is gone."""
    for directory in MEMORY_TEMPORARY_ROOT.glob(f"{MEMORY_PREFIX}*-*"):
        pid = directory.name.removeprefix(MEMORY_PREFIX).partition("-")[0]
        if not pid.isdigit():
            continue
        try:
            os.kill(int(pid), 0)
        except ProcessLookupError:
            shutil.rmtree(directory, ignore_errors=True)
        except PermissionError:  # another user's running session
            pass


def template_snapshot(config: pytest.Config) -> Path:
    """The working tree's template files (what copier renders for `--vcs-ref HEAD`: tracked
    files with their uncommitted edits, and untracked ones not ignored), copied once into a
    plain directory. From a git repository copier clones the template for every render
    (about 20 git commands, a third of a render's time); from a plain directory it renders in
    place. `_commit` is then missing from the rendered `.copier-answers.yml`: test_update.py
    renders from real tagged repositories, and test_render.py compares one combination
    rendered both ways."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    snapshot = Path(tempfile.mkdtemp(prefix="torch-uv-template-"))
    for name in filter(None, listed.split("\0")):
        source = REPO_ROOT / name
        if source.is_file():  # deleted but still tracked files are not rendered either
            (snapshot / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, snapshot / name)
    config.add_cleanup(lambda: shutil.rmtree(snapshot, ignore_errors=True))
    os.environ[TEMPLATE_SNAPSHOT] = str(snapshot)  # for the tests that run copier's CLI
    return snapshot


@pytest.fixture(scope="session", autouse=True)
def isolated_tools(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Keep the user's own copier and uv settings out; share one uv cache across workers."""
    settings = tmp_path_factory.getbasetemp() / "copier-settings.yml"
    settings.write_text("{}\n")
    os.environ["COPIER_SETTINGS_PATH"] = str(settings)
    os.environ["UV_PYTHON_DOWNLOADS"] = "never"
    os.environ["UV_NO_CONFIG"] = "1"
    if "UV_CACHE_DIR" not in os.environ:
        os.environ["UV_CACHE_DIR"] = str(shared_dir(tmp_path_factory) / "uv-cache")
        # Only this session fills that cache, so its pages are as fresh as the session.
        os.environ[uv_runner.OFFLINE_FIRST] = "1"
    # `uv run pytest` activates this repository's .venv: generated projects must use their own.
    for name in ("UV_INDEX", "UV_INDEX_URL", "UV_EXTRA_INDEX_URL", "UV_DEFAULT_INDEX", "UV_FIND_LINKS", "VIRTUAL_ENV"):
        os.environ.pop(name, None)


def shared_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory shared by all xdist workers of this run (the parent of their base temps)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


_started = pytest.StashKey[float]()
_counts = pytest.StashKey[dict]()
_seconds = pytest.StashKey[dict]()


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Tally what each test recorded in `record_property` (also for reports from xdist workers),
    and the time each test file takes (set-up, call and teardown, summed over the workers)."""
    seconds = _config.stash[_seconds]
    test_file = report.nodeid.split("::", 1)[0]
    seconds[test_file] = seconds.get(test_file, 0.0) + report.duration
    if report.when != "call" and not (report.when == "setup" and report.skipped):
        return
    counts = _config.stash[_counts]
    for name, value in report.user_properties:
        if name.startswith("count:"):
            counts[name[6:]] = counts.get(name[6:], 0) + int(value)
    if report.skipped and "lock" in report.keywords:
        counts.setdefault("lock skips", []).append(report.nodeid)


_config: pytest.Config


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session: pytest.Session) -> None:
    global _config
    _config = session.config


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    counts = config.stash[_counts]
    if not counts:
        return
    elapsed = time.monotonic() - config.stash[_started]
    terminalreporter.section("torch-uv-template matrix")
    for name, value in sorted(counts.items()):
        if name != "lock skips":
            terminalreporter.write_line(f"{name}: {value}")
    skips = counts.get("lock skips", [])
    terminalreporter.write_line(f"lock combinations skipped: {len(skips)} (reasons in the short test summary)")
    seconds = config.stash[_seconds]
    slowest = sorted(seconds.items(), key=lambda item: -item[1])[:8]
    terminalreporter.write_line(
        f"test time: {sum(seconds.values()):.0f} s over all workers; slowest files: "
        + ", ".join(f"{name.removeprefix('tests/')} {value:.0f} s" for name, value in slowest)
    )
    terminalreporter.write_line(f"wall time: {elapsed:.1f} s")


# --- rendering -----------------------------------------------------------------------------


@pytest.fixture(scope="session")
def render(copie_session) -> Callable[..., Path]:
    """Render the template with `answers` (copier's defaults for the rest) and return the project.

    Renders are cached per answer set for the session: tests read the project, never change it
    (pass `fresh=True` for a render of one's own).
    """
    cache: dict[str, Path] = {}

    def render(answers: dict, *, fresh: bool = False) -> Path:
        key = json.dumps(answers, sort_keys=True)
        if fresh or key not in cache:
            result = copie_session.copy(extra_answers=answers)
            assert result.exit_code == 0, result.exception
            if fresh:
                return result.project_dir
            cache[key] = result.project_dir
        return cache[key]

    return render


JINJA_RESIDUE = re.compile(r"\{\{|\}\}|\{%|%\}|\{#|#\}")
GITHUB_EXPRESSION = re.compile(r"\$\{\{.*?\}\}")


def text_problems(name: str, text: str) -> list[str]:
    """What makes a rendered file look machine-made: Jinja left over (GitHub's own `${{ }}`
    aside), a missing or doubled final newline, runs of blank lines, trailing whitespace."""
    problems = []
    if JINJA_RESIDUE.search(GITHUB_EXPRESSION.sub("", text)):
        problems.append(f"{name}: Jinja left over")
    if not text.endswith("\n") or text.endswith("\n\n"):
        problems.append(f"{name} must end with one newline")
    most_blank_lines = 2 if name.endswith(".py") else 1  # PEP 8 separates definitions by two
    if "\n" * (most_blank_lines + 2) in text:
        problems.append(f"{name} has runs of blank lines")
    if any(line != line.rstrip() for line in text.splitlines()):
        problems.append(f"trailing whitespace in {name}")
    return problems


# Where xdist workers find the run's replica server (root directory, base URL).
REPLICA_INPUT = "torch_uv_replica"
_replica = pytest.StashKey[object]()


def start_replica_server(config: pytest.Config) -> None:
    """One replica server for the whole run, in the process that runs the session (xdist's
    controller, or pytest itself without workers), serving a directory the first test that
    needs the replica builds. One server means one URL: a page one worker's lock put in the
    shared uv cache serves the offline locks of every worker (with a server per worker each
    worker's first lock of every index missed the cache and went online)."""
    from index_replica import ReplicaServer

    directory = Path(tempfile.mkdtemp(prefix="pytorch-index-replica-"))
    server = ReplicaServer(directory / "whl").start()
    config.stash[_replica] = server
    config.add_cleanup(lambda: shutil.rmtree(directory, ignore_errors=True))
    config.add_cleanup(server.stop)


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node) -> None:
    """xdist: tell each worker where the run's replica server is."""
    server = node.config.stash.get(_replica, None)
    if server is not None:
        node.workerinput[REPLICA_INPUT] = (str(server.root), server.base_url)


def run_replica(config: pytest.Config) -> tuple[Path, str]:
    """The run's replica server: its root directory and base URL."""
    if hasattr(config, "workerinput"):
        root, url = config.workerinput[REPLICA_INPUT]
        return Path(root), url
    server = config.stash[_replica]
    return server.root, server.base_url


@pytest.fixture(scope="session")
def replica_root(request: pytest.FixtureRequest) -> Path:
    """The static files of the PyTorch index replica, built once for all workers."""
    from index_replica import build_replica
    from wheelhouse import wheelhouse

    root, _ = run_replica(request.config)
    with _exclusive(root.with_suffix(".lock")):
        build_replica(root, wheelhouse=wheelhouse())
    return root


@pytest.fixture(scope="session")
def pytorch_index(request: pytest.FixtureRequest) -> str:
    """Base URL of the PyTorch indexes the lock tests use: the local replica (served on
    127.0.0.1 for the whole run) or, with --live-index, the real ones."""
    if request.config.getoption("--live-index"):
        return _reachable_live_index()
    request.getfixturevalue("replica_root")  # built before the first lock asks for a page
    return run_replica(request.config)[1]


def _reachable_live_index() -> str:
    import urllib.request

    live = load_facts().default_index_url
    try:
        urllib.request.urlopen(f"{live}/cpu/torch/", timeout=10).close()
    except OSError as error:
        pytest.skip(f"--live-index: the PyTorch index cannot be reached from this machine ({error})")
    return live


@contextlib.contextmanager
def _exclusive(lock_file: Path):
    """One xdist worker builds the replica while the others wait."""
    with lock_file.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


@pytest.fixture
def isolated_git(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> None:
    """A home of its own for git and copier: the developer's configuration stays out."""
    for name, value in isolated_git_env(tmp_path_factory.mktemp("home")).items():
        monkeypatch.setenv(name, value)


@pytest.fixture
def broken_template(tmp_path: Path, isolated_git: None):
    """A git copy of the template that a test breaks before rendering from it."""
    template = snapshot_template(tmp_path / "template")

    def broken(path: str, pattern: str, replacement: str) -> Path:
        replace_once(template / path, pattern, replacement)
        commit_all(template, "break the template")
        return template

    return broken


@pytest.fixture
def python() -> Path:
    """An interpreter for the newest torch release's whole Python range (skips without one)."""
    newest = load_facts().newest
    executable = interpreter_for(newest.python[0], newest.python[-1])
    if executable is None:
        pytest.skip(f"no Python {newest.python[0]}–{newest.python[-1]} interpreter on this machine")
    return executable
