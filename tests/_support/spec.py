"""Where the tests find Sigma's spec: ``SIGMA_OPENAPI_SPEC``, ``../shared/openapi/`` or the cache.

The search order lives in ``scripts/_codegen/spec_source.py`` (shared with regenerate.py).  Tests
never download: ``./scripts/test`` fills the cache first when it can.
"""

from __future__ import annotations

import copy
import functools
import json
from pathlib import Path
from typing import Any

from _codegen.spec_source import SpecNotFound, find_spec

from tests._support.prerequisites import unavailable

ROOT = Path(__file__).resolve().parents[2]


def spec_path() -> Path:
    """The spec file; a test that needs it skips (or fails under CI) with one line saying how to provide it."""
    try:
        return find_spec()
    except SpecNotFound as exc:
        unavailable(str(exc))


@functools.cache
def _load(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def load_spec() -> dict[str, Any]:
    """A fresh (mutable) copy of the spec for each caller."""
    return json.loads(_load(spec_path()))  # type: ignore[no-any-return]


def committed_surface() -> dict[str, Any]:
    """``openapi/api-surface.json``: the operations, models and classes of the committed sigma_sdk/.

    Tests read counts from here, not from literals, so a new Sigma release needs no test edits.
    """
    return json.loads(_load(ROOT / "openapi" / "api-surface.json"))  # type: ignore[no-any-return]


def locked_release() -> dict[str, Any]:
    """``openapi/spec.lock.json``: the spec release sigma_sdk/ was generated from (version, sha256, counts)."""
    return json.loads(_load(ROOT / "openapi" / "spec.lock.json"))  # type: ignore[no-any-return]


def load_corrected_spec() -> dict[str, Any]:
    """The spec as the SDK reads it: allOf parts merged (no instance changes), the reviewed corrections
    of ``openapi/corrections.toml`` applied and its additions added, and pages' totals counted in
    integers, so samples look like what Sigma sends."""
    from _codegen._additions import add, load_additions
    from _codegen._corrections import apply, load_corrections
    from _codegen._pagination import integer_totals
    from _codegen._rules import Rules
    from _codegen.normalize import flatten_all_of

    return integer_totals(apply(flatten_all_of(add(load_spec(), load_additions()), Rules.load()), load_corrections()))


# Shared by several test modules: computed once per session, each caller gets its own copy.


@functools.cache
def _normalized_json() -> str:
    from _codegen.normalize import normalize

    return json.dumps(normalize(load_spec()))


def load_normalized_spec() -> dict[str, Any]:
    """``normalize(load_spec())``, normalized once per session; a fresh copy for each caller."""
    return json.loads(_normalized_json())  # type: ignore[no-any-return]


@functools.cache
def _response_payloads() -> tuple[tuple[str, str, str, Any], ...]:
    from _samples import iter_operation_payloads

    return tuple(iter_operation_payloads(load_corrected_spec(), free_form=False))


def corrected_payloads() -> list[tuple[str, str, str, Any]]:
    """``iter_operation_payloads(load_corrected_spec(), free_form=False)``, sampled once per session; copied."""
    return copy.deepcopy(list(_response_payloads()))


@functools.cache
def _request_bodies() -> dict[str, Any]:
    from tests.contract._arguments import request_body_samples, richest

    return {op: richest(samples) for op, samples in request_body_samples(load_spec()).items()}


def richest_request_bodies() -> dict[str, Any]:
    """operationId -> its richest spec-valid request body sample, sampled once per session; copied."""
    return copy.deepcopy(_request_bodies())
