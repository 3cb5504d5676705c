"""Carry an answer over when a release renames or removes one of a question's choices.

    python rename_choice.py ANSWERS_FILE QUESTION OLD=NEW [OLD=NEW ...]

Rewrites QUESTION's answer in the project's answers file: OLD becomes NEW, in a single
answer or inside a multiselect list (where an empty NEW drops the item, and the list keeps
the items that still exist). Run it in the `before` stage of a `_migrations` entry, before
copier re-asks the questions and discards the answer that is no longer a choice. Idempotent;
needs nothing but the PyYAML that copier itself depends on.
"""

from __future__ import annotations

import sys
from pathlib import Path

import yaml


def rename(answer, mapping: dict[str, str]):
    if isinstance(answer, list):
        renamed = [mapping.get(item, item) for item in answer]
        return list(dict.fromkeys(item for item in renamed if item != ""))
    return mapping.get(answer, answer) if isinstance(answer, str) else answer


def main(argv: list[str]) -> int:
    if len(argv) < 3 or not all("=" in pair for pair in argv[2:]):
        print(__doc__.strip().splitlines()[2].strip(), file=sys.stderr)
        return 2
    answers_file, question, pairs = Path(argv[0]), argv[1], argv[2:]
    mapping = dict(pair.split("=", 1) for pair in pairs)
    text = answers_file.read_text(encoding="utf-8")
    answers = yaml.safe_load(text) or {}
    if question not in answers:
        return 0
    renamed = rename(answers[question], mapping)
    if renamed != answers[question]:
        answers[question] = renamed
        # copier rewrites the whole file (and its header comment) after the update.
        answers_file.write_text(yaml.safe_dump(answers, sort_keys=False), encoding="utf-8")
        print(f"{answers_file}: {question} migrated to {renamed!r}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
