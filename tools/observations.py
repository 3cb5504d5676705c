"""What the registries say about each fact of `extensions/pytorch_facts.toml`.

Two readers, one per registry:
- `observe_pypi` reads PyPI's torch, torchvision and torchaudio: which releases exist and when,
  the Python minors and platform tags of their wheels, what PyPI's own torch is on each
  platform (its Requires-Dist: `cuda-toolkit==13.2.*` means a CUDA 13.2 build), the triton it
  pins, which torchvision/torchaudio release serves it, and Intel Macs' last release;
- `observe_index` reads the PyTorch index (`<base>/<variant>/<project>/`) for every known
  variant and probes of the next names: which torch releases each variant has, for which
  Python minors and platforms, the triton companion its torch requires, and whether
  torchvision/torchaudio are there too;
- `observe_test_channel` reads the release-candidate channel (`<base>/test/<variant>/<project>/`)
  the same way for the next torch minor, before PyPI has it.

A torch minor the file lacks (PyPI's, or the test channel's next one) is observed against an
empty release, filled in memory with what the registry says: `refresh` writes it whole in one
pass.

Each observation is a `Fact`: a path into the facts file, what the registry says (or why it
could not be read) and the URL it was read from. Comparing and rewriting is `tools.facts`.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.utils import canonicalize_name
from packaging.version import Version
from pytorch_facts import Facts, Release, Variant

from tools.simple_index import SimpleIndex, Unreachable, WheelFile

CUDA_RUNTIME = re.compile(r"nvidia-cuda-runtime(-cu\d+)?")
PYPI, INDEX, TEST = "PyPI", "PyTorch index", "PyTorch test channel"
# A row of a compatibility table in a package's description: | `0.16` | `>=2.11` | ...
COMPATIBILITY_ROW = re.compile(r"^\|\s*`(\d+\.\d+(?:\.\d+)?)`\s*\|\s*`([^`]+)`\s*\|", re.MULTILINE)
WINDOWS_MACHINES = {"win_amd64": "AMD64", "win_arm64": "ARM64"}


@dataclass(frozen=True)
class Fact:
    """One fact as the file states it and as a registry shows it."""

    label: str  # what the fact is, in words
    registry: str  # PYPI or INDEX
    expected: object  # what the facts file says
    observed: object  # what the registry says; an Unreachable where it could not be read
    evidence: str  # the page it was read from
    # Where `refresh` writes it in the facts file (None: reported only), and how: "replace"
    # the value, or "union" (add what the registry has, never delete).
    path: tuple[str, ...] | None = None
    merge: str = "replace"
    rewrite: object = None  # the value to write, where it differs from `observed`
    date_precision: bool = False  # the file's date may be coarser ("2026-09" matches "2026-09-30")
    # (torch minor, name) of the release's `unconfirmed` entry this fact settles when confirmed.
    settles: tuple[str, str] | None = None

    @property
    def status(self) -> str:
        if isinstance(self.observed, Unreachable):
            return "unreachable"
        if self.date_precision and isinstance(self.expected, str) and isinstance(self.observed, str):
            return "confirmed" if self.observed.startswith(self.expected) else "differs"
        return "confirmed" if self.expected == self.observed else "differs"

    @property
    def outdated(self) -> bool:
        """The file should be rewritten: it differs, or states the fact less precisely."""
        return self.status == "differs" or (self.status == "confirmed" and self.expected != self.observed)

    @property
    def new_value(self) -> object:
        return self.observed if self.rewrite is None else self.rewrite


@dataclass
class _Release:
    """PyPI's wheels of one version of one project."""

    version: Version
    wheels: list[WheelFile] = field(default_factory=list)

    @property
    def uploaded(self) -> str | None:
        times = [w.upload_time for w in self.wheels if w.upload_time]
        return min(times) if times else None


# --- PyPI ------------------------------------------------------------------------------------


