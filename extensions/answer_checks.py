"""Why an answer cannot work: one function per question, each returning "" or a message.

A message names the answer, says why, and says how to fix it. copier.yml shows them as
validator errors (non-interactive: the last line of copier's output) and, for choices, as
the reason a choice is greyed out in the interactive prompt.

Copier asks the questions in copier.yml order and a check only sees the answers given so
far, so every rule lives on the first question at which all its inputs are known:

    python_min      choice: outside torch_min's Python range
    python_max      choice: below python_min, outside torch_min's Python range
    torch_packages  choice: no release of the package for torch_min
    platforms       choice: macos-x86_64 when python_min is above the last Intel-Mac torch's
                    Python; question: none chosen
    accelerator_strategy  choice: single/extras without (enough) accelerator builds for the
                    chosen platforms, per-platform without a Linux or Windows platform
    accelerator, linux_accelerator, windows_accelerator, accelerators
                    choice: not published for torch_min, no wheels for the chosen platforms;
                    accelerators question: fewer than two
    pytorch_index_url, default_index_url  question: not http(s), credentials, a variant's
                    own index, the PyTorch index as the default index
    compiled_extensions  choice: no chosen platform (or extra) gets a torch build the package
                    compiles against (flash-attn: CUDA on Linux), Python below its range
    docker          question: no Linux platform to build the image for

Copier does not run a question-level validator on a single-choice (select) question asked
interactively, so rules on select questions are per-choice reasons, not validators.
"""

from __future__ import annotations

import builtins
import keyword
import re
import sys
import unicodedata
from urllib.parse import quote, urlsplit

import compiled_extensions
import licenses
import yaml
from packaging.utils import canonicalize_name
from packaging.version import Version
from pytorch_facts import TORCH_FAMILY, Facts, Sdk, load_facts
from uv_config import INTEL_MAC, ConfigError, build_config, python_minors_between, variants_in_use

PEP508_NAME = re.compile(r"^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$", re.IGNORECASE)
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# What torch, torchvision and the generated tests install and import: a project of that
# name would collide with its own dependency (distribution) or shadow it (import).
DEPENDENCY_DISTRIBUTIONS = {
    "filelock",
    "fsspec",
    "jinja2",
    "markupsafe",
    "mpmath",
    "networkx",
    "numpy",
    "pillow",
    "pytest",
    "setuptools",
    "sympy",
    "typing-extensions",
}
# The torch family, CUDA's triton, and the ROCm/XPU triton companions of the facts.
TORCH_DISTRIBUTIONS = {
    *TORCH_FAMILY,
    *load_facts().companions,
    "triton",
    *(c for v in load_facts().variants.values() for c in v.triton_packages),
}
RESERVED_DISTRIBUTIONS = {*TORCH_DISTRIBUTIONS, "pin-pytorch", *DEPENDENCY_DISTRIBUTIONS}
# Their import names, plus the test directories and the modules some of them import under
# another name (pillow -> PIL, pytest -> _pytest, setuptools -> pkg_resources).
RESERVED_IMPORTS = {
    name.replace("-", "_") for name in TORCH_DISTRIBUTIONS | DEPENDENCY_DISTRIBUTIONS if name != "pillow"
} | {"tests", "test", "PIL", "_pytest", "pkg_resources"}
# Standard library modules newer than the Python running copier may be (3.14).
NEWER_STDLIB = {"annotationlib", "compression"}
# Built-in names (not the ones `site` adds, like `license`) a package import would rebind.
BUILTIN_NAMES = {name for name in dir(builtins) if not name.startswith("_")} - {
    "copyright",
    "credits",
    "exit",
    "help",
    "license",
    "quit",
}
# The name template/pyproject.toml.jinja gives the default_index_url index.
MIRROR_INDEX_NAME = "mirror"


class Problem(str):
    """A problem with an answer: the full message (the string itself: what `--data` answers get)
    and `short`, the reason shown next to a greyed-out choice, which must fit one terminal line."""

    short: str

    def __new__(cls, message: str, short: str) -> Problem:
        problem = super().__new__(cls, message)
        problem.short = short
        return problem


