"""Fixtures for the Prism contract suite: the spec, the normalized spec, and running Prism servers.

Policy when Prism can't run (no Node.js, no npm, ``tests/contract/node_modules`` missing or stale) or
Sigma's spec is absent: under ``CI=true`` the tests FAIL with the reason and how to fix it; anywhere
else they are skipped with that reason (pytest's ``-ra`` shows it in the summary).
"""

from __future__ import annotations

import importlib
import json
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests._support.prerequisites import unavailable
from tests._support.spec import spec_path

from ._prism import PrismStartError, prism_available, run_prism

REPO_ROOT = Path(__file__).resolve().parents[2]
NORMALIZE_MODULE = "scripts._codegen.normalize"


@pytest.fixture(scope="session")
def prism_ready() -> None:
    """Prism's prerequisites (Node.js and the pinned prism-cli in node_modules) are present."""
    reason = prism_available()
    if reason is not None:
        unavailable(reason)


@pytest.fixture(scope="session")
def raw_spec_path() -> Path:
    """Sigma's spec as published: $SIGMA_OPENAPI_SPEC, ../shared/openapi/ or the cache (tests/_support/spec.py)."""
    return spec_path().resolve()


def _load_normalize() -> Callable[[dict[str, Any]], dict[str, Any]] | None:
    """The lead's normalizer, or None when it doesn't exist yet (a real ImportError inside it propagates)."""
    if str(REPO_ROOT) not in sys.path:
        sys.path.insert(0, str(REPO_ROOT))
    try:
        module = importlib.import_module(NORMALIZE_MODULE)
    except ModuleNotFoundError as exc:
        if exc.name in {"scripts", "scripts._codegen", NORMALIZE_MODULE}:
            return None
        raise
    normalize: Callable[[dict[str, Any]], dict[str, Any]] | None = getattr(module, "normalize", None)
    return normalize


@pytest.fixture(scope="session")
def normalized_spec_path(raw_spec_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The spec the SDK is generated from: ``normalize(raw)`` written to a temp file."""
    normalize = _load_normalize()
    if normalize is None:
        # Fallback while scripts/_codegen/normalize.py has no normalize(): Prism 5.16 loads the raw spec
        # (its malformed `#components/responses/ApiError` refs just leave error responses without a body).
        return raw_spec_path
    spec = json.loads(raw_spec_path.read_text(encoding="utf-8"))
    out = tmp_path_factory.mktemp("spec") / "sigma-openapi.normalized.json"
    out.write_text(json.dumps(normalize(spec)), encoding="utf-8")
    return out


def _serve(spec: Path, *, dynamic: bool, log_name: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    log_path = tmp_path_factory.getbasetemp() / log_name
    try:
        with run_prism(spec, dynamic=dynamic, log_path=log_path) as url:
            yield url
    except PrismStartError as exc:
        # Prism is installed (prism_ready passed), so failing to start is a real failure, CI or not.
        pytest.fail(str(exc), pytrace=False)


@pytest.fixture(scope="session")
def prism_url(prism_ready: None, normalized_spec_path: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL of a static-mode Prism mock of the normalized spec (request validation on, --errors)."""
    yield from _serve(
        normalized_spec_path, dynamic=False, log_name="prism-static.log", tmp_path_factory=tmp_path_factory
    )


@pytest.fixture(scope="session")
def prism_dynamic_url(
    prism_ready: None, normalized_spec_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[str]:
    """Base URL of a dynamic-mode (-d) Prism mock of the normalized spec: random, schema-valid responses."""
    yield from _serve(
        normalized_spec_path, dynamic=True, log_name="prism-dynamic.log", tmp_path_factory=tmp_path_factory
    )
