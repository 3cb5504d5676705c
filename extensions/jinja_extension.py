"""Expose the PyTorch facts, the answer checks and the uv configuration to copier.

Loaded by copier-template-extensions as `extensions/jinja_extension.py:TorchUvExtension`.
The functions take the answers from the rendering context, so copier.yml and the
templates call them without arguments.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from jinja2 import pass_context
from jinja2.ext import Extension

# copier-template-extensions imports this file by path, not as part of a package: make its
# sibling modules importable.
sys.path.insert(0, str(Path(__file__).parent))

import answer_checks  # noqa: E402
from pytorch_facts import load_facts  # noqa: E402
from uv_config import build_config  # noqa: E402


def _answers(context) -> dict:
    return dict(context.get_all())


def _choice(label: str, value: str, reason: str) -> tuple[str, dict]:
    return label, {"value": value, "validator": reason}


@pass_context
def variant_choices(context, question: str) -> dict:
    """Choices for an accelerator question; impossible ones carry their reason."""
    answers = _answers(context)
    facts = load_facts()
    choices = []
    if question in ("linux_accelerator", "windows_accelerator"):
        os_name = question.split("_")[0]
        choices.append(_choice("PyPI's own build", "pypi", ""))
        for name, variant in facts.variants.items():
            reason = answer_checks.os_accelerator(name, os_name, answers)
            choices.append(_choice(f"{variant.label} ({name})", name, reason))
    else:
        for name, variant in facts.variants.items():
            reason = answer_checks.variant_unavailable(name, question, answers)
            choices.append(_choice(f"{variant.label} ({name})", name, reason))
    return dict(choices)


@pass_context
def platform_choices(context) -> dict:
    answers = _answers(context)
    return dict(_choice(p.label, name, answer_checks.platform_unavailable(name, answers))
                for name, p in load_facts().platforms.items())


@pass_context
def torch_package_choices(context) -> dict:
    answers = _answers(context)
    return dict(_choice(name, name, answer_checks.torch_package_unavailable(name, answers))
                for name in ("torchvision", "torchaudio"))


@pass_context
def answer_problem(context, check: str, *args) -> str:
    """Run `answer_checks.<check>(*args, answers)`; "" when the answer is fine."""
    return getattr(answer_checks, check)(*args, _answers(context))


@pass_context
def torch_config(context):
    return build_config(_answers(context))


def toml_string(value: str) -> str:
    """A TOML basic string (JSON's escapes are TOML's)."""
    return json.dumps(str(value), ensure_ascii=False)


class TorchUvExtension(Extension):
    def __init__(self, environment):
        super().__init__(environment)
        environment.filters["toml_string"] = toml_string
        environment.globals.update(
            pytorch_facts=load_facts(),
            variant_choices=variant_choices,
            platform_choices=platform_choices,
            torch_package_choices=torch_package_choices,
            answer_problem=answer_problem,
            torch_config=torch_config,
            answer_checks=answer_checks,
        )