def _facts(facts: Facts | None) -> Facts:
    return facts or load_facts()


def _minor_span(python: list[str] | tuple[str, ...]) -> str:
    return f"{python[0]}–{python[-1]}" if len(python) > 1 else python[0]


def _listing(names) -> str:
    return ", ".join(names) or "none"


# --- Names ---------------------------------------------------------------------------------


def distribution_name(answer: str, question: str) -> str:
    if not PEP508_NAME.match(answer or ""):
        return (
            f"{question}: {answer!r} is not a valid distribution name (PEP 508: letters, digits, "
            "'.', '-', '_', starting and ending with a letter or digit): choose a name like 'my-project'"
        )
    if canonicalize_name(answer) in RESERVED_DISTRIBUTIONS:
        return (
            f"{question}: {answer!r} is the name of a package the project installs (torch, its companions "
            "or their dependencies), so the project would collide with it: choose another name"
        )
    return ""


def _import_problem(answer: str, question: str) -> str:
    if not answer.isidentifier() or not answer.isascii():
        return (
            f"{question}: {answer!r} is not a valid Python import name (ASCII letters, digits and '_', "
            "not starting with a digit)"
        )
    if keyword.iskeyword(answer):
        return f"{question}: {answer!r} is a Python keyword, so `import {answer}` is a syntax error"
    if answer in RESERVED_IMPORTS:
        return (
            f"{question}: {answer!r} would shadow the installed package of that name, "
            "which the project or torch imports"
        )
    if answer in sys.stdlib_module_names or answer in NEWER_STDLIB:
        return f"{question}: {answer!r} would shadow the standard library module of that name"
    if answer in BUILTIN_NAMES:
        return f"{question}: {answer!r} would shadow the built-in of that name wherever the package is imported"
    return ""


def import_name(answer: str, question: str = "package_name") -> str:
    problem = _import_problem(answer or "", question)
    if problem:
        cleaned = re.sub(r"[^0-9a-z]+", "_", (answer or "").lower()).strip("_")
        for candidate in (cleaned, f"my_{cleaned}"):
            if cleaned and candidate != answer and not _import_problem(candidate, ""):
                return f"{problem}: choose another name, e.g. {candidate!r}"
        return f"{problem}: choose another name (lower case letters, digits and '_', starting with a letter)"
    if answer != answer.lower():
        fix = f"try {answer.lower()!r}" if not _import_problem(answer.lower(), "") else "choose another name"
        return f"{question}: {answer!r} has capitals; import names are lower case (PEP 8): {fix}"
    return ""


def suggest_distribution_name(project_name: str) -> str:
    """project_slug's default: project_name as a distribution name that passes its check.

    Copier validates a derived default before showing it, and an invalid one aborts the
    interactive session instead of asking again, so the default must always be valid.
    """
    ascii_name = unicodedata.normalize("NFKD", project_name or "").encode("ascii", "ignore").decode()
    slug = re.sub(r"-{2,}", "-", re.sub(r"[^a-z0-9.-]+", "-", ascii_name.lower())).strip("-.")
    for candidate in (slug, f"{slug}-project"):
        if slug and not distribution_name(candidate, "project_slug"):
            return candidate
    return "my-project"


def suggest_import_name(project_slug: str) -> str:
    """package_name's default: project_slug as an import name that passes its check."""
    name = re.sub(r"[^a-z0-9]+", "_", (project_slug or "").lower()).strip("_")
    for candidate in (name, f"{name}_project", f"my_{name}"):
        if name and not import_name(candidate):
            return candidate
    return "my_project"


def author_email(answer: str) -> str:
    if answer and not EMAIL.match(answer):
        return f"author_email: {answer!r} is not an email address: leave it empty or give one like name@example.org"
    return ""


# --- Index URLs ----------------------------------------------------------------------------

# Characters RFC 3986 does not allow anywhere in a URL (they must be percent-encoded).
URL_UNSAFE = frozenset('"\\<>^`{|}')


