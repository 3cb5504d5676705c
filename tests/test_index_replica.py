"""The local replica of the PyTorch indexes: its tree, its wheels, its links, its server, and uv's view of it."""

from __future__ import annotations

import base64
import hashlib
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
from index_replica import FILES, ReplicaServer, build_replica, replica_dists, replica_index_url
from packaging.metadata import Metadata
from packaging.utils import canonicalize_name
from packaging.version import Version
from pytorch_facts import load_facts

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
    cu130 = links(replica / "cu130" / "torch" / "index.html")
    assert "torch-2.15.0+cu130-cp312-cp312-win_amd64.whl" in cu130
    assert "torch-2.15.0+cu130-cp312-cp312-manylinux_2_28_x86_64.whl" in cu130
    assert "torch-2.15.0+cu130-cp315-cp315-manylinux_2_28_aarch64.whl" in cu130
    assert "torchvision-0.29.2+cu130-cp312-cp312-win_amd64.whl" in links(replica / "cu130/torchvision/index.html")
    assert not any("macosx" in name for name in cu130)
    for release in facts.releases:
        for variant in release.variants:
            names = links(replica / variant / "torch" / "index.html")
            for platform in facts.variants[variant].platforms:
                tag = facts.platforms[platform].wheel_tag
                for python in release.python:
                    cp = "cp" + python.replace(".", "")
                    assert f"torch-{release.torch}+{variant}-{cp}-{cp}-{tag}.whl" in names
    projects = re.findall(r'<a href="([^"]+)/">', (replica / "cu130" / "index.html").read_text())
    companions = [name for name, c in facts.companions.items() if c.on_index_of(facts.variants["cu130"])]
    assert projects == sorted(["torch", "torchaudio", "torchvision", *companions])
    assert 'href="cu130/"' in (replica / "index.html").read_text()


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
    assert "torch-2.11.0-cp312-cp312-macosx_11_0_arm64.whl" in names
    assert "torch-2.2.2-cp312-cp312-macosx_10_9_x86_64.whl" in names  # the Intel Mac's last release
    assert "torchaudio-2.11.0-cp312-cp312-macosx_11_0_arm64.whl" in links(replica / "cpu/torchaudio/index.html")


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
    assert "triton_rocm-3.9.0-cp312-cp312-manylinux_2_28_x86_64.whl" in links(
        replica / "rocm7.14/triton-rocm/index.html"
    )


def test_metadata_parses_and_matches_the_wheels(replica: Path) -> None:
    for metadata_file in sorted((replica / FILES).glob("*.metadata")):
        data = metadata_file.read_bytes()
        metadata = Metadata.from_email(data, validate=True)
        wheel = metadata_file.with_suffix("")
        assert wheel.name.startswith(f"{str(metadata.name).replace('-', '_')}-{metadata.version}-")
        with zipfile.ZipFile(wheel) as archive:
            assert archive.read(f"{wheel.name.split('-')[0]}-{metadata.version}.dist-info/METADATA") == data
    sample = replica / FILES / "torchvision-0.29.2+cu130-cp312-cp312-win_amd64.whl"
    metadata = Metadata.from_email(_metadata(sample))
    assert [str(r) for r in metadata.requires_dist or []] == ["torch>=2.14.0", "numpy", "pillow!=8.3.*,>=5.3.0"]
    assert str(metadata.requires_python) == ">=3.11"
    pinned = Metadata.from_email(
        _metadata(replica / FILES / "torchvision-0.28.0+rocm7.2-cp312-cp312-manylinux_2_28_x86_64.whl")
    )
    assert "torch==2.13.0+rocm7.2" in [str(r) for r in pinned.requires_dist or []]


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
    seen = 0
    for page in project_pages(replica):
        for name, (sha, attributes) in links(page).items():
            wheel = replica / FILES / name
            assert hashlib.sha256(wheel.read_bytes()).hexdigest() == sha
            metadata_sha = hashlib.sha256(Path(f"{wheel}.metadata").read_bytes()).hexdigest()
            assert f'data-core-metadata="sha256={metadata_sha}"' in attributes
            assert f'data-dist-info-metadata="sha256={metadata_sha}"' in attributes
            assert 'data-requires-python="&gt;=3.' in attributes
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
    replaced = "torch-2.13.0+cpu-cp311-cp311-manylinux_2_28_x86_64.whl"
    added = "torch-2.10.0+cu126-cp311-cp311-manylinux_2_28_x86_64.whl"
    for name in (replaced, added):
        version = name.split("-")[1]
        metadata = f"Metadata-Version: 2.4\nName: torch\nVersion: {version}\nRequires-Python: >=3.9\n"
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w") as archive:
            archive.writestr(f"torch-{version}.dist-info/METADATA", metadata)
            archive.writestr("torch/real.py", "")
        (wheelhouse / name).write_bytes(buffer.getvalue())
    root = build_replica(tmp_path / "whl", wheelhouse=wheelhouse)
    for name, variant in ((replaced, "cpu"), (added, "cu126")):
        sha, attributes = links(root / variant / "torch" / "index.html")[name]
        assert sha == hashlib.sha256((wheelhouse / name).read_bytes()).hexdigest()
        assert 'data-requires-python="&gt;=3.9"' in attributes
        assert (root / FILES / name).read_bytes() == (wheelhouse / name).read_bytes()
        assert b"Requires-Python: >=3.9" in (root / FILES / f"{name}.metadata").read_bytes()
    assert "torch-2.13.0+cpu-cp312-cp312-manylinux_2_28_x86_64.whl" in links(root / "cpu/torch/index.html")


def test_served_over_http(server: ReplicaServer, replica: Path) -> None:
    assert server.base_url.startswith("http://127.0.0.1:")
    index = replica_index_url(server.base_url, "cu130")
    assert index == server.index_url("cu130")
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
    """The real uv resolves torch 2.15.0 from the replica's cu130 index for Linux and Windows."""
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
dependencies = ["torch==2.15.0"]

[tool.uv]
environments = [{listed}]
required-environments = [{listed}]

[[tool.uv.index]]
name = "pytorch-cu130"
url = "{server.index_url("cu130")}"
explicit = true

[tool.uv.sources]
torch = {{ index = "pytorch-cu130" }}
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
    assert 'version = "2.15.0+cu130"' in lock
    assert (
        "torch-2.15.0%2Bcu130-cp312-cp312-win_amd64.whl" in lock
        or "torch-2.15.0+cu130-cp312-cp312-win_amd64.whl" in lock
    )
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
