"""How a project picks its torch build (the accelerator_strategy answer), and the question each
strategy asks for its accelerators."""

from __future__ import annotations

from enum import StrEnum


class Strategy(StrEnum):
    """accelerator_strategy's choices. A StrEnum: equal to the answer's string, so copier's
    answers and templates compare with it unchanged."""

    PYPI = "pypi"  # PyPI's own build everywhere
    SINGLE = "single"  # one PyTorch index build for every Linux and Windows platform
    PER_PLATFORM = "per-platform"  # one build for Linux, another for Windows
    EXTRAS = "extras"  # one extra per build, chosen at sync time


# The strategy under which each accelerator question is asked.
ACCELERATOR_QUESTIONS = {
    "accelerator": Strategy.SINGLE,
    "linux_accelerator": Strategy.PER_PLATFORM,
    "windows_accelerator": Strategy.PER_PLATFORM,
    "accelerators": Strategy.EXTRAS,
}

# The choice of linux_accelerator / windows_accelerator that keeps PyPI's own build there.
PYPI_BUILD = "pypi"
