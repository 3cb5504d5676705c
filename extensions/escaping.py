"""Jinja filters that make free text (project_name, description, author_*) safe where it lands.

Answers are never trusted to be plain: each filter turns any text into valid syntax for one
kind of file. Registered by jinja_extension.py in copier's environment.
"""

from __future__ import annotations

import json
import re
import textwrap

_TOML_ESCAPES = {'"': '\\"', "\\": "\\\\", "\b": "\\b", "\t": "\\t", "\n": "\\n", "\f": "\\f", "\r": "\\r"}
# Inline Markdown syntax; block syntax only matters at the start of the text.
_MARKDOWN_INLINE = re.compile(r"([\\`*_\[\]<>|])")
_MARKDOWN_BLOCK = re.compile(r"^(\d*)([#>]|[-+=](?=\s|$)|(?<=\d)[.)])")


def one_line(value: object) -> str:
    """Whitespace runs, line breaks included, as single spaces."""
    return " ".join(str(value).split())


def toml_string(value: object) -> str:
    """A TOML basic string, quotes included."""
    escaped = (
        _TOML_ESCAPES.get(c) or (f"\\u{ord(c):04X}" if ord(c) < 0x20 or ord(c) == 0x7F else c) for c in str(value)
    )
    return '"' + "".join(escaped) + '"'


def docstring(value: object, width: int = 100) -> str:
    """A Python docstring literal, quotes included: one line when it fits, else wrapped."""
    text = one_line(value).replace("\\", "\\\\").replace('"', '\\"')
    if len(text) + 6 <= width:
        return f'"""{text}"""'
    lines = textwrap.wrap(text, width - 3, break_long_words=False, break_on_hyphens=False)
    return '"""' + "\n".join(lines) + '\n"""'


def py_literal(value: object) -> str:
    """A Python literal as ruff format writes it: strings in double quotes, tuples on one line."""
    if isinstance(value, (tuple, list)):
        items = [py_literal(item) for item in value]
        return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"
    return json.dumps(value, ensure_ascii=False) if isinstance(value, str) else repr(value)


def comment(value: object) -> str:
    """Text for a `#` comment (TOML, YAML, Dockerfile, shell): one line."""
    return one_line(value)


_CODE_SPAN = re.compile(r"`[^`]*`")
_KEPT_SPACE = "\0"


def comment_block(value: object, width: int = 100) -> str:
    """Text as `# ` comment lines of at most `width` characters, never breaking a `code` span."""
    text = _CODE_SPAN.sub(lambda span: span[0].replace(" ", _KEPT_SPACE), one_line(value))
    lines = textwrap.wrap(text, width - 2, break_long_words=False, break_on_hyphens=False)
    return "\n".join(f"# {line}".replace(_KEPT_SPACE, " ") for line in lines)


def markdown(value: object) -> str:
    """Literal text in Markdown: one line, no emphasis, links, HTML, tables or block syntax."""
    text = _MARKDOWN_INLINE.sub(r"\\\1", one_line(value))
    return _MARKDOWN_BLOCK.sub(r"\1\\\2", text)


FILTERS = {
    "toml_string": toml_string,
    "docstring": docstring,
    "py_literal": py_literal,
    "comment": comment,
    "comment_block": comment_block,
    "markdown": markdown,
}
