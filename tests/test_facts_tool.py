"""The facts tool (`python -m tools.facts`): it reads what a registry holds and says where the
facts file agrees, and `refresh` writes the registry's answer back without losing hand-kept facts.

Two kinds of proof:
- consistency: against the index replica, which is generated from the facts, the tool must
  confirm every index-side fact, and find every change made to a copy of the file;
- truth: against real PyPI (`-m pypi_facts`, deselect with `-m "not pypi_facts"`), every PyPI-side fact of
  the file must be confirmed.
"""

from __future__ import annotations

import dataclasses
import difflib
import http.server
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from functools import partial
from pathlib import Path

import pytest
import tomlkit
from facts_edits import next_release_channel
from index_replica import FILES, PYPI_STAND_IN, ReplicaServer, build_replica
from packaging.requirements import Requirement
from packaging.version import Version
from pytorch_facts import FACTS_FILE, load_facts, read_facts

import tools.facts
from tools import observations
from tools.facts import main as facts_main
from tools.simple_index import SimpleIndex, Unreachable

REPO = Path(__file__).resolve().parents[1]
FACTS = load_facts()


def run_tool(*args: str) -> subprocess.CompletedProcess[str]:
    """The tool as maintainers run it."""
    return subprocess.run(
        [sys.executable, "-m", "tools.facts", *args], cwd=REPO, capture_output=True, text=True, timeout=600
    )


def refresh_from(replica_url: str, facts_file: Path) -> subprocess.CompletedProcess[str]:
    return run_tool("refresh", "--only", "index", "--index-url", replica_url, "--facts", str(facts_file))


@pytest.fixture(scope="module")
def replica_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with ReplicaServer(build_replica(tmp_path_factory.mktemp("facts-replica") / "whl")) as server:
        yield server.base_url


@pytest.fixture
def facts_copy(tmp_path: Path) -> Path:
    copy = tmp_path / "pytorch_facts.toml"
    shutil.copyfile(FACTS_FILE, copy)
    return copy


def edit(path: Path, change) -> None:
    document = tomlkit.parse(path.read_text(encoding="utf-8"))
    change(document)
    path.write_text(tomlkit.dumps(document), encoding="utf-8")


def release_table(document, release):
    return next(table for table in document["releases"] if table["torch"] == release.torch)


def lines_with(output: str, status: str) -> list[str]:
    return [line for line in output.splitlines() if line.startswith(status)]


# --- against the replica (consistency) ----------------------------------------------------------


def test_check_confirms_every_index_fact_of_the_replica(replica_url: str) -> None:
    result = run_tool("check", "--only", "index", "--index-url", replica_url, "--require-reachable")
    assert result.returncode == 0, result.stdout + result.stderr
    assert not lines_with(result.stdout, "differs") and not lines_with(result.stdout, "unreachable")
    confirmed = lines_with(result.stdout, "confirmed")
    for release in FACTS.releases:
        for variant in release.variants:
            assert f"confirmed    torch {release.minor}: {variant} builds (PyTorch index): True" in confirmed
    with_triton = [(r, v) for r in FACTS.releases for v in r.variants if FACTS.variants[v].triton]
    assert with_triton, "the facts have ROCm/XPU variants"
    for release, variant in with_triton:
        companion = FACTS.variants[variant].triton
        assert (
            f"confirmed    torch {release.minor}: {variant} triton companion (PyTorch index): {companion}" in confirmed
        )
    index_only = [r for r in FACTS.releases if r.index_python]
    assert index_only, "the facts record index-only Python minors"
    for release in index_only:
        minors = [line for line in confirmed if f"torch {release.minor}:" in line and "Python minors (PyTorch" in line]
        assert any(line.endswith(release.index_python[-1]) for line in minors), minors


def test_check_reports_each_difference_with_both_values(replica_url: str, facts_copy: Path) -> None:
    newest = FACTS.newest
    dropped = newest.variants[-1]
    edit(facts_copy, lambda doc: release_table(doc, newest)["variants"].remove(dropped))
    result = run_tool("check", "--only", "index", "--index-url", replica_url, "--facts", str(facts_copy))
    assert result.returncode == 1
    differs = lines_with(result.stdout, "differs")
    assert len(differs) == 1, differs
    assert f"torch {newest.minor}: {dropped} builds (PyTorch index): file says False, registry says True" in differs[0]
    assert f"{replica_url}/{dropped}/torch/" in differs[0]


