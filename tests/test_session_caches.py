"""The session's caches (tests/session_caches.py) give what the libraries themselves give.

Consistency, not truth: each patched call is compared with the library's own function on the
template's real inputs (every string in copier.yml, its template files) and on the edge cases
Jinja's lexer and wheel file names treat specially."""

from __future__ import annotations

from pathlib import Path

import copier._template
import jinja2
import packaging.pylock
import packaging.utils
import pytest
import yaml
from copier._main import Worker
from copier._user_data import Question
from helpers import template_source
from session_caches import holds_no_jinja
from template_versions import git

EDGE_CASES = [
    "plain",
    "",
    "ends with a newline\n",
    "windows\r\nnewlines",
    "a {{ variable }}",
    "a {% if true %}tag{% endif %}",
    "a {# comment #}",
    "braces { } and % signs",
    "{{",
    "ünïcode \\ 'quotes\"",
]


def strings_in(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [text for item in [*value, *value.values()] for text in strings_in(item)]
    if isinstance(value, list):
        return [text for item in value for text in strings_in(item)]
    return []


@pytest.fixture(scope="module")
def worker(tmp_path_factory: pytest.TempPathFactory) -> Worker:
    return Worker(src_path=template_source(), dst_path=tmp_path_factory.mktemp("dst"), unsafe=True, defaults=True)


@pytest.fixture(scope="module")
def copier_yml_strings() -> list[str]:
    return strings_in(yaml.safe_load((Path(template_source()) / "copier.yml").read_text()))


def test_plain_text_is_what_jinja_renders(worker: Worker, copier_yml_strings: list[str]) -> None:
    environment = worker.jinja_env
    plain = [text for text in [*copier_yml_strings, *EDGE_CASES] if holds_no_jinja(environment, text)]
    assert len(plain) > 100, "copier.yml should hold many plain strings"
    for text in plain:
        assert environment.from_string(text).render() == text, repr(text)


def test_jinja_is_still_rendered(worker: Worker) -> None:
    environment = worker.jinja_env
    for text in ["a {{ variable }}", "a {% if true %}tag{% endif %}", "a {# comment #}", "x\r\ny"]:
        assert not holds_no_jinja(environment, text), repr(text)


@pytest.mark.parametrize(
    "settings", [{"newline_sequence": "\r\n"}, {"keep_trailing_newline": False}, {"line_statement_prefix": "%"}]
)
def test_plain_text_follows_the_environments_syntax(settings: dict) -> None:
    environment = jinja2.Environment(**settings)
    for text in [*EDGE_CASES, "two\nlines", "% not a statement here"]:
        if holds_no_jinja(environment, text):
            assert environment.from_string(text).render() == text, (settings, text)


def test_render_value_is_copiers(worker: Worker, copier_yml_strings: list[str]) -> None:
    question = Question(
        var_name="probe",
        answers=worker.answers,
        settings=worker.settings,
        jinja_env=worker.jinja_env,
        context={"variable": "v"},
    )
    original = Question.render_value.__wrapped__
    for value in [*copier_yml_strings, *EDGE_CASES, ["a list", "{{ variable }}"], 3, None]:
        try:
            expected = original(question, value)
        except Exception as error:  # the patched call must fail the same way
            with pytest.raises(type(error)):
                question.render_value(value)
        else:
            assert question.render_value(value) == expected, repr(value)


def test_template_config_is_copiers_and_a_fresh_copy() -> None:
    config_file = Path(template_source()) / "copier.yml"
    expected = copier._template.load_template_config.__wrapped__(config_file)
    first = copier._template.load_template_config(config_file)
    assert first == expected
    first.clear()
    assert copier._template.load_template_config(config_file) == expected


def test_compiled_code_is_jinjas_under_each_files_own_name(worker: Worker) -> None:
    environment = worker.jinja_env
    original = jinja2.Environment.compile.__wrapped__
    for template in sorted((Path(template_source()) / "template").rglob("*.jinja"))[:20]:
        source = template.read_text()
        for where in ("/one/clone", "/another/clone"):
            filename = f"{where}/{template.name}"
            assert environment.compile(source, template.name, filename, raw=True) == original(
                environment, source, template.name, filename, raw=True
            ), template
            assert environment.compile(source, template.name, filename).co_filename == filename


WHEELS = [
    "torch-2.0.0+cpu-cp311-cp311-linux_x86_64.whl",
    "numpy-2.0.0-cp313-cp313t-manylinux_2_27_x86_64.manylinux_2_28_x86_64.whl",
    "example-1.0-1build-py3-none-any.whl",
    "example-1.0-py2.py3-none-macosx_11_0_arm64.macosx_10_9_x86_64.whl",
]


def test_wheel_file_names_parse_as_packaging_parses_them() -> None:
    for filename in WHEELS * 2:  # the second round from the cache
        assert packaging.pylock.parse_wheel_filename(filename) == packaging.utils.parse_wheel_filename(filename)
    for invalid in ("not-a-wheel.zip", "example-1.0.whl"):
        with pytest.raises(packaging.utils.InvalidWheelFilename):
            packaging.utils.parse_wheel_filename(invalid)
        with pytest.raises(packaging.utils.InvalidWheelFilename):
            packaging.pylock.parse_wheel_filename(invalid)


@pytest.mark.parametrize("file_mode", ["false", "true", None])
def test_git_index_mode_is_synced_as_copier_syncs_it(tmp_path: Path, file_mode: str | None) -> None:
    """Patched and original, each on its own copy of the same repository: same index modes."""
    original = Worker._sync_git_index_executable_bit.__wrapped__
    modes = {}
    for name, sync in (("patched", Worker._sync_git_index_executable_bit), ("original", original)):
        repo = tmp_path / name
        repo.mkdir()
        (repo / "run.sh").write_text("echo\n")
        if file_mode is not None:
            git(repo, "init", "-q")
            git(repo, "config", "core.fileMode", file_mode)
            git(repo, "add", "run.sh")
        worker = Worker(src_path=template_source(), dst_path=repo, unsafe=True, defaults=True)
        for _ in range(2):  # the second call from the patched method's kept answer
            sync(worker, Path("run.sh"), 0o100755)
        modes[name] = git(repo, "ls-files", "--stage") if file_mode is not None else ""
    assert modes["patched"] == modes["original"]
    if file_mode == "false":
        assert modes["patched"].startswith("100755")
