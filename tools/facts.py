"""Check and refresh `extensions/pytorch_facts.toml` against the registries themselves.

    uv run python -m tools.facts check   [--channel stable|test] [--index-url URL] [--only pypi|index]
                                         [--require-reachable]
    uv run python -m tools.facts refresh [--channel stable|test] [--index-url URL] [--only pypi|index]

`check` prints one line per fact: `confirmed`, `differs` (with what the file and the registry
say) or `unreachable`, then a summary. It exits 1 when a fact differs, and with
`--require-reachable` 3 when a registry could not be read; otherwise 0.

`refresh` rewrites the registry-derived facts that differ (dates, Python minors, platform
tags, PyPI's builds, companion releases, triton pins, the variants each release has, the
index-only Python minors) and drops `unconfirmed` entries the index confirms. It keeps the
hand-kept facts (labels, driver minimums, Docker images, sources) and the file's comments,
and never deletes a release or a variant: removing one would silently reset users' answers
on `copier update --defaults` (CONTRIBUTING.md). A torch minor that PyPI has and the file
lacks is added whole in one pass, from PyPI and the stable indexes; a variant the probes find
is reported, for a maintainer to add with its hand-kept facts.

`--channel test` reads the release-candidate channel (`<base>/test/<variant>/`) instead: the
next torch minor, before PyPI has it. `refresh --channel test` writes it as a release with
`candidate = true`, which the questions never offer; once PyPI has the minor, the default
channel's `refresh` fills in PyPI's facts and drops the mark.

Traffic goes to PyPI (the address pip's own default names, or `--pypi-url`) and to the
PyTorch index base given with `--index-url` (default: the facts' `default_index_url`; the
test replica or a company mirror work the same), nowhere else.
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path

import tomlkit

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "extensions"))

from pytorch_facts import FACTS_FILE, Facts, read_facts  # noqa: E402

from tools import tool_releases  # noqa: E402
from tools.observations import (  # noqa: E402
    Fact,
    filled,
    observe_index,
    observe_pypi,
    observe_test_channel,
    published_releases,
)
from tools.simple_index import SimpleIndex  # noqa: E402

CHANNELS = {
    "stable": "PyPI and the release indexes <base>/<variant>/ (the default)",
    "test": "the release-candidate channel <base>/test/<variant>/: the next torch release before PyPI has it",
}
# The fields of a release refresh adds, in the file's order (`candidate` where it applies).
RELEASE_FIELDS = ("torch", "date", "python", "index_python", "torchvision", "torchaudio", "triton", "variants")
RELEASE_FIELDS += ("pypi", "macos_arm64_tag", "candidate", "unconfirmed", "source")

STATUS_WIDTH = len("unreachable")
# refresh repeats until nothing changes: a release it adds is filled in by the next pass.
MAX_PASSES = 3


def pypi_simple_url() -> str:
    """PyPI's simple API as pip knows it (so no address is written here)."""
    from pip._internal.models.index import PyPI

    return PyPI.simple_url


def observe(
    facts: Facts, index_url: str, pypi_url: str | None, only: str | None, channel: str = "stable"
) -> list[Fact]:
    if channel == "test":
        return list(observe_test_channel(index_url, facts))
    found: list[Fact] = []
    if only in (None, "pypi"):
        pypi = SimpleIndex(pypi_url or pypi_simple_url())
        found += observe_pypi(pypi, facts)
        # The minors PyPI adds or promotes, as PyPI fills them: the index reads them in this pass.
        added = [filled(release, found) for release in published_releases(pypi, facts)]
        facts = dataclasses.replace(facts, releases=(*added, *facts.releases))
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


def refresh(path: Path, index_url: str, pypi_url: str | None, only: str | None, channel: str = "stable") -> list[Fact]:
    """Rewrite `path` with what the registries say on every rewritable fact; returns the facts
    changed. One pass writes everything, a release being added included; a second one, which
    changes nothing where the registries answer consistently, confirms it."""
    changed: list[Fact] = []
    for _ in range(MAX_PASSES):
        facts = read_facts(path)
        found = observe(facts, index_url, pypi_url, only, channel)
        document = tomlkit.parse(path.read_text(encoding="utf-8"))
        added: list[str] = []
        applied = [fact for fact in found if fact.outdated and fact.path and _apply(document, fact, added)]
        pruned = _prune_unconfirmed(document, found, applied)
        for minor in added:
            _mark_unread(_release_table(document, minor))
        if not applied and not pruned:
            break
        changed += applied
        _record_source(document, index_url, only, channel)
        path.write_text(tomlkit.dumps(document), encoding="utf-8")
    return changed


def _apply(document, fact: Fact, added: list[str]) -> bool:
    """Write one fact into the document; False when there is nothing to write. A release
    added is recorded in `added`."""
    kind, key, *rest = fact.path
    if kind == "releases" and not rest:
        added.append(key)
        return _add_release(document, fact.rewrite or {"torch": str(fact.observed), "source": ["registry"]})
    table = _release_table(document, key) if kind == "releases" else document[kind][key]
    if table is None:
        return False
    *parents, name = rest
    for parent in parents:
        table = table[parent]
    value = fact.new_value
    if name == "candidate" and not value:  # PyPI published it: offered from now on
        table.pop(name, None)
        if "registry" not in table.get("source", []):
            table["source"].append("registry")
        return True
    if fact.merge == "union":
        current = list(table.get(name, []))
        value = current + [item for item in value if item not in current]
        if value == current:
            return False
    if value in (None, ""):
        return False  # never delete
    table[name] = _inline(value) if isinstance(value, dict) else value
    return True