def test_refresh_restores_what_the_registry_says_and_keeps_the_rest(replica_url: str, facts_copy: Path) -> None:
    original = facts_copy.read_text(encoding="utf-8")
    newest = FACTS.newest
    index_only = next(r for r in FACTS.releases if r.index_python)
    rocm = next(name for name, v in FACTS.variants.items() if v.triton and v.kind == "rocm")

    def damage(document) -> None:
        release_table(document, newest)["variants"].remove(newest.variants[-1])
        del release_table(document, index_only)["index_python"]
        release_table(document, newest)["triton"] = "0.0.1"
        document["variants"][rocm]["triton"] = "pytorch-triton-rocm"
        document["variants"]["cpu"]["platforms"] = list(FACTS.variants["cpu"].platforms[:1])

    edit(facts_copy, damage)
    result = refresh_from(replica_url, facts_copy)
    assert result.returncode == 0, result.stdout + result.stderr
    refreshed = read_facts(facts_copy)
    assert refreshed.newest.variants == newest.variants
    assert refreshed.release(index_only.minor).index_python == index_only.index_python
    assert refreshed.newest.triton == newest.triton
    assert refreshed.variants[rocm] == FACTS.variants[rocm]
    assert refreshed.variants["cpu"].platforms == FACTS.variants["cpu"].platforms
    # Hand-kept facts and comments survive: besides the restored index_python (re-added at the end
    # of its table), only the registry source line and the `unconfirmed` lists (the index
    # confirms them) change.
    text = facts_copy.read_text(encoding="utf-8")
    changed = [line[2:] for line in difflib.ndiff(original.splitlines(), text.splitlines()) if line[:2] in ("- ", "+ ")]
    assert {line.split(" = ")[0] for line in changed} == {"registry", "unconfirmed", "index_python"}, changed
    assert any("refresh` on" in line and replica_url in line for line in changed)
    assert [line for line in original.splitlines() if line.startswith("#")] == [
        line for line in text.splitlines() if line.startswith("#")
    ]
    assert run_tool("check", "--only", "index", "--index-url", replica_url, "--facts", str(facts_copy)).returncode == 0


def test_refresh_never_deletes_a_variant_and_check_keeps_reporting_it(replica_url: str, facts_copy: Path) -> None:
    oldest = FACTS.releases[-1]
    missing = next(name for name in FACTS.variants if name not in oldest.variants)
    edit(facts_copy, lambda doc: release_table(doc, oldest)["variants"].append(missing))
    assert (
        run_tool("refresh", "--only", "index", "--index-url", replica_url, "--facts", str(facts_copy)).returncode == 0
    )
    assert missing in read_facts(facts_copy).releases[-1].variants
    result = run_tool("check", "--only", "index", "--index-url", replica_url, "--facts", str(facts_copy))
    assert result.returncode == 1
    assert (
        f"torch {oldest.minor}: {missing} builds (PyTorch index): file says True, registry says False" in result.stdout
    )


def test_refresh_drops_unconfirmed_entries_the_index_confirms(replica_url: str, facts_copy: Path) -> None:
    unsure = [(r, name) for r in FACTS.releases for name in r.unconfirmed if name in FACTS.variants]
    assert unsure, "the facts mark some variants unconfirmed"
    assert (
        run_tool("refresh", "--only", "index", "--index-url", replica_url, "--facts", str(facts_copy)).returncode == 0
    )
    refreshed = read_facts(facts_copy)
    for release, name in unsure:
        assert name not in refreshed.release(release.minor).unconfirmed


def test_probes_find_a_variant_the_file_lacks(tmp_path: Path) -> None:
    """A replica of an index that has one more CUDA variant than the file knows."""
    cuda = next(v for v in FACTS.variants.values() if v.cuda)
    name = next(c for c in observations.candidate_variants(FACTS) if c.startswith("cu"))
    new = dataclasses.replace(cuda, name=name, cuda=f"{name[2:-1]}.{name[-1]}", label="a CUDA the file lacks")
    releases = (dataclasses.replace(FACTS.newest, variants=(*FACTS.newest.variants, name)), *FACTS.releases[1:])
    bigger = dataclasses.replace(FACTS, variants={**FACTS.variants, name: new}, releases=releases)
    with ReplicaServer(build_replica(tmp_path / "whl", facts=bigger)) as server:
        result = run_tool("check", "--only", "index", "--index-url", server.base_url)
    assert result.returncode == 1
    found = f"registry says {FACTS.newest.torch}+{name}"
    assert f"differs      {name} index (not in the file) (PyTorch index): file says none, {found}" in result.stdout


