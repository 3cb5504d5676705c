"""Why an answer cannot work: one function per question, each returning "" or a message.

A message names the answer, says why, and says how to fix it. copier.yml shows them as
validator errors (non-interactive: the last line of copier's output) and, for choices, as
the reason a choice is greyed out in the interactive prompt.
"""

from __future__ import annotations

import keyword
import re
import sys
from urllib.parse import urlsplit

from packaging.utils import canonicalize_name
from packaging.version import Version
from pytorch_facts import Facts, load_facts
from uv_config import INTEL_MAC, release_blockers

PEP508_NAME = re.compile(r"^([A-Z0-9]|[A-Z0-9][A-Z0-9._-]*[A-Z0-9])$", re.IGNORECASE)
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# Distribution names that would shadow or collide with what the project installs.
RESERVED_DISTRIBUTIONS = {"torch", "torchvision", "torchaudio", "triton", "triton-rocm", "triton-xpu", "pin-pytorch"}
RESERVED_IMPORTS = {"torch", "torchvision", "torchaudio", "triton", "tests", "test"}


def _facts(facts: Facts | None) -> Facts:
    return facts or load_facts()


def _minor_span(python: list[str] | tuple[str, ...]) -> str:
    return f"{python[0]}–{python[-1]}" if len(python) > 1 else python[0]


def distribution_name(answer: str, question: str) -> str:
    if not PEP508_NAME.match(answer or ""):
        return (f"{question}: {answer!r} is not a valid distribution name (PEP 508: letters, digits, "
                "'.', '-', '_', starting and ending with a letter or digit)")
    if canonicalize_name(answer) in RESERVED_DISTRIBUTIONS:
        return f"{question}: {answer!r} is the name of a package the project installs or generates: choose another name"
    return ""


def import_name(answer: str, question: str = "package_name") -> str:
    if not answer.isidentifier() or not answer.isascii():
        return f"{question}: {answer!r} is not a valid Python import name (letters, digits and '_', not starting with a digit)"
    if keyword.iskeyword(answer) or keyword.issoftkeyword(answer):
        return f"{question}: {answer!r} is a Python keyword and cannot be imported: choose another name"
    if answer in RESERVED_IMPORTS:
        return f"{question}: {answer!r} would shadow a package the project imports: choose another name"
    if answer in sys.stdlib_module_names:
        return f"{question}: {answer!r} would shadow the standard library module of that name: choose another name"
    if answer != answer.lower():
        return f"{question}: {answer!r} has capitals; import names are lower case (PEP 8): try {answer.lower()!r}"
    return ""


def author_email(answer: str) -> str:
    if answer and not EMAIL.match(answer):
        return f"author_email: {answer!r} is not an email address: leave it empty or give one like name@example.org"
    return ""


def index_url(answer: str, question: str, *, required: bool) -> str:
    if not answer:
        return f"{question}: an index URL is required" if required else ""
    parts = urlsplit(answer)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"{question}: {answer!r} is not an http(s) URL: give the index's base URL, e.g. https://mirror.example.org/whl"
    if parts.username or parts.password:
        return (f"{question}: the URL embeds credentials, which would be written to pyproject.toml and uv.lock: "
                "give the URL without them and set UV_INDEX_<NAME>_USERNAME / UV_INDEX_<NAME>_PASSWORD "
                "in the environment instead")
    if parts.query or parts.fragment:
        return f"{question}: {answer!r} has a query or fragment: give the plain index base URL"
    return ""


def torch_min(answer: str, facts: Facts | None = None) -> str:
    facts = _facts(facts)
    if facts.release(answer) is None:
        return f"torch_min: {answer!r} is not a known torch release: choose one of {', '.join(facts.torch_minors)}"
    return ""


def python_minor(answer: str, question: str, facts: Facts | None = None) -> str:
    minors = _facts(facts).python_minors
    if answer not in minors:
        return f"{question}: {answer!r} is not a Python minor torch publishes wheels for: choose one of {', '.join(minors)}"
    return ""


def python_range(answers: dict, facts: Facts | None = None) -> str:
    """Checked at python_max, once both ends and torch_min are known."""
    facts = _facts(facts)
    low, high = answers["python_min"], answers["python_max"]
    if Version(low) > Version(high):
        return f"python_max: {high} is lower than python_min {low}: choose python_max {low} or higher"
    release = facts.release(answers["torch_min"])
    if release is None:
        return ""
    missing = [m for m in (low, high) if m not in release.python]
    if Version(low) < Version(release.python[0]) or Version(high) > Version(release.python[-1]):
        supporting = [r.minor for r in facts.releases if low in r.python and high in r.python]
        fix = f"or torch_min {supporting[0]}" if supporting else "(no torch release covers that whole range)"
        return (f"python_max: torch {release.torch} has wheels for Python {_minor_span(release.python)} only, not "
                f"{', '.join(missing) or f'{low}–{high}'}: narrow the Python range to {_minor_span(release.python)} {fix}")
    return ""