def observe_pypi(pypi: SimpleIndex, facts: Facts) -> Iterator[Fact]:
    """Every PyPI-side fact of the file, plus the torch minors PyPI has that the file lacks."""
    page = f"{pypi.base_url}/torch/"
    try:
        torch = _releases(pypi, "torch")
    except Unreachable as error:
        yield Fact("torch releases", PYPI, [r.torch for r in facts.releases], error, page)
        return
    newest_patch = _newest_patches(torch)
    for release in published_releases(pypi, facts):
        yield from _published_release(pypi, facts, release, torch[newest_patch[release.minor]], page)
    for release in facts.releases:
        version = newest_patch.get(release.minor)
        if version is None:
            yield Fact(f"torch {release.minor}: newest patch", PYPI, release.torch, None, page)
            continue
        yield from _pypi_release(pypi, facts, release, torch[version], page)
    yield from _last_releases(pypi, facts, torch, page)
    for name in facts.companions:
        yield from _pypi_companion(pypi, facts, name)
    yield from _sdk_on_pypi(pypi, facts)


def _newest_patches(torch: dict[Version, _Release]) -> dict[str, Version]:
    newest_patch: dict[str, Version] = {}
    for version in sorted((v for v in torch if not v.is_prerelease and not v.local), reverse=True):
        newest_patch.setdefault(f"{version.major}.{version.minor}", version)
    return newest_patch


def published_releases(pypi: SimpleIndex, facts: Facts) -> list[Release]:
    """The torch minors PyPI has that the file lacks or holds as a candidate: the candidate, or
    an empty release, at PyPI's newest patch (none where PyPI cannot be read)."""
    try:
        torch = _releases(pypi, "torch")
    except Unreachable:
        return []
    oldest = min(Version(release.minor) for release in facts.releases)
    found = []
    for minor, version in _newest_patches(torch).items():
        if Version(minor) >= oldest and facts.release(minor) is None:
            known = next((c for c in facts.candidates if c.minor == minor), None)
            found.append(dataclasses.replace(known, torch=str(version)) if known else empty_release(str(version)))
    return found


def empty_release(torch: str, *, candidate: bool = False) -> Release:
    return Release(torch, "", (), (), "", "", "", (), {}, "", (), candidate)


def _published_release(pypi: SimpleIndex, facts: Facts, release: Release, torch: _Release, page: str) -> Iterator[Fact]:
    """A minor PyPI has and the file lacks (added whole) or holds as a candidate (promoted: it
    is offered from now on), with every PyPI fact of it."""
    minor = release.minor
    if release.candidate:
        label = f"torch {minor}: release candidate"
        yield Fact(label, PYPI, True, False, page, ("releases", minor, "candidate"), rewrite=False)
    else:
        yield Fact(f"torch {minor} release", PYPI, None, release.torch, page, ("releases", minor))
    yield from _pypi_release(pypi, facts, release, torch, page)


def filled(release: Release, found: Iterable[Fact]) -> Release:
    """`release` with what the registries say about it (the facts of its own fields)."""
    changes: dict[str, object] = {}
    for fact in found:
        path = fact.path or ()
        if len(path) != 3 or path[:2] != ("releases", release.minor) or fact.status == "unreachable":
            continue
        name, value = path[2], fact.new_value
        if name not in {f.name for f in dataclasses.fields(Release)} or value in (None, "") or name == "candidate":
            continue
        if fact.merge == "union":
            value = [*changes.get(name, getattr(release, name)), *value]
        changes[name] = tuple(dict.fromkeys(value)) if isinstance(value, list | tuple) else value
    return dataclasses.replace(release, **changes)


def _sdk_on_pypi(pypi: SimpleIndex, facts: Facts) -> Iterator[Fact]:
    """Each SDK package torch's requirement reaches is index-only: PyPI has no release in the
    series the variants pin (its packages of these names are placeholders), so without a source
    on the variant's index the lock would fail."""
    for variant in (v for v in facts.variants.values() if v.sdk):
        sdk = variant.sdk.sdk
        series = SpecifierSet(variant.sdk.specifier)
        for package in sdk.packages_for([*sdk.torch_extras, *sdk.extras]):
            page = f"{pypi.base_url}/{package}/"
            try:
                versions = pypi.versions(package) or []
            except Unreachable as error:
                yield Fact(f"{package} {series} on PyPI", PYPI, "none", error, page)
                continue
            admitted = [str(v) for v in versions if v in series]
            yield Fact(f"{package} {series} on PyPI", PYPI, "none", ", ".join(admitted) or "none", page)


