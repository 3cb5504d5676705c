"""Edits of the facts file made by tests, always through tomlkit: they hold on any layout or
serialisation of the file (a re-serialised one included), as a maintainer's edit would.

`add_next_release` writes what a maintainer's facts-only change looks like: a new torch
release, first in `[[releases]]`, with a new CUDA variant and without the oldest CUDA variant of
today's newest release; `harsh=True` also drops the oldest Python minor and the variant the
default render uses today.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import tomlkit
from packaging.version import Version
from pytorch_facts import FACTS_FILE, FACTS_FILE_ENV, Facts, read_facts
from tomlkit.toml_document import TOMLDocument


def working_tree_facts() -> Path:
    """The working tree's facts file. $TORCH_UV_FACTS_FILE stands for a facts-only change (the
    file replaced): tests that render other versions of the template give them this file as
    their own and run copier without the variable (`own_facts_env`), so each version renders
    with its own facts, as it would for a user."""
    return Path(os.environ.get(FACTS_FILE_ENV) or FACTS_FILE)


def own_facts_env() -> dict[str, str]:
    """This process's environment without $TORCH_UV_FACTS_FILE."""
    return {key: value for key, value in os.environ.items() if key != FACTS_FILE_ENV}


def edited(text: str, change: Callable[[TOMLDocument], object]) -> str:
    """`text` (a facts file) with `change` applied to its parsed document."""
    document = tomlkit.parse(text)
    change(document)
    return tomlkit.dumps(document)


def edit_file(path: Path, change: Callable[[TOMLDocument], object]) -> None:
    path.write_text(edited(path.read_text(encoding="utf-8"), change), encoding="utf-8")


def without_oldest_release(document: TOMLDocument) -> None:
    releases = document["releases"]
    oldest = min(range(len(releases)), key=lambda i: Version(str(releases[i]["torch"])))
    del releases[oldest]


def relabel_variant(document: TOMLDocument, variant: str, suffix: str) -> None:
    table = document["variants"][variant]
    table["label"] = f"{table['label']}{suffix}"


def default_variant(facts: Facts) -> str:
    """The accelerator of a default render: the first preferred variant the newest release has."""
    return next(v for v in facts.preferred_variants if v in facts.newest.variants)


@dataclass(frozen=True)
class NextRelease:
    minor: str  # "2.16"
    new_variant: str  # its new CUDA variant
    dropped_variants: tuple[str, ...]  # variants of today's newest release it lacks
    dropped_python: tuple[str, ...]  # Python minors of today's newest release it lacks


def add_next_release(path: Path, *, harsh: bool = False) -> NextRelease:
    """Add the next torch release (and its new CUDA variant) to the facts file at `path`."""
    facts = read_facts(path)
    newest = facts.newest
    cuda = [v for v in facts.variants.values() if v.kind == "cuda"]
    top = max(cuda, key=lambda v: Version(v.cuda))
    new_cuda = f"{Version(top.cuda).major}.{Version(top.cuda).minor + 2}"
    new = "cu" + new_cuda.replace(".", "")
    dropped = {min((v for v in cuda if v.name in newest.variants), key=lambda v: Version(v.cuda)).name}
    if harsh:
        dropped.add(default_variant(facts))
    python = list(newest.python[1:] if harsh else newest.python)
    torch = Version(newest.torch)
    minor = f"{torch.major}.{torch.minor + 1}"
    vision = Version(newest.torchvision)

    def change(document: TOMLDocument) -> None:
        variant = tomlkit.table()
        variant.update(
            kind="cuda",
            label=f"CUDA {new_cuda}",
            cuda=new_cuda,
            platforms=list(top.platforms),
            driver_linux=top.driver_linux,
            driver_windows=top.driver_windows,
            docker_image=f"nvidia/cuda:{new_cuda}.0-cudnn-runtime-ubuntu24.04",
        )
        document["variants"][new] = variant
        pypi = tomlkit.inline_table()
        pypi.update({p: new if facts.variants[v].kind == "cuda" else v for p, v in newest.pypi.items()})
        release = tomlkit.table()
        release.update(
            torch=f"{minor}.0",
            python=python,
            torchvision=f"{vision.major}.{vision.minor + 1}.0",
            torchaudio=newest.torchaudio and f"{minor}.0",
            triton=newest.triton,
            variants=[v for v in newest.variants if v not in dropped] + [new],
            pypi=pypi,
            macos_arm64_tag=newest.macos_arm64_tag,
            unconfirmed=[],
        )
        release.add(tomlkit.nl())
        document["releases"].insert(0, release)  # newest first, as CONTRIBUTING.md asks

    edit_file(path, change)
    return NextRelease(
        minor,
        new,
        tuple(sorted(dropped)),
        tuple(m for m in newest.python if m not in python),
    )


NEXT_RELEASE_FACTS = "next-release-facts.toml"


def next_release_channel(directory: Path) -> tuple[Facts, NextRelease]:
    """What the test channel holds before the next release: the facts of `add_next_release`
    (written to a copy of the working tree's file, `directory / NEXT_RELEASE_FACTS`) with that
    release only."""
    path = directory / NEXT_RELEASE_FACTS
    path.write_bytes(working_tree_facts().read_bytes())
    release = add_next_release(path)
    synthetic = read_facts(path)
    return dataclasses.replace(synthetic, releases=(synthetic.newest,)), release