def _inline(mapping: dict):
    """An inline table spelled as the file spells them: `{ key = "value", ... }`."""
    pairs = ", ".join(f"{key} = {tomlkit.item(value).as_string()}" for key, value in mapping.items())
    return tomlkit.parse(f"t = {{ {pairs} }}" if pairs else "t = {}")["t"]


def _add_release(document, values: dict) -> bool:
    """An empty release with `values`, newest first: the facts that follow in the same pass
    fill it in (`_mark_unread` then lists what they could not)."""
    empty = {"date": "", "python": [], "index_python": [], "torchvision": "", "torchaudio": "", "triton": ""}
    empty.update(variants=[], pypi={}, macos_arm64_tag="", unconfirmed=[])
    fields = {**empty, **values}
    release = tomlkit.table()
    for name in (f for f in RELEASE_FIELDS if f in fields):
        release[name] = _inline(fields[name]) if isinstance(fields[name], dict) else fields[name]
    release.add(tomlkit.nl())
    document["releases"].insert(0, release)
    return True


def _mark_unread(table) -> None:
    """A release just added: what no registry filled in is listed unconfirmed (the date, PyPI's
    builds before PyPI has the release), an index-only minors list nothing filled is dropped."""
    if not table.get("index_python"):
        table.pop("index_python", None)
    unread = [name for name in RELEASE_FIELDS if name in table and table[name] in ("", [], {})]
    current = [str(name) for name in table["unconfirmed"]]
    table["unconfirmed"] = current + [name for name in unread if name not in current and name != "unconfirmed"]


def _release_table(document, minor: str):
    for table in document["releases"]:
        if ".".join(str(table["torch"]).split(".")[:2]) == minor:
            return table
    return None


def _prune_unconfirmed(document, found: list[Fact], applied: list[Fact]) -> bool:
    """Drop a release's `unconfirmed` entries that the registries now confirm (every fact that
    settles the entry was read and agrees, or was just written)."""
    settled: dict[tuple[str, str], list[Fact]] = {}
    for fact in found:
        if fact.settles:
            settled.setdefault(fact.settles, []).append(fact)
    pruned = False
    for table in document["releases"]:
        minor = ".".join(str(table["torch"]).split(".")[:2])
        current = [str(name) for name in table.get("unconfirmed", [])]
        keep = [name for name in current if not _settled(settled.get((minor, name), []), applied)]
        if keep != current:
            table["unconfirmed"] = keep
            pruned = True
    return pruned


def _settled(evidence: list[Fact], applied: list[Fact]) -> bool:
    return bool(evidence) and all((f.status == "confirmed" or f in applied) and f.observed for f in evidence)


def _record_source(document, index_url: str, only: str | None, channel: str) -> None:
    today = date.today().isoformat()
    if channel == "test":
        document["sources"]["test-channel"] = (
            f"read from {index_url}/test/<variant>/ by `python -m tools.facts refresh --channel test` on {today}:"
            " release candidates, named with the final version (`torch-2.x.0+<variant>`); PyPI has not published"
            " them, so PyPI's builds and the date are unconfirmed"
        )
        return
    read = {None: f"PyPI and {index_url}", "pypi": "PyPI", "index": index_url}[only]
    document["sources"]["registry"] = (
        f"read from the registries by `python -m tools.facts refresh` on {today} ({read}:"
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
    parser.add_argument("--only", choices=["pypi", "index"], help="read one registry only (stable channel)")
    parser.add_argument(
        "--channel",
        choices=list(CHANNELS),
        default="stable",
        help="what to read: " + "; ".join(f"{name}: {what}" for name, what in CHANNELS.items()),
    )
    parser.add_argument("--require-reachable", action="store_true", help="check: exit 3 when a registry cannot be read")
    parser.add_argument("--tool-versions", type=Path, default=tool_releases.TOOL_VERSIONS, help="tool_versions.py")
    args = parser.parse_args(argv)
    if args.channel == "test" and args.only:
        parser.error("--only applies to the stable channel: the test channel is one registry, the PyTorch index")
    facts = read_facts(args.facts)
    index_url = (args.index_url or facts.default_index_url).rstrip("/")
    # The tools generated projects pin, against PyPI (tools/tool_releases.py; stable channel).
    reads_pypi = args.only != "index" and args.channel == "stable"
    pypi = SimpleIndex(args.pypi_url or pypi_simple_url()) if reads_pypi else None
    if args.command == "check":
        found = observe(facts, index_url, args.pypi_url, args.only, args.channel)
        tools = tool_releases.observe(pypi, args.tool_versions) if pypi else []
        return check(facts, found + tools, args.require_reachable)
    changed = refresh(args.facts, index_url, args.pypi_url, args.only, args.channel)
    changed += tool_releases.refresh(pypi, args.tool_versions) if pypi else []
    for fact in changed:
        print(f"updated  {fact.label} ({fact.registry}): {_show(fact.expected)} -> {_show(fact.new_value)}")
    print(f"{len(changed)} facts updated in {args.facts}{f' and {args.tool_versions}' if pypi else ''}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
