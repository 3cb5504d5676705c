"""Impossible or contradictory answers are refused before anything is written.

Every case runs the real CLI non-interactively (`python -m copier copy --trust --defaults
--data ...`) and asserts that copier fails, that the last line of its output is the message
of extensions/answer_checks.py naming the answer, the reason and the fix, and that the
destination is untouched. Copier reports a validator's message as "Validation error for
question '<q>': <message>" and a refused (greyed-out) choice as "Invalid choice for '<q>':
<reason>"; both end its traceback, so they are the last line.

The values come from extensions/pytorch_facts.toml where they depend on it (which variant
the newest torch dropped, which Python minors it supports, ...), so refreshing the facts
does not silently turn a case into a different one.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from helpers import last_line, run_copier
from packaging.version import Version
from pytorch_facts import load_facts

FACTS = load_facts()
NEWEST = FACTS.newest
INTEL = FACTS.platforms["macos-x86_64"].last_release


def _served(variant: str) -> tuple[str, ...]:
    return FACTS.variants[variant].platforms


def _dropped(kind: str | None = None) -> tuple[str | None, str | None]:
    """A variant an older release publishes and the newest does not, and the newest release with it."""
    return next(
        (
            (v, r.minor)
            for r in FACTS.releases[1:]
            for v in r.variants
            if v not in NEWEST.variants and kind in (None, FACTS.variants[v].kind)
        ),
        (None, None),
    )


# Preferably a ROCm version the newest release moved on from.
DROPPED, DROPPED_IN = _dropped("rocm") if _dropped("rocm")[0] else _dropped()
# A variant of the newest release with wheels for linux-x86_64 only (ROCm).
LINUX_ONLY = next((v for v in NEWEST.variants if _served(v) == ("linux-x86_64",)), None)
# A variant of the newest release with wheels for linux-x86_64 but not linux-aarch64 (XPU, ROCm).
NO_AARCH64 = next(
    (v for v in NEWEST.variants if "linux-x86_64" in _served(v) and "linux-aarch64" not in _served(v)), None
)
# A variant of the newest release with wheels for Windows (XPU, CUDA, CPU), other than cpu.
WINDOWS_GPU = next((v for v in reversed(NEWEST.variants) if "windows-x86_64" in _served(v) and v != "cpu"), None)
# A Python minor some release supports but the newest does not (below its range), and that release.
OLD_PYTHON = next((m for m in FACTS.python_minors if Version(m) < Version(NEWEST.python[0])), None)
OLD_PYTHON_TORCH = next((r for r in FACTS.releases if OLD_PYTHON in r.python), None)
# The newest release without the newest release's top Python minor, when there is one.
NO_TOP_PYTHON = next((r for r in FACTS.releases if NEWEST.python[-1] not in r.python), None)
TORCHAUDIO_LAST = next((r.minor for r in FACTS.releases if r.torchaudio), None)
# A Python minor of the newest release above what the last Intel-Mac torch supports.
ABOVE_INTEL = next((m for m in NEWEST.python if Version(m) > Version(INTEL["python"][-1])), None)
# A companion package (torchcodec, ...) without Intel Mac wheels.
NO_INTEL_COMPANION = next((name for name, c in FACTS.companions.items() if "macos-x86_64" not in c.platforms), None)
# A companion package without wheels for the newest release's top Python minor.
NARROW_COMPANION = next((c for c in FACTS.companions.values() if c.python and NEWEST.python[-1] not in c.python), None)
# Python minors of the newest release that the last Intel-Mac torch supports too.
INTEL_PYTHON = [m for m in NEWEST.python if m in INTEL["python"]]
# A variant of the newest release whose torch takes its SDK as wheels (ROCm 7.14), and its answer.
SDK_VARIANT = next((v for v in NEWEST.variants if FACTS.variants[v].sdk), None)
SDK = FACTS.variants[SDK_VARIANT].sdk.sdk if SDK_VARIANT else None
TARGETS_ANSWER = f"{SDK.name}_gpu_targets" if SDK else ""

MIRROR = "https://mirror.example.invalid/whl"


def needs(*values) -> list:
    """Marks for a case whose facts the facts file may no longer have."""
    return [] if all(values) else [pytest.mark.skip(reason="the facts no longer have such a combination")]


def case(case_id: str, data: dict, *expected: str, requires: tuple = ()):
    return pytest.param(data, expected, id=case_id, marks=needs(*requires))


def accepted(case_id: str, data: dict, requires: tuple = ()):
    return pytest.param(data, id=case_id, marks=needs(*requires))


# (data, fragments the last line of copier's output must contain)
REFUSED = [
    # --- accelerators -----------------------------------------------------------------------
    case(
        "variant-not-published-for-torch_min",
        {"accelerator": DROPPED},
        "Invalid choice for 'accelerator'",
        f"accelerator: {DROPPED} is not published for torch {NEWEST.minor}",
        f"set torch_min to {DROPPED_IN}",
        requires=(DROPPED,),
    ),
    case(
        "variant-without-any-chosen-platform",
        {"accelerator": LINUX_ONLY, "platforms": ["windows-x86_64", "macos-arm64"]},
        f"accelerator: {LINUX_ONLY} has wheels only for linux-x86_64, none of the chosen platforms "
        "(windows-x86_64, macos-arm64): add one of them or choose another accelerator",
        requires=(LINUX_ONLY,),
    ),
    case(
        "single-on-macos-only",
        {"accelerator_strategy": "single", "platforms": ["macos-arm64"]},
        "Invalid choice for 'accelerator_strategy'",
        "accelerator_strategy: single needs an accelerator build",
        "(macos-arm64)",
        "choose pypi, or add a Linux or Windows platform",
    ),
    case(
        "accelerator-implies-single-on-macos-only",
        {"accelerator": "cpu", "platforms": ["macos-arm64"]},
        "accelerator_strategy: single needs an accelerator build",
        "choose pypi",
    ),
    case(
        "extras-on-macos-only",
        {"accelerator_strategy": "extras", "platforms": ["macos-arm64", "macos-x86_64"]},
        "accelerator_strategy: extras needs two accelerator builds",
        "choose pypi",
    ),
    case(
        "per-platform-without-linux-or-windows",
        {"accelerator_strategy": "per-platform", "platforms": ["macos-arm64"]},
        "accelerator_strategy: per-platform",
        "none of the chosen platforms (macos-arm64) is Linux or Windows",
        "choose pypi",
    ),
    case(
        "linux-variant-without-wheels-for-the-chosen-linux",
        {
            "accelerator_strategy": "per-platform",
            "platforms": ["linux-aarch64", "windows-x86_64"],
            "linux_accelerator": NO_AARCH64,
        },
        "Invalid choice for 'linux_accelerator'",
        f"linux_accelerator: {NO_AARCH64} has no wheels for linux-aarch64",
        "choose another accelerator or drop linux-aarch64",
        requires=(NO_AARCH64,),
    ),
    case(
        "windows-variant-without-windows-wheels",
        {"accelerator_strategy": "per-platform", "windows_accelerator": LINUX_ONLY},
        f"windows_accelerator: {LINUX_ONLY} has no wheels for windows-x86_64",
        "drop windows-x86_64",
        requires=(LINUX_ONLY,),
    ),
    case(
        "linux-variant-not-published",
        {"accelerator_strategy": "per-platform", "linux_accelerator": DROPPED},
        f"linux_accelerator: {DROPPED} is not published for torch {NEWEST.minor}",
        f"set torch_min to {DROPPED_IN}",
        requires=(DROPPED,),
    ),
    case(
        "extras-with-none",
        {"accelerator_strategy": "extras", "accelerators": []},
        "Validation error for question 'accelerators'",
        "needs at least two accelerators",
        "(none chosen)",
        "add another, or use accelerator_strategy 'single'",
    ),
    case(
        "extras-with-one",
        {"accelerator_strategy": "extras", "accelerators": ["cpu"]},
        "accelerators: the extras strategy needs at least two accelerators",
        "(only cpu chosen)",
        "add another",
    ),
    case(
        "extras-with-unpublished",
        {"accelerator_strategy": "extras", "accelerators": ["cpu", DROPPED]},
        f"accelerators: {DROPPED} is not published for torch {NEWEST.minor}",
        requires=(DROPPED,),
    ),
    case(
        "accelerator-given-with-pypi",
        {"accelerator_strategy": "pypi", "accelerator": "cpu"},
        "accelerator: cpu was given, but accelerator_strategy is pypi",
        "drop accelerator, or set accelerator_strategy=single",
    ),
    case(
        "linux-accelerator-without-linux",
        {"accelerator_strategy": "per-platform", "platforms": ["windows-x86_64"], "linux_accelerator": "cpu"},
        "linux_accelerator: cpu was given, but none of the chosen platforms (windows-x86_64) is Linux",
        "add a Linux platform",
    ),
    # --- torch and Python ---------------------------------------------------------------------
    case(
        "python-min-below-torch-range",
        {"python_min": OLD_PYTHON},
        "Invalid choice for 'python_min'",
        f"python_min: torch {NEWEST.minor} has wheels for Python {NEWEST.python[0]}–{NEWEST.python[-1]} only, "
        f"not {OLD_PYTHON}",
        f"choose python_min {NEWEST.python[0]} or higher",
        f"set torch_min to {OLD_PYTHON_TORCH.minor if OLD_PYTHON_TORCH else ''}",
        requires=(OLD_PYTHON,),
    ),
    case(
        "python-max-above-torch-range",
        {
            "torch_min": NO_TOP_PYTHON.minor if NO_TOP_PYTHON else "",
            "python_min": NEWEST.python[0],
            "python_max": NEWEST.python[-1],
        },
        f"python_max: torch {NO_TOP_PYTHON.minor if NO_TOP_PYTHON else ''} has wheels for Python",
        f"not {NEWEST.python[-1]}",
        "or lower",
        f"set torch_min to {NEWEST.minor}",
        requires=(NO_TOP_PYTHON, NO_TOP_PYTHON and NEWEST.python[0] in NO_TOP_PYTHON.python),
    ),
    case(
        "python-min-above-python-max",
        {"python_min": NEWEST.python[-1], "python_max": NEWEST.python[-2]},
        "Invalid choice for 'python_max'",
        f"python_max: {NEWEST.python[-2]} is lower than python_min {NEWEST.python[-1]}: "
        f"choose python_max {NEWEST.python[-1]} or higher",
        requires=(len(NEWEST.python) > 1,),
    ),
    case(
        "torchaudio-not-released-for-torch_min",
        {"torch_packages": ["torchvision", "torchaudio"]},
        "Invalid choice for 'torch_packages'",
        f"torch_packages: torchaudio has no release for torch {NEWEST.minor}",
        f"drop it or set torch_min to {TORCHAUDIO_LAST}",
        requires=(not NEWEST.torchaudio, TORCHAUDIO_LAST),
    ),
    # --- platforms ----------------------------------------------------------------------------
    case(
        "no-platform",
        {"platforms": []},
        "Validation error for question 'platforms'",
        "platforms: no platform chosen",
        "choose at least one platform",
    ),
    case(
        "intel-mac-with-python-above-its-last-torch",
        {"platforms": ["linux-x86_64", "macos-x86_64"], "python_min": ABOVE_INTEL},
        "Invalid choice for 'platforms'",
        f"platforms: macos-x86_64: the last torch with Intel Mac wheels, {INTEL['torch']}, supports Python up to "
        f"{INTEL['python'][-1]}, but python_min is {ABOVE_INTEL}",
        f"drop macos-x86_64 or set python_min to {INTEL['python'][-1]} or lower",
        requires=(ABOVE_INTEL,),
    ),
    case(
        "companion-without-intel-mac-wheels",
        {
            "platforms": ["linux-x86_64", "macos-x86_64"],
            "torch_packages": [NO_INTEL_COMPANION],
            "python_max": INTEL["python"][-1],
        },
        "Invalid choice for 'platforms'",
        f"platforms: macos-x86_64: {NO_INTEL_COMPANION} has no wheels for it",
        f"drop macos-x86_64 or drop {NO_INTEL_COMPANION} from torch_packages",
        requires=(NO_INTEL_COMPANION,),
    ),
    case(
        "companion-without-wheels-for-the-newest-python",
        # python_max given: its default stops at the newest Python the companions have.
        {"torch_packages": [NARROW_COMPANION.name if NARROW_COMPANION else ""], "python_max": NEWEST.python[-1]},
        "Invalid choice for 'torch_packages'",
        f"torch_packages: {NARROW_COMPANION.name if NARROW_COMPANION else ''} has wheels for Python",
        f"set python_max to {NARROW_COMPANION.python[-1] if NARROW_COMPANION else ''}",
        requires=(NARROW_COMPANION,),
    ),
    case(
        "gpu-targets-none",
        {"accelerator": SDK_VARIANT, "platforms": ["linux-x86_64"], TARGETS_ANSWER: []},
        f"{TARGETS_ANSWER}: no GPU target chosen",
        "or all of them",
        requires=(SDK_VARIANT,),
    ),
    case(
        "gpu-targets-unknown",
        {"accelerator": SDK_VARIANT, "platforms": ["linux-x86_64"], TARGETS_ANSWER: ["gfx9999"]},
        f"Invalid choice for '{TARGETS_ANSWER}'",
        "'gfx9999' is not in",
        requires=(SDK_VARIANT,),
    ),
    case(
        "docker-without-linux",
        {"platforms": ["windows-x86_64", "macos-arm64"], "docker": True},
        "docker: a Docker image runs Linux, but none of the chosen platforms",
        "add linux-x86_64 or linux-aarch64",
        "docker=false",
    ),
    # --- names --------------------------------------------------------------------------------
    case("project-name-blank", {"project_name": "   "}, "project_name: give the project a name"),
    case(
        "slug-not-pep508",
        {"project_slug": "-my-project"},
        "Validation error for question 'project_slug'",
        "project_slug: '-my-project' is not a valid distribution name",
        "PEP 508",
        "choose a name like",
    ),
    case(
        "slug-is-torch",
        {"project_slug": "torch"},
        "project_slug: 'torch' is the name of a package the project installs",
        "choose another name",
    ),
    case(
        "slug-is-a-dependency-once-normalised",
        {"project_slug": "Typing_Extensions"},
        "project_slug: 'Typing_Extensions' is the name of a package the project installs",
        "choose another name",
    ),
    case(
        "package-not-identifier",
        {"package_name": "3d_net"},
        "package_name: '3d_net' is not a valid Python import name",
        "e.g. 'my_3d_net'",
    ),
    case(
        "package-is-keyword", {"package_name": "class"}, "package_name: 'class' is a Python keyword", "e.g. 'my_class'"
    ),
    case(
        "package-shadows-torch",
        {"package_name": "torch"},
        "package_name: 'torch' would shadow the installed package",
        "choose another name",
    ),
    case(
        "package-shadows-stdlib",
        {"package_name": "json"},
        "package_name: 'json' would shadow the standard library module",
        "e.g. 'my_json'",
    ),
    case(
        "author-email-invalid",
        {"author_email": "nobody"},
        "author_email: 'nobody' is not an email address",
        "leave it empty",
    ),
    # --- index URLs ---------------------------------------------------------------------------
    case(
        "pytorch-index-not-http",
        {"pytorch_index_url": "ftp://mirror.example.invalid/whl"},
        "Validation error for question 'pytorch_index_url'",
        "is not an http(s) URL",
        "give the index's base URL",
    ),
    case(
        "pytorch-index-with-credentials",
        {"pytorch_index_url": "https://user:secret@mirror.example.invalid/whl"},
        "pytorch_index_url: the URL embeds credentials",
        "give the URL without them",
        "UV_INDEX_<NAME>_USERNAME / UV_INDEX_<NAME>_PASSWORD",
    ),
    case(
        "default-index-with-token",
        {"default_index_url": "https://token@mirror.example.invalid/simple"},
        "default_index_url: the URL embeds credentials",
        "UV_INDEX_<NAME>_USERNAME / UV_INDEX_<NAME>_PASSWORD",
    ),
    case(
        "pytorch-index-with-a-quote",
        {"pytorch_index_url": 'https://mirror.example.invalid/wh"l'},
        "pytorch_index_url:",
        'contains ", which no URL may hold unencoded',
        "give the URL percent-encoded (e.g. %22",
    ),
    case(
        "default-index-with-a-backslash",
        {"default_index_url": "https://mirror.example.invalid/sim\\ple"},
        "default_index_url:",
        "which no URL may hold unencoded",
        "(e.g. %5C",
    ),
    case(
        "pytorch-index-is-a-variant-index",
        {"pytorch_index_url": f"{MIRROR}/cpu"},
        "pytorch_index_url:",
        "is the index of one variant (cpu)",
        f"give the base URL, '{MIRROR}'",
    ),
    case(
        "default-index-is-the-pytorch-index",
        {"pytorch_index_url": MIRROR, "default_index_url": f"{MIRROR}/cpu"},
        "default_index_url:",
        "is one of the PyTorch indexes",
        "leave it empty",
    ),
    # --- unknown values (copier's own message lists the valid ones) ---------------------------
    case(
        "unknown-torch_min",
        {"torch_min": "2.0"},
        "Invalid choice for 'torch_min': '2.0' is not in",
        f"'{NEWEST.minor}'",
    ),
    case(
        "unknown-accelerator", {"accelerator": "cu999"}, "Invalid choice for 'accelerator': 'cu999' is not in", "'cpu'"
    ),
    case(
        "unknown-platform",
        {"platforms": ["linux-x86_64", "windows-arm64"]},
        "Invalid choice for 'platforms': 'windows-arm64' is not in",
        "'linux-x86_64'",
    ),
    case(
        "unknown-strategy",
        {"accelerator_strategy": "auto"},
        "Invalid choice for 'accelerator_strategy': 'auto' is not in",
        "'pypi'",
    ),
]

# Valid edge answers that must be accepted (and recorded as given).
ACCEPTED = [
    accepted(
        "older-torch_min-with-its-rocm-on-linux",
        {"platforms": ["linux-x86_64"], "torch_min": DROPPED_IN, "accelerator": DROPPED},
        requires=(DROPPED, DROPPED and "linux-x86_64" in _served(DROPPED)),
    ),
    # Like single: the variant serves the Linux machine it has wheels for, PyPI's build the other.
    accepted(
        "per-platform-linux-variant-missing-aarch64",
        {
            "accelerator_strategy": "per-platform",
            "platforms": ["linux-x86_64", "linux-aarch64"],
            "linux_accelerator": NO_AARCH64,
        },
        requires=(NO_AARCH64,),
    ),
    accepted(
        "per-platform-linux-pypi",
        {"accelerator_strategy": "per-platform", "linux_accelerator": "pypi", "windows_accelerator": WINDOWS_GPU},
        requires=(WINDOWS_GPU,),
    ),
    accepted(
        "intel-mac-with-its-python",
        {
            "platforms": ["linux-x86_64", "macos-arm64", "macos-x86_64"],
            "torch_min": NEWEST.minor,
            "python_min": INTEL_PYTHON[0] if INTEL_PYTHON else "",
            "python_max": INTEL_PYTHON[-1] if INTEL_PYTHON else "",
        },
        requires=(INTEL_PYTHON,),
    ),
    accepted(
        "extras-with-a-linux-only-accelerator",
        {"accelerator_strategy": "extras", "accelerators": ["cpu", LINUX_ONLY]},
        requires=(LINUX_ONLY,),
    ),
    accepted(
        "per-platform-windows-only",
        {"accelerator_strategy": "per-platform", "platforms": ["windows-x86_64"], "windows_accelerator": WINDOWS_GPU},
        requires=(WINDOWS_GPU,),
    ),
    accepted("one-python-minor", {"python_min": NEWEST.python[-1], "python_max": NEWEST.python[-1]}),
    accepted("package-name-soft-keyword", {"package_name": "match"}),
]


# --- what copier leaves behind -----------------------------------------------------------


def snapshot(root: Path) -> dict[str, tuple[bytes | None, int]]:
    """Every path under `root` with its content (None for directories) and mode."""
    return {
        str(p.relative_to(root)): (None if p.is_dir() else p.read_bytes(), p.stat().st_mode)
        for p in sorted(root.rglob("*"))
    }


def populated(dst: Path) -> Path:
    (dst / "data").mkdir(parents=True)
    (dst / "README.txt").write_text("the user's own file\n")
    (dst / "data" / "weights.bin").write_bytes(bytes(range(256)))
    return dst


# --- tests --------------------------------------------------------------------------------


@pytest.mark.parametrize(("data", "expected"), REFUSED)
def test_refused_before_writing(data: dict, expected: tuple[str, ...], tmp_path: Path) -> None:
    dst = tmp_path / "project"
    code, output = run_copier(data, dst)
    assert code != 0, f"copier accepted {data}:\n{output}"
    message = last_line(output)
    for fragment in expected:
        assert fragment in message, f"{fragment!r} not in the last line:\n{message}"
    assert not dst.exists(), f"copier created {dst} although it refused the answers"


EXISTING_DIR_CASES = {
    "variant-not-published-for-torch_min",
    "single-on-macos-only",
    "python-min-above-python-max",
    "intel-mac-with-python-above-its-last-torch",
    "pytorch-index-with-credentials",
}


@pytest.mark.parametrize(("data", "expected"), [p for p in REFUSED if p.id in EXISTING_DIR_CASES])
def test_refused_into_existing_directory_changes_nothing(data: dict, expected: tuple[str, ...], tmp_path: Path) -> None:
    dst = populated(tmp_path / "project")
    before = snapshot(dst)
    code, output = run_copier(data, dst)
    assert code != 0, f"copier accepted {data}:\n{output}"
    assert expected[0] in last_line(output)
    assert snapshot(dst) == before


@pytest.mark.parametrize("existing", [False, True], ids=["new-dst", "existing-dst"])
def test_untrusted_template_is_refused(existing: bool, tmp_path: Path) -> None:
    """Without --trust copier refuses the template's Jinja extensions (exit 4) before asking."""
    dst = populated(tmp_path / "project") if existing else tmp_path / "project"
    before = snapshot(dst) if existing else None
    code, output = run_copier({}, dst, trust=False)
    assert code == 4, output
    assert "Template uses potentially unsafe feature" in output
    assert "--trust" in last_line(output)
    if existing:
        assert snapshot(dst) == before
    else:
        assert not dst.exists()


