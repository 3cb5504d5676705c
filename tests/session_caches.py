"""Work third-party code repeats in every call of a test session, done once per session.

The suite renders the template about 600 times in each worker. Copier builds every render
from scratch: it parses copier.yml again, builds a new Jinja environment and compiles every
question, default and file again, and renders hundreds of strings that hold no Jinja at all.
The lock tests then select what each platform installs from ~1,000 pylock.toml exports, and
`packaging.pylock` parses every wheel's file name again on each selection (~100 per package).
Each patch here returns what the library's own code returns for the same input
(tests/test_session_caches.py compares them); it only skips the repetition. Installed by
conftest.py in every test process; copier run in a new interpreter (`python -m copier`, the
generated READMEs' commands) stays unpatched, so those runs still cover copier as users run it.
"""

from __future__ import annotations

import copy
import functools
import hashlib
import inspect
from collections.abc import Callable
from pathlib import Path

# What Jinja's lexer depends on (jinja2.lexer.get_lexer keys its cache on the same settings).
SYNTAX = (
    "block_start_string",
    "block_end_string",
    "variable_start_string",
    "variable_end_string",
    "comment_start_string",
    "comment_end_string",
    "line_statement_prefix",
    "line_comment_prefix",
    "trim_blocks",
    "lstrip_blocks",
    "newline_sequence",
    "keep_trailing_newline",
)


def install() -> None:
    cache_jinja_compilation()
    skip_rendering_plain_text()
    cache_template_config()
    ask_git_file_mode_once_per_render()
    cache_wheel_filename_parsing()


def replace(owner: object, name: str, make: Callable[[Callable], Callable]) -> None:
    """Put `make(original)` in place of `owner.name`, once per process (conftest.py installs
    the caches in each process, nested sessions included); it keeps the original's name and
    docstring, and the original as `__wrapped__` (the tests call it)."""
    original = getattr(owner, name)
    if getattr(original, "patched_by_tests", False):
        return
    replacement = functools.wraps(original)(make(original))
    replacement.patched_by_tests = True
    setattr(owner, name, replacement)


def cache_jinja_compilation() -> None:
    """Reuse compiled Jinja code across the renders of this process.

    Copier builds a new Jinja environment for every render and compiles each template string
    again (about 650 per project: questions, defaults, validators, files), half of a render's
    CPU time. Jinja's Python code for a source depends only on the source and the environment's
    syntax, extensions (by their code), filters and tests, which are the key here (Jinja's
    bytecode cache reuses code across environments the same way); globals and answers are
    looked up when rendering. The file name only labels the code (tracebacks,
    `Template.filename`), so the generated Python is shared by the same file in another place
    (`copier update` renders each template version from a new clone, extensions included) and
    compiled again under that file's own name.
    The template's own cache (extensions/compile_cache.py) works within one environment, i.e.
    one copier run; this one also across the renders of a test session.
    """
    import jinja2

    generated: dict[tuple, str] = {}
    compiled: dict[tuple, object] = {}

    @functools.cache
    def code_of(cls: type) -> tuple:
        """What defines how an extension class compiles: its and its bases' source files, by
        content (the template's extensions load from each clone's own path)."""
        files = []
        for base in cls.__mro__:
            try:
                files.append(Path(inspect.getfile(base)).read_bytes())
            except (TypeError, OSError):
                files.append(base.__qualname__.encode())
        return (cls.__qualname__, hashlib.sha256(b"\0".join(files)).hexdigest())

    def extension_ids(environment: jinja2.Environment) -> tuple:
        return tuple(code_of(type(e)) for e in environment.extensions.values())

    def cached(original: Callable) -> Callable:
        def compile(self, source, name=None, filename=None, raw=False, defer_init=False):
            if not isinstance(source, str):
                return original(self, source, name, filename, raw, defer_init)
            autoescape = self.autoescape(name) if callable(self.autoescape) else self.autoescape
            key = (
                type(self),
                source,
                name,
                defer_init,
                *(getattr(self, setting) for setting in SYNTAX),
                self.optimized,
                self.is_async,
                self.finalize is not None,
                autoescape,
                extension_ids(self),
                tuple(sorted(self.filters)),
                tuple(sorted(self.tests)),
            )
            if key not in generated:
                generated[key] = original(self, source, name, filename, True, defer_init)
            else:
                # As compiling would: the extensions' preprocess hooks run (copier's `yield` tag
                # resets its state there; extensions/compile_cache.py does the same).
                self.preprocess(source, name, filename)
            if raw:
                return generated[key]
            if (key, filename) not in compiled:
                compiled[key, filename] = self._compile(generated[key], filename or "<template>")
            return compiled[key, filename]

        return compile

    replace(jinja2.Environment, "compile", cached)


