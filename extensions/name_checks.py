"""Checks and defaults for the answers that name things: the project, its distribution and
import names, the workspace members, the author's email.

Each check returns "" or a message naming the answer, the reason and a fix.
"""

from __future__ import annotations

import builtins
import keyword
import re
import sys
import unicodedata

from packaging.utils import canonicalize_name
from pytorch_facts import TORCH_FAMILY, load_facts

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


def module_name(distribution: str) -> str:
    """The import name uv_build (and the member task) derive from a distribution name."""
    return distribution.lower().replace("-", "_").replace(".", "_")


def project_name(answer: str) -> str:
    return "" if (answer or "").strip() else "project_name: give the project a name"


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
        problem = _import_problem(module_name(normalised), "workspace_members")
        if problem:
            return f"{problem} (the import name of member {name!r}): choose another member name"
    return ""