def index_url(
    answer: str, question: str, *, required: bool, pytorch_index_url: str | None = None, facts: Facts | None = None
) -> str:
    """`pytorch_index_url`: the answer to that question, when checking default_index_url."""
    facts = _facts(facts)
    answer = answer or ""
    if not answer.strip():
        return (
            (
                f"{question}: an index URL is required: give the base URL of the PyTorch indexes "
                f"(default {facts.default_index_url}) or your mirror of them"
            )
            if required
            else ""
        )
    if any(c.isspace() for c in answer):
        return f"{question}: {answer!r} contains whitespace: give the index URL without spaces"
    unsafe = sorted({c for c in answer if c in URL_UNSAFE})
    if unsafe:
        # RFC 3986 allows none of these raw in a URL, and some would end the TOML string the
        # URL is written into: a real URL carries them percent-encoded.
        return (
            f"{question}: {answer!r} contains {' '.join(unsafe)}, which no URL may hold unencoded: "
            f"give the URL percent-encoded (e.g. {quote(unsafe[0], safe='')} for {unsafe[0]})"
        )
    try:
        parts = urlsplit(answer)
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError as error:
        return f"{question}: {answer!r} is not a valid URL ({error}): give the index's http(s) URL"
    if parts.username or parts.password:
        if question == "pytorch_index_url":
            names = "e.g. UV_INDEX_PYTORCH_CU130_USERNAME / UV_INDEX_PYTORCH_CU130_PASSWORD, one pair per PyTorch index"
        else:
            upper = MIRROR_INDEX_NAME.upper().replace("-", "_")
            names = f"here UV_INDEX_{upper}_USERNAME / UV_INDEX_{upper}_PASSWORD"
        return (
            f"{question}: the URL embeds credentials, which would be written to pyproject.toml and uv.lock: "
            "give the URL without them and set UV_INDEX_<NAME>_USERNAME / UV_INDEX_<NAME>_PASSWORD "
            f"in the environment instead ({names})"
        )
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return (
            f"{question}: {answer!r} is not an http(s) URL: give the index's base URL, "
            "e.g. https://mirror.example.org/whl"
        )
    if parts.query or parts.fragment:
        return f"{question}: {answer!r} has a query or fragment: give the plain index base URL"
    last_segment = parts.path.rstrip("/").rsplit("/", 1)[-1]
    if question == "pytorch_index_url" and last_segment in facts.variants:
        base = answer.rstrip("/")[: -len(last_segment)].rstrip("/")
        return (
            f"{question}: {answer!r} is the index of one variant ({last_segment}), but the template appends "
            f"/<variant> to this base URL for each accelerator: give the base URL, {base!r}"
        )
    if pytorch_index_url:
        base = pytorch_index_url.rstrip("/")
        if answer.rstrip("/") == base or answer.startswith(base + "/"):
            return (
                f"{question}: {answer!r} is one of the PyTorch indexes (pytorch_index_url), which carry only "
                "PyTorch's packages and a few of their dependencies, not everything the project needs: "
                "give a mirror of the whole package index, or leave it empty for uv's default index"
            )
    return ""


# --- torch release and Python range --------------------------------------------------------


def python_unavailable(minor: str, question: str, answers: dict, facts: Facts | None = None) -> str:
    """Why `minor` cannot answer python_min / python_max (per-choice reason); "" when it can.

    torch_min is the lowest release the project installs, so it needs wheels for the whole range.
    """
    facts = _facts(facts)
    low = answers.get("python_min") if question == "python_max" else None
    if low and Version(minor) < Version(low):
        return Problem(
            f"python_max: {minor} is lower than python_min {low}: choose python_max {low} or higher",
            f"lower than python_min {low}",
        )
    release = facts.release(answers["torch_min"])
    if release is None or minor in release.python:
        return ""
    if Version(minor) < Version(release.python[0]):
        python_fix = f"choose {question} {release.python[0]} or higher"
    else:
        python_fix = f"choose {question} {release.python[-1]} or lower"
    needed = list(dict.fromkeys(m for m in (low, minor) if m))
    others = [r.minor for r in facts.releases if all(m in r.python for m in needed)]
    span = _minor_span(needed)
    torch_fix = (
        f", or set torch_min to {others[0]} (the newest release with wheels for Python {span})"
        if others
        else f" (no torch release has wheels for Python {' and '.join(needed)})"
    )
    return Problem(
        f"{question}: torch {release.minor} has wheels for Python {_minor_span(release.python)} only, "
        f"not {minor}: {python_fix}{torch_fix}",
        f"torch {release.minor} has Python {_minor_span(release.python)}",
    )