def _pypi_release(pypi: SimpleIndex, facts: Facts, release: Release, torch: _Release, page: str) -> Iterator[Fact]:
    minor = release.minor
    path = ("releases", minor)
    yield Fact(f"torch {minor}: newest patch", PYPI, release.torch, str(torch.version), page, (*path, "torch"))
    uploaded = (torch.uploaded or "")[:10] or None
    yield Fact(
        f"torch {minor}: release date",
        PYPI,
        release.date,
        uploaded,
        page,
        (*path, "date"),
        date_precision=True,
        settles=(minor, "date"),
    )
    python = _python_minors(torch.wheels)
    yield Fact(f"torch {minor}: Python minors", PYPI, list(release.python), python, page, (*path, "python"))
    mac = sorted(
        {t.platform for t in _tags(torch.wheels) if t.platform.startswith("macosx") and "_arm64" in t.platform}
    )
    yield Fact(
        f"torch {minor}: macOS arm64 platform tag",
        PYPI,
        release.macos_arm64_tag,
        mac[0] if mac else None,
        page,
        (*path, "macos_arm64_tag"),
    )
    builds: dict[str, str] = {}
    triton = None
    for name, platform in facts.platforms.items():
        if platform.last_release:  # a platform PyTorch no longer builds for: below
            continue
        tag = mac[0] if platform.os == "macos" and mac else platform.wheel_tag
        wheel = _newest_wheel(torch.wheels, tag)
        if wheel is None:
            continue
        try:
            requires = _requires(pypi, wheel)
        except Unreachable as error:
            yield Fact(f"torch {minor}: PyPI's build per platform", PYPI, release.pypi, error, wheel.url)
            return
        builds[name] = _build_of(requires)
        triton = triton or _pinned_version(requires, "triton")
    label = f"torch {minor}: PyPI's build per platform"
    yield Fact(label, PYPI, dict(release.pypi), builds, page, (*path, "pypi"), settles=(minor, "pypi"))
    if triton:
        yield Fact(f"torch {minor}: triton version", PYPI, release.triton, triton, page, (*path, "triton"))
    for package in ("torchvision", "torchaudio"):
        try:
            served_by: object = _companion_release(pypi, package, torch)
        except Unreachable as error:
            served_by = error
        yield Fact(
            f"torch {minor}: {package} release",
            PYPI,
            release.package_version(package),
            served_by,
            f"{pypi.base_url}/{package}/",
            (*path, package),
        )


def _last_releases(pypi: SimpleIndex, facts: Facts, torch: dict[Version, _Release], page: str) -> Iterator[Fact]:
    """The newest releases with wheels for a platform PyTorch stopped building for (Intel Macs)."""
    for name, platform in facts.platforms.items():
        if not platform.last_release:
            continue
        path = ("platforms", name, "last_release")
        expected = platform.last_release
        releases = {"torch": torch}
        for package in ("torchvision", "torchaudio"):
            try:
                releases[package] = _releases(pypi, package)
            except Unreachable as error:
                yield Fact(f"{platform.label}: last {package} release", PYPI, expected[package], error, page)
        for package, by_version in releases.items():
            last = max((v for v, r in by_version.items() if _on_platform(r.wheels, platform.wheel_tag)), default=None)
            yield Fact(
                f"{platform.label}: last {package} release",
                PYPI,
                expected[package],
                str(last) if last else None,
                f"{pypi.base_url}/{package}/",
                (*path, package),
            )
            if package == "torch" and last is not None:
                python = _python_minors(_on_platform(by_version[last].wheels, platform.wheel_tag))
                label = f"{platform.label}: Python minors of torch {last}"
                yield Fact(label, PYPI, list(expected["python"]), python, page, (*path, "python"))


