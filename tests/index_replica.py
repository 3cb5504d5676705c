"""A local replica of the PyTorch wheel indexes (`<index base>/<variant>/`), generated from the facts.

`build_replica(root)` writes a static PEP 503 tree that a plain HTTP server can serve:

    root/index.html                        the variants
    root/<variant>/index.html              the projects of one index
    root/<variant>/<project>/index.html    links with sha256, Requires-Python and PEP 658/714 metadata hashes
    root/files/<wheel>                     the wheels, shared by all indexes
    root/files/<wheel>.metadata            each wheel's METADATA (PEP 658)

`ReplicaServer(root)` serves it on 127.0.0.1; `<base_url>/<variant>` is then what
`https://download.pytorch.org/whl/<variant>` is for the real indexes.

Two more channels, on request (`build_replica(root, test=..., pypi=...)`):

    root/test/<variant>/<project>/         the release-candidate channel (`<base>/test/<variant>/`)
    root/test/files/<wheel>                its wheels, apart: a candidate has the final's file names
    root/pypi/<project>/                   a stand-in for PyPI's torch, torchvision and torchaudio

The test channel holds the releases of the `test` facts, laid out like the stable indexes. Its
wheels carry the final version, not an `rc` suffix, as the real channel's do: the release
candidates of a minor are git tags `v2.x.0-rcN` (pytorch/pytorch RELEASE.md, "Drafting RCs" and
"Release Candidate Storage": wheels at `/whl/test/`), each candidate's build replaces the
previous one's files of the same name (`torch-2.1.0+cu118-cp310-cp310-win_amd64.whl` was
2.1.0 RC1 on `/whl/test/cu118/`, facebookresearch/xformers#835; `torch-2.10.0+rocm7.1-...` on
`/whl/test/rocm7.1/`), and promotion copies the last one to the stable indexes and PyPI
unchanged (RELEASE.md, "Promoting RCs to Stable"). Only PyPI's lacking the version tells a
candidate from a release. The PyPI stand-in holds each release of the `pypi` facts on every
platform of its `pypi` map, built like the variant named there, without local version, and the
Intel Mac's last release (not the companions: torchcodec, torchao), as
PEP 503 HTML and, to a client asking for it, PEP 691 JSON with the releases' dates as upload
times (PyPI's own JSON has them; the test channel, like the real indexes, has none).

What the replica holds, all derived from `load_facts()`: for every release and every variant it
lists, torch, torchvision and torchaudio (where the release has them) and the variant's triton
packages (`Variant.triton_packages`), one wheel per Python minor of the release and platform of the
variant, plus the release's index-only minors (`Release.index_python`) on the variant's Linux
platforms, with the variant as local version (`+cu130`, `+rocm7.2`); the cpu index also carries
the macOS wheels, without local version (macOS arm64 with `Release.macos_arm64_tag`, and the
Intel Mac's last release). A torchvision/torchaudio version several releases share (torchaudio
2.11.1) is one set of wheels, for all their Python minors. Wheels from `wheelhouse` replace the
generated ones of the same file name. `python -m tools.facts check --index-url <replica>` reads
all of this back (tests/test_facts_tool.py).

Approximations (how the replica differs from the real indexes):
- wheels are tiny stand-ins: a package with `__version__`, METADATA, WHEEL and RECORD;
- every wheel is tagged `cpXY-cpXY` (the Intel Mac torch wheels really are `cpXY-none`);
- torch's Requires-Dist is the common list of the real 2.13.0+cpu wheel for every release
  (real releases differ in details: `setuptools<82` for 2.11/2.12, `typing-extensions>=4.13.0`
  for 2.15), no extras (`optree`, `opt-einsum`, `pyyaml`);
- CUDA builds require `triton==<Release.triton>` and one representative runtime dependency,
  `cuda-toolkit[cudart]==<cuda>.*`, both `; platform_system == "Linux"`; the real wheels pin
  exact versions of cuda-toolkit with more extras plus cudnn, nccl, nvshmem, cusparselt and
  cuda-bindings, and 2.14/2.15 say `triton~=` with a `python_full_version` bound;
- ROCm builds require `<Variant.triton>==<Release.triton> ; platform_system == "Linux" and
  platform_machine == "x86_64"`; XPU builds `...; platform_system == "Linux" or
  platform_system == "Windows"` (the real XPU marker is not confirmed);
- the triton companions (`triton-rocm`, `triton-xpu`) have no dependencies and Requires-Python
  is the lowest Python minor of the releases that pin them;
- torchvision pins `torch==<release><local>` and torchaudio states no torch requirement, except
  where several releases share their minor (torchvision 0.29.1/0.29.2, torchaudio 2.11.x), which
  say `torch>=<lowest such torch minor>.0`; torchvision also needs `numpy` and `pillow>=5.3.0,!=8.3.*`;
- an SDK torch requires as wheels (`Variant.sdk`, ROCm from 7.14) is on its variant's index only:
  torch requires `<selector>[<torch_extras>]==<series>.*` (no marker, as the real 7.14 wheels
  state it); the selector is an sdist whose PKG-INFO is static metadata (Metadata-Version 2.2:
  uv locks without building it) and whose in-tree backend "builds" a stored wheel at install
  time (the real one is a setuptools sdist whose setup.py inspects the machine); the packages
  its extras name are `py3-none-<platform>` wheels requiring each other at the SDK's exact
  version, as the facts record them; their real sizes (tens to hundreds of MB) are not modelled;
- only the HTML representation is served (no PEP 691 JSON), which is what uv reads from the
  real index; hrefs are relative (`../../files/<wheel>`), the real ones absolute;
- responses carry `Cache-Control: no-cache` so that uv's cache never outlives a rebuilt tree.
"""