def default_python_max(answers: dict, facts: Facts | None = None) -> str:
    """python_max's default: the newest minor torch_min has wheels for that the torch packages
    already given as data (`--data torch_packages=...`, asked after python_max) have too."""
    facts = _facts(facts)
    release = facts.release(answers["torch_min"])
    packages = answers.get("torch_packages") or []
    if isinstance(packages, str):  # as given to copier's CLI, parsed only when its question is
        packages = yaml.safe_load(packages) or []
    for minor in reversed(release.python):
        trial = {**answers, "python_max": minor}
        if not any(torch_package_unavailable(p, trial, facts) for p in packages if p in facts.companions):
            return minor
    return release.python[-1]


def python_range(answers: dict, facts: Facts | None = None) -> str:
    """Checked at python_max, once both ends and torch_min are known (the per-choice reasons
    already refuse these; this also covers answers given as data)."""
    return python_unavailable(answers["python_min"], "python_min", answers, facts) or python_unavailable(
        answers["python_max"], "python_max", answers, facts
    )


# --- Packages and platforms ----------------------------------------------------------------


def torch_package_unavailable(package: str, answers: dict, facts: Facts | None = None) -> str:
    facts = _facts(facts)
    release = facts.release(answers["torch_min"])
    companion = facts.companions.get(package)
    if companion is not None:
        if release is not None and not companion.serves(release.torch):
            return Problem(
                f"torch_packages: {package} serves torch {companion.torch} only: drop it or raise torch_min",
                f"serves torch {companion.torch} only",
            )
        span = python_minors_between(answers["python_min"], answers["python_max"])
        missing = [m for m in span if companion.python and m not in companion.python]
        if missing:
            return Problem(
                f"torch_packages: {package} has wheels for Python {_minor_span(companion.python)} only, not "
                f"{', '.join(missing)}: drop it or set python_max to {companion.python[-1]}",
                f"wheels for Python {_minor_span(companion.python)} only",
            )
        return ""
    if release is not None and not release.package_version(package):
        last = next((r for r in facts.releases if r.package_version(package)), None)
        hint = f" (its last release is {last.package_version(package)}, for torch {last.minor})" if last else ""
        fix = f"drop it or set torch_min to {last.minor}" if last else "drop it"
        return Problem(
            f"torch_packages: {package} has no release for torch {release.minor}{hint}: {fix}",
            f"no release for torch {release.minor}",
        )
    return ""


def platform_unavailable(platform: str, answers: dict, facts: Facts | None = None) -> str:
    facts = _facts(facts)
    chosen = [facts.companions[p] for p in answers.get("torch_packages", []) if p in facts.companions]
    without = " and ".join(c.name for c in chosen if platform not in c.platforms)
    if without:
        return Problem(
            f"platforms: {platform}: {without} has no wheels for it: "
            f"drop {platform} or drop {without} from torch_packages",
            f"{without} has no wheels for it",
        )
    last = facts.platforms[platform].last_release
    if platform == INTEL_MAC and last and Version(answers["python_min"]) > Version(last["python"][-1]):
        return Problem(
            f"platforms: {platform}: the last torch with Intel Mac wheels, {last['torch']}, supports Python "
            f"up to {last['python'][-1]}, but python_min is {answers['python_min']}: drop {platform} or set "
            f"python_min to {last['python'][-1]} or lower",
            f"its last torch, {last['torch']}, stops at Python {last['python'][-1]}",
        )
    return ""