def _pypi_companion(pypi: SimpleIndex, facts: Facts, name: str) -> Iterator[Fact]:
    """A companion package's newest release, its platforms, and the torch releases its own
    compatibility table (in its description) says the project's range serves."""
    companion = facts.companions[name]
    page = f"{pypi.base_url}/{name}/"
    path = ("companions", name)
    try:
        releases = _releases(pypi, name)
    except Unreachable as error:
        yield Fact(f"{name}: newest release", PYPI, companion.version, error, page)
        return
    newest = max((v for v in releases if not v.is_prerelease), default=None)
    yield Fact(
        f"{name}: newest release", PYPI, companion.version, str(newest) if newest else None, page, (*path, "version")
    )
    if newest is None:
        return
    wheels = releases[newest].wheels
    universal = any(t.platform == "any" for t in _tags(wheels))
    platforms = [
        p
        for p, platform in facts.platforms.items()
        if not platform.last_release and (universal or _on_platform(wheels, platform.wheel_tag))
    ]
    label = f"{name} {newest}: platforms with wheels"
    yield Fact(label, PYPI, list(companion.platforms), platforms, page, (*path, "platforms"), merge="union")
    python = [] if universal else _python_minors(wheels)
    yield Fact(f"{name} {newest}: Python minors", PYPI, list(companion.python), python, page, (*path, "python"))
    if not companion.torch:
        return
    try:
        description = str(pypi.metadata(wheels[0]).get_payload())
    except Unreachable as error:
        yield Fact(f"{name}{companion.requires}: torch releases served", PYPI, companion.torch, error, wheels[0].url)
        return
    table = dict(COMPATIBILITY_ROW.findall(description))
    served = {torch for version, torch in table.items() if SpecifierSet(companion.requires).contains(version)}
    observed = served.pop() if len(served) == 1 else ", ".join(sorted(served)) or None
    label = f"{name}{companion.requires}: torch releases served (its compatibility table)"
    yield Fact(label, PYPI, companion.torch, observed, wheels[0].url, (*path, "torch"))


def _on_platform(wheels: list[WheelFile], wheel_tag: str) -> list[WheelFile]:
    """The wheels for the OS and machine of `wheel_tag`, whatever their OS version
    (`macosx_10_9_x86_64` also matches `macosx_11_0_x86_64`)."""
    system, machine = wheel_tag.split("_", 1)[0], wheel_tag.rsplit("_", 1)[-1]
    return [
        w for w in wheels if any(t.platform.startswith(system) and t.platform.endswith(f"_{machine}") for t in w.tags)
    ]


def _companion_release(pypi: SimpleIndex, package: str, torch: _Release) -> str:
    """The torchvision/torchaudio release made for (or after) this torch that admits it: the
    earliest uploaded on torch's release day or later whose torch requirement admits its
    version ("" when there is none)."""
    day = (torch.uploaded or "")[:10]
    candidates = sorted(
        (r for r in _releases(pypi, package).values() if not r.version.is_prerelease and (r.uploaded or "") >= day),
        key=lambda r: r.uploaded or "",
    )
    for candidate in candidates:
        requires = [r for r in _requires(pypi, candidate.wheels[0]) if canonicalize_name(r.name) == "torch"]
        if all(r.specifier.contains(torch.version, prereleases=True) for r in requires):
            return str(candidate.version)
    return ""


# --- the PyTorch index -----------------------------------------------------------------------


def observe_index(
    base_url: str, facts: Facts, registry: str = INDEX, indexes: dict[str, SimpleIndex] | None = None
) -> Iterator[Fact]:
    """Every index-side fact: variants per release, their Pythons, platforms and companions,
    plus variants the probes find that the file lacks (builds of the facts' releases or newer).
    `indexes` keeps the pages read, per variant."""
    indexes = {} if indexes is None else indexes
    for name in facts.variants:
        facts_of = _observe_variant(_index(indexes, base_url, name), name, facts)
        yield from (dataclasses.replace(fact, registry=registry) for fact in facts_of)
    oldest = min(Version(release.minor) for release in facts.releases)
    for name in candidate_variants(facts):
        index = _index(indexes, base_url, name)
        try:
            wheels = index.wheels("torch") or []
        except Unreachable:
            continue  # a probe: only what answers counts
        found = sorted({str(w.version) for w in wheels if w.version.local and _minor(w.version) >= oldest}, key=Version)
        if found:
            yield Fact(f"{name} index (not in the file)", registry, [], found, f"{index.base_url}/torch/")


