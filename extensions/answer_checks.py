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

import compiled_extensions
from packaging.version import Version
from pytorch_facts import Facts, Sdk, load_facts
from strategy import ACCELERATOR_QUESTIONS, Strategy
from uv_config import (
    INTEL_MAC,
    ConfigError,
    TorchAnswers,
    build_config,
    listed_answer,
    python_minors_between,
    variants_in_use,
)


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
    packages = listed_answer(answers.get("torch_packages"))  # maybe still YAML text from the CLI
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
    if strategy == Strategy.PER_PLATFORM:
        if not any(facts.platforms[p].os in ("linux", "windows") for p in chosen):
            return Problem(
                f"accelerator_strategy: per-platform picks one build for Linux and one for Windows, but none of "
                f"{where} is Linux or Windows (macOS always gets PyPI's build): choose pypi or add a Linux "
                "or Windows platform",
                "no Linux or Windows platform",
            )
        return ""
    if strategy not in (Strategy.SINGLE, Strategy.EXTRAS):
        return ""
    usable = usable_variants(answers, facts)
    needed = 2 if strategy == Strategy.EXTRAS else 1
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


def default_strategy(answers: dict, facts: Facts | None = None) -> str:
    """accelerator_strategy's default: the strategy of an accelerator question answered as data
    (`--data accelerator=rocm7.2` means single), else single where it can work, else pypi."""
    for question, strategy in ACCELERATOR_QUESTIONS.items():
        if answers.get(question) not in (None, "", []):
            return strategy
    return Strategy.PYPI if strategy_unavailable(Strategy.SINGLE, answers, facts) else Strategy.SINGLE


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
    in_use = variants_in_use(TorchAnswers.of(answers, facts))
    variants = [facts.variants[name] for name in in_use if name in facts.variants]
    return any(variant.sdk and variant.sdk.sdk == sdk for variant in variants)


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
    except ConfigError:
        return ""  # no torch release serves the answers before this question: their checks say why
    return compiled_extensions.unavailable(name, config.builds, facts, answers.get("python_min", ""))


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