def platforms(answers: dict, facts: Facts | None = None) -> str:
    chosen = answers.get("platforms") or []
    if not chosen:
        return "platforms: no platform chosen: choose at least one platform the project must install on"
    return next(filter(None, (platform_unavailable(p, answers, facts) for p in chosen)), "")


def platforms_of_os(answers: dict, os_name: str, facts: Facts | None = None) -> list[str]:
    facts = _facts(facts)
    return [p for p in answers.get("platforms") or [] if facts.platforms[p].os == os_name]


# --- Accelerators --------------------------------------------------------------------------


def variant_unavailable(
    variant: str, question: str, answers: dict, facts: Facts | None = None, candidates: list[str] | None = None
) -> str:
    """Why `variant` cannot be the answer to `question`; "" when it can.

    It must have wheels for at least one of `candidates` (default: the chosen platforms); the
    candidates it has no wheels for get PyPI's build.
    """
    facts = _facts(facts)
    if variant == "pypi":
        return ""
    if variant not in facts.variants:
        return Problem(
            f"{question}: {variant!r} is not a known accelerator: choose one of {', '.join(facts.variants)}",
            "unknown accelerator",
        )
    release = facts.release(answers["torch_min"])
    if release is not None and variant not in release.variants:
        having = [r.minor for r in facts.releases if variant in r.variants]
        fix = (
            f"choose another accelerator or set torch_min to {having[0]} (the newest release with it)"
            if having
            else "choose another accelerator (no torch release has it)"
        )
        return Problem(
            f"{question}: {variant} is not published for torch {release.minor} "
            f"(torch {release.minor} has {', '.join(release.variants)}): {fix}",
            f"not published for torch {release.minor}",
        )
    served = facts.variants[variant].platforms
    if candidates is not None:
        if candidates and not any(p in served for p in candidates):
            return Problem(
                f"{question}: {variant} has no wheels for {', '.join(candidates)} (it has wheels for "
                f"{', '.join(served)}): choose another accelerator or drop {', '.join(candidates)}",
                f"no wheels for {', '.join(candidates)}",
            )
        return ""
    chosen = answers.get("platforms") or []
    if not any(p in served for p in chosen):
        return Problem(
            f"{question}: {variant} has wheels only for {', '.join(served)}, none of the chosen platforms "
            f"({', '.join(chosen)}): add one of them or choose another accelerator",
            "no wheels for the chosen platforms",
        )
    return ""


def os_accelerator(answer: str, os_name: str, answers: dict, facts: Facts | None = None) -> str:
    """per-platform: the build for the chosen platforms of one OS, like `single` for them."""
    question = f"{os_name}_accelerator"
    return variant_unavailable(answer, question, answers, facts, platforms_of_os(answers, os_name, facts))


def usable_variants(answers: dict, facts: Facts | None = None) -> list[str]:
    """Variants published for torch_min with wheels for at least one chosen platform."""
    facts = _facts(facts)
    return [name for name in facts.variants if not variant_unavailable(name, "accelerator", answers, facts)]


def strategy_unavailable(strategy: str, answers: dict, facts: Facts | None = None) -> str:
    """Why `strategy` cannot answer accelerator_strategy (per-choice reason); "" when it can."""
    facts = _facts(facts)
    chosen = answers.get("platforms") or []
    where = f"the chosen platforms ({_listing(chosen)})"
    if strategy == "per-platform":
        if not any(facts.platforms[p].os in ("linux", "windows") for p in chosen):
            return Problem(
                f"accelerator_strategy: per-platform picks one build for Linux and one for Windows, but none of "
                f"{where} is Linux or Windows (macOS always gets PyPI's build): choose pypi or add a Linux "
                "or Windows platform",
                "no Linux or Windows platform",
            )
        return ""
    if strategy not in ("single", "extras"):
        return ""
    usable = usable_variants(answers, facts)
    needed = 2 if strategy == "extras" else 1
    if len(usable) >= needed:
        return ""
    release = facts.release(answers["torch_min"])
    torch = f"torch {release.minor}" if release else "torch"
    builds = "two accelerator builds" if needed == 2 else "an accelerator build"
    return Problem(
        f"accelerator_strategy: {strategy} needs {builds} "
        f"with wheels for {where}, and {torch} has {'only ' + usable[0] if usable else 'none'} (macOS always "
        f"gets PyPI's build): choose {'single or ' if usable else ''}pypi, or add a Linux or Windows platform",
        f"{'needs two builds' if needed == 2 else 'no build'} for these platforms",
    )