def _index(indexes: dict[str, SimpleIndex], base_url: str, name: str) -> SimpleIndex:
    if name not in indexes:
        indexes[name] = SimpleIndex(f"{base_url.rstrip('/')}/{name}")
    return indexes[name]


def _minor(version: Version) -> Version:
    return Version(f"{version.major}.{version.minor}")


# --- the test channel ------------------------------------------------------------------------


def observe_test_channel(base_url: str, facts: Facts) -> Iterator[Fact]:
    """The next torch release on the test channel (`<base>/test/<variant>/`): the newest minor
    above the file's newest release that a known or probed variant has, and every fact of it
    the index shows (variants, Python minors, platforms, triton, SDK requirement, torchvision,
    torchaudio, companions, macOS arm64 tag), against the file's candidate entry (an empty
    one where the file has none). PyPI's build per platform and the date cannot be read there."""
    base = f"{base_url.rstrip('/')}/test"
    indexes: dict[str, SimpleIndex] = {}
    newest = _minor(Version(facts.newest.torch))
    builds: dict[str, list[WheelFile]] = {}
    for name in [*facts.variants, *candidate_variants(facts)]:
        index = _index(indexes, base, name)
        try:
            wheels = index.wheels("torch") or []
        except Unreachable as error:
            if name in facts.variants:
                yield Fact(f"{name} test channel", TEST, "reachable", error, f"{index.base_url}/torch/")
            continue  # a probe: only what answers counts
        builds[name] = [w for w in wheels if _minor(w.version) > newest]
    versions = {Version(w.version.public) for wheels in builds.values() for w in wheels}
    if not versions:
        known = ", ".join(c.torch for c in facts.candidates) or "none"
        yield Fact("next torch release", TEST, known, "none", f"{base}/<variant>/torch/")
        return
    top = max(versions)
    minor = f"{top.major}.{top.minor}"
    torch = str(top)  # the newest patch of the newest minor
    page = next(
        f"{indexes[n].base_url}/torch/" for n, ws in builds.items() if any(w.version.public == torch for w in ws)
    )
    known = next((c for c in facts.candidates if c.minor == minor), None)
    release = known or empty_release(torch, candidate=True)
    if known:
        yield Fact(f"torch {minor} release candidate", TEST, known.torch, torch, page, ("releases", minor, "torch"))
    else:
        # Written with the newest release's PyPI builds, unconfirmed until PyPI publishes.
        rewrite = {"torch": torch, "candidate": True, "pypi": dict(facts.newest.pypi), "unconfirmed": ["pypi"]}
        rewrite["source"] = ["test-channel"]
        yield Fact(f"torch {minor} release candidate", TEST, None, torch, page, ("releases", minor), rewrite=rewrite)
    release = dataclasses.replace(release, torch=torch)
    first = list(_test_channel_release(facts, release, {n: indexes[n] for n in facts.variants if n in builds}))
    yield from first
    view = dataclasses.replace(facts, releases=(filled(release, first),), candidates=())
    yield from observe_index(base, view, TEST, indexes)


