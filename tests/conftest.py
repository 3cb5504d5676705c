"""Session set-up shared by the template's tests: isolation, the index replica, interpreters,
and the closing summary (combinations rendered and locked, verifications, skips)."""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
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
    parser.addoption(
        "--real-pypi",
        action="store_true",
        default=os.environ.get("TORCH_UV_REAL_PYPI") == "1",
        help="also run the real_pypi tests: sync against the real PyPI, about 3 GB (env: TORCH_UV_REAL_PYPI=1)",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The real_pypi tests download gigabytes: deselected unless --real-pypi asks for them."""
    if config.getoption("--real-pypi"):
        return
    deselected = [item for item in items if "real_pypi" in item.keywords]
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = [item for item in items if "real_pypi" not in item.keywords]


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

    from pytorch_facts import load_facts

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
