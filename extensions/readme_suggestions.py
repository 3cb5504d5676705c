"""The `copier update --data ...` changes the generated README suggests, computed from the
answers and the facts so that copier accepts each of them: another accelerator, one more
platform, a higher python_max, a newer torch_min."""

from __future__ import annotations

from answer_checks import (
    accelerators,
    os_accelerator,
    platforms,
    platforms_of_os,
    python_range,
    strategy_unavailable,
    torch_package_unavailable,
    usable_variants,
    variant_unavailable,
)
from packaging.version import Version
from pytorch_facts import Facts, load_facts
from strategy import ACCELERATOR_QUESTIONS, Strategy


def _preferred_order(names: list[str], facts: Facts) -> list[str]:
    """`names` with the facts' preferred variants first, in their order."""
    preferred = [n for n in facts.preferred_variants if n in names]
    return preferred + [n for n in names if n not in preferred]


def switch_accelerator(answers: dict, facts: Facts | None = None) -> dict:
    """Answers that switch the project to another accelerator build, valid for its other answers
    (what `copier update --data` then accepts); {} when there is none."""
    facts = facts or load_facts()
    usable = _preferred_order(usable_variants(answers, facts), facts)
    strategy = answers["accelerator_strategy"]
    if strategy == Strategy.EXTRAS:
        added = [v for v in usable if v not in answers["accelerators"]]
        # In the choices' order, which is how copier records a multiselect answer.
        wanted = {*answers["accelerators"], *added[:1]}
        return {"accelerators": [v for v in facts.variants if v in wanted]} if added else {}
    if strategy == Strategy.SINGLE:
        others = [v for v in usable if v != answers["accelerator"]]
        return {"accelerator": others[0]} if others else {}
    if strategy == Strategy.PER_PLATFORM:
        for os_name in ("linux", "windows"):
            question = f"{os_name}_accelerator"
            if platforms_of_os(answers, os_name, facts):
                others = [
                    v for v in usable if v != answers.get(question) and not os_accelerator(v, os_name, answers, facts)
                ]
                if others:
                    return {question: others[0]}
        return {}
    return {"accelerator_strategy": Strategy.SINGLE.value, "accelerator": usable[0]} if usable else {}


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
    facts = facts or load_facts()
    chosen = answers.get("platforms") or []
    for name in facts.platforms:
        wanted = [p for p in facts.platforms if p in chosen or p == name]
        if name not in chosen and _still_valid({**answers, "platforms": wanted}, facts):
            return {"platforms": wanted}
    return {}


def widen_python_max(answers: dict, facts: Facts | None = None) -> dict:
    """Answers that raise python_max to the newest minor torch_min and the other answers allow;
    {} when python_max already is that minor."""
    facts = facts or load_facts()
    newer = [m for m in facts.python_minors if Version(m) > Version(answers["python_max"])]
    allowed = [m for m in newer if _still_valid({**answers, "python_max": m}, facts)]
    return {"python_max": allowed[-1]} if allowed else {}


def raise_torch_min(answers: dict, newest_admitted: str) -> dict:
    """Answers that raise torch_min to the newest release the range admits; {} when it is torch_min."""
    return {"torch_min": newest_admitted} if newest_admitted != answers["torch_min"] else {}