def _test_channel_release(facts: Facts, release: Release, indexes: dict[str, SimpleIndex]) -> Iterator[Fact]:
    """The candidate's facts that the variant observation takes as given: its Python minors on
    every platform (those all variants with non-Linux wheels share), torchvision and torchaudio
    (the version whose torch requirement admits the build), the macOS arm64 tag (the cpu index's
    wheels without local version)."""
    minor, path = release.minor, ("releases", release.minor)
    by_tag = {p.wheel_tag: platform for platform, p in facts.platforms.items() if not p.last_release}
    everywhere: list[set[str]] = []
    mac: set[str] = set()
    for name, index in indexes.items():
        built = [w for w in index.wheels("torch") or [] if w.version.public == release.torch]
        if not built:
            continue
        wide = [w for w in built if w.version.local == name and not _linux_only(w, by_tag)]
        if wide:
            everywhere.append(set(_python_minors(wide)))
        mac |= {t.platform for w in built if not w.version.local for t in w.tags if "macosx" in t.platform}
        mac = {tag for tag in mac if tag.endswith("_arm64")}
    if everywhere:
        python = sorted(set.intersection(*everywhere), key=Version)
        label = f"torch {minor}: Python minors on every platform"
        yield Fact(
            label,
            TEST,
            list(release.python),
            python,
            f"{next(iter(indexes.values())).base_url}/torch/",
            (*path, "python"),
        )
    if mac:
        tag = min(mac)
        page = f"{indexes[next(iter(indexes))].base_url}/torch/"
        yield Fact(
            f"torch {minor}: macOS arm64 platform tag",
            TEST,
            release.macos_arm64_tag,
            tag,
            page,
            (*path, "macos_arm64_tag"),
        )
    for package in ("torchvision", "torchaudio"):
        for name, index in indexes.items():
            page = f"{index.base_url}/{package}/"
            try:
                version = _serving(index, package, Version(f"{release.torch}+{name}"))
            except Unreachable as error:
                yield Fact(f"torch {minor}: {package} release", TEST, release.package_version(package), error, page)
                break
            if version:
                label = f"torch {minor}: {package} release"
                yield Fact(label, TEST, release.package_version(package), version, page, (*path, package))
                break


def _serving(index: SimpleIndex, package: str, torch: Version) -> str:
    """The newest `package` release built for this torch build (its local version) whose torch
    requirement admits it; "" when the index has none."""
    releases = _releases(index, package)
    for version in sorted((v for v in releases if v.local == torch.local), reverse=True):
        requires = [r for r in _requires(index, releases[version].wheels[0]) if canonicalize_name(r.name) == "torch"]
        if all(r.specifier.contains(torch, prereleases=True) for r in requires):
            return version.public
    return ""


def _observe_variant(index: SimpleIndex, name: str, facts: Facts) -> Iterator[Fact]:
    variant = facts.variants[name]
    page = f"{index.base_url}/torch/"
    try:
        wheels = index.wheels("torch") or []
    except Unreachable as error:
        yield Fact(f"{name} index", INDEX, "reachable", error, page)
        return
    by_tag = {p.wheel_tag: platform for platform, p in facts.platforms.items() if not p.last_release}
    seen: set[str] = set()
    for release in facts.releases:
        path = ("releases", release.minor)
        built = [w for w in wheels if w.version.public == release.torch and w.version.local == name]
        listed = name in release.variants
        label = f"torch {release.minor}: {name} builds"
        yield Fact(
            label,
            INDEX,
            listed,
            bool(built),
            page,
            (*path, "variants"),
            merge="union",
            rewrite=[name],
            settles=(release.minor, name),
        )
        if not built:
            continue
        platforms = {by_tag[t.platform] for w in built for t in w.tags if t.platform in by_tag}
        seen |= platforms
        everywhere = [w for w in built if not _linux_only(w, by_tag)]
        if everywhere:  # Linux-only minors cannot show on a variant without other platforms
            yield Fact(
                f"torch {release.minor}: {name} Python minors on every platform",
                INDEX,
                list(release.python),
                _python_minors(everywhere),
                page,
                (*path, "python"),
            )
        has_linux = any(facts.platforms[p].os == "linux" for p in variant.platforms)
        expected = [*release.python, *(release.index_python if has_linux else ())]
        observed = _python_minors(built)
        yield Fact(
            f"torch {release.minor}: {name} Python minors",
            INDEX,
            sorted(expected, key=Version),
            observed,
            page,
            (*path, "index_python"),
            merge="union",
            rewrite=[m for m in observed if m not in release.python],
            settles=(release.minor, "index_python"),
        )
        sample = max(built, key=lambda w: [Version(m) for m in _python_minors([w])] or [Version("0")])
        try:
            requires = _requires(index, sample)
        except Unreachable as error:
            yield Fact(f"{name}: triton companion", INDEX, variant.triton, error, sample.url)
            continue
        companion = next((r for r in requires if "triton" in canonicalize_name(r.name)), None)
        if companion is not None:
            required = canonicalize_name(companion.name)
            if variant.triton or required != "triton":
                yield Fact(
                    f"torch {release.minor}: {name} triton companion",
                    INDEX,
                    variant.triton,
                    required,
                    sample.url,
                    ("variants", name, "triton"),
                )
            version = _pinned_version(requires, companion.name)
            if version:
                label = f"torch {release.minor}: {name} triton version"
                settles = (release.minor, "triton")
                yield Fact(label, INDEX, release.triton, version, sample.url, (*path, "triton"), settles=settles)
        yield from _sdk_requirement(requires, variant, release, facts, sample.url)
        for package in ("torchvision", "torchaudio"):
            wanted = release.package_version(package)
            if wanted:
                yield _presence(index, package, wanted, name, release)
    # A variant in use: listed by a release, or with builds of one (a release being added).
    in_use = bool(seen) or any(name in r.variants for r in facts.releases)
    if variant.sdk and in_use:
        sdk = variant.sdk.sdk
        # uv applies the index to direct dependencies only: the render wires each package of
        # the closure, so each must be on the index (the selector is an sdist).
        for package in sdk.packages_for([*sdk.torch_extras, *sdk.extras]):
            try:
                found = index.wheels(package) is not None
            except Unreachable as error:
                found = error
            yield Fact(f"{package} on {name}", INDEX, True, found, f"{index.base_url}/{package}/")
    for companion in facts.companions.values():
        if companion.on_index_of(variant) and in_use:
            page = f"{index.base_url}/{companion.name}/"
            try:
                found: object = bool(index.wheels(companion.name))
            except Unreachable as error:
                found = error
            yield Fact(f"{companion.name} builds on {name}", INDEX, True, found, page)
    if seen:
        ordered = sorted(seen, key=list(facts.platforms).index)
        yield Fact(
            f"{name}: platforms",
            INDEX,
            list(variant.platforms),
            ordered,
            page,
            ("variants", name, "platforms"),
            merge="union",
        )


