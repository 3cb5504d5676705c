"""What both benchmarks share: the environment, the index replica, rendering, running uv."""

from __future__ import annotations

import contextlib
import datetime
import fcntl
import io
import os
import platform
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
for _path in (REPO_ROOT / "benchmarks", REPO_ROOT / "tests", REPO_ROOT / "extensions"):
    if str(_path) not in sys.path:
        sys.path.insert(0, str(_path))

warnings.simplefilter("ignore")  # copier's DirtyLocalWarning while the template has local edits

# The answer sets the render benchmarks render: one per strategy, the layouts and optional files.
ANSWER_SETS = {
    "default": {},
    "extras-virtual-workspace": {
        "accelerator_strategy": "extras",
        "layout": "virtual-workspace",
        "workspace_members": ["core", "train"],
    },
    "per-platform-docker": {"accelerator_strategy": "per-platform", "docker": True, "ci": "gitlab"},
    "pypi-workspace": {"accelerator_strategy": "pypi", "layout": "workspace"},
}
DEFAULT_CACHE_DIR = "/tmp/torch-uv-bench-cache"
DEFAULT_WORK_DIR = Path(tempfile.gettempdir()) / "torch-uv-bench"
CLEARED_ENV = (
    "VIRTUAL_ENV",
    "UV_INDEX",
    "UV_INDEX_URL",
    "UV_EXTRA_INDEX_URL",
    "UV_DEFAULT_INDEX",
    "UV_FIND_LINKS",
    "UV_PYTHON",
    "UV_PROJECT_ENVIRONMENT",
    "UV_FROZEN",
    "UV_LOCKED",
    "UV_OFFLINE",
)


def uv_command() -> list[str]:
    """The uv binary of the environment running this script (the repo's pinned uv)."""
    try:
        from uv import find_uv_bin

        return [find_uv_bin()]
    except (ImportError, FileNotFoundError):
        return [sys.executable, "-m", "uv"]


def uv_version(uv: list[str]) -> str:
    return subprocess.run([*uv, "--version"], capture_output=True, text=True).stdout.strip()


def prepare_environment(cache_dir: str | None, work_dir: Path) -> str:
    """uv and copier settings for this process and every subprocess; returns the uv cache."""
    cache = cache_dir or os.environ.get("UV_CACHE_DIR") or DEFAULT_CACHE_DIR
    os.environ["UV_CACHE_DIR"] = cache
    os.environ["UV_PYTHON_DOWNLOADS"] = "never"
    # Keep the user's and the system's uv.toml out by pointing uv at an empty configuration
    # directory. Not UV_NO_CONFIG: it also makes uv ignore the settings in the project's own
    # [tool.uv] (fork-strategy, required-version, ...), which are part of what is measured.
    empty = work_dir / "no-user-config"
    empty.mkdir(exist_ok=True)
    os.environ["XDG_CONFIG_HOME"] = os.environ["XDG_CONFIG_DIRS"] = str(empty)
    os.environ.pop("UV_NO_CONFIG", None)
    for name in CLEARED_ENV:
        os.environ.pop(name, None)
    settings = work_dir / "copier-settings.yml"
    settings.write_text("{}\n")
    os.environ["COPIER_SETTINGS_PATH"] = str(settings)
    return cache


@contextlib.contextmanager
def replica(work_dir: Path):
    """The index replica, built once under the work directory and served on 127.0.0.1."""
    from index_replica import ReplicaServer, build_replica

    root = work_dir / "pytorch-index-replica"
    with (work_dir / "replica.lock").open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            build_replica(root)
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
    with ReplicaServer(root) as server:
        yield server.base_url


class RenderError(Exception):
    pass


def render(data: dict, destination: Path) -> dict:
    """Render the working tree of the template with copier (as `copier copy --defaults --trust
    --vcs-ref HEAD`: without a ref copier would render the newest tag); returns the answers."""
    import copier

    captured = io.StringIO()
    try:
        with contextlib.redirect_stderr(captured), contextlib.redirect_stdout(captured):
            worker = copier.run_copy(
                str(REPO_ROOT),
                str(destination),
                data=data,
                defaults=True,
                unsafe=True,
                quiet=True,
                overwrite=True,
                vcs_ref="HEAD",
            )
    except Exception as error:  # copier reports refused answers as ValueError
        raise RenderError(str(error).strip() or type(error).__name__) from error
    return dict(worker.answers.combined)


def interpreter(answers: dict) -> Path | None:
    from interpreters import interpreter_for

    return interpreter_for(answers["python_min"], answers["python_max"])


def interpreter_label(python: Path) -> str:
    from interpreters import interpreters

    return next((f"CPython {m}" for m, path in interpreters().items() if path == python), str(python))


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def ratio(ours: float, guide: float) -> float:
    return ours / guide if guide else float("inf")


def fmt_ratio(value: float) -> str:
    return "inf" if value == float("inf") else f"{value:.2f}"


def paired(ours: float, other: float, digits: int = 2) -> str:
    """Two table cells: `ours / other`, then their ratio."""
    return f"{ours:.{digits}f} / {other:.{digits}f} | {fmt_ratio(ratio(ours, other))}"


def machine_line(uv: list[str], cache: str) -> str:
    load = ", ".join(f"{value:.2f}" for value in os.getloadavg()) if hasattr(os, "getloadavg") else "n/a"
    now = datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")
    return (
        f"Machine: {platform.platform()} ({platform.machine()}), {os.cpu_count()} cores, load average {load}; "
        f"{uv_version(uv)}; Python {platform.python_version()} running the script; uv cache {cache}; {now}"
    )


def timed(command: list[str], cwd: Path, env: dict | None = None) -> float:
    """Wall time of one subprocess; raises with its output when it fails."""
    started = time.perf_counter()
    result = subprocess.run(command, cwd=cwd, capture_output=True, text=True, env={**os.environ, **(env or {})})
    elapsed = time.perf_counter() - started
    if result.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed in {cwd}:\n{result.stderr}{result.stdout}")
    return elapsed
