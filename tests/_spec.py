"""Where the tests find Sigma's spec: ``SIGMA_OPENAPI_SPEC``, else ``../shared/openapi/`` beside the repo."""

from __future__ import annotations

import functools
import json
import os
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SPEC = ROOT.parent / "shared" / "openapi" / "sigma-computing-public-rest-api.json"


def spec_path() -> Path:
    """The spec file; a test that needs it skips (or fails under CI) with a message saying how to provide it."""
    path = Path(os.environ.get("SIGMA_OPENAPI_SPEC", DEFAULT_SPEC))
    if not path.is_file():
        message = f"Sigma's spec not found at {path}: set SIGMA_OPENAPI_SPEC to a copy of it"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return path


@functools.cache
def _load(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def load_spec() -> dict[str, Any]:
    """A fresh (mutable) copy of the spec for each caller."""
    return json.loads(_load(spec_path()))  # type: ignore[no-any-return]


def load_corrected_spec() -> dict[str, Any]:
    """The spec as the SDK reads it: allOf parts merged (no instance changes) and the reviewed
    corrections of ``openapi/corrections.toml`` applied, so samples look like what Sigma sends."""
    from _codegen._corrections import apply, load_corrections
    from _codegen._rules import Rules
    from _codegen.normalize import flatten_all_of

    return apply(flatten_all_of(load_spec(), Rules.load()), load_corrections())