from __future__ import annotations

import base64
import email.parser
import gzip
import hashlib
import html
import io
import json
import os
import shutil
import tarfile
import tempfile
import threading
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from functools import partial
from http import HTTPStatus
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from urllib.parse import quote

from packaging.utils import canonicalize_name, parse_wheel_filename
from packaging.version import Version
from pytorch_facts import TORCH_FAMILY, Facts, Release, Variant, load_facts

STAMP = ".replica-stamp"
FILES = "files"
TEST_CHANNEL = "test"
PYPI_STAND_IN = "pypi"
JSON_PAGE = "index.json"
JSON_TYPE = "application/vnd.pypi.simple.v1+json"
ZIP_DATE = (1980, 1, 1, 0, 0, 0)

TORCH_REQUIRES = (
    "filelock",
    "typing-extensions>=4.10.0",
    "setuptools>=77.0.3",
    "sympy>=1.13.3",
    "networkx>=2.5.1",
    "jinja2",
    "fsspec>=0.8.5",
)
TORCHVISION_REQUIRES = ("numpy", "pillow>=5.3.0,!=8.3.*")
COMPANION_MARKERS = {
    "cuda": 'platform_system == "Linux"',
    "rocm": 'platform_system == "Linux" and platform_machine == "x86_64"',
    "xpu": 'platform_system == "Linux" or platform_system == "Windows"',
}