def _sdk_requirement(
    requires: list[Requirement], variant: Variant, release: Release, facts: Facts, evidence: str
) -> Iterator[Fact]:
    """torch's requirement on an SDK only the index serves (`rocm[libraries,device-all]==7.14.*`),
    against the facts' SDK of the variant; nothing when neither has one."""
    selectors = {sdk.selector for sdk in facts.sdks.values()}
    found = [r for r in requires if canonicalize_name(r.name) in selectors]
    expected = _without_marker(Requirement(variant.sdk.requirement())) if variant.sdk else None
    observed = _without_marker(found[0]) if found else None
    if expected or observed:
        label = f"torch {release.minor}: {variant.name} SDK requirement"
        yield Fact(label, INDEX, expected, observed, evidence)


def _without_marker(requirement: Requirement) -> str:
    """`name[extras]specifier`, extras sorted: how two spellings of one requirement compare."""
    extras = f"[{','.join(sorted(requirement.extras))}]" if requirement.extras else ""
    return f"{canonicalize_name(requirement.name)}{extras}{requirement.specifier}"


def _linux_only(wheel: WheelFile, by_tag: dict[str, str]) -> bool:
    return all(by_tag.get(t.platform, "linux").startswith("linux") for t in wheel.tags)


def candidate_variants(facts: Facts) -> list[str]:
    """Names the next variants could have: CUDA and ROCm versions around the known ones."""
    cuda = [Version(v.cuda) for v in facts.variants.values() if v.cuda]
    rocm = [Version(v.rocm) for v in facts.variants.values() if v.rocm]
    names = []
    if cuda:
        for major in range(min(c.major for c in cuda), max(c.major for c in cuda) + 2):
            names += [f"cu{major}{minor}" for minor in range(10)]
    if rocm:
        for major in range(min(r.major for r in rocm), max(r.major for r in rocm) + 4):
            names += [f"rocm{major}.{minor}" for minor in range(21)]
    return [name for name in names if name not in facts.variants]


