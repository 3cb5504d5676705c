"""The local replica of the PyTorch indexes: its tree, its wheels, its links, its server, and uv's view of it."""

from __future__ import annotations

import base64
import hashlib
import html
import io
import os
import re
import shutil
import subprocess
import time
import urllib.error
import urllib.request
import zipfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote

import pytest
from facts_edits import next_release_channel
from index_replica import (
    FILES,
    PYPI_STAND_IN,
    TEST_CHANNEL,
    ReplicaServer,
    build_replica,
    replica_dists,
    replica_index_url,
)
from packaging.metadata import Metadata
from packaging.utils import canonicalize_name
from packaging.version import Version
from pytorch_facts import load_facts

FACTS = load_facts()
NEWEST = FACTS.newest
# A GPU variant of the newest release with wheels for both Linux machines and Windows.
WIDE = next(
    v
    for v in NEWEST.variants
    if FACTS.variants[v].kind != "cpu"
    and {"linux-x86_64", "linux-aarch64", "windows-x86_64"} <= set(FACTS.variants[v].platforms)
)
TOP = "cp" + NEWEST.python[-1].replace(".", "")  # the newest release's newest Python
LINK = re.compile(r'<a href="\.\./\.\./files/([^"#]+)#sha256=([0-9a-f]{64})"([^>]*)>([^<]+)</a>')
DEFAULT_UV_CACHE = Path("/tmp/torch-uv-template-uv-cache")


