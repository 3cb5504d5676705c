"""Session set-up shared by the template's tests: isolation, the index replica, interpreters,
and the closing summary (combinations rendered and locked, verifications, skips)."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import re
import time
from collections.abc import Callable
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--live-index",
        action="store_true",
        default=os.environ.get("TORCH_UV_LIVE_INDEX") == "1",
        help="lock against the real PyTorch indexes instead of the local replica (env: TORCH_UV_LIVE_INDEX=1)",
    )


def pytest_configure(config: pytest.Config) -> None:
    # pytest-copie resolves --template against the current directory: default to this repo.
    if Path(config.option.template) == Path.cwd() and Path.cwd() != REPO_ROOT:
        config.option.template = str(REPO_ROOT)
    config.stash[_started] = time.monotonic()
    config.stash[_counts] = {}


@pytest.fixture(scope="session", autouse=True)
def isolated_tools(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Keep the user's own copier and uv settings out; share one uv cache across workers."""
    settings = tmp_path_factory.getbasetemp() / "copier-settings.yml"
    settings.write_text("{}\n")
    os.environ["COPIER_SETTINGS_PATH"] = str(settings)
    os.environ["UV_PYTHON_DOWNLOADS"] = "never"
    os.environ["UV_NO_CONFIG"] = "1"
    os.environ.setdefault("UV_CACHE_DIR", str(shared_dir(tmp_path_factory) / "uv-cache"))
    # `uv run pytest` activates this repository's .venv: generated projects must use their own.
    for name in ("UV_INDEX", "UV_INDEX_URL", "UV_EXTRA_INDEX_URL", "UV_DEFAULT_INDEX", "UV_FIND_LINKS", "VIRTUAL_ENV"):
        os.environ.pop(name, None)


def shared_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A directory shared by all xdist workers of this run (the parent of their base temps)."""
    base = tmp_path_factory.getbasetemp()
    return base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base


_started = pytest.StashKey[float]()
_counts = pytest.StashKey[dict]()


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    """Tally what each test recorded in `record_property` (also for reports from xdist workers)."""
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


LIVE_INDEX_URL = "https://download.pytorch.org/whl"


@pytest.fixture(scope="session")
def replica_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The static files of the PyTorch index replica, built once for all workers."""
    from index_replica import build_replica
    from wheelhouse import wheelhouse

    root = shared_dir(tmp_path_factory) / "pytorch-index-replica"
    with _exclusive(root.with_suffix(".lock")):
        build_replica(root, wheelhouse=wheelhouse())
    return root


@pytest.fixture(scope="session")
def pytorch_index(request: pytest.FixtureRequest, replica_root: Path):
    """Base URL of the PyTorch indexes the lock tests use: the local replica (served on
    127.0.0.1 for this session) or, with --live-index, the real ones."""
    if request.config.getoption("--live-index"):
        yield _reachable_live_index()
        return
    from index_replica import ReplicaServer

    with ReplicaServer(replica_root) as server:
        yield server.base_url


def _reachable_live_index() -> str:
    import urllib.request

    try:
        urllib.request.urlopen(f"{LIVE_INDEX_URL}/cpu/torch/", timeout=10).close()
    except OSError as error:
        pytest.skip(f"--live-index: the PyTorch index cannot be reached from this machine ({error})")
    return LIVE_INDEX_URL


@contextlib.contextmanager
def _exclusive(lock_file: Path):
    """One xdist worker builds the replica while the others wait."""
    with lock_file.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
