"""The versions of the tools generated projects use, in one place (templates read `tools.<name>`).

Bump them here, together: the Dockerfile, both CI files, pyproject.toml and the pre-commit
configuration follow.
"""

# GitHub actions, pinned to the commit of a release tag (a tag can be moved, a commit cannot):
# key -> (action, full commit SHA, release tag). Dependabot's github-actions updates bump the
# generated workflows; bump the template here. Where each SHA was read:
ACTIONS = {
    # The template's own CI (.github/workflows/tests.yml, live-index.yml) pins the same commit.
    "checkout": ("actions/checkout", "08c6903cd8c0fde910a37f88322edcfb5dd907a8", "v5.0.0"),
    # setup-uv publishes no moving major tag since v8 (immutable releases); the template's own
    # CI pins the same commit.
    "setup_uv": ("astral-sh/setup-uv", "08807647e7069bb48b6ef5acd8ec9567f424441b", "v8.1.0"),
    # The generated template-update workflow has pinned it since it was added.
    "create_pull_request": ("peter-evans/create-pull-request", "271a8d0340265f705b14b6d32b9829c1cb33d45e", "v7.0.8"),
}

TOOLS = {
    # uv: the image GitLab CI and the Dockerfile copy it from (ghcr.io/astral-sh/uv:<uv>).
    "uv": "0.13.9",
    # Debian release of every image: GitLab CI's uv image and the Dockerfile's stages.
    "debian": "trixie",
    # required-environments needs uv 0.6.1; older releases would ignore it.
    "uv_required": ">=0.6.1",
    # extra-build-dependencies with match-runtime (compiled extensions) is stable from uv 0.10.
    "uv_required_match_runtime": ">=0.10",
    # The build backend, bounded to the uv releases it is tested with.
    "uv_build": ">=0.9,<0.14",
    # `uses:` values: `owner/repo@<sha>  # vX.Y.Z`.
    **{key: f"{action}@{sha}  # {tag}" for key, (action, sha, tag) in ACTIONS.items()},
    # pre-commit hook revisions. ruff is no hook repository: pre-commit runs the project's own
    # ruff (uv.lock's), so pre-commit, CI and the editor agree on one version.
    "pre_commit_hooks": "v6.0.0",
    # The dev dependency group.
    "pytest": ">=8",
    "ruff": ">=0.8",
    # The type checker. `uv check` (uv 0.13.9) runs ty as well, but downloads it from GitHub at
    # run time, outside uv.lock; from the dev group, uv.lock pins it for CI and the editor alike.
    "ty": ">=1.0",
}
