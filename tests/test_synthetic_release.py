"""A facts-only change needs no test edit (consistency: the tests follow the facts file).

The facts file gets a synthetic next torch release with a new CUDA variant and without the
oldest CUDA variant of today's newest release; the render tests of that release's
combinations and the questionnaire tests then run unchanged against it, pointed at it by
$TORCH_UV_FACTS_FILE (read by pytorch_facts.load_facts, so by the template and the tests alike).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from conftest import REPO_ROOT
from packaging.version import Version
from pytorch_facts import FACTS_FILE, FACTS_FILE_ENV, load_facts


def _toml_list(items) -> str:
    return json.dumps(list(items))


def synthetic_facts(path: Path) -> tuple[str, str, str]:
    """Write the facts plus a next release to `path`: (its minor, the new variant, the dropped one)."""
    facts = load_facts(FACTS_FILE)
    newest = facts.newest
    cuda = [v for v in facts.variants.values() if v.kind == "cuda"]
    top = max(cuda, key=lambda v: Version(v.cuda))
    new_cuda = f"{Version(top.cuda).major}.{Version(top.cuda).minor + 2}"
    new = "cu" + new_cuda.replace(".", "")
    dropped = min((v for v in cuda if v.name in newest.variants), key=lambda v: Version(v.cuda)).name
    torch = Version(newest.torch)
    minor = f"{torch.major}.{torch.minor + 1}"
    vision = Version(newest.torchvision)
    variants = [v for v in newest.variants if v != dropped] + [new]
    pypi = {platform: new if facts.variants[v].kind == "cuda" else v for platform, v in newest.pypi.items()}
    release = f"""
[variants.{new}]
kind = "cuda"
label = "CUDA {new_cuda}"
cuda = "{new_cuda}"
platforms = {_toml_list(top.platforms)}
driver_linux = "{top.driver_linux}"
driver_windows = "{top.driver_windows}"
docker_image = "nvidia/cuda:{new_cuda}.0-cudnn-runtime-ubuntu24.04"

[[releases]]
torch = "{minor}.0"
python = {_toml_list(newest.python)}
torchvision = "{vision.major}.{vision.minor + 1}.0"
torchaudio = "{newest.torchaudio and f"{minor}.0"}"
triton = "{newest.triton}"
variants = {_toml_list(variants)}
pypi = {{ {", ".join(f'{platform} = "{v}"' for platform, v in pypi.items())} }}
macos_arm64_tag = "{newest.macos_arm64_tag}"
unconfirmed = []
"""
    path.write_text(FACTS_FILE.read_text(encoding="utf-8") + release, encoding="utf-8")
    return minor, new, dropped


def test_render_tests_pass_unchanged_on_a_new_release(tmp_path: Path) -> None:
    facts_file = tmp_path / "pytorch_facts.toml"
    minor, new, dropped = synthetic_facts(facts_file)
    synthetic = load_facts(facts_file)
    assert synthetic.newest.minor == minor and new in synthetic.newest.variants
    assert dropped not in synthetic.newest.variants

    selection = f"(t{minor} and 3os and not ws) or matrix or questionnaire"
    command = [sys.executable, "-m", "pytest", "-q", "-rA", "-n", "0", "-p", "no:cacheprovider", "-k", selection]
    command += ["tests/test_render.py", "tests/test_questionnaire.py"]
    env = {**os.environ, FACTS_FILE_ENV: str(facts_file)}
    env.pop("PYTEST_XDIST_WORKER", None)
    result = subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=1800)
    summary = result.stdout.strip().splitlines()[-1] if result.stdout.strip() else result.stderr
    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-2000:]
    passed = re.search(r"(\d+) passed", summary)
    assert passed and int(passed[1]) > 20, summary
    # The matrix grew combinations of the new release and its new variant, and they passed.
    assert re.search(rf"^PASSED .*\[single-{re.escape(new)}-3os-t{re.escape(minor)}\]$", result.stdout, re.MULTILINE)