def torch_package_unavailable(package: str, answers: dict, facts: Facts | None = None) -> str:
    release = _facts(facts).release(answers["torch_min"])
    if release is not None and not release.package_version(package):
        last = next((r for r in _facts(facts).releases if r.package_version(package)), None)
        hint = f" (its last release is {last.package_version(package)}, for torch {last.minor})" if last else ""
        return f"torch_packages: {package} has no release for torch {release.minor}{hint}: drop it or lower torch_min"
    return ""


def platform_unavailable(platform: str, answers: dict, facts: Facts | None = None) -> str:
    facts = _facts(facts)
    last = facts.platforms[platform].last_release
    if platform == INTEL_MAC and last and Version(answers["python_min"]) > Version(last["python"][-1]):
        return (f"platforms: {platform}: the last torch with Intel Mac wheels, {last['torch']}, supports Python "
                f"up to {last['python'][-1]}, but python_min is {answers['python_min']}: drop {platform} or lower python_min")
    return ""


def platforms(answers: dict, facts: Facts | None = None) -> str:
    chosen = answers.get("platforms") or []
    if not chosen:
        return "platforms: choose at least one platform the project must install on"
    return next(filter(None, (platform_unavailable(p, answers, facts) for p in chosen)), "")


def variant_unavailable(variant: str, question: str, answers: dict, facts: Facts | None = None,
                        required_platforms: list[str] | None = None) -> str:
    """Why `variant` cannot be the answer to `question`; "" when it can.

    `required_platforms`: platforms the variant must all serve (per-platform strategy);
    otherwise it must serve at least one chosen platform.
    """
    facts = _facts(facts)
    if variant == "pypi":
        return ""
    if variant not in facts.variants:
        return f"{question}: {variant!r} is not a known accelerator: choose one of {', '.join(facts.variants)}"
    release = facts.release(answers["torch_min"])
    if release is not None and variant not in release.variants:
        having = [r.minor for r in facts.releases if variant in r.variants]
        hint = f"newest release with it: {having[0]}" if having else "no release in the facts has it"
        return f"{question}: {variant} is not published for torch {release.minor} ({hint}): choose another accelerator or change torch_min"
    served = facts.variants[variant].platforms
    chosen = answers.get("platforms") or []
    if required_platforms is not None:
        missing = [p for p in required_platforms if p not in served]
        if missing:
            return (f"{question}: {variant} has no wheels for {', '.join(missing)} (it has wheels for "
                    f"{', '.join(served)}): choose another accelerator or drop {', '.join(missing)}")
    elif not any(p in served for p in chosen):
        return (f"{question}: {variant} has wheels only for {', '.join(served)}, none of the chosen platforms "
                f"({', '.join(chosen)}): add one of them or choose another accelerator")
    return ""


def platforms_of_os(answers: dict, os_name: str, facts: Facts | None = None) -> list[str]:
    facts = _facts(facts)
    return [p for p in answers.get("platforms") or [] if facts.platforms[p].os == os_name]


def os_accelerator(answer: str, os_name: str, answers: dict, facts: Facts | None = None) -> str:
    question = f"{os_name}_accelerator"
    return variant_unavailable(answer, question, answers, facts, platforms_of_os(answers, os_name, facts))


def accelerators(answer: list[str], answers: dict, facts: Facts | None = None) -> str:
    if len(answer or []) < 2:
        picked = f"only {answer[0]}" if answer else "none"
        return (f"accelerators: the extras strategy needs at least two accelerators to choose from at sync time "
                f"({picked} chosen): add another, or use accelerator_strategy 'single'")
    return next(filter(None, (variant_unavailable(v, "accelerators", answers, facts) for v in answer)), "")


def torch_range(answers: dict, facts: Facts | None = None) -> str:
    """The final cross-check: does torch_min itself serve every answer?"""
    facts = _facts(facts)
    release = facts.release(answers["torch_min"])
    if release is None:
        return ""
    blockers = release_blockers(release, answers)
    return f"torch_min: {'; '.join(blockers)}" if blockers else ""

