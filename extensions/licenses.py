"""The `license` answer: an SPDX licence expression for PEP 639's `license` key, and the LICENSE
file the template writes for it.

The template ships the full text of MIT, Apache-2.0 and BSD-3-Clause (template/_licenses/), with
the copyright line filled in. Any other expression gets no invented text: the generated README
says to add it. `LicenseRef-Proprietary`, the default, is closed source: no licence text, all
rights kept until the authors choose a licence (a template cannot choose one for them, and a
release under an open licence cannot be taken back).
"""

from __future__ import annotations

import datetime

PROPRIETARY = "LicenseRef-Proprietary"
# The expressions whose full text template/_licenses/<name>.jinja holds.
TEXTS = ("MIT", "Apache-2.0", "BSD-3-Clause")
EXAMPLES = f"MIT, Apache-2.0, BSD-3-Clause, 'MIT OR Apache-2.0', {PROPRIETARY}"


def canonical(answer: str) -> str:
    """The expression as PEP 639 wants it written (`mit` -> `MIT`); raises ValueError if invalid."""
    try:
        from packaging.licenses import canonicalize_license_expression
    except ImportError as error:  # packaging < 24.2
        raise ValueError(f"checking it needs packaging 24.2 or newer ({error})") from error
    return canonicalize_license_expression(answer)


def license_problem(answer: str | None) -> str:
    """Why `answer` cannot be the `license` key: not an SPDX expression, or not written the way
    PEP 639 stores it (the answer is printed as given, in every pyproject.toml)."""
    try:
        expression = canonical(answer or "")
    except ValueError as error:
        return f"license: {answer!r} is not an SPDX licence expression ({error}); give one such as {EXAMPLES}"
    if expression != answer:
        return f"license: write {answer!r} as {expression!r}, the form PEP 639 stores"
    return ""


def text_of(answer: str) -> str | None:
    """The name of the full text the LICENSE file gets, None for none (proprietary or not shipped)."""
    return answer if answer in TEXTS else None


def copyright_holder(author_name: str, project_name: str) -> str:
    """Who the copyright line names: the author, else the project's authors; on one line."""
    holder = " ".join((author_name or "").split())
    return holder or f"The {' '.join(project_name.split())} authors"


def year() -> int:
    return datetime.date.today().year