def test_check_reads_the_sdk_requirement_from_the_index_metadata(replica_url: str, tmp_path: Path) -> None:
    """The replica serves torch's SDK requirement as the index does: check confirms it and each
    package of its closure; against an index whose torch bundles the SDK, it reports both."""
    variant = next((v for v in FACTS.newest.variants if FACTS.variants[v].sdk), None)
    if variant is None:
        pytest.skip("no variant of the newest release takes an SDK as wheels")
    sdk = FACTS.variants[variant].sdk
    label = f"torch {FACTS.newest.minor}: {variant} SDK requirement"
    selector = sdk.sdk.selector
    result = run_tool("check", "--only", "index", "--index-url", replica_url)
    assert any(line.startswith("confirmed") and label in line for line in result.stdout.splitlines()), result.stdout
    assert any(
        line.startswith("confirmed") and f"{selector} on {variant}" in line for line in result.stdout.splitlines()
    )
    bundled = dataclasses.replace(FACTS.variants[variant], sdk=None)
    without = dataclasses.replace(FACTS, variants={**FACTS.variants, variant: bundled})
    with ReplicaServer(build_replica(tmp_path / "whl", facts=without)) as server:
        result = run_tool("check", "--only", "index", "--index-url", server.base_url)
    assert result.returncode == 1
    differs = [line for line in lines_with(result.stdout, "differs") if label in line]
    assert differs and "registry says absent" in differs[0] and selector in differs[0], result.stdout
    assert any(f"{selector} on {variant}" in line for line in lines_with(result.stdout, "differs")), result.stdout


def test_an_unreachable_index_is_reported_not_a_difference(capsys: pytest.CaptureFixture[str]) -> None:
    assert facts_main(["check", "--only", "index", "--index-url", "http://127.0.0.1:9"]) == 0
    output = capsys.readouterr().out
    assert lines_with(output, "unreachable") and not lines_with(output, "differs")
    assert facts_main(["check", "--only", "index", "--index-url", "http://127.0.0.1:9", "--require-reachable"]) == 3


# --- the test channel and PyPI, against the replica (consistency) ----------------------------------


@pytest.fixture(scope="module")
def channels(tmp_path_factory: pytest.TempPathFactory):
    """A replica whose stable indexes and PyPI stand-in hold today's facts and whose test channel
    holds the synthetic next release (tests/facts_edits.py): (base URL, that release, its new
    variant)."""
    directory = tmp_path_factory.mktemp("channels")
    test, next_release = next_release_channel(directory)
    with ReplicaServer(build_replica(directory / "whl", test=test, pypi=FACTS)) as server:
        yield server.base_url, test.newest, next_release.new_variant


def one_pass(monkeypatch: pytest.MonkeyPatch, *args: str) -> int:
    """`refresh` allowed a single pass over the registries."""
    monkeypatch.setattr(tools.facts, "MAX_PASSES", 1)
    return facts_main(["refresh", *args])


def test_help_offers_the_test_channel() -> None:
    for command in ("check", "refresh"):
        # Wide enough that argparse wraps no line (it breaks at hyphens too).
        command_line = [sys.executable, "-m", "tools.facts", command, "--help"]
        result = subprocess.run(
            command_line, cwd=REPO, capture_output=True, text=True, env={**os.environ, "COLUMNS": "400"}
        )
        assert result.returncode == 0
        text = " ".join(result.stdout.split())
        assert "--channel {stable,test}" in text
        assert "test: the release-candidate channel <base>/test/<variant>/" in text, text


def test_check_on_the_test_channel_reports_the_next_release(channels, facts_copy: Path) -> None:
    base, candidate, new_variant = channels
    result = run_tool("check", "--channel", "test", "--index-url", base, "--facts", str(facts_copy))
    assert result.returncode == 1, result.stdout + result.stderr
    differs = lines_with(result.stdout, "differs")
    minor = candidate.minor
    channel = "(PyTorch test channel)"
    assert (
        f"differs      torch {minor} release candidate {channel}: file says absent, registry says {candidate.torch}"
        in (line.split(" [")[0] for line in differs)
    ), differs
    for variant in (v for v in candidate.variants if v in FACTS.variants):
        assert any(
            f"torch {minor}: {variant} builds {channel}: file says False, registry says True" in d for d in differs
        )
    assert any(f"{new_variant} index (not in the file) {channel}: file says none, registry says" in d for d in differs)
    python = ", ".join(candidate.python)
    assert any(
        f"torch {minor}: Python minors on every platform {channel}: file says none, registry says {python}" in d
        for d in differs
    )
    for package in ("torchvision", "torchaudio"):
        version = candidate.package_version(package)
        assert any(
            f"torch {minor}: {package} release {channel}: file says absent, registry says {version}" in d
            for d in differs
        )
    assert any(
        f"torch {minor}: {v} triton version" in d and f"says {candidate.triton}" in d
        for d in differs
        for v in candidate.variants
    )
    sdk = next((v for v in candidate.variants if v in FACTS.variants and FACTS.variants[v].sdk), None)
    if sdk:
        label = f"confirmed    torch {minor}: {sdk} SDK requirement {channel}: {FACTS.variants[sdk].sdk.requirement()}"
        assert label in result.stdout.replace("device-all,libraries", "libraries,device-all"), result.stdout
    # Nothing of the stable releases is read there.
    assert not [line for line in result.stdout.splitlines() if f"torch {FACTS.newest.minor}:" in line]


