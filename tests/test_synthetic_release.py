"""A facts-only change needs no test edit (consistency: the tests follow the facts file).

The facts file gets a synthetic next torch release (tests/facts_edits.py), and tests then run
unchanged against it, pointed at it by $TORCH_UV_FACTS_FILE (read by pytorch_facts.load_facts,
so by the template and the tests alike; the release and update tests take it for the working
tree's facts file, the released template keeping its own):

- a new CUDA variant, without the oldest CUDA variant of today's newest release: the render
  tests of the new release's combinations and the questionnaire tests pass;
- harsher, it also drops the oldest Python minor and the variant a default render uses today:
  the non-lock tests a facts change reaches pass (the facts in renders, the updates from the
  newest template release, the questionnaire, the uv configuration, and the render tests of
  the new release's combinations);
- from its release candidate to a lock: the replica serves the next release on its test
  channel, `refresh --channel test` writes it as a candidate the questions do not offer, a
  maintainer adds the new variant's hand-kept facts, and once the replica's stable indexes and
  PyPI stand-in publish it, `refresh` makes it the default release, which renders and locks.
"""

from __future__ import annotations

import dataclasses
import os
import re
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
import tomlkit
import yaml
from conftest import REPO_ROOT
from facts_edits import (
    NEXT_RELEASE_FACTS,
    add_next_release,
    default_variant,
    edit_file,
    next_release_channel,
    working_tree_facts,
)
from helpers import run_copier
from index_replica import PYPI_STAND_IN, ReplicaServer, build_replica
from pytorch_facts import FACTS_FILE_ENV, read_facts

pytestmark = pytest.mark.slow

# The non-lock tests a facts change reaches (the update tests that only edit the template by
# hand, test_update.py's scenarios, read the same facts at both versions: left out for time).
NON_LOCK_TESTS = (
    "tests/test_facts_in_render.py",
    "tests/test_questionnaire.py",
    "tests/test_uv_config.py",
    "tests/test_release.py::test_projects_from_the_newest_release_update_to_the_working_tree",
    "tests/test_release.py::test_no_choice_of_the_newest_release_is_gone_without_a_migration",
    "tests/test_release.py::test_removing_a_choice_without_a_migration_fails_the_check",
    "tests/test_update.py::test_update_renders_with_the_new_versions_facts",
)


def synthetic_facts(tmp_path: Path, *, harsh: bool):
    facts_file = tmp_path / "pytorch_facts.toml"
    shutil.copyfile(working_tree_facts(), facts_file)
    return facts_file, add_next_release(facts_file, harsh=harsh)


def run_tests(facts_file: Path, *args: str, least: int = 21) -> str:
    """pytest in a process of its own on `facts_file`; its output, once `least` tests passed."""
    command = [sys.executable, "-m", "pytest", "-q", "-rA", "-n", "0", "-p", "no:cacheprovider", *args]
    env = {**os.environ, FACTS_FILE_ENV: str(facts_file)}
    env.pop("PYTEST_XDIST_WORKER", None)
    result = subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=1800)
    summary = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else result.stderr
    assert result.returncode == 0, result.stdout[-8000:] + result.stderr[-2000:]
    passed = re.search(r"(\d+) passed", summary)
    assert passed and int(passed[1]) >= least, summary
    return result.stdout


def passed(output: str, test: str) -> bool:
    return re.search(rf"^PASSED \S+::{re.escape(test)}$", output, re.MULTILINE) is not None


def test_render_tests_pass_unchanged_on_a_new_release(tmp_path: Path) -> None:
    facts_file, release = synthetic_facts(tmp_path, harsh=False)
    synthetic = read_facts(facts_file)
    assert synthetic.newest.minor == release.minor and release.new_variant in synthetic.newest.variants
    assert not set(release.dropped_variants) & set(synthetic.newest.variants)

    selection = f"(t{release.minor} and 3os and not ws) or matrix or questionnaire"
    output = run_tests(facts_file, "-k", selection, "tests/test_render.py", "tests/test_questionnaire.py")

    # The matrix grew combinations of the new release and its new variant, and they passed.
    assert passed(output, f"test_each_platform_gets_its_build[single-{release.new_variant}-3os-t{release.minor}]")