@pytest.fixture(scope="module")
def replica(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_replica(tmp_path_factory.mktemp("replica") / "whl")


@pytest.fixture(scope="module")
def server(replica: Path) -> Iterator[ReplicaServer]:
    with ReplicaServer(replica) as running:
        yield running


def links(page: Path) -> dict[str, tuple[str, str]]:
    """file name -> (sha256, the other attributes) of a project page."""
    return {unquote(href): (sha, attributes) for href, sha, attributes, _ in LINK.findall(page.read_text())}


def project_pages(replica: Path) -> list[Path]:
    return sorted(replica.glob("*/*/index.html"))


def test_tree_has_the_expected_wheels(replica: Path) -> None:
    facts = load_facts()
    wide = links(replica / WIDE / "torch" / "index.html")
    assert f"torch-{NEWEST.torch}+{WIDE}-cp312-cp312-win_amd64.whl" in wide
    assert f"torch-{NEWEST.torch}+{WIDE}-cp312-cp312-manylinux_2_28_x86_64.whl" in wide
    assert f"torch-{NEWEST.torch}+{WIDE}-{TOP}-{TOP}-manylinux_2_28_aarch64.whl" in wide
    torchvision = f"torchvision-{NEWEST.torchvision}+{WIDE}-cp312-cp312-win_amd64.whl"
    assert torchvision in links(replica / WIDE / "torchvision" / "index.html")
    assert not any("macosx" in name for name in wide)
    for release in facts.releases:
        for variant in release.variants:
            names = links(replica / variant / "torch" / "index.html")
            for platform in facts.variants[variant].platforms:
                tag = facts.platforms[platform].wheel_tag
                for python in release.python:
                    cp = "cp" + python.replace(".", "")
                    assert f"torch-{release.torch}+{variant}-{cp}-{cp}-{tag}.whl" in names
    projects = re.findall(r'<a href="([^"]+)/">', (replica / WIDE / "index.html").read_text())
    companions = [name for name, c in facts.companions.items() if c.on_index_of(facts.variants[WIDE])]
    assert projects == sorted(["torch", "torchaudio", "torchvision", *companions])
    assert f'href="{WIDE}/"' in (replica / "index.html").read_text()


def test_no_rocm_wheels_for_windows(replica: Path) -> None:
    rocm = [name for name, variant in load_facts().variants.items() if variant.kind == "rocm"]
    assert rocm
    for variant in rocm:
        for page in (replica / variant).glob("*/index.html"):
            assert "win_amd64" not in page.read_text()
            assert "aarch64" not in page.read_text()


def test_cpu_index_has_macos_wheels_without_local_version(replica: Path) -> None:
    facts = load_facts()
    names = links(replica / "cpu" / "torch" / "index.html")
    for release in facts.releases:
        assert f"torch-{release.torch}-cp312-cp312-{release.macos_arm64_tag}.whl" in names
        assert f"torch-{release.torch}+cpu-cp312-cp312-win_amd64.whl" in names
    assert not any("macosx" in name and "+" in name for name in names)
    intel = facts.platforms["macos-x86_64"]
    last = intel.last_release
    assert f"torch-{last['torch']}-cp312-cp312-{intel.wheel_tag}.whl" in names  # the Intel Mac's last release
    audio = links(replica / "cpu/torchaudio/index.html")
    for release in facts.releases:
        if release.torchaudio and "3.12" in release.python:
            assert f"torchaudio-{release.torchaudio}-cp312-cp312-{release.macos_arm64_tag}.whl" in audio


def test_triton_companions_on_their_indexes(replica: Path) -> None:
    facts = load_facts()
    checked = 0
    for release in facts.releases:
        for name in release.variants:
            variant = facts.variants[name]
            torch = replica / FILES / f"torch-{release.torch}+{name}-cp312-cp312-manylinux_2_28_x86_64.whl"
            requires = Metadata.from_email(_metadata(torch)).requires_dist or []
            by_name = {canonicalize_name(r.name): r for r in requires}
            if variant.triton:
                project = canonicalize_name(variant.triton)
                names = links(replica / name / project / "index.html")
                wheel = f"{project.replace('-', '_')}-{release.triton}-cp312-cp312-manylinux_2_28_x86_64.whl"
                assert wheel in names
                assert str(by_name[project].specifier) == f"=={release.triton}"
                checked += 1
            if variant.kind == "cuda":
                assert str(by_name["triton"].specifier) == f"=={release.triton}"
                assert str(by_name["cuda-toolkit"].specifier) == f"=={variant.cuda}.*"
                assert not (replica / name / "triton").exists()  # CUDA builds take triton from PyPI
            if variant.kind == "cpu":
                assert not {"triton", "cuda-toolkit"} & set(by_name)
    assert checked


def test_metadata_parses_and_matches_the_wheels(replica: Path) -> None:
    for metadata_file in sorted((replica / FILES).glob("*.metadata")):
        data = metadata_file.read_bytes()
        metadata = Metadata.from_email(data, validate=True)
        wheel = metadata_file.with_suffix("")
        assert wheel.name.startswith(f"{str(metadata.name).replace('-', '_')}-{metadata.version}-")
        with zipfile.ZipFile(wheel) as archive:
            assert archive.read(f"{wheel.name.split('-')[0]}-{metadata.version}.dist-info/METADATA") == data
    # torchvision pins its torch; where releases share its minor, it says torch>= their lowest.
    for release in FACTS.releases:
        for variant in release.variants:
            sample = (
                replica / FILES / f"torchvision-{release.torchvision}+{variant}-cp312-cp312-manylinux_2_28_x86_64.whl"
            )
            if not sample.exists():
                continue
            metadata = Metadata.from_email(_metadata(sample))
            minor = Version(release.torchvision).release[:2]
            sharing = [r for r in FACTS.releases if r.torchvision and Version(r.torchvision).release[:2] == minor]
            lowest = min(Version(r.minor) for r in sharing)
            pin = f"torch>={lowest}.0" if len(sharing) > 1 else f"torch=={release.torch}+{variant}"
            assert [str(r) for r in metadata.requires_dist or []] == [pin, "numpy", "pillow!=8.3.*,>=5.3.0"]
            same = [m for r in FACTS.releases if r.torchvision == release.torchvision for m in r.python]
            assert str(metadata.requires_python) == f">={min(same, key=Version)}"


def test_wheels_are_valid(replica: Path) -> None:
    wheel = replica / FILES / "triton_xpu-3.9.0-cp313-cp313-win_amd64.whl"
    with zipfile.ZipFile(wheel) as archive:
        assert archive.testzip() is None
        names = archive.namelist()
        assert "triton/__init__.py" in names
        record = archive.read("triton_xpu-3.9.0.dist-info/RECORD").decode().splitlines()
        assert "Tag: cp313-cp313-win_amd64" in archive.read("triton_xpu-3.9.0.dist-info/WHEEL").decode()
        for line in record:
            path, digest, size = line.rsplit(",", 2)
            if digest:
                expected = base64.urlsafe_b64encode(hashlib.sha256(archive.read(path)).digest()).rstrip(b"=")
                assert digest == f"sha256={expected.decode()}" and int(size) == len(archive.read(path))
        assert {line.split(",")[0] for line in record} == set(names)


def test_links_carry_true_hashes(replica: Path) -> None:
    """Every file's sha256, its PEP 658 metadata hash (wheels; sdists have none) and its
    Requires-Python where the distribution states one."""
    dists = {
        name: dist
        for projects in replica_dists().values()
        for files in projects.values()
        for name, dist in files.items()
    }
    seen = 0
    for page in project_pages(replica):
        for name, (sha, attributes) in links(page).items():
            archive = replica / FILES / name
            assert hashlib.sha256(archive.read_bytes()).hexdigest() == sha
            if dists[name].sdist:
                assert not Path(f"{archive}.metadata").exists()
                assert "data-core-metadata" not in attributes
            else:
                metadata_sha = hashlib.sha256(Path(f"{archive}.metadata").read_bytes()).hexdigest()
                assert f'data-core-metadata="sha256={metadata_sha}"' in attributes
                assert f'data-dist-info-metadata="sha256={metadata_sha}"' in attributes
            if dists[name].requires_python:
                assert f'data-requires-python="{html.escape(dists[name].requires_python)}"' in attributes
            else:
                assert "data-requires-python" not in attributes
            seen += 1
    generated = sum(len(files) for projects in replica_dists().values() for files in projects.values())
    assert seen == generated


def test_builds_are_deterministic_and_reused(replica: Path, tmp_path: Path) -> None:
    again = build_replica(tmp_path / "whl")
    for path in sorted(p for p in replica.rglob("*") if p.is_file()):
        assert (again / path.relative_to(replica)).read_bytes() == path.read_bytes(), path
    stamp = again / ".replica-stamp"
    before = stamp.stat().st_mtime_ns
    started = time.monotonic()
    assert build_replica(again) == again
    assert time.monotonic() - started < 0.5
    assert stamp.stat().st_mtime_ns == before
    stamp.write_text("stale")
    build_replica(again)
    assert stamp.read_text() != "stale"


def test_wheelhouse_replaces_and_adds(tmp_path: Path) -> None:
    wheelhouse = tmp_path / "wheelhouse"
    wheelhouse.mkdir()
    release = next(r for r in FACTS.releases if "cpu" in r.variants and "3.11" in r.python)
    replaced = f"torch-{release.torch}+cpu-cp311-cp311-manylinux_2_28_x86_64.whl"
    added = f"torch-1.0.0+{WIDE}-cp311-cp311-manylinux_2_28_x86_64.whl"  # no such generated wheel
    for name in (replaced, added):
        version = name.split("-")[1]
        metadata = f"Metadata-Version: 2.4\nName: torch\nVersion: {version}\nRequires-Python: >=3.9\n"
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr(f"torch-{version}.dist-info/METADATA", metadata)
            archive.writestr("torch/real.py", "")
        (wheelhouse / name).write_bytes(buffer.getvalue())
    root = build_replica(tmp_path / "whl", wheelhouse=wheelhouse)
    for name, variant in ((replaced, "cpu"), (added, WIDE)):
        sha, attributes = links(root / variant / "torch" / "index.html")[name]
        assert sha == hashlib.sha256((wheelhouse / name).read_bytes()).hexdigest()
        assert 'data-requires-python="&gt;=3.9"' in attributes
        assert (root / FILES / name).read_bytes() == (wheelhouse / name).read_bytes()
        assert b"Requires-Python: >=3.9" in (root / FILES / f"{name}.metadata").read_bytes()
    assert f"torch-{release.torch}+cpu-cp312-cp312-manylinux_2_28_x86_64.whl" in links(root / "cpu/torch/index.html")


def test_served_over_http(server: ReplicaServer, replica: Path) -> None:
    assert server.base_url.startswith("http://127.0.0.1:")
    index = replica_index_url(server.base_url, WIDE)
    assert index == server.index_url(WIDE)
    page = urllib.request.urlopen(f"{index}/torch/", timeout=10)
    assert page.headers["Content-Type"].startswith("text/html")
    html = page.read().decode()
    href = re.search(r'href="([^"#]+)#sha256=([0-9a-f]+)"', html)
    assert href
    url = urllib.request.urljoin(f"{index}/torch/", href.group(1))
    data = urllib.request.urlopen(url, timeout=10).read()
    assert hashlib.sha256(data).hexdigest() == href.group(2)
    metadata = urllib.request.urlopen(f"{url}.metadata", timeout=10).read()
    assert metadata.startswith(b"Metadata-Version: 2.1\nName: torch\n")
    with pytest.raises(urllib.error.HTTPError) as missing:
        urllib.request.urlopen(f"{index}/numpy/", timeout=10)
    assert missing.value.code == 404


@pytest.mark.lock
def test_uv_locks_against_the_replica(server: ReplicaServer, tmp_path: Path) -> None:
    """The real uv resolves the newest torch from the replica's index of a GPU variant for Linux and Windows."""
    facts = load_facts()
    python = _interpreter("3.12")
    uv = _uv()
    environments = [facts.platforms[p].marker for p in ("linux-x86_64", "windows-x86_64")]
    listed = ", ".join(f'"{marker}"' for marker in environments)
    (tmp_path / "pyproject.toml").write_text(
        f"""[project]
name = "probe"
version = "0.1.0"
requires-python = ">=3.12"
dependencies = ["torch=={NEWEST.torch}"]

[tool.uv]
environments = [{listed}]
required-environments = [{listed}]

[[tool.uv.index]]
name = "pytorch-{WIDE}"
url = "{server.index_url(WIDE)}"
explicit = true

[tool.uv.sources]
torch = {{ index = "pytorch-{WIDE}" }}
""",
        encoding="utf-8",
    )
    env = {
        **os.environ,
        "UV_PYTHON_DOWNLOADS": "never",
        "UV_NO_CONFIG": "1",
        "UV_CACHE_DIR": os.environ.get("UV_CACHE_DIR", str(DEFAULT_UV_CACHE)),
    }
    result = subprocess.run(
        [uv, "lock", "--python", python], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr
    lock = (tmp_path / "uv.lock").read_text()
    assert f'version = "{NEWEST.torch}+{WIDE}"' in lock
    windows = f"torch-{NEWEST.torch}+{WIDE}-cp312-cp312-win_amd64.whl"
    assert windows in lock or windows.replace("+", "%2B") in lock
    assert 'name = "triton"' in lock and 'name = "cuda-toolkit"' in lock


def _metadata(wheel: Path) -> bytes:
    return Path(f"{wheel}.metadata").read_bytes()


def _interpreter(minor: str) -> str:
    """A CPython `minor` interpreter: pyenv's own binaries (never its shims), else uv's discovery."""
    found = sorted(Path.home().glob(f".pyenv/versions/{minor}.*/bin/python{minor}"), key=lambda p: Version(p.parts[-3]))
    if found:
        return str(found[-1])
    result = subprocess.run([_uv(), "python", "find", minor], capture_output=True, text=True)
    if result.returncode != 0:
        pytest.skip(f"no Python {minor} interpreter")
    return result.stdout.strip()


def _uv() -> str:
    try:
        from uv import find_uv_bin

        return find_uv_bin()
    except ImportError:
        found = shutil.which("uv")
        if not found:
            pytest.skip("uv is not installed")
        return found


def test_test_channel_serves_the_next_release_with_final_versions_apart_from_the_stable_indexes(
    tmp_path: Path,
) -> None:
    """`<base>/test/<variant>/` holds the release candidate of the next torch minor, named as the
    real channel names it (the final version, no `rc` suffix), and the stable indexes lack it."""
    test, next_release = next_release_channel(tmp_path)
    root = build_replica(tmp_path / "whl", test=test)
    candidate = test.newest
    assert Version(candidate.minor) > Version(NEWEST.minor)
    for variant in candidate.variants:
        page = (root / TEST_CHANNEL / variant / "torch" / "index.html").read_text(encoding="utf-8")
        names = [unquote(match[1]) for match in LINK.finditer(page)]
        versions = {Version(name.split("-")[1]) for name in names if "macosx" not in name}  # the cpu index's: PyPI's
        assert versions == {Version(f"{candidate.torch}+{variant}")}, names
        for name in (n for n in names if n.startswith(f"torch-{candidate.torch}")):
            assert (root / TEST_CHANNEL / FILES / name).is_file() and not (root / FILES / name).exists()
    assert next_release.new_variant not in FACTS.variants
    assert not (root / next_release.new_variant).exists()
    stable = (root / WIDE / "torch" / "index.html").read_text(encoding="utf-8")
    assert candidate.torch not in stable


def test_pypi_stand_in_serves_each_release_as_its_pypi_map_says(tmp_path: Path) -> None:
    root = build_replica(tmp_path / "whl", pypi=FACTS)
    names = [unquote(match[1]) for match in LINK.finditer((root / PYPI_STAND_IN / "torch" / "index.html").read_text())]
    for platform, build in NEWEST.pypi.items():
        tag = NEWEST.macos_arm64_tag if FACTS.platforms[platform].os == "macos" else FACTS.platforms[platform].wheel_tag
        wheel = f"torch-{NEWEST.torch}-{TOP}-{TOP}-{tag}.whl"
        assert wheel in names, wheel
        metadata = (root / FILES / f"{wheel}.metadata").read_text()
        cuda = FACTS.variants[build].cuda
        assert (f"cuda-toolkit[cudart]=={cuda}.*" in metadata) == bool(cuda), (platform, metadata)
    assert not any("+" in name for name in names)
