"""Create the workspace members a project's answers list (run by Copier as a task).

Copier renders one file per template file, but `workspace_members` is a list: this renders
template/_member/ once per member into packages/<member>/. A member that already exists is
left alone, so `copier update` with a longer list adds members and never overwrites edits.

Usage: python workspace_members.py <template/_member directory> <answers file> [copy|update]
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml
from escaping import FILTERS
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from name_checks import module_name
from tool_versions import TOOLS


def render_member(template_dir: Path, project_dir: Path, member: str, answers: dict) -> bool:
    """Render one member into packages/<member>/; False when it already exists."""
    target = project_dir / "packages" / member
    if target.exists():
        return False
    environment = Environment(
        loader=FileSystemLoader(template_dir), undefined=StrictUndefined, keep_trailing_newline=True
    )
    environment.filters.update(FILTERS)
    environment.globals["tools"] = TOOLS
    context = {**answers, "member": member, "member_package": module_name(member)}
    for source in sorted(template_dir.rglob("*.jinja")):
        relative = source.relative_to(template_dir).as_posix()
        destination = target / environment.from_string(relative.removesuffix(".jinja")).render(context)
        destination.parent.mkdir(parents=True, exist_ok=True)
        destination.write_text(environment.get_template(relative).render(context))
    return True


def main(argv: list[str]) -> int:
    template_dir, answers = Path(argv[0]), yaml.safe_load(Path(argv[1]).read_text())
    operation = argv[2] if len(argv) > 2 else "copy"
    for member in answers.get("workspace_members") or []:
        if render_member(template_dir, Path.cwd(), member, answers) and operation == "copy":
            print(f"created packages/{member}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