@dataclass(frozen=True)
class Dist:
    """One generated distribution of the replica: a wheel, or an sdist with static metadata."""

    project: str  # normalised name
    version: str
    python: str  # a minor, "3.12"; "py3" for a pure-Python tag (py3-none-<platform>)
    platform_tag: str
    requires_python: str
    requires_dist: tuple[str, ...] = ()
    extras: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (extra, its requirements)
    module: str = ""  # the import package it installs (default: the name's first word)
    sdist: bool = False

    @property
    def filename(self) -> str:
        stem = f"{self.project.replace('-', '_')}-{self.version}"
        if self.sdist:
            return f"{stem}.tar.gz"
        tag = "py3-none" if self.python == "py3" else "-".join(["cp" + self.python.replace(".", "")] * 2)
        return f"{stem}-{tag}-{self.platform_tag}.whl"

    def metadata(self) -> bytes:
        lines = [
            # 2.2 (PEP 643): an sdist's PKG-INFO is static metadata, read without building it.
            f"Metadata-Version: {'2.2' if self.sdist else '2.1'}",
            f"Name: {self.project}",
            f"Version: {self.version}",
            "Summary: stand-in generated by the test index replica",
            *([f"Requires-Python: {self.requires_python}"] if self.requires_python else []),
            *(f"Requires-Dist: {requirement}" for requirement in self.requires_dist),
        ]
        for extra, requirements in self.extras:
            lines.append(f"Provides-Extra: {extra}")
            lines += [f'Requires-Dist: {requirement} ; extra == "{extra}"' for requirement in requirements]
        return ("\n".join(lines) + "\n").encode()

    def archive(self) -> bytes:
        return self._sdist() if self.sdist else self.wheel()

    def wheel(self, tag: str | None = None) -> bytes:
        """A small valid wheel: the package, METADATA, WHEEL and RECORD, fixed timestamps."""
        dist_info = f"{self.project.replace('-', '_')}-{self.version}.dist-info"
        tag = tag or self.filename.removesuffix(".whl").split("-", 2)[2]
        package = self.module or self.project.split("-")[0]  # triton-rocm installs `triton`
        files = {
            f"{package}/__init__.py": f'__version__ = "{self.version}"\n'.encode(),
            f"{dist_info}/METADATA": self.metadata(),
            f"{dist_info}/WHEEL": (
                f"Wheel-Version: 1.0\nGenerator: index_replica\nRoot-Is-Purelib: false\nTag: {tag}\n"
            ).encode(),
        }
        record = [f"{path},sha256={_record_hash(data)},{len(data)}" for path, data in files.items()]
        files[f"{dist_info}/RECORD"] = ("\n".join([*record, f"{dist_info}/RECORD,,"]) + "\n").encode()
        return _zip(files)

    def _sdist(self) -> bytes:
        """PKG-INFO, and an in-tree build backend (no build requirements) that writes the wheel."""
        wheel_name = f"{self.project.replace('-', '_')}-{self.version}-py3-none-any.whl"
        files = {
            "PKG-INFO": self.metadata(),
            "pyproject.toml": b'[build-system]\nrequires = []\nbuild-backend = "backend"\nbackend-path = ["."]\n',
            "backend.py": SDIST_BACKEND.format(wheel=wheel_name).encode(),
            "wheel.b64": base64.b64encode(self.wheel("py3-none-any")),
        }
        return _tar_gz(f"{self.project.replace('-', '_')}-{self.version}", files)


# The build backend of the replica's sdists: the wheel it "builds" is stored in the sdist.
SDIST_BACKEND = '''"""Build backend of a test index replica sdist: unpacks the wheel stored beside it."""
import base64
import pathlib

HERE = pathlib.Path(__file__).parent


def get_requires_for_build_wheel(config_settings=None):
    return []


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    target = pathlib.Path(wheel_directory) / "{wheel}"
    target.write_bytes(base64.b64decode((HERE / "wheel.b64").read_bytes()))
    return target.name
'''


@dataclass(frozen=True)
class Link:
    """One file of a project page."""

    filename: str
    sha256: str
    metadata_sha256: str | None  # None for an sdist (no PEP 658 metadata file)
    requires_python: str | None


def replica_index_url(base_url: str, variant: str) -> str:
    """The replica's counterpart of `https://download.pytorch.org/whl/<variant>`."""
    return f"{base_url.rstrip('/')}/{variant}"


def replica_dists(facts: Facts | None = None) -> dict[str, dict[str, dict[str, Dist]]]:
    """The generated wheels: variant -> project -> file name -> Dist."""
    facts = facts or load_facts()
    tree: dict[str, dict[str, dict[str, Dist]]] = {name: {} for name in facts.variants}
    for release in facts.releases:
        for name in release.variants:
            variant = facts.variants[name]
            tags = [facts.platforms[platform].wheel_tag for platform in variant.platforms]
            for dist in _release_dists(facts, release, variant, f"+{variant.name}", tags):
                _add(tree[name], dist)
    for name, variant in facts.variants.items():
        for dist in [*_companion_dists(facts, variant), *_sdk_dists(facts, variant)]:
            _add(tree[name], dist)
    for cpu in (name for name, variant in facts.variants.items() if variant.kind == "cpu"):
        for release in facts.releases:
            if cpu in release.variants:
                for dist in _release_dists(facts, release, facts.variants[cpu], "", [release.macos_arm64_tag]):
                    _add(tree[cpu], dist)
        for platform in facts.platforms.values():
            if platform.last_release:
                for dist in _last_release_dists(platform.last_release, platform.wheel_tag):
                    _add(tree[cpu], dist)
    return tree


