"""The versions of the tools generated projects use, in one place (templates read `tools.<name>`).

Bump them here, together: the Dockerfile, both CI files, pyproject.toml and the pre-commit
configuration follow.
"""

TOOLS = {
    # uv: the image GitLab CI and the Dockerfile copy it from (ghcr.io/astral-sh/uv:<uv>).
    "uv": "0.13.9",
    # required-environments needs uv 0.6.1; older releases would ignore it.
    "uv_required": ">=0.6.1",
    # extra-build-dependencies with match-runtime (compiled extensions) is stable from uv 0.10.
    "uv_required_match_runtime": ">=0.10",
    # The build backend, bounded to the uv releases it is tested with.
    "uv_build": ">=0.9,<0.14",
    # GitHub actions. setup-uv publishes no moving major tag since v8 (immutable releases).
    "checkout": "actions/checkout@v5",
    "setup_uv": "astral-sh/setup-uv@v8.1.0",
    # pre-commit hook revisions; ruff's stays in step with the dev group's ruff.
    "pre_commit_hooks": "v6.0.0",
    "ruff_pre_commit": "v0.16.4",
    # The dev dependency group.
    "pytest": ">=8",
    "ruff": ">=0.8",
}