# The strategy each accelerator question belongs to.
ACCELERATOR_QUESTIONS = {
    "accelerator": "single",
    "linux_accelerator": "per-platform",
    "windows_accelerator": "per-platform",
    "accelerators": "extras",
}


def default_strategy(answers: dict, facts: Facts | None = None) -> str:
    """accelerator_strategy's default: the strategy of an accelerator question answered as data
    (`--data accelerator=rocm7.2` means single), else single where it can work, else pypi."""
    for question, strategy in ACCELERATOR_QUESTIONS.items():
        if answers.get(question) not in (None, "", []):
            return strategy
    return "pypi" if strategy_unavailable("single", answers, facts) else "single"


def unused_accelerator(question: str, answer, answers: dict, facts: Facts | None = None) -> str:
    """An accelerator answer given as data for a question the other answers skip.

    Copier validates data answers of skipped questions too (and only those: it does not
    validate the default of a skipped question), so this never fires on a question it asks.
    """
    strategy = answers.get("accelerator_strategy")
    wanted = ACCELERATOR_QUESTIONS[question]
    shown = ", ".join(answer) if isinstance(answer, list) else answer
    if strategy != wanted:
        return (
            f"{question}: {shown} was given, but accelerator_strategy is {strategy}, which does not use "
            f"{question}: drop {question}, or set accelerator_strategy={wanted}"
        )
    if question.endswith("_accelerator"):
        os_name = question.split("_")[0]
        if not platforms_of_os(answers, os_name, facts):
            chosen = _listing(answers.get("platforms") or [])
            return (
                f"{question}: {shown} was given, but none of the chosen platforms ({chosen}) is "
                f"{os_name.capitalize()}: drop {question}, or add a {os_name.capitalize()} platform"
            )
    return ""


def accelerators(answer: list[str], answers: dict, facts: Facts | None = None) -> str:
    unused = unused_accelerator("accelerators", answer, answers, facts)
    if unused:
        return unused
    if len(answer or []) < 2:
        picked = f"only {answer[0]}" if answer else "none"
        return (
            f"accelerators: the extras strategy needs at least two accelerators to choose from at sync time "
            f"({picked} chosen): add another, or use accelerator_strategy 'single'"
        )
    return next(filter(None, (variant_unavailable(v, "accelerators", answers, facts) for v in answer)), "")


# --- GPU targets of an SDK torch installs as wheels (rocm_gpu_targets) ---------------------


def sdk_of_question(question: str, facts: Facts | None = None) -> Sdk:
    """`rocm_gpu_targets` -> the facts' `rocm` SDK."""
    return _facts(facts).sdks[question.removesuffix("_gpu_targets")]


def gpu_targets_asked(question: str, answers: dict, facts: Facts | None = None) -> bool:
    """Whether a variant in use has its torch require the SDK `question` picks targets of."""
    facts = _facts(facts)
    sdk = sdk_of_question(question, facts)
    in_use = [facts.variants[name] for name in variants_in_use(answers) if name in facts.variants]
    return any(variant.sdk and variant.sdk.sdk == sdk for variant in in_use)


def gpu_targets(question: str):
    def check(answer, answers: dict, facts: Facts | None = None) -> str:
        sdk = sdk_of_question(question, facts)
        if not gpu_targets_asked(question, answers, facts):
            return ""
        if not isinstance(answer, list) or not answer:
            return (
                f"{question}: no GPU target chosen: choose the targets of the GPUs the project runs on "
                f"(`rocminfo` names them, e.g. {sdk.targets[-2]}), or all of them"
            )
        unknown = [target for target in answer if target not in sdk.targets]
        if unknown:
            return (
                f"{question}: {_listing(unknown)} is not a GPU target the {sdk.label} has device libraries "
                f"for: choose among {_listing(sdk.targets)}"
            )
        return ""

    return check