@pytest.mark.parametrize("data", ACCEPTED)
def test_valid_edge_answers_are_accepted(data: dict, tmp_path: Path) -> None:
    dst = tmp_path / "project"
    code, output = run_copier(data, dst)
    assert code == 0, f"copier refused {data}: {last_line(output)}"
    recorded = yaml.safe_load((dst / ".copier-answers.yml").read_text())
    for key, value in data.items():
        given = sorted(value) if isinstance(value, list) else value
        kept = sorted(recorded[key]) if isinstance(recorded[key], list) else recorded[key]
        assert kept == given, f"{key}: recorded {recorded[key]!r}, given {value!r}"
    assert (dst / "pyproject.toml").is_file()


@pytest.mark.parametrize(
    ("project_name", "slug", "package"),
    [
        ("Torch", "torch-project", "torch_project"),
        ("JSON", "json", "json_project"),
        ("3D Net", "3d-net", "my_3d_net"),
    ],
)
def test_derived_names_are_valid_defaults(project_name: str, slug: str, package: str, tmp_path: Path) -> None:
    """The slug and import name derived from project_name always pass their checks: copier
    validates a default before showing it and aborts an interactive session on a bad one."""
    dst = tmp_path / "project"
    code, output = run_copier({"project_name": project_name}, dst)
    assert code == 0, last_line(output)
    recorded = yaml.safe_load((dst / ".copier-answers.yml").read_text())
    assert (recorded["project_slug"], recorded["package_name"]) == (slug, package)


def test_macos_only_defaults_to_pypi(tmp_path: Path) -> None:
    """No accelerator has macOS wheels: the strategy's default falls back to pypi instead of
    offering a default copier itself would refuse."""
    dst = tmp_path / "project"
    code, output = run_copier({"platforms": ["macos-arm64"]}, dst)
    assert code == 0, last_line(output)
    assert yaml.safe_load((dst / ".copier-answers.yml").read_text())["accelerator_strategy"] == "pypi"