def pypi_dists(facts: Facts) -> dict[str, dict[str, Dist]]:
    """The PyPI stand-in's wheels: project -> file name -> Dist (see the module docstring)."""
    projects: dict[str, dict[str, Dist]] = {}
    for release in facts.releases:
        for name, build in release.pypi.items():
            platform = facts.platforms[name]
            tag = release.macos_arm64_tag if platform.os == "macos" else platform.wheel_tag
            for dist in _release_dists(facts, release, facts.variants[build], "", [tag]):
                if dist.project in TORCH_FAMILY:
                    _add(projects, dist)
    for platform in facts.platforms.values():
        if platform.last_release:
            for dist in _last_release_dists(platform.last_release, platform.wheel_tag):
                _add(projects, dist)
    return projects


def pypi_upload_times(facts: Facts) -> dict[str, str]:
    """File name -> the PyPI stand-in's PEP 700 upload time: a torch release's date, and for a
    torchvision/torchaudio version the newest date of the releases it serves (torchaudio 2.11.1
    reached PyPI with torch 2.15)."""
    times: dict[str, str] = {}
    for project, dists in pypi_dists(facts).items():
        for filename, dist in dists.items():
            dates = [r.date for r in facts.releases if r.package_version(project) == dist.version and r.date]
            if dates:
                times[filename] = f"{max(dates)}T12:00:00Z"
    return times


def build_replica(
    root: Path,
    facts: Facts | None = None,
    wheelhouse: Path | None = None,
    *,
    test: Facts | None = None,
    pypi: Facts | None = None,
) -> Path:
    """Write the replica under `root` (reused as is when built from the same inputs): the
    stable indexes from `facts`, and where given the test channel from `test` and the PyPI
    stand-in from `pypi`."""
    facts = facts or load_facts()
    root = Path(root)
    stamp = _stamp(facts, wheelhouse, test, pypi)
    if _read_stamp(root) == stamp:
        return root
    root.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{root.name}-", dir=root.parent))
    try:
        tree = replica_dists(facts)
        if pypi is not None:
            tree[PYPI_STAND_IN] = pypi_dists(pypi)
        _write_tree(tmp, tree, wheelhouse, {PYPI_STAND_IN: pypi_upload_times(pypi)} if pypi else {})
        if test is not None:
            _write_tree(tmp / TEST_CHANNEL, replica_dists(test), None)
        (tmp / STAMP).write_text(stamp, encoding="utf-8")
        if _read_stamp(root) != stamp:
            if root.exists():
                shutil.rmtree(root)
            try:
                tmp.rename(root)
            except OSError:
                if _read_stamp(root) != stamp:  # not a concurrent build of the same tree
                    raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return root