def holds_no_jinja(environment, text: str) -> bool:
    """Whether rendering `text` in `environment` gives `text` back unchanged: no tag,
    variable, comment or line-statement start, and nothing Jinja's lexer rewrites (newlines,
    a trailing newline it would drop). Question texts, help and most choices are such text."""
    markers = [
        environment.block_start_string,
        environment.variable_start_string,
        environment.comment_start_string,
        environment.line_statement_prefix,
        environment.line_comment_prefix,
        "\r",
    ]
    if any(marker and marker in text for marker in markers):
        return False
    if "\n" in text and environment.newline_sequence != "\n":
        return False  # Jinja writes each newline as the environment's newline sequence
    return environment.keep_trailing_newline or not text.endswith("\n")


def skip_rendering_plain_text() -> None:
    """Return plain text from `Question.render_value` without a Jinja round trip.

    Copier renders every question attribute (text, help, each choice, each validator) once
    per question asked; most hold no Jinja, yet each render copies the whole answers context
    and builds a new Jinja context: a third of a render's CPU time.
    """
    from copier._user_data import Question

    def plain_text_as_it_is(original: Callable) -> Callable:
        def render_value(self, value, extra_answers=None):
            if isinstance(value, str) and holds_no_jinja(self.jinja_env, value):
                return value
            return original(self, value, extra_answers)

        return render_value

    replace(Question, "render_value", plain_text_as_it_is)


def cache_template_config() -> None:
    """Parse each copier.yml once per process, not once per render.

    Copier's YAML loader is PyYAML's pure-Python one: 15 ms per parse, several per render and
    per template clone of a `copier update`. Keyed by the file's bytes alone (the result
    depends on nothing else), so an edited copier.yml (test_update.py commits template
    versions) is parsed again; files with `!include` are never cached, as their result
    depends on other files.
    """
    import copier._template

    parsed: dict[tuple, object] = {}

    def by_content(original: Callable) -> Callable:
        def load_template_config(conf_path: Path, quiet: bool = False):
            content = Path(conf_path).read_bytes()
            if b"!include" in content:
                return original(conf_path, quiet)
            key = (content, quiet)  # the same file in each clone of a template version
            if key not in parsed:
                parsed[key] = original(conf_path, quiet)
            return copy.deepcopy(parsed[key])

        return load_template_config

    replace(copier._template, "load_template_config", by_content)


def ask_git_file_mode_once_per_render() -> None:
    """Ask git for the destination's `core.fileMode` once per render, not once per file.

    After writing each file, copier runs `git config --type=bool --get core.fileMode` in the
    destination and acts only when it says `false` (git then ignores on-disk modes): about
    20 git processes per render, as much CPU as the render itself. The setting cannot change
    while copier renders (a render writes no git config), so the answer is kept per render
    (per `Worker`) and the original method runs whenever it is `false`, asking git again.
    """
    from copier._main import Worker
    from copier._vcs import get_git
    from plumbum import ProcessExecutionError

    def asking_once(original: Callable) -> Callable:
        def sync_git_index_executable_bit(self, dst_relpath, src_mode):
            root = self.subproject.local_abspath
            answers = self.__dict__.setdefault("_file_mode_by_root", {})
            if root not in answers:
                try:
                    answers[root] = get_git(context_dir=root)("config", "--type=bool", "--get", "core.fileMode").strip()
                except ProcessExecutionError:
                    answers[root] = None  # not a git repository, or unset: copier returns
            if answers[root] == "false":
                original(self, dst_relpath, src_mode)

        return sync_git_index_executable_bit

    replace(Worker, "_sync_git_index_executable_bit", asking_once)


def cache_wheel_filename_parsing() -> None:
    """Parse each wheel file name once: `Pylock.select` parses every wheel of every package
    for each environment it selects for (the lock tests: ~380,000 parses of a few thousand
    names). The result is immutable (name, version, build tag, frozenset of tags)."""
    import packaging.pylock

    replace(packaging.pylock, "parse_wheel_filename", functools.cache)
