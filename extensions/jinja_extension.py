"""Expose the PyTorch facts, the answer checks and the uv configuration to copier.

Loaded by copier-template-extensions as `extensions/jinja_extension.py:TorchUvExtension`.
The functions take the answers from the rendering context, so copier.yml and the
templates call them without arguments.
"""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path

from jinja2 import pass_context
from jinja2.ext import Extension

# copier-template-extensions imports this file by path, not as part of a package: make its
# sibling modules importable. `copier update` renders the old and the new template version in
# one process, so siblings already imported from another checkout are dropped first;
# otherwise the new version would render with the old version's facts and rules.
HERE = Path(__file__).resolve().parent
for _sibling in HERE.glob("*.py"):
    _loaded = sys.modules.get(_sibling.stem)
    if _loaded is not None and Path(getattr(_loaded, "__file__", None) or "").resolve().parent != HERE:
        del sys.modules[_sibling.stem]
sys.path.insert(0, str(HERE))

import answer_checks  # noqa: E402
import licenses  # noqa: E402
import name_checks  # noqa: E402
import question_checks  # noqa: E402
import readme_suggestions  # noqa: E402
from compile_cache import cache_compiled_sources  # noqa: E402
from compiled_extensions import load_extensions  # noqa: E402
from escaping import FILTERS  # noqa: E402
from pytorch_facts import load_facts  # noqa: E402
from strategy import ACCELERATOR_QUESTIONS, PYPI_BUILD, Strategy  # noqa: E402
from tool_versions import TOOLS  # noqa: E402
from uv_config import build_config  # noqa: E402


def _answers(context) -> dict:
    return dict(context.get_all())


def _choice(label: str, value: str, reason: str) -> tuple[str, dict]:
    return label, {"value": value, "validator": reason}


def _variant_reasons(question: str, answers: dict) -> dict[str, str]:
    """Variant name -> why it cannot answer `question` ("" when it can)."""
    names = list(load_facts().variants)
    if question.endswith("_accelerator"):
        names.insert(0, PYPI_BUILD)
    # Copier also parses the default of a question it skips: reasons apply where it is asked.
    if answers.get("accelerator_strategy") != ACCELERATOR_QUESTIONS[question]:
        return dict.fromkeys(names, "")
    if question.endswith("_accelerator"):
        os_name = question.split("_")[0]
        return {name: answer_checks.os_accelerator(name, os_name, answers) for name in names}
    return {name: answer_checks.variant_unavailable(name, question, answers) for name in names}


def _choices_json(choices) -> str:
    """Choices as JSON for copier.yml, in the facts' order (Jinja's tojson would sort them)."""
    return json.dumps(dict(choices))


@pass_context
def variant_choices(context, question: str) -> str:
    """Choices for an accelerator question; impossible ones carry their reason."""
    variants = load_facts().variants
    return _choices_json(
        _choice(
            "PyPI's own build" if name == PYPI_BUILD else f"{variants[name].label} ({name})",
            name,
            _shown(context, question, reason),
        )
        for name, reason in _variant_reasons(question, _answers(context)).items()
    )


@pass_context
def default_variant(context, question: str) -> str:
    """A default that is valid for the answers so far: the facts' first preferred variant that
    can be, else the first possible choice (the CPU extra plus one GPU for the extras question)."""
    reasons = _variant_reasons(question, _answers(context))
    possible = [name for name, reason in reasons.items() if not reason and name != PYPI_BUILD]
    if question == "accelerators":
        gpus = [name for name in possible if name != "cpu"]
        preferred = [name for name in load_facts().preferred_variants if name in gpus][:1] or gpus[:1]
        return json.dumps((["cpu"] if "cpu" in possible else []) + preferred)
    preferred = [name for name in load_facts().preferred_variants if name in possible]
    return (preferred or possible or list(reasons))[0]


@pass_context
def platform_choices(context) -> str:
    answers = _answers(context)
    return _choices_json(
        _choice(p.label, name, _shown(context, "platforms", answer_checks.platform_unavailable(name, answers)))
        for name, p in load_facts().platforms.items()
    )


@pass_context
def torch_package_choices(context) -> str:
    answers = _answers(context)
    return _choices_json(
        _choice(name, name, _shown(context, "torch_packages", answer_checks.torch_package_unavailable(name, answers)))
        for name in load_facts().optional_packages
    )


