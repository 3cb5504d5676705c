"""The check of the index URL answers (pytorch_index_url, default_index_url)."""

from __future__ import annotations

from urllib.parse import quote, urlsplit

from pytorch_facts import Facts, load_facts
from uv_config import MIRROR_INDEX_NAME

# Characters RFC 3986 does not allow anywhere in a URL (they must be percent-encoded).
URL_UNSAFE = frozenset('"\\<>^`{|}')


def index_url(
    answer: str, question: str, *, required: bool, pytorch_index_url: str | None = None, facts: Facts | None = None
) -> str:
    """`pytorch_index_url`: the answer to that question, when checking default_index_url."""
    facts = facts or load_facts()
    answer = answer or ""
    if not answer.strip():
        return (
            (
                f"{question}: an index URL is required: give the base URL of the PyTorch indexes "
                f"(default {facts.default_index_url}) or your mirror of them"
            )
            if required
            else ""
        )
    if any(c.isspace() for c in answer):
        return f"{question}: {answer!r} contains whitespace: give the index URL without spaces"
    unsafe = sorted({c for c in answer if c in URL_UNSAFE})
    if unsafe:
        # RFC 3986 allows none of these raw in a URL, and some would end the TOML string the
        # URL is written into: a real URL carries them percent-encoded.
        return (
            f"{question}: {answer!r} contains {' '.join(unsafe)}, which no URL may hold unencoded: "
            f"give the URL percent-encoded (e.g. {quote(unsafe[0], safe='')} for {unsafe[0]})"
        )
    try:
        parts = urlsplit(answer)
        parts.port  # noqa: B018 - raises ValueError on a malformed port
    except ValueError as error:
        return f"{question}: {answer!r} is not a valid URL ({error}): give the index's http(s) URL"
    if parts.username or parts.password:
        if question == "pytorch_index_url":
            names = "e.g. UV_INDEX_PYTORCH_CU130_USERNAME / UV_INDEX_PYTORCH_CU130_PASSWORD, one pair per PyTorch index"
        else:
            upper = MIRROR_INDEX_NAME.upper().replace("-", "_")
            names = f"here UV_INDEX_{upper}_USERNAME / UV_INDEX_{upper}_PASSWORD"
        return (
            f"{question}: the URL embeds credentials, which would be written to pyproject.toml and uv.lock: "
            "give the URL without them and set UV_INDEX_<NAME>_USERNAME / UV_INDEX_<NAME>_PASSWORD "
            f"in the environment instead ({names})"
        )
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return (
            f"{question}: {answer!r} is not an http(s) URL: give the index's base URL, "
            "e.g. https://mirror.example.org/whl"
        )
    if parts.query or parts.fragment:
        return f"{question}: {answer!r} has a query or fragment: give the plain index base URL"
    last_segment = parts.path.rstrip("/").rsplit("/", 1)[-1]
    if question == "pytorch_index_url" and last_segment in facts.variants:
        base = answer.rstrip("/")[: -len(last_segment)].rstrip("/")
        return (
            f"{question}: {answer!r} is the index of one variant ({last_segment}), but the template appends "
            f"/<variant> to this base URL for each accelerator: give the base URL, {base!r}"
        )
    if pytorch_index_url:
        base = pytorch_index_url.rstrip("/")
        if answer.rstrip("/") == base or answer.startswith(base + "/"):
            return (
                f"{question}: {answer!r} is one of the PyTorch indexes (pytorch_index_url), which carry only "
                "PyTorch's packages and a few of their dependencies, not everything the project needs: "
                "give a mirror of the whole package index, or leave it empty for uv's default index"
            )
    return ""