def _presence(index: SimpleIndex, package: str, version: str, variant: str, release: Release) -> Fact:
    """Whether `package` (at `version`; any version when empty) is on the variant's index."""
    page = f"{index.base_url}/{package}/"
    label = f"torch {release.minor}: {package} {version} on {variant}".replace("  ", " ")
    try:
        wheels = index.wheels(package) or []
    except Unreachable as error:
        return Fact(label, INDEX, True, error, page)
    found = any(not version or w.version.public == version for w in wheels)
    return Fact(label, INDEX, True, found, page, settles=(release.minor, package))


# --- wheels and their metadata ----------------------------------------------------------------


def _releases(index: SimpleIndex, project: str) -> dict[Version, _Release]:
    releases: dict[Version, _Release] = {}
    for wheel in index.wheels(project) or []:
        releases.setdefault(wheel.version, _Release(wheel.version)).wheels.append(wheel)
    return releases


def _tags(wheels: list[WheelFile]):
    return (tag for wheel in wheels for tag in wheel.tags)


def _python_minors(wheels: list[WheelFile]) -> list[str]:
    """The CPython minors with a regular (not free-threaded) wheel: cp312-cp312 -> 3.12."""
    minors = set()
    for wheel in wheels:
        for tag in wheel.tags:
            match = re.fullmatch(r"cp3(\d+)", tag.interpreter)
            if match and not tag.abi.endswith("t"):
                minors.add(f"3.{match.group(1)}")
    return sorted(minors, key=Version)


def _newest_wheel(wheels: list[WheelFile], platform_tag: str) -> WheelFile | None:
    """The wheel for the newest regular CPython with this platform tag."""
    matching = [w for w in wheels if any(t.platform == platform_tag and not t.abi.endswith("t") for t in w.tags)]
    return max(matching, key=lambda w: [Version(m) for m in _python_minors([w])] or [Version("0")], default=None)


def _requires(index: SimpleIndex, wheel: WheelFile) -> list[Requirement]:
    """The wheel's requirements that apply on its platform (markers evaluated there)."""
    metadata = index.metadata(wheel)
    environment = _tag_environment(next(iter(wheel.tags)).platform, _python_minors([wheel]))
    requirements = [Requirement(line) for line in metadata.get_all("Requires-Dist") or []]
    return [r for r in requirements if r.marker is None or r.marker.evaluate({**environment, "extra": ""})]


def _tag_environment(platform_tag: str, pythons: list[str]) -> dict[str, str]:
    """Marker values for a platform tag (`manylinux_2_28_x86_64`, `win_amd64`, `macosx_14_0_arm64`)."""
    environment = dict(default_environment())
    if platform_tag.startswith(("manylinux", "musllinux", "linux")):
        system, sys_platform, machine = "Linux", "linux", platform_tag.split("_", 3)[-1]
    elif platform_tag.startswith("win"):
        system, sys_platform, machine = "Windows", "win32", WINDOWS_MACHINES.get(platform_tag, "x86")
    else:
        system, sys_platform, machine = "Darwin", "darwin", platform_tag.rsplit("_", 1)[-1]
    python = pythons[-1] if pythons else environment["python_version"]
    environment.update(platform_system=system, sys_platform=sys_platform, platform_machine=machine)
    environment.update(python_version=python, python_full_version=f"{python}.0")
    return environment


def _build_of(requires: list[Requirement]) -> str:
    """The variant a PyPI torch is, from its CUDA runtime requirement; "cpu" without one."""
    for requirement in requires:
        name = canonicalize_name(requirement.name)
        if name == "cuda-toolkit" or CUDA_RUNTIME.fullmatch(name):
            version = next(iter(requirement.specifier)).version
            major, minor = version.split(".")[:2]
            return f"cu{major}{minor}"
    return "cpu"


def _pinned_version(requires: list[Requirement], name: str) -> str | None:
    """`triton~=3.9.0` / `triton==3.8.0` -> the version; None when not pinned."""
    for requirement in requires:
        if canonicalize_name(requirement.name) == canonicalize_name(name):
            for specifier in requirement.specifier:
                if specifier.operator in ("==", "~=", "==="):
                    return specifier.version.removesuffix(".*")
    return None
