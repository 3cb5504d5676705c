"""Free-text answers cannot break the files they land in (consistency: the template against
the parsers of each file type).

project_name, description and the author are rendered with quotes, backslashes, `\"\"\"`,
Jinja delimiters, Markdown syntax and non-ASCII text, ending in a quote or a backslash, in
every layout and every accelerator strategy, with every optional file and a licence with its
text. Every rendered `*.toml` must parse with tomllib and give the text back unchanged (and
every pyproject.toml pass validate-pyproject), every `*.yml`/`*.yaml` with PyYAML, every `*.py`
with ast and ruff, and LICENSE must name the author.
"""

from __future__ import annotations

import ast
import itertools
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
import yaml
from validators import pyproject_errors

HOSTILE = [
    {
        "project_name": 'Ünïcode "Net" \\ """ {{ x }} {% if %} # *a* end"',
        "description": 'Says "hi" \\n \'\'\' """ {{ y }} {%- raw %} [link](x) <b> | `code` ends in \\',
        "author_name": 'Zoë "Z" O\'Brien \\',
        "author_email": 'z"o\\@example.org',
        "license": "MIT",
    },
    {
        "project_name": "Trailing backslash {{ x }} \\",
        "description": '1. a list? # and a "quote"',
        "author_name": 'Ends in a quote"',
        "author_email": "",
        "license": "Apache-2.0",
    },
]
LAYOUTS = ["project", "workspace", "virtual-workspace"]
STRATEGIES = ["pypi", "single", "per-platform", "extras"]
CASES = [
    pytest.param(layout, strategy, HOSTILE[i % 2], "github" if i % 2 else "gitlab", id=f"{layout}-{strategy}")
    for i, (layout, strategy) in enumerate(itertools.product(LAYOUTS, STRATEGIES))
]


def files(project: Path, *suffixes: str) -> list[Path]:
    return sorted(p for p in project.rglob("*") if p.is_file() and p.suffix in suffixes and ".git" not in p.parts)


@pytest.mark.parametrize(("layout", "strategy", "text", "ci"), CASES)
def test_free_text_renders_valid_files(render, layout: str, strategy: str, text: dict, ci: str) -> None:
    answers = {
        **text,
        "layout": layout,
        "workspace_members": ["core", "train"],
        "accelerator_strategy": strategy,
        "ci": ci,
        "docker": True,
        "pre_commit": True,
    }
    project = render(answers)

    tomls = {
        p.relative_to(project).as_posix(): tomllib.loads(p.read_text(encoding="utf-8")) for p in files(project, ".toml")
    }
    for path in files(project, ".yml", ".yaml"):
        yaml.safe_load(path.read_text(encoding="utf-8"))
    for path in files(project, ".py"):
        ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for check in (["check"], ["format", "--check"]):
        ruff = subprocess.run(
            [sys.executable, "-m", "ruff", *check, "--no-cache", "."], cwd=project, capture_output=True, text=True
        )
        assert ruff.returncode == 0, f"ruff {' '.join(check)}:\n{ruff.stdout}{ruff.stderr}"

    # The text comes back unchanged from every file that holds it.
    name = text["project_name"]
    for member in answers["workspace_members"] if layout != "project" else []:
        project_table = tomls[f"packages/{member}/pyproject.toml"]["project"]
        assert project_table["description"] == f"The {member} member of {name}"
        init = project / "packages" / member / "src" / member / "__init__.py"
        assert ast.get_docstring(ast.parse(init.read_text(encoding="utf-8"))) == f"The {member} member of {name}."
    if layout == "virtual-workspace":
        assert name in tomls["packages/pin-pytorch/pyproject.toml"]["project"]["description"]
    else:
        root = tomls["pyproject.toml"]["project"]
        assert root["description"] == text["description"]
        author = {k: v for k, v in (("name", text["author_name"]), ("email", text["author_email"])) if v}
        assert root["authors"] == [author]
        package = yaml.safe_load((project / ".copier-answers.yml").read_text(encoding="utf-8"))["package_name"]
        init = (project / "src" / package / "__init__.py").read_text(encoding="utf-8")
        assert ast.get_docstring(ast.parse(init)) == text["description"]
    # The licence names the author on its copyright line, and every [project] table the licence;
    # validate-pyproject accepts the files (PEP 621 metadata, PEP 639's licence expression).
    holder = " ".join(text["author_name"].split())
    assert f" {holder}\n" in (project / "LICENSE").read_text(encoding="utf-8")
    tables = {path: data["project"] for path, data in tomls.items() if "project" in data}
    assert {table["license"] for table in tables.values()} == {text["license"]}, tables
    assert not (errors := pyproject_errors(*(project / path for path in tables))), errors
