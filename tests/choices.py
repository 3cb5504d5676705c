"""Every question's choices at one template version, and which removals a migration covers.

A choice that disappears between releases is dropped from existing answers by `copier update`
(CONTRIBUTING.md explains why): it may only go with a `_migrations` entry that rewrites it.
Choices are the lists in copier.yml and, for the questions whose choices copier.yml computes
with Jinja, what the facts file and the extension derive them from. This module reads both
from plain text (a file at any git revision), without importing the template's extensions,
whose API may differ between versions.
"""

from __future__ import annotations

import ast
import tomllib
from dataclasses import dataclass

import yaml
from packaging.version import Version

# The generic migration script (migrations/rename_choice.py) and how it is called:
#   [python, <src>/migrations/rename_choice.py, <answers file>, QUESTION, OLD=NEW, ...]
RENAME_SCRIPT = "migrations/rename_choice.py"


@dataclass(frozen=True)
class TemplateText:
    """The files the choices come from, as text, at one revision."""

    copier_yml: str
    facts_toml: str
    facts_py: str
    extensions_toml: str = ""  # extensions/compiled_extensions.toml ("" before it existed)


def _optional_packages(facts_py: str) -> list[str]:
    for node in ast.parse(facts_py).body:
        if isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Name) and t.id == "OPTIONAL_PACKAGES" for t in targets):
                return list(ast.literal_eval(node.value))
    raise AssertionError("extensions/pytorch_facts.py no longer defines OPTIONAL_PACKAGES: teach tests/choices.py")


def facts_choices(text: TemplateText) -> dict[str, set[str]]:
    """The choices copier.yml computes with Jinja, per question, from the facts."""
    facts = tomllib.loads(text.facts_toml)
    variants = set(facts["variants"])
    pythons = {minor for release in facts["releases"] for minor in release["python"]}
    return {
        "torch_min": {".".join(release["torch"].split(".")[:2]) for release in facts["releases"]},
        "python_min": pythons,
        "python_max": pythons,
        # torchvision/torchaudio, and the companion packages of the facts (torchcodec, ...).
        "torch_packages": {*_optional_packages(text.facts_py), *facts.get("companions", {})},
        "compiled_extensions": set(tomllib.loads(text.extensions_toml or "").get("extensions", {})),
        "platforms": set(facts["platforms"]),
        "accelerator": variants,
        "accelerators": variants,
        # The per-platform questions also offer PyPI's own build (jinja_extension._variant_reasons).
        "linux_accelerator": variants | {"pypi"},
        "windows_accelerator": variants | {"pypi"},
        "rocm_gpu_targets": set(facts.get("sdks", {}).get("rocm", {}).get("targets", [])),
    }


def _static_values(choices) -> set[str]:
    values = choices.values() if isinstance(choices, dict) else choices
    return {str(v["value"] if isinstance(v, dict) else v) for v in values}


def choices_of(text: TemplateText) -> dict[str, set[str]]:
    """Question -> the values it can take, for every question that has choices."""
    config = yaml.safe_load(text.copier_yml)
    computed = facts_choices(text)
    result = {}
    for question, spec in config.items():
        if question.startswith("_") or not isinstance(spec, dict) or "choices" not in spec:
            continue
        if isinstance(spec["choices"], str):
            if question not in computed:
                raise AssertionError(
                    f"copier.yml: {question}'s choices are computed ({spec['choices']!r}) and "
                    "tests/choices.py does not know from what: add the question to facts_choices()"
                )
            result[question] = computed[question]
        else:
            result[question] = _static_values(spec["choices"])
    return result


def _later_commands(copier_yml: str, after: Version) -> list[list[str]]:
    """The commands (as argument lists) of the `_migrations` entries for releases after `after`."""
    commands = []
    for entry in yaml.safe_load(copier_yml).get("_migrations") or []:
        if isinstance(entry, dict) and "version" in entry and Version(str(entry["version"])) > after:
            command = entry.get("command")
            commands.append([str(a) for a in command] if isinstance(command, list) else str(command).split())
    return commands


def migrated_choices(copier_yml: str, after: Version) -> set[tuple[str, str]]:
    """(question, old value) pairs that a `_migrations` entry for a release after `after`
    carries over with migrations/rename_choice.py."""
    covered = set()
    for command in _later_commands(copier_yml, after):
        for index, argument in enumerate(command):
            if argument.endswith(RENAME_SCRIPT) and len(command) > index + 3:
                question = command[index + 2]
                covered |= {(question, pair.split("=", 1)[0]) for pair in command[index + 3 :] if "=" in pair}
    return covered


def migrated_questions(copier_yml: str, after: Version) -> set[str]:
    """Names passed to a later migration: a question that is gone is covered by a migration
    that takes its name (to move the answer to the question replacing it)."""
    return {argument for command in _later_commands(copier_yml, after) for argument in command[1:]}


def uncovered_removals(old: TemplateText, new: TemplateText, released: Version) -> list[str]:
    """Choices `old` (the release `released`) offers and `new` does not, with no migration."""
    before, after = choices_of(old), choices_of(new)
    covered = migrated_choices(new.copier_yml, released)
    renamed = migrated_questions(new.copier_yml, released)
    problems = []
    for question, values in sorted(before.items()):
        if question not in after:
            if question not in renamed:
                problems.append(f"question {question} removed since {released} without a migration")
            continue
        for value in sorted(values - after[question]):
            if (question, value) not in covered:
                problems.append(f"{question}: {value!r} removed since {released} without a migration")
    return problems