@pass_context
def compiled_extension_choices(context) -> str:
    """Choices for compiled_extensions; packages the chosen builds cannot compile carry the reason."""
    answers = _answers(context)
    return _choices_json(
        _choice(f"{name}: {extension.label}", name, answer_checks.compiled_extension_unavailable(name, answers))
        for name, extension in load_extensions().items()
    )


@pass_context
def gpu_targets_asked(context, question: str) -> bool:
    return answer_checks.gpu_targets_asked(question, _answers(context))


@pass_context
def gpu_target_choices(context, question: str, defaults: bool = False) -> str:
    """The GPU targets of the SDK `question` picks for (ROCm's gfx names), or with `defaults`
    all of them: torch's own choice (device-all)."""
    targets = answer_checks.sdk_of_question(question).targets
    return json.dumps(list(targets)) if defaults else _choices_json((target, target) for target in targets)


@pass_context
def python_choices(context, question: str) -> str:
    """Choices for python_min / python_max; minors torch_min cannot serve carry their reason."""
    answers = _answers(context)
    return _choices_json(
        _choice(minor, minor, _shown(context, question, answer_checks.python_unavailable(minor, question, answers)))
        for minor in load_facts().python_minors
    )


@pass_context
def default_python_max(context) -> str:
    return answer_checks.default_python_max(_answers(context))


@pass_context
def default_strategy(context) -> str:
    """accelerator_strategy's default: implied by an accelerator answer, else one that can work."""
    return answer_checks.default_strategy(_answers(context))


@pass_context
def answer_problem(context, question: str, choice: str | None = None) -> str:
    """What is wrong with the answer to `question` (with `choice`: why that choice is greyed
    out); "" when nothing is."""
    answers = _answers(context)
    if choice is None:
        return question_checks.QUESTION_CHECKS[question](answers.get(question), answers)
    return _shown(context, question, question_checks.CHOICE_CHECKS[question](choice, answers))


def _shown(context, question: str, problem: str) -> str:
    """A choice's problem as copier should show it: the full message where the answer came as
    data (copier prints it as the error), the short reason next to a choice on the screen."""
    conf = context.get("_copier_conf") or {}
    interactive = not conf.get("defaults") and question not in (conf.get("data") or {})
    return problem.short if interactive and isinstance(problem, answer_checks.Problem) else problem


@pass_context
def suggested_data(context, suggestion: str) -> str:
    """`--data` options for a README suggestion ("switch": another accelerator; "platform": one
    more platform; "python": a higher python_max; "bump": the newest torch_min the answers
    allow), computed from the answers and the facts; "" for none."""
    answers = _answers(context)
    if suggestion == "switch":
        data = readme_suggestions.switch_accelerator(answers)
    elif suggestion == "platform":
        data = readme_suggestions.add_platform(answers)
    elif suggestion == "python":
        data = readme_suggestions.widen_python_max(answers)
    else:
        data = readme_suggestions.raise_torch_min(answers, build_config(answers).newest.minor)
    return " ".join(
        "--data " + shlex.quote(f"{key}={json.dumps(value) if isinstance(value, list) else value}")
        for key, value in data.items()
    )


def machine_local_source(src: str) -> bool:
    """Whether a template source copier records (`_src_path`) names a path on this machine: a
    plain path, or a URL of the file scheme (`file://`, `git+file://`)."""
    if not src or src.startswith(("gh:", "gl:", "git@")):
        return False
    scheme, separator, _ = src.partition("://")
    return not separator or scheme.split("+")[-1] == "file"


@pass_context
def torch_config(context):
    return build_config(_answers(context))


class TorchUvExtension(Extension):
    def __init__(self, environment):
        super().__init__(environment)
        cache_compiled_sources(environment)
        environment.filters.update(FILTERS)
        environment.globals.update(
            pytorch_facts=load_facts(),
            tools=TOOLS,
            Strategy=Strategy,
            variant_choices=variant_choices,
            default_variant=default_variant,
            platform_choices=platform_choices,
            torch_package_choices=torch_package_choices,
            compiled_extension_choices=compiled_extension_choices,
            python_choices=python_choices,
            gpu_targets_asked=gpu_targets_asked,
            gpu_target_choices=gpu_target_choices,
            default_strategy=default_strategy,
            default_python_max=default_python_max,
            answer_problem=answer_problem,
            torch_config=torch_config,
            suggested_data=suggested_data,
            machine_local_source=machine_local_source,
            name_checks=name_checks,
            licenses=licenses,
        )
