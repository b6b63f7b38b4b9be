"""What a test does when something it needs (Sigma's spec, Node.js, Prism, pyright) is missing.

Under ``CI=true`` it FAILS with the reason and how to fix it; anywhere else it is skipped with that
reason (pytest's ``-ra`` shows it in the summary).
"""

from __future__ import annotations

import os
from typing import NoReturn

import pytest

__all__ = ["unavailable"]


def unavailable(reason: str) -> NoReturn:
    """Fail under CI=true, skip visibly elsewhere."""
    if os.environ.get("CI", "").strip().lower() in {"true", "1", "yes"}:
        pytest.fail(f"{reason} [CI=true: a missing prerequisite is a failure here]", pytrace=False)
    pytest.skip(reason)
