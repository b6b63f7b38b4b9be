"""Spec additions: operations Sigma serves and documents elsewhere but its published spec lacks.

``openapi/corrections.toml`` holds, beside its ``[[correction]]`` entries, ``[[addition]]`` entries.
Each one is reviewed like code and names:

* ``id``, ``spec_says`` (what the published spec has: nothing), ``sigma_sends`` (what the live API
  answers) and ``evidence`` (public https:// sources: Sigma's release notes, integrations' code and
  their recorded fixtures);
* ``method`` and ``path`` of the operation;
* ``operation``: the OpenAPI operation object itself (``operationId``, ``summary``, ``tags``,
  ``parameters``, ``responses``), written in TOML. Its response shapes come from the evidence.

The ``add_operations`` normalization pass runs first, so an added operation is normalized, named,
paged (``page``/``limit`` with a ``nextPage`` answer gets ``iterate()``) and generated exactly like
one from the spec. Its docstring starts by saying it is not in Sigma's published spec and cites
the evidence.

When a new spec release lists the operation itself (same method and path, or the same
operationId), the addition is *not* applied: the spec's own operation wins, and the outcome
``"redundant"`` is recorded under ``x-sigma-sdk-additions`` so regeneration says "the spec now has
it: remove the entry". Nothing fails and nothing is duplicated.
"""

from __future__ import annotations

import copy
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ._corrections import CORRECTIONS_PATH, EvidenceEntry, check_evidence_entry

__all__ = ["EXTENSION", "Addition", "add", "additions_summary", "load_additions"]

JSON = Any
EXTENSION = "x-sigma-sdk-additions"
ADDED, REDUNDANT = "added", "redundant"
_METHODS = ("get", "put", "post", "delete", "patch")
_KEYS = frozenset({"id", "spec_says", "sigma_sends", "evidence", "method", "path", "operation"})


@dataclass(frozen=True)
class Addition(EvidenceEntry):
    """One reviewed operation the published spec lacks, and the OpenAPI operation that describes it."""

    method: str
    path: str
    operation: dict[str, JSON]

    @property
    def operation_id(self) -> str:
        return str(self.operation["operationId"])

    @classmethod
    def from_toml(cls, entry: dict[str, JSON]) -> Addition:
        """Build and check one ``[[addition]]`` table; a mistake names the entry and the key."""
        name = check_evidence_entry("addition", entry, set(_KEYS), ("path",))
        if entry.get("method") not in _METHODS:
            raise ValueError(f"addition {name!r}: 'method' must be one of {', '.join(_METHODS)}")
        if not entry["path"].startswith("/"):
            raise ValueError(f"addition {name!r}: 'path' must start with '/'")
        operation = entry.get("operation")
        if not isinstance(operation, dict) or not isinstance(operation.get("operationId"), str):
            raise ValueError(f"addition {name!r}: 'operation' must be an OpenAPI operation with an operationId")
        responses = operation.get("responses")
        if not isinstance(responses, dict) or not any(str(status).startswith("2") for status in responses):
            raise ValueError(f"addition {name!r}: the operation must declare a 2xx response")
        declared = {p.get("name") for p in operation.get("parameters") or () if p.get("in") == "path"}
        in_path = {segment[1:-1] for segment in entry["path"].split("/") if segment.startswith("{")}
        if declared != in_path:
            raise ValueError(
                f"addition {name!r}: path parameters {sorted(declared)} do not match the path's {sorted(in_path)}"
            )
        return cls(
            id=entry["id"],
            spec_says=entry["spec_says"],
            sigma_sends=entry["sigma_sends"],
            evidence=tuple(entry["evidence"]),
            method=entry["method"],
            path=entry["path"],
            operation=copy.deepcopy(operation),
        )

    def documented(self) -> dict[str, JSON]:
        """The operation, its description led by where it comes from (the generated docstring shows it)."""
        operation = copy.deepcopy(self.operation)
        sources = "; ".join(self.evidence)
        note = (
            f"Not in Sigma's published spec: added by the reviewed entry {self.id!r} of "
            f"openapi/corrections.toml. Sigma answers it: {self.sigma_sends} Evidence: {sources}"
        )
        description = operation.get("description")
        operation["description"] = f"{note}\n\n{description}" if description else note
        return operation


def load_additions(path: Path = CORRECTIONS_PATH) -> list[Addition]:
    """Read the ``[[addition]]`` entries of the corrections file; ids and operationIds must be unique."""
    entries = tomllib.loads(path.read_text(encoding="utf-8")).get("addition", [])
    additions = [Addition.from_toml(entry) for entry in entries]
    for what, values in (
        ("ids", [a.id for a in additions]),
        ("operationIds", [a.operation_id for a in additions]),
        ("operations", [f"{a.method.upper()} {a.path}" for a in additions]),
    ):
        duplicates = sorted({value for value in values if values.count(value) > 1})
        if duplicates:
            raise ValueError(f"{path}: duplicate addition {what} {duplicates}")
    return additions


def _spec_operation_ids(spec: dict[str, JSON]) -> set[str]:
    return {
        operation["operationId"]
        for item in (spec.get("paths") or {}).values()
        if isinstance(item, dict)
        for operation in item.values()
        if isinstance(operation, dict) and isinstance(operation.get("operationId"), str)
    }


def add(spec: dict[str, JSON], additions: list[Addition]) -> dict[str, JSON]:
    """Add each operation the spec lacks, in place; record ``{id: "added" | "redundant"}`` under EXTENSION.

    An addition is redundant when the spec already has an operation at its method and path, or one
    with its operationId: the spec's own operation is kept untouched.
    """
    outcome: dict[str, str] = {}
    known_ids = _spec_operation_ids(spec)
    paths = spec.setdefault("paths", {})
    for addition in additions:
        item = paths.get(addition.path)
        if (isinstance(item, dict) and addition.method in item) or addition.operation_id in known_ids:
            outcome[addition.id] = REDUNDANT
            continue
        paths.setdefault(addition.path, {})[addition.method] = addition.documented()
        known_ids.add(addition.operation_id)
        outcome[addition.id] = ADDED
    spec[EXTENSION] = outcome
    return spec


def additions_summary(spec: dict[str, JSON]) -> str:
    """One line on the additions in force, naming those the spec now has itself (entries to remove)."""
    outcome: dict[str, str] = spec.get(EXTENSION) or {}
    redundant = sorted(name for name, state in outcome.items() if state == REDUNDANT)
    line = f"Spec additions (openapi/corrections.toml): {len(outcome) - len(redundant)} added"
    if redundant:
        line += f"; the spec now has {', '.join(redundant)}: remove those entries"
    return line
