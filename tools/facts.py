"""Check and refresh `extensions/pytorch_facts.toml` against the registries themselves.

    uv run python -m tools.facts check   [--index-url URL] [--only pypi|index] [--require-reachable]
    uv run python -m tools.facts refresh [--index-url URL] [--only pypi|index]

`check` prints one line per fact: `confirmed`, `differs` (with what the file and the registry
say) or `unreachable`, then a summary. It exits 1 when a fact differs, and with
`--require-reachable` 3 when a registry could not be read; otherwise 0.

`refresh` rewrites the registry-derived facts that differ (dates, Python minors, platform
tags, PyPI's builds, companion releases, triton pins, the variants each release has, the
index-only Python minors) and drops `unconfirmed` entries the index confirms. It keeps the
hand-kept facts (labels, driver minimums, Docker images, sources) and the file's comments,
and never deletes a release or a variant: removing one would silently reset users' answers
on `copier update --defaults` (CONTRIBUTING.md). A torch minor that PyPI has and the file
lacks is added, filled in from the registries; a variant the probes find is reported, for a
maintainer to add with its hand-kept facts.

Traffic goes to PyPI (the address pip's own default names, or `--pypi-url`) and to the
PyTorch index base given with `--index-url` (default: the facts' `default_index_url`; the
test replica or a company mirror work the same), nowhere else.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path

import tomlkit

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "extensions"))

from pytorch_facts import FACTS_FILE, Facts, read_facts  # noqa: E402

from tools import tool_releases  # noqa: E402
from tools.observations import Fact, observe_index, observe_pypi  # noqa: E402
from tools.simple_index import SimpleIndex  # noqa: E402

STATUS_WIDTH = len("unreachable")
# refresh repeats until nothing changes: a release it adds is filled in by the next pass.
MAX_PASSES = 3


def pypi_simple_url() -> str:
    """PyPI's simple API as pip knows it (so no address is written here)."""
    from pip._internal.models.index import PyPI

    return PyPI.simple_url


def observe(facts: Facts, index_url: str, pypi_url: str | None, only: str | None) -> list[Fact]:
    found: list[Fact] = []
    if only in (None, "pypi"):
        found += observe_pypi(SimpleIndex(pypi_url or pypi_simple_url()), facts)
    if only in (None, "index"):
        found += observe_index(index_url, facts)
    return found


def format_fact(fact: Fact) -> str:
    status = fact.status
    line = f"{status:<{STATUS_WIDTH}}  {fact.label} ({fact.registry})"
    if status == "confirmed":
        return f"{line}: {_show(fact.observed)}"
    if status == "differs":
        return f"{line}: file says {_show(fact.expected)}, registry says {_show(fact.observed)} [{fact.evidence}]"
    return f"{line}: {fact.observed}"


def summary(found: list[Fact]) -> str:
    counts = {status: sum(f.status == status for f in found) for status in ("confirmed", "differs", "unreachable")}
    return ", ".join(f"{count} {status}" for status, count in counts.items())


def check(facts: Facts, found: list[Fact], require_reachable: bool) -> int:
    for fact in found:
        print(format_fact(fact))
    print(summary(found))
    if any(f.status == "differs" for f in found):
        return 1
    if require_reachable and any(f.status == "unreachable" for f in found):
        return 3
    return 0


# --- refresh -------------------------------------------------------------------------------


def refresh(path: Path, index_url: str, pypi_url: str | None, only: str | None) -> list[Fact]:
    """Rewrite `path` until the registries and the file agree on every rewritable fact;
    returns the facts changed."""
    changed: list[Fact] = []
    for _ in range(MAX_PASSES):
        facts = read_facts(path)
        found = observe(facts, index_url, pypi_url, only)
        document = tomlkit.parse(path.read_text(encoding="utf-8"))
        applied = [fact for fact in found if fact.outdated and fact.path and _apply(document, fact)]
        pruned = _prune_unconfirmed(document, found)
        if not applied and not pruned:
            break
        changed += applied
        _record_source(document, index_url, only)
        path.write_text(tomlkit.dumps(document), encoding="utf-8")
    return changed