def test_non_lock_tests_pass_unchanged_on_a_release_dropping_a_python_and_the_default_variant(
    tmp_path: Path,
) -> None:
    today = read_facts(working_tree_facts())
    facts_file, release = synthetic_facts(tmp_path, harsh=True)
    synthetic = read_facts(facts_file)
    assert release.dropped_python == (today.newest.python[0],)
    assert default_variant(today) in release.dropped_variants
    assert default_variant(synthetic) != default_variant(today)
    assert synthetic.newest.python == today.newest.python[1:]

    # One session: test_render.py narrowed to the release's combinations (`-k` matches the
    # module's name among each test's keywords), the other files whole.
    selection = f"not test_render.py or (t{release.minor} and 3os and not ws)"
    output = run_tests(facts_file, "-k", selection, *NON_LOCK_TESTS, "tests/test_render.py")

    # The update from the newest template release ran against the new facts, each answer set.
    assert len(re.findall(r"^PASSED \S+::test_projects_from_the_newest_release_update_to", output, re.MULTILINE)) >= 3
    assert passed(output, "test_update_renders_with_the_new_versions_facts")
    # New defaults: the release's combinations with today's default variant dropped still render.
    default = default_variant(synthetic)
    assert passed(output, f"test_each_platform_gets_its_build[single-{default}-3os-t{release.minor}]")


NAME = {"project_name": "Next Release"}


def facts_tool(facts_file: Path, *args: str) -> str:
    command = [sys.executable, "-m", "tools.facts", *args, "--facts", str(facts_file)]
    result = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_a_release_goes_from_its_candidate_to_a_lock_with_facts_changes_only(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    today = read_facts(working_tree_facts())
    test, release = next_release_channel(tmp_path)
    candidate = test.newest
    facts_file = tmp_path / "pytorch_facts.toml"
    shutil.copyfile(working_tree_facts(), facts_file)

    # Before the release: the test channel has it, PyPI and the stable indexes do not.
    with ReplicaServer(build_replica(tmp_path / "before", facts=today, test=test, pypi=today)) as server:
        facts_tool(facts_file, "refresh", "--channel", "test", "--index-url", server.base_url)
        [written] = read_facts(facts_file).candidates
        assert written.minor == candidate.minor and release.new_variant not in written.variants
        # The maintainer adds the variant the probes found, with its hand-kept facts; refresh lists it.
        synthetic = tmp_path / NEXT_RELEASE_FACTS
        new_variant = read_facts(synthetic).variants[release.new_variant]
        edit_file(
            facts_file,
            lambda document: document["variants"].add(
                release.new_variant, _variant_table(synthetic, release.new_variant)
            ),
        )
        facts_tool(facts_file, "refresh", "--channel", "test", "--index-url", server.base_url)
    facts = read_facts(facts_file)
    assert facts.candidates[0].variants == candidate.variants and facts.variants[release.new_variant] == new_variant
    assert facts.releases == today.releases
    # Renders (copier's CLI, as users run it) read the refreshed facts.
    monkeypatch.setenv(FACTS_FILE_ENV, str(facts_file))
    status, output = run_copier({**NAME, "torch_min": candidate.minor}, tmp_path / "refused")
    assert status != 0 and f"'{candidate.minor}' is not in" in output, output[-2000:]
    assert not (tmp_path / "refused").exists()
    assert run_copier(NAME, tmp_path / "before-release")[0] == 0
    answers = yaml.safe_load((tmp_path / "before-release" / ".copier-answers.yml").read_text(encoding="utf-8"))
    assert answers["torch_min"] == today.newest.minor

    # Release day: PyPI and the stable indexes publish it as the test channel had it.
    edit_file(synthetic, lambda document: document["releases"][0].update(date=date.today().isoformat()))
    published = read_facts(synthetic)
    with ReplicaServer(build_replica(tmp_path / "after", facts=published, pypi=published)) as server:
        pypi = f"{server.base_url}/{PYPI_STAND_IN}"
        facts_tool(facts_file, "refresh", "--index-url", server.base_url, "--pypi-url", pypi)
    facts = read_facts(facts_file)
    assert not facts.candidates
    assert facts.newest == dataclasses.replace(published.newest, unconfirmed=())
    assert run_copier(NAME, tmp_path / "after-release")[0] == 0
    answers = yaml.safe_load((tmp_path / "after-release" / ".copier-answers.yml").read_text(encoding="utf-8"))
    assert answers["torch_min"] == candidate.minor

    # Its new variant renders and locks (against a replica built from the refreshed facts).
    combination = f"single-{release.new_variant}-linux-t{candidate.minor}"
    output = run_tests(facts_file, "tests/test_lock.py", "-k", combination, least=1)
    assert passed(output, f"test_combination_locks_and_installs_the_right_build[{combination}]")


def _variant_table(facts_file: Path, name: str):
    """A variant's table as the file spells it (tomlkit), to copy into another facts file."""
    return tomlkit.parse(facts_file.read_text(encoding="utf-8"))["variants"][name]