def test_refresh_writes_the_candidate_whole_in_one_pass_and_never_offers_it(
    channels, facts_copy: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    base, candidate, new_variant = channels
    original = facts_copy.read_text(encoding="utf-8")
    assert one_pass(monkeypatch, "--channel", "test", "--index-url", base, "--facts", str(facts_copy)) == 0
    refreshed = read_facts(facts_copy)
    assert refreshed.releases == FACTS.releases and refreshed.torch_minors == FACTS.torch_minors
    [written] = refreshed.candidates
    assert written.candidate and written.minor == candidate.minor
    expected = dataclasses.replace(
        candidate,
        variants=tuple(v for v in candidate.variants if v in FACTS.variants),  # the new one is the maintainer's
        pypi=dict(FACTS.newest.pypi),
        unconfirmed=("pypi", "date"),
        candidate=True,
    )
    assert written == expected
    text = facts_copy.read_text(encoding="utf-8")
    assert [line for line in original.splitlines() if line.startswith("#")] == [
        line for line in text.splitlines() if line.startswith("#")
    ]
    assert "test-channel = " in text and tomlkit.parse(text)["releases"][0]["source"] == ["test-channel"]
    # A second pass finds nothing left to write; check then reports only the variant to add by hand.
    capsys.readouterr()
    assert one_pass(monkeypatch, "--channel", "test", "--index-url", base, "--facts", str(facts_copy)) == 0
    assert capsys.readouterr().out.strip().endswith("0 facts updated in " + str(facts_copy))
    result = run_tool("check", "--channel", "test", "--index-url", base, "--facts", str(facts_copy))
    assert [line.split(":")[0] for line in lines_with(result.stdout, "differs")] == [
        f"differs      {new_variant} index (not in the file) (PyTorch test channel)"
    ], result.stdout


def test_refresh_adds_a_release_pypi_has_whole_in_one_pass(
    channels, facts_copy: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 19: `refresh` wrote a skeleton for a minor PyPI has and filled it on later passes,
    the index-only Python minors from a skeleton without Python minors (all of them)."""
    base = channels[0]
    edit(facts_copy, lambda document: document["releases"].remove(release_table(document, FACTS.newest)))
    assert read_facts(facts_copy).newest != FACTS.newest
    pypi = f"{base}/{PYPI_STAND_IN}"
    assert one_pass(monkeypatch, "--pypi-url", pypi, "--index-url", base, "--facts", str(facts_copy)) == 0
    added = read_facts(facts_copy).newest
    # Everything PyPI and the index say, the variants' `unconfirmed` entries settled by the index.
    assert added == dataclasses.replace(FACTS.newest, unconfirmed=())
    assert tomlkit.parse(facts_copy.read_text(encoding="utf-8"))["releases"][0]["source"] == ["registry"]


# --- the readers, on real strings and a real server -----------------------------------------------


@pytest.mark.parametrize(
    ("requirement", "build"),
    [
        # PyPI's torch 2.15.0 for Linux, as its METADATA says
        ('cuda-toolkit[cublas,cudart,cufft]==13.2.2; platform_system == "Linux"', "cu132"),
        # PyPI's torch 2.8 for Linux x86_64
        ('nvidia-cuda-runtime-cu12==12.8.90; platform_system == "Linux" and platform_machine == "x86_64"', "cu128"),
        ("filelock", "cpu"),
    ],
)
def test_build_of_reads_the_cuda_runtime_requirement(requirement: str, build: str) -> None:
    assert observations._build_of([Requirement(requirement)]) == build


@pytest.mark.parametrize(
    ("requirement", "version"),
    [('triton~=3.9.0; python_version < "3.16"', "3.9.0"), ("triton==3.8.0", "3.8.0"), ("triton>=3", None)],
)
def test_pinned_version(requirement: str, version: str | None) -> None:
    assert observations._pinned_version([Requirement(requirement)], "triton") == version


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("manylinux_2_28_x86_64", ("Linux", "linux", "x86_64")),
        ("manylinux_2_28_aarch64", ("Linux", "linux", "aarch64")),
        ("win_amd64", ("Windows", "win32", "AMD64")),
        ("macosx_14_0_arm64", ("Darwin", "darwin", "arm64")),
    ],
)
def test_markers_are_evaluated_for_the_wheel_platform(tag: str, expected: tuple[str, str, str]) -> None:
    environment = observations._tag_environment(tag, ["3.12"])
    assert (environment["platform_system"], environment["sys_platform"], environment["platform_machine"]) == expected
    assert environment["python_version"] == "3.12"


def test_candidate_variants_cover_the_next_names_only() -> None:
    candidates = observations.candidate_variants(FACTS)
    assert not set(candidates) & set(FACTS.variants)
    newest_cuda = max(Version(v.cuda) for v in FACTS.variants.values() if v.cuda)
    newest_rocm = max(Version(v.rocm) for v in FACTS.variants.values() if v.rocm)
    assert f"cu{newest_cuda.major + 1}0" in candidates
    assert f"rocm{newest_rocm.major + 1}.0" in candidates


class _RangeHandler(http.server.SimpleHTTPRequestHandler):
    """Serves files with HTTP range support, as PyPI's file host does."""

    requests: list[str] = []

    def do_GET(self) -> None:
        byte_range = self.headers.get("Range")
        path = Path(self.translate_path(self.path))
        if not byte_range or not path.is_file():
            return super().do_GET()
        data = path.read_bytes()
        start, end = (int(x) for x in byte_range.removeprefix("bytes=").split("-"))
        chunk = data[start : end + 1]
        type(self).requests.append(byte_range)
        self.send_response(206)
        self.send_header("Content-Range", f"bytes {start}-{end}/{len(data)}")
        self.send_header("Content-Length", str(len(chunk)))
        self.end_headers()
        self.wfile.write(chunk)

    def log_message(self, format: str, *args: object) -> None:
        pass


def test_metadata_through_range_requests_reads_only_part_of_the_wheel(tmp_path: Path) -> None:
    """Without a PEP 658 file, METADATA comes from the zip's central directory and member."""
    root = build_replica(tmp_path / "whl")
    wheel = next((root / FILES).glob("torch-*.whl"))
    page = tmp_path / "plain" / "torch"
    page.mkdir(parents=True)
    shutil.copyfile(wheel, page / wheel.name)
    (page / "index.html").write_text(f'<a href="{wheel.name}">{wheel.name}</a>', encoding="utf-8")
    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), partial(_RangeHandler, directory=str(tmp_path / "plain"))
    )
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        index = SimpleIndex(f"http://127.0.0.1:{server.server_address[1]}")
        [found] = index.wheels("torch")
        assert found.metadata_url is None
        metadata = index.metadata(found)
        assert metadata["Name"] == "torch"
        assert metadata.get_all("Requires-Dist")
        # A wheel smaller than a block: its end records, central directory and METADATA come
        # from one request for the file's last block.
        assert len(_RangeHandler.requests) == 1, _RangeHandler.requests
        assert index.wheels("no-such-project") is None
    finally:
        server.shutdown()
        server.server_close()


def test_unreachable_is_not_absent() -> None:
    with pytest.raises(Unreachable):
        SimpleIndex("http://127.0.0.1:9").wheels("torch")


# --- against real PyPI (truth) ---------------------------------------------------------------------


@pytest.mark.pypi_facts
@pytest.mark.slow  # ~20 s of requests to PyPI, one after another
def test_pypi_confirms_every_pypi_fact() -> None:
    result = run_tool("check", "--only", "pypi")
    unreachable = lines_with(result.stdout, "unreachable")
    if unreachable and not lines_with(result.stdout, "confirmed"):
        pytest.skip(f"PyPI cannot be reached from this machine: {unreachable[0]}")
    assert result.returncode == 0 and not unreachable, result.stdout + result.stderr
    confirmed = lines_with(result.stdout, "confirmed")
    for release in FACTS.releases:
        for fact in ("Python minors", "PyPI's build per platform", "torchvision release", "torchaudio release"):
            assert any(f"torch {release.minor}: {fact}" in line for line in confirmed), (release.minor, fact)
