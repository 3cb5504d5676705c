"""Maintainer commands of torch-uv-template (run with `uv run python -m tools.<name>`)."""
