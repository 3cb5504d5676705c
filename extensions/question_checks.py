"""What copier.yml calls: `answer_problem('<question>')` validates an answer,
`answer_problem('<question>', '<choice>')` is the reason a choice is greyed out (both through
jinja_extension.answer_problem). The rules live in answer_checks (torch, Python, platforms,
accelerators), name_checks and url_checks."""

from __future__ import annotations

import licenses
from answer_checks import (
    accelerators,
    docker,
    gpu_targets,
    platforms,
    python_range,
    strategy_unavailable,
    unused_accelerator,
)
from name_checks import author_email, distribution_name, import_name, project_name, workspace_members
from pytorch_facts import load_facts
from url_checks import index_url


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
    # One GPU-target question per SDK torch installs as wheels (rocm_gpu_targets).
    **{f"{sdk}_gpu_targets": gpu_targets(f"{sdk}_gpu_targets") for sdk in load_facts().sdks},
}
CHOICE_CHECKS = {"accelerator_strategy": strategy_unavailable}
