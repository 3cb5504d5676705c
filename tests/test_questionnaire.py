"""copier.yml as a user meets it: the interactive prompt, its greyed-out choices, the closing message.

- (truth: the real copier TUI in a pseudo-terminal) a choice the answers rule out is greyed out
  with a short reason that fits one line of an 80-column terminal;
- (consistency) every help text and every choice label with its short reason fits that line,
  for every torch release and platform set of the facts;
- (consistency) the message after copy lists the next steps.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import answer_checks
import pexpect
import pytest
import yaml
from answer_matrix import PLATFORM_SETS
from conftest import REPO_ROOT
from helpers import template_source
from pytorch_facts import load_facts

FACTS = load_facts()
QUESTIONS = yaml.safe_load((REPO_ROOT / "copier.yml").read_text())
WIDTH = 80
# questionary draws a disabled choice as "   - <label> (<reason>)".
CHOICE_FRAME = len("   - ") + len(" ()")
# A variant an older release publishes and the newest does not: greyed out for the default torch_min.
DROPPED = next((v for r in FACTS.releases for v in r.variants if v not in FACTS.newest.variants), None)


def expect_prompt(tui: pexpect.spawn, question: str) -> None:
    """Wait for copier's prompt of `question` (copier shows its help text), as copier's own tests do."""
    tui.expect_exact(QUESTIONS[question]["help"])


@pytest.mark.skipif(DROPPED is None, reason="every variant of the facts is published for the newest torch")
def test_prompt_greys_out_a_choice_with_a_short_reason(tmp_path: Path) -> None:
    # No cursor-position requests: pexpect answers none, and prompt_toolkit waits for each.
    env = {**os.environ, "TERM": "xterm", "PROMPT_TOOLKIT_NO_CPR": "1"}
    command = ["-m", "copier", "copy", "--vcs-ref", "HEAD", "--trust", template_source(), str(tmp_path / "project")]
    tui = pexpect.spawn(sys.executable, command, env=env, dimensions=(40, WIDTH), encoding="utf-8", timeout=60)
    try:
        # Every question before `accelerator` keeps its default (Enter).
        for question in list(QUESTIONS)[list(QUESTIONS).index("project_name") : list(QUESTIONS).index("accelerator")]:
            if question.startswith("_") or QUESTIONS[question].get("when") in (False, "{{ layout != 'project' }}"):
                continue
            expect_prompt(tui, question)
            tui.send("\r")
        expect_prompt(tui, "accelerator")
        variant = FACTS.variants[DROPPED]
        label, reason = f"{variant.label} ({DROPPED})", f"not published for torch {FACTS.newest.minor}"
        tui.expect_exact(f"- {label}")
        tui.expect_exact(f"({reason})")
        assert len(label) + len(reason) + CHOICE_FRAME <= WIDTH
    finally:
        tui.sendcontrol("c")
        tui.expect(pexpect.EOF)
    assert not (tmp_path / "project").exists()


def test_help_texts_fit_one_line() -> None:
    # copier prefixes the help with an emoji and a space.
    too_long = {
        q: d["help"] for q, d in QUESTIONS.items() if isinstance(d, dict) and len(d.get("help", "")) > WIDTH - 3
    }
    assert not too_long


def _choice_reasons(answers: dict) -> list[tuple[str, str]]:
    """(label, reason) of every greyed-out choice for `answers`."""
    reasons = [(minor, answer_checks.python_unavailable(minor, "python_max", answers)) for minor in FACTS.python_minors]
    reasons += [(p, answer_checks.torch_package_unavailable(p, answers)) for p in FACTS.optional_packages]
    reasons += [(FACTS.platforms[p].label, answer_checks.platform_unavailable(p, answers)) for p in FACTS.platforms]
    for label, choice in QUESTIONS["accelerator_strategy"]["choices"].items():
        value = choice["value"] if isinstance(choice, dict) else choice
        reasons.append((label, answer_checks.strategy_unavailable(value, answers)))
    for name, variant in FACTS.variants.items():
        label = f"{variant.label} ({name})"
        reasons.append((label, answer_checks.variant_unavailable(name, "accelerator", answers)))
        for os_name in ("linux", "windows"):
            reasons.append((label, answer_checks.os_accelerator(name, os_name, answers)))
    return [(label, reason) for label, reason in reasons if reason]


def test_greyed_out_choices_fit_one_line() -> None:
    seen = 0
    for release in FACTS.releases:
        for platforms in PLATFORM_SETS.values():
            # With every companion chosen too: their reasons grey out platforms and Pythons.
            for torch_packages in ([], FACTS.optional_packages):
                answers = {
                    "torch_min": release.minor,
                    "python_min": release.python[-1],
                    "python_max": release.python[-1],
                    "platforms": list(platforms),
                    "torch_packages": torch_packages,
                }
                for label, reason in _choice_reasons(answers):
                    assert isinstance(reason, answer_checks.Problem), (label, reason)
                    assert len(label) + len(reason.short) + CHOICE_FRAME <= WIDTH, (label, reason.short)
                    seen += 1
    assert seen


def test_message_after_copy_lists_the_next_steps(render, capfd: pytest.CaptureFixture) -> None:
    project = render({"accelerator_strategy": "extras", "layout": "workspace"}, fresh=True)
    message = capfd.readouterr().err
    steps = [f"cd {project}", "git init", "uv lock", "git commit", "python scripts/sync.py"]
    positions = [message.find(step) for step in steps]
    assert -1 not in positions and positions == sorted(positions), message


def test_defaults_fit_the_torch_packages_given_as_data(render) -> None:
    """`--defaults --data torch_packages=[...]` with a companion whose wheels stop at an older
    Python than torch's renders, its python_max lowered to the companion's newest (a bug: the
    default was torch's newest, which copier then refused) (consistency)."""
    release = FACTS.newest
    companions = [c for c in FACTS.companions.values() if c.python and c.python[-1] in release.python[:-1]]
    if not companions:
        pytest.skip("no companion stops below torch's newest Python")
    companion = companions[0]
    # As copier's CLI passes it (`--data torch_packages='["torchcodec"]'`): a string, parsed
    # only when the question comes, after python_max's default.
    project = render({"torch_packages": json.dumps([companion.name])})
    answers = yaml.safe_load((project / ".copier-answers.yml").read_text())
    assert answers["python_max"] == companion.python[-1]


def test_readme_documents_every_question_and_its_default() -> None:
    """README.md's answers table has a row for every question copier asks, saying its default."""
    readme = (REPO_ROOT / "README.md").read_text()
    rows = [line for line in readme.splitlines() if line.startswith("| `")]
    for question, spec in QUESTIONS.items():
        if question.startswith("_") or spec.get("when") is False:
            continue
        row = next((r for r in rows if f"`{question}`" in r.split(" | ")[0]), None)
        assert row is not None, f"README.md's answers table has no row for {question}"
        assert "default" in row.lower(), f"README.md does not state {question}'s default: {row}"