def _apply(document, fact: Fact) -> bool:
    """Write one fact into the document; False when there is nothing to write."""
    kind, key, *rest = fact.path
    if kind == "releases" and not rest:
        return _add_release(document, str(fact.observed))
    table = _release_table(document, key) if kind == "releases" else document[kind][key]
    if table is None:
        return False
    *parents, name = rest
    for parent in parents:
        table = table[parent]
    value = fact.new_value
    if fact.merge == "union":
        current = list(table.get(name, []))
        value = current + [item for item in value if item not in current]
        if value == current:
            return False
    if value in (None, ""):
        return False  # never delete
    if isinstance(value, dict):
        inline = tomlkit.inline_table()
        inline.update(value)
        value = inline
    table[name] = value
    return True


def _add_release(document, torch: str) -> bool:
    """A skeleton release for a torch minor PyPI has: the next pass fills it in."""
    release = tomlkit.table()
    release.update(
        torch=torch,
        date="",
        python=[],
        torchvision="",
        torchaudio="",
        triton="",
        variants=[],
        pypi=tomlkit.inline_table(),
        macos_arm64_tag="",
        unconfirmed=["variants"],
        source=["registry"],
    )
    releases = document["releases"]
    releases.insert(0, release)  # newest first
    return True


def _release_table(document, minor: str):
    for table in document["releases"]:
        if ".".join(str(table["torch"]).split(".")[:2]) == minor:
            return table
    return None


def _prune_unconfirmed(document, found: list[Fact]) -> bool:
    """Drop a release's `unconfirmed` entries that the registries now confirm (every fact that
    settles the entry was read and agrees)."""
    settled: dict[tuple[str, str], list[Fact]] = {}
    for fact in found:
        if fact.settles:
            settled.setdefault(fact.settles, []).append(fact)
    pruned = False
    for table in document["releases"]:
        minor = ".".join(str(table["torch"]).split(".")[:2])
        current = [str(name) for name in table.get("unconfirmed", [])]
        keep = [name for name in current if not _settled(settled.get((minor, name), []))]
        if keep != current:
            table["unconfirmed"] = keep
            pruned = True
    return pruned


def _settled(evidence: list[Fact]) -> bool:
    return bool(evidence) and all(f.status == "confirmed" and f.observed for f in evidence)


def _record_source(document, index_url: str, only: str | None) -> None:
    read = {None: f"PyPI and {index_url}", "pypi": "PyPI", "index": index_url}[only]
    document["sources"]["registry"] = (
        f"read from the registries by `python -m tools.facts refresh` on {date.today().isoformat()} ({read}:"
        " simple API pages, wheel METADATA through PEP 658 or HTTP range requests, never whole wheels)"
    )


def _show(value: object) -> str:
    if isinstance(value, list):
        return ", ".join(map(str, value)) or "none"
    if isinstance(value, dict):
        return ", ".join(f"{k}={v}" for k, v in value.items()) or "none"
    if value in (None, ""):
        return "absent"
    return str(value)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tools.facts", description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=["check", "refresh"])
    parser.add_argument("--facts", type=Path, default=FACTS_FILE, help="the facts file (default: %(default)s)")
    parser.add_argument("--index-url", help="base of the PyTorch indexes (default: the facts' default_index_url)")
    parser.add_argument("--pypi-url", help="PyPI's simple API (default: the address pip uses)")
    parser.add_argument("--only", choices=["pypi", "index"], help="read one registry only")
    parser.add_argument("--require-reachable", action="store_true", help="check: exit 3 when a registry cannot be read")
    parser.add_argument("--tool-versions", type=Path, default=tool_releases.TOOL_VERSIONS, help="tool_versions.py")
    args = parser.parse_args(argv)
    facts = read_facts(args.facts)
    index_url = (args.index_url or facts.default_index_url).rstrip("/")
    # The tools generated projects pin, against PyPI (tools/tool_releases.py).
    pypi = SimpleIndex(args.pypi_url or pypi_simple_url()) if args.only != "index" else None
    if args.command == "check":
        tools = tool_releases.observe(pypi, args.tool_versions) if pypi else []
        return check(facts, observe(facts, index_url, args.pypi_url, args.only) + tools, args.require_reachable)
    changed = refresh(args.facts, index_url, args.pypi_url, args.only)
    changed += tool_releases.refresh(pypi, args.tool_versions) if pypi else []
    for fact in changed:
        print(f"updated  {fact.label} ({fact.registry}): {_show(fact.expected)} -> {_show(fact.new_value)}")
    print(f"{len(changed)} facts updated in {args.facts}{f' and {args.tool_versions}' if pypi else ''}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