class ReplicaServer:
    """Serve a replica tree on 127.0.0.1 (a free port) from a background thread."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        if self._server is None:
            raise RuntimeError("the replica server is not running")
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def index_url(self, variant: str) -> str:
        return replica_index_url(self.base_url, variant)

    def start(self) -> ReplicaServer:
        handler = partial(_Handler, directory=str(self.root))
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(
            target=partial(self._server.serve_forever, 0.05), name="index-replica", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
        if self._thread is not None:
            self._thread.join()
        self._server = self._thread = None

    def __enter__(self) -> ReplicaServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


class _Handler(SimpleHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def translate_path(self, path: str) -> str:
        """A project page asked for as PEP 691 JSON is its `index.json`, where there is one."""
        translated = super().translate_path(path)
        wanted = JSON_TYPE in (self.headers.get("Accept") or "")
        if wanted and os.path.isdir(translated) and os.path.isfile(os.path.join(translated, JSON_PAGE)):
            return os.path.join(translated, JSON_PAGE)
        return translated

    def guess_type(self, path: str | os.PathLike[str]) -> str:
        return JSON_TYPE if str(path).endswith(JSON_PAGE) else super().guess_type(path)

    def end_headers(self) -> None:
        self.send_header("Cache-Control", "no-cache")
        super().end_headers()

    def send_response(self, code: int, message: str | None = None) -> None:
        super().send_response(code, message)
        if code == HTTPStatus.NOT_MODIFIED:
            # uv treats a 304 without a validator as unusable and downloads the file again
            # (about 700 MB per project for a real torch wheel).
            try:
                modified = os.stat(self.translate_path(self.path)).st_mtime
            except OSError:
                return
            self.send_header("Last-Modified", self.date_time_string(modified))

    def log_message(self, format: str, *args: object) -> None:
        pass


# --- what the indexes hold ---------------------------------------------------------------


def _release_dists(facts: Facts, release: Release, variant: Variant, local: str, tags: list[str]) -> list[Dist]:
    """torch, torchvision, torchaudio and the triton companions of one release on one index.

    The release's index-only Python minors (`Release.index_python`) get wheels on the Linux
    tags of the variant indexes, not on the cpu index's macOS tags (`local` is empty there).
    """
    linux_tags = [facts.platforms[p].wheel_tag for p in variant.platforms if facts.platforms[p].os == "linux"]
    wheels = [(python, tag) for python in release.python for tag in tags]
    if local:
        wheels += [(python, tag) for python in release.index_python for tag in tags if tag in linux_tags]
    requires_python = f">={_lowest(release.python)}"
    torch_requires = (*TORCH_REQUIRES, *_accelerator_requires(release, variant))
    torch = release.torch + local
    dists = [Dist("torch", torch, python, tag, requires_python, torch_requires) for python, tag in wheels]
    for package, requires in (("torchvision", TORCHVISION_REQUIRES), ("torchaudio", ())):
        version = release.package_version(package)
        if not version:
            continue
        pin = _torch_pin(facts, package, release, local)
        package_python = f">={_lowest([python for r in _sharing(facts, package, version) for python in r.python])}"
        dists += [
            Dist(package, version + local, python, tag, package_python, (*pin, *requires)) for python, tag in wheels
        ]
    for companion in variant.triton_packages:
        companion_python = f">={_lowest(_companion_pythons(facts, variant, release.triton))}"
        dists += [
            Dist(canonicalize_name(companion), release.triton, python, tag, companion_python) for python, tag in wheels
        ]
    return dists


def _companion_dists(facts: Facts, variant: Variant) -> list[Dist]:
    """The companion packages (torchcodec, ...) the variant's index publishes: their newest
    version with the variant as local version, on the variant's platforms, for the Python
    minors of the releases that have the variant (index-only minors on Linux only)."""
    releases = [r for r in facts.releases if variant.name in r.variants]
    everywhere = sorted({p for r in releases for p in r.python}, key=Version)
    linux = sorted({*everywhere, *(p for r in releases for p in r.index_python)}, key=Version)
    dists = []
    for name, companion in facts.companions.items():
        if not companion.on_index_of(variant) or not releases:
            continue
        for platform in variant.platforms:
            tag = facts.platforms[platform].wheel_tag
            pythons = linux if facts.platforms[platform].os == "linux" else everywhere
            version = f"{companion.version}+{variant.name}"
            dists += [Dist(name, version, python, tag, f">={everywhere[0]}") for python in pythons]
    return dists


def _sdk_dists(facts: Facts, variant: Variant) -> list[Dist]:
    """The SDK the variant's torch requires (`Variant.sdk`), on its index only: the selector as
    an sdist with static metadata, every package its extras name as py3 wheels for the variant's
    platforms, each requiring the others at the SDK's exact version."""
    if variant.sdk is None:
        return []
    sdk, version = variant.sdk.sdk, variant.sdk.version

    def pinned(packages: Iterable[str]) -> tuple[str, ...]:
        return tuple(f"{package}=={version}" for package in packages)

    targets = {target: sdk.target_package.format(target=target) for target in sdk.targets}
    extras = [(extra, pinned(packages)) for extra, packages in sdk.extras.items()]
    extras.append((sdk.all_targets_extra, pinned(targets.values())))
    extras += [(sdk.target_extra.format(target=target), pinned([package])) for target, package in targets.items()]
    selector = Dist(sdk.selector, version, "py3", "", "", pinned(sdk.requires), tuple(extras), f"_{sdk.selector}", True)
    dists = [selector]
    packages = {*sdk.requires, *(p for ps in sdk.extras.values() for p in ps)}
    for package in sorted(packages) + list(targets.values()):
        requires = pinned(sdk.target_requires) if package in targets.values() else ()
        module = "_" + package.replace("-", "_")
        dists += [
            Dist(package, version, "py3", facts.platforms[platform].wheel_tag, "", requires, module=module)
            for platform in variant.platforms
        ]
    return dists


def _last_release_dists(last: dict, tag: str) -> list[Dist]:
    """A platform's last release (the Intel Mac's 2.2.2) on the cpu index, without local version."""
    requires_python = f">={_lowest(last['python'])}"
    projects = [
        ("torch", last["torch"], TORCH_REQUIRES),
        ("torchvision", last["torchvision"], (f"torch=={last['torch']}", *TORCHVISION_REQUIRES)),
        ("torchaudio", last["torchaudio"], ("torch",)),
    ]
    return [
        Dist(project, version, python, tag, requires_python, requires)
        for project, version, requires in projects
        if version
        for python in last["python"]
    ]