# --- Compiled extensions -------------------------------------------------------------------


def compiled_extension_unavailable(name: str, answers: dict, facts: Facts | None = None) -> str:
    """Why `name` cannot answer compiled_extensions (per-choice reason); "" when it can."""
    facts = _facts(facts)
    known = {**answers, "compiled_extensions": []}
    known.setdefault("pytorch_index_url", facts.default_index_url)
    try:
        config = build_config(known, facts)
    except (ConfigError, KeyError, TypeError, ValueError):
        return ""  # the answers before this question are refused by their own checks
    return compiled_extensions.unavailable(name, config, facts, answers.get("python_min", ""))


# --- Other answers -------------------------------------------------------------------------


def docker(answer: bool, answers: dict, facts: Facts | None = None) -> str:
    """A Dockerfile builds a Linux image, which the lock must cover."""
    facts = _facts(facts)
    chosen = answers.get("platforms") or []
    if answer and not any(facts.platforms[p].os == "linux" for p in chosen):
        return (
            f"docker: a Docker image runs Linux, but none of the chosen platforms ({_listing(chosen)}) is Linux, "
            "so the lock cannot install in it: add linux-x86_64 or linux-aarch64 to platforms, or answer "
            "docker=false"
        )
    return ""


# --- Workspace ------------------------------------------------------------------------------


def workspace_members(answer, answers: dict) -> str:
    """Member names: a non-empty list of distinct distribution names whose import names
    (`-`/`.` -> `_`) are valid and that collide neither with each other nor the root."""
    if not isinstance(answer, list) or not answer or not all(isinstance(name, str) for name in answer):
        return 'workspace_members: give a list of member names, e.g. ["core", "train"]'
    seen: set[str] = set()
    for name in answer:
        problem = distribution_name(name, "workspace_members")
        if problem:
            return problem
        normalised = canonicalize_name(name)
        if normalised in seen:
            return f"workspace_members: {name!r} is listed twice (names compare case- and '-'/'_'-insensitively)"
        if answers.get("layout") == "workspace" and normalised == canonicalize_name(answers.get("project_slug", "")):
            return f"workspace_members: {name!r} is the root project's name: choose another member name"
        seen.add(normalised)
        problem = _import_problem(normalised.replace("-", "_").replace(".", "_"), "workspace_members")
        if problem:
            return f"{problem} (the import name of member {name!r}): choose another member name"
    return ""


# --- What copier.yml calls ----------------------------------------------------------------
# `answer_problem('<question>')` validates an answer; `answer_problem('<question>', '<choice>')`
# is the reason a choice is greyed out. Both go through jinja_extension.answer_problem.


def project_name(answer: str) -> str:
    return "" if (answer or "").strip() else "project_name: give the project a name"


def _index_urls(question: str):
    return lambda answer, answers: index_url(
        answer,
        question,
        required=question == "pytorch_index_url",
        pytorch_index_url=answers.get("pytorch_index_url") if question == "default_index_url" else None,
    )


def _unused(question: str):
    return lambda answer, answers: unused_accelerator(question, answer, answers)


QUESTION_CHECKS = {
    "project_name": lambda answer, answers: project_name(answer),
    "project_slug": lambda answer, answers: distribution_name(answer, "project_slug"),
    "package_name": lambda answer, answers: import_name(answer),
    "author_email": lambda answer, answers: author_email(answer),
    "license": lambda answer, answers: licenses.license_problem(answer),
    "workspace_members": workspace_members,
    "python_max": lambda answer, answers: python_range(answers),
    "platforms": lambda answer, answers: platforms(answers),
    "accelerator": _unused("accelerator"),
    "linux_accelerator": _unused("linux_accelerator"),
    "windows_accelerator": _unused("windows_accelerator"),
    "accelerators": accelerators,
    "pytorch_index_url": _index_urls("pytorch_index_url"),
    "default_index_url": _index_urls("default_index_url"),
    "docker": docker,
    "rocm_gpu_targets": gpu_targets("rocm_gpu_targets"),
}
CHOICE_CHECKS = {"accelerator_strategy": strategy_unavailable}


# --- Suggestions for the generated README --------------------------------------------------


def _preferred_order(names: list[str], facts: Facts) -> list[str]:
    """`names` with the facts' preferred variants first, in their order."""
    preferred = [n for n in facts.preferred_variants if n in names]
    return preferred + [n for n in names if n not in preferred]


def switch_accelerator(answers: dict, facts: Facts | None = None) -> dict:
    """Answers that switch the project to another accelerator build, valid for its other answers
    (what `copier update --data` then accepts); {} when there is none."""
    facts = _facts(facts)
    usable = _preferred_order(usable_variants(answers, facts), facts)
    strategy = answers["accelerator_strategy"]
    if strategy == "extras":
        added = [v for v in usable if v not in answers["accelerators"]]
        # In the choices' order, which is how copier records a multiselect answer.
        wanted = {*answers["accelerators"], *added[:1]}
        return {"accelerators": [v for v in facts.variants if v in wanted]} if added else {}
    if strategy == "single":
        others = [v for v in usable if v != answers["accelerator"]]
        return {"accelerator": others[0]} if others else {}
    if strategy == "per-platform":
        for os_name in ("linux", "windows"):
            question = f"{os_name}_accelerator"
            if platforms_of_os(answers, os_name, facts):
                others = [
                    v for v in usable if v != answers.get(question) and not os_accelerator(v, os_name, answers, facts)
                ]
                if others:
                    return {question: others[0]}
        return {}
    return {"accelerator_strategy": "single", "accelerator": usable[0]} if usable else {}


def _still_valid(answers: dict, facts: Facts) -> bool:
    """Whether the Python range, the torch packages, the platforms, the strategy and every
    accelerator answer it asks all pass with `answers` (a suggestion changes one of them)."""
    strategy = answers["accelerator_strategy"]
    if (
        python_range(answers, facts)
        or any(torch_package_unavailable(p, answers, facts) for p in answers.get("torch_packages") or [])
        or platforms(answers, facts)
        or strategy_unavailable(strategy, answers, facts)
    ):
        return False
    for question, wanted in ACCELERATOR_QUESTIONS.items():
        answer = answers.get(question)
        if wanted != strategy or answer in (None, "", []):
            continue
        if question == "accelerators":
            problem = accelerators(answer, answers, facts)
        elif question == "accelerator":
            problem = variant_unavailable(answer, question, answers, facts)
        else:
            os_name = question.split("_")[0]
            problem = platforms_of_os(answers, os_name, facts) and os_accelerator(answer, os_name, answers, facts)
        if problem:
            return False
    return True


def add_platform(answers: dict, facts: Facts | None = None) -> dict:
    """Answers that add the first platform (in the facts' order) the project lacks and its other
    answers allow, in copier's recorded order; {} when there is none."""
    facts = _facts(facts)
    chosen = answers.get("platforms") or []
    for name in facts.platforms:
        wanted = [p for p in facts.platforms if p in chosen or p == name]
        if name not in chosen and _still_valid({**answers, "platforms": wanted}, facts):
            return {"platforms": wanted}
    return {}


def widen_python_max(answers: dict, facts: Facts | None = None) -> dict:
    """Answers that raise python_max to the newest minor torch_min and the other answers allow;
    {} when python_max already is that minor."""
    facts = _facts(facts)
    newer = [m for m in facts.python_minors if Version(m) > Version(answers["python_max"])]
    allowed = [m for m in newer if _still_valid({**answers, "python_max": m}, facts)]
    return {"python_max": allowed[-1]} if allowed else {}


def raise_torch_min(answers: dict, newest_admitted: str) -> dict:
    """Answers that raise torch_min to the newest release the range admits; {} when it is torch_min."""
    return {"torch_min": newest_admitted} if newest_admitted != answers["torch_min"] else {}