def _accelerator_requires(release: Release, variant: Variant) -> list[str]:
    marker = COMPANION_MARKERS.get(variant.kind)
    if variant.kind == "cuda" and variant.cuda:
        return [f"triton=={release.triton} ; {marker}", f"cuda-toolkit[cudart]=={variant.cuda}.* ; {marker}"]
    requires = []
    if variant.triton and marker:
        requires.append(f"{canonicalize_name(variant.triton)}=={release.triton} ; {marker}")
    if variant.sdk:
        requires.append(variant.sdk.requirement())
    return requires


def _sharing(facts: Facts, package: str, version: str) -> list[Release]:
    """The releases whose `package` is this exact version (torchaudio 2.11.1 serves several)."""
    return [r for r in facts.releases if r.package_version(package) == version]


def _torch_pin(facts: Facts, package: str, release: Release, local: str) -> tuple[str, ...]:
    """The torch requirement of a torchvision/torchaudio wheel, as the real ones state it.

    Where several releases' versions share a minor (torchvision 0.29.1/0.29.2, torchaudio
    2.11.x) the wheel says `torch>=<lowest such torch minor>.0`; otherwise torchvision pins
    `torch==<release><local>` and torchaudio states no requirement.
    """
    minor = _minor(release.package_version(package))
    sharing = [r for r in facts.releases if r.package_version(package) and _minor(r.package_version(package)) == minor]
    if len(sharing) > 1:
        return (f"torch>={_lowest([r.minor for r in sharing])}.0",)
    return (f"torch=={release.torch}{local}",) if package == "torchvision" else ()


def _companion_pythons(facts: Facts, variant: Variant, triton: str) -> list[str]:
    return [
        python
        for release in facts.releases
        if release.triton == triton and any(facts.variants[name].triton == variant.triton for name in release.variants)
        for python in (*release.python, *release.index_python)
    ]


def _add(projects: dict[str, dict[str, Dist]], dist: Dist) -> None:
    files = projects.setdefault(dist.project, {})
    if files.setdefault(dist.filename, dist) != dist:
        raise ValueError(f"two different wheels named {dist.filename}")


def _minor(version: str) -> str:
    return ".".join(version.split(".")[:2])


def _lowest(versions: list[str] | tuple[str, ...]) -> str:
    return min(versions, key=Version)


# --- writing the tree --------------------------------------------------------------------


def _write_tree(
    root: Path,
    tree: dict[str, dict[str, dict[str, Dist]]],
    wheelhouse: Path | None,
    upload_times: dict[str, dict[str, str]] | None = None,
) -> None:
    """One channel: `root/<index>/<project>/` pages for `tree`, the files in `root/files`; the
    indexes of `upload_times` also get PEP 691 JSON pages with those (PEP 700) upload times."""
    files = root / FILES
    files.mkdir(parents=True)
    pages: dict[str, dict[str, dict[str, Link]]] = {}
    links: dict[str, Link] = {}
    for variant, projects in tree.items():
        for project, dists in projects.items():
            for filename, dist in dists.items():
                if filename not in links:
                    archive, metadata = dist.archive(), dist.metadata()
                    (files / filename).write_bytes(archive)
                    metadata_sha256 = None
                    if not dist.sdist:
                        (files / f"{filename}.metadata").write_bytes(metadata)
                        metadata_sha256 = _sha256(metadata)
                    links[filename] = Link(filename, _sha256(archive), metadata_sha256, dist.requires_python or None)
                pages.setdefault(variant, {}).setdefault(project, {})[filename] = links[filename]
    for wheel in sorted(wheelhouse.glob("*.whl")) if wheelhouse else []:
        _add_real_wheel(root, pages, wheel)
    for variant, projects in pages.items():
        for project, links in projects.items():
            _write_page(root / variant / project / "index.html", project, _links_html(links.values()))
            if variant in (upload_times or {}):
                _write_json_page(root / variant / project / JSON_PAGE, project, links.values(), upload_times[variant])
        _write_page(root / variant / "index.html", variant, [f'<a href="{p}/">{p}</a>' for p in sorted(projects)])
    _write_page(root / "index.html", "PyTorch index replica", [f'<a href="{v}/">{v}</a>' for v in sorted(pages)])


def _add_real_wheel(root: Path, pages: dict[str, dict[str, dict[str, Link]]], wheel: Path) -> None:
    """Put a real wheel in place of the generated one of the same name, or on its variant's index."""
    name, version, _, _ = parse_wheel_filename(wheel.name)
    project = str(name)
    target = root / FILES / wheel.name
    target.unlink(missing_ok=True)
    try:
        target.symlink_to(wheel.resolve())
    except OSError:
        shutil.copyfile(wheel, target)
    with zipfile.ZipFile(wheel) as archive:
        path = next(p for p in archive.namelist() if p.count("/") == 1 and p.endswith(".dist-info/METADATA"))
        metadata = archive.read(path)
    (root / FILES / f"{wheel.name}.metadata").write_bytes(metadata)
    requires_python = email.parser.BytesParser().parsebytes(metadata, headersonly=True)["Requires-Python"]
    link = Link(wheel.name, _sha256_file(wheel), _sha256(metadata), requires_python)
    variants = [v for v, projects in pages.items() if wheel.name in projects.get(project, {})]
    for variant in variants or [version.local or "cpu"]:
        pages.setdefault(variant, {}).setdefault(project, {})[wheel.name] = link


def _links_html(links: Iterable[Link]) -> list[str]:
    lines = []
    for link in sorted(links, key=lambda link: link.filename):
        attributes = f'href="../../{FILES}/{quote(link.filename)}#sha256={link.sha256}"'
        if link.requires_python:
            attributes += f' data-requires-python="{html.escape(link.requires_python)}"'
        if link.metadata_sha256:
            metadata = f"sha256={link.metadata_sha256}"
            attributes += f' data-dist-info-metadata="{metadata}" data-core-metadata="{metadata}"'
        lines.append(f"<a {attributes}>{html.escape(link.filename)}</a><br/>")
    return lines


def _write_json_page(path: Path, project: str, links: Iterable[Link], upload_times: dict[str, str]) -> None:
    files = []
    for link in sorted(links, key=lambda link: link.filename):
        file = {"filename": link.filename, "url": f"../../{FILES}/{quote(link.filename)}"}
        file.update(hashes={"sha256": link.sha256}, **{"requires-python": link.requires_python})
        if link.metadata_sha256:
            file["core-metadata"] = {"sha256": link.metadata_sha256}
        if link.filename in upload_times:
            file["upload-time"] = upload_times[link.filename]
        files.append(file)
    page = {"meta": {"api-version": "1.1"}, "name": project, "files": files}
    path.write_text(json.dumps(page, indent=1) + "\n", encoding="utf-8")


def _write_page(path: Path, title: str, lines: list[str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    body = "\n".join(lines)
    path.write_text(
        f'<!DOCTYPE html>\n<html>\n<head><meta name="pypi:repository-version" content="1.1">'
        f"<title>Links for {html.escape(title)}</title></head>\n"
        f"<body>\n<h1>Links for {html.escape(title)}</h1>\n{body}\n</body>\n</html>\n",
        encoding="utf-8",
    )


def _stamp(facts: Facts, wheelhouse: Path | None, *channels: Facts | None) -> str:
    """What the tree is built from: this module, the facts (of each channel) and the wheelhouse's wheels."""
    digest = hashlib.sha256(Path(__file__).read_bytes())
    for read in (facts, *channels):
        digest.update(repr(read).encode())
    for wheel in sorted(wheelhouse.glob("*.whl")) if wheelhouse else []:
        stat = wheel.stat()
        digest.update(f"{wheel.resolve()}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    return digest.hexdigest()


def _read_stamp(root: Path) -> str | None:
    try:
        return (root / STAMP).read_text(encoding="utf-8")
    except OSError:
        return None


def _zip(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, data in files.items():
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)
    return buffer.getvalue()


def _tar_gz(top: str, files: dict[str, bytes]) -> bytes:
    """A reproducible .tar.gz of `files` under the directory `top`."""
    buffer = io.BytesIO()
    with gzip.GzipFile(fileobj=buffer, mode="wb", mtime=0) as gz, tarfile.open(fileobj=gz, mode="w") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo(f"{top}/{name}")
            info.size, info.mode = len(data), 0o644
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def _record_hash(data: bytes) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as file:
        for block in iter(lambda: file.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
