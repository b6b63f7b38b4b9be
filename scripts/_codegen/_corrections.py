"""Spec corrections: where Sigma's live API and its published spec disagree, with public evidence.

``openapi/corrections.toml`` is reviewed like code. Each ``[[correction]]`` says what the spec says,
what Sigma sends, the public evidence (docs, Sigma's recipes, integrations' code or fixtures), where
it applies and what changes. The ``apply_corrections`` normalization pass applies them and records
each one's outcome in the spec under ``x-sigma-sdk-corrections``, which the change report shows.

Where (all optional, combined with "and"):

* ``operation``: only inside this operationId;
* ``scope``: ``"responses"`` or ``"requestBody"`` of the operations in reach;
* ``object_with``: object schemas whose ``properties`` include all these names;
* ``parameter``: the schema of this query/path parameter (with ``operation``).

What (one or more):

* ``unrequire``: these fields may be absent;
* ``properties``: set these fields' schemas (added when the spec lacks them);
* ``enum_add``: ``{field = "...", values = [...]}`` adds enum values to a field (for ``parameter``,
  ``{values = [...]}`` adds them to every enum in the parameter's schema); a plain ``string`` field
  gets an enum listing them (generated enums are open, so other values still parse);
* ``responses``: replace these status codes' responses of ``operation``.

A correction that matches nothing stops regeneration with a :class:`CorrectionError` naming the JSON
path it expected (the spec moved: review the entry). One that matches but changes nothing is reported
as "the spec now agrees: remove it"; "agrees" means the same types, enum values and required-ness,
whatever the descriptions say, and then Sigma's own text is kept, not replaced by the entry's.
"""

from __future__ import annotations

import copy
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ._json import iter_dicts

__all__ = [
    "CORRECTIONS_PATH",
    "Correction",
    "CorrectionError",
    "EvidenceEntry",
    "apply",
    "check_evidence_entry",
    "expected_path",
    "load_corrections",
]

JSON = Any
CORRECTIONS_PATH = Path(__file__).resolve().parents[2] / "openapi" / "corrections.toml"
_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
_WHERE = ("operation", "scope", "object_with", "parameter")
_WHAT = ("unrequire", "properties", "enum_add", "responses")
_ABOUT = ("id", "spec_says", "sigma_sends", "evidence")
# Wording, not meaning: a spec that says the same thing in other words agrees with a correction.
_WORDING = frozenset({"description", "summary", "title", "example", "examples", "externalDocs"})


def check_evidence_entry(kind: str, entry: dict[str, JSON], keys: set[str], texts: tuple[str, ...]) -> str:
    """What every entry of corrections.toml must have: known keys, ``id``/``spec_says``/``sigma_sends``
    (and ``texts``) as non-empty strings, and at least one https:// evidence URL. Returns the entry's id.
    """
    name = str(entry.get("id", "<no id>"))
    unknown = set(entry) - keys
    if unknown:
        raise ValueError(f"{kind} {name!r}: unknown keys {sorted(unknown)}")
    for key in ("id", "spec_says", "sigma_sends", *texts):
        if not isinstance(entry.get(key), str) or not entry[key].strip():
            raise ValueError(f"{kind} {name!r}: {key!r} must be a non-empty string")
    evidence = entry.get("evidence")
    if (
        not isinstance(evidence, list)
        or not evidence
        or not all(isinstance(url, str) and url.startswith("https://") for url in evidence)
    ):
        raise ValueError(f"{kind} {name!r}: 'evidence' must list at least one https:// URL")
    return name


class CorrectionError(ValueError):
    """A correction that cannot be applied to this spec; the message names the entry and the JSON path."""


def _meaning(node: JSON) -> JSON:
    """``node`` without its wording, with ``type`` lists and ``enum`` values in a canonical order."""
    if isinstance(node, dict):
        out = {key: _meaning(value) for key, value in node.items() if key not in _WORDING}
        for key in ("type", "enum", "required"):
            if isinstance(out.get(key), list):
                out[key] = sorted(out[key], key=repr)
        return out
    if isinstance(node, list):
        return [_meaning(value) for value in node]
    return node


def expected_path(correction: Correction) -> str:
    """Where in the spec ``correction`` looks, as a JSON path (``*`` any key, ``..`` any depth)."""
    operation = f"$.paths.*[?(@.operationId == '{correction.operation}')]" if correction.operation else None
    if correction.responses:
        return f"{operation}.responses[{', '.join(map(repr, correction.responses))}]"
    if correction.parameter is not None:
        return f"{operation}.parameters[?(@.name == '{correction.parameter}')].schema..enum"
    base = (
        f"{operation}.{correction.scope}" if operation and correction.scope
        else operation or (f"$.paths.*.*.{correction.scope}" if correction.scope else "$")
    )  # fmt: skip
    return f"{base}..[?(@.properties has {', '.join(map(repr, correction.object_with))})]"


@dataclass(frozen=True)
class EvidenceEntry:
    """What every reviewed entry of ``corrections.toml`` states: the spec's claim, Sigma's answer, the sources."""

    id: str
    spec_says: str
    sigma_sends: str
    evidence: tuple[str, ...]


@dataclass(frozen=True)
class Correction(EvidenceEntry):
    """One reviewed disagreement between the spec and the live API, and how the spec is changed."""

    operation: str | None = None
    scope: str | None = None
    object_with: tuple[str, ...] = ()
    parameter: str | None = None
    unrequire: tuple[str, ...] = ()
    properties: dict[str, JSON] = field(default_factory=dict)
    enum_add: dict[str, JSON] = field(default_factory=dict)
    responses: dict[str, JSON] = field(default_factory=dict)

    @classmethod
    def from_toml(cls, entry: dict[str, JSON]) -> Correction:
        """Build and check one ``[[correction]]`` table; a mistake names the entry and the key."""
        name = check_evidence_entry("correction", entry, {*_ABOUT, *_WHERE, *_WHAT}, ())
        if not any(key in entry for key in _WHAT):
            raise ValueError(f"correction {name!r}: says nothing to change (one of {', '.join(_WHAT)})")
        if entry.get("scope") not in (None, "responses", "requestBody"):
            raise ValueError(f"correction {name!r}: 'scope' is 'responses' or 'requestBody'")
        if ("responses" in entry or "parameter" in entry) and "operation" not in entry:
            raise ValueError(f"correction {name!r}: 'responses' and 'parameter' need an 'operation'")
        if not ("responses" in entry or "parameter" in entry or entry.get("object_with")):
            raise ValueError(
                f"correction {name!r}: say where: 'object_with', or 'parameter'/'responses' of an 'operation'"
            )
        enum_add = entry.get("enum_add", {})
        if enum_add and not (isinstance(enum_add.get("values"), list) and enum_add["values"]):
            raise ValueError(f"correction {name!r}: 'enum_add' needs a non-empty 'values' list")
        if enum_add and "parameter" not in entry and not isinstance(enum_add.get("field"), str):
            raise ValueError(f"correction {name!r}: 'enum_add' needs the 'field' whose enum grows")
        return cls(
            id=entry["id"],
            spec_says=entry["spec_says"],
            sigma_sends=entry["sigma_sends"],
            evidence=tuple(entry["evidence"]),
            operation=entry.get("operation"),
            scope=entry.get("scope"),
            object_with=tuple(entry.get("object_with", ())),
            parameter=entry.get("parameter"),
            unrequire=tuple(entry.get("unrequire", ())),
            properties=dict(entry.get("properties", {})),
            enum_add=dict(enum_add),
            responses=dict(entry.get("responses", {})),
        )


def load_corrections(path: Path = CORRECTIONS_PATH) -> list[Correction]:
    """Read the corrections file; ids must be unique."""
    entries = tomllib.loads(path.read_text(encoding="utf-8")).get("correction", [])
    corrections = [Correction.from_toml(entry) for entry in entries]
    ids = [correction.id for correction in corrections]
    duplicates = sorted({name for name in ids if ids.count(name) > 1})
    if duplicates:
        raise ValueError(f"{path}: duplicate correction ids {duplicates}")
    return corrections


def _operations(spec: dict[str, JSON], operation_id: str | None) -> Iterator[dict[str, JSON]]:
    for item in (spec.get("paths") or {}).values():
        for method in _METHODS:
            operation = item.get(method)
            if isinstance(operation, dict) and operation_id in (None, operation.get("operationId")):
                yield operation


def _roots(spec: dict[str, JSON], correction: Correction) -> list[JSON]:
    """The parts of the spec the correction may touch."""
    operations = list(_operations(spec, correction.operation))
    if correction.operation is not None and not operations:
        return []
    if correction.scope is not None:
        return [operation.get(correction.scope) for operation in operations if operation.get(correction.scope)]
    if correction.operation is not None:
        return operations
    return [spec.get("paths") or {}, (spec.get("components") or {}).get("schemas") or {}]


def _objects(node: JSON, names: tuple[str, ...]) -> Iterator[dict[str, JSON]]:
    """Every object schema in ``node`` whose properties include all of ``names``."""
    for schema in iter_dicts(node):
        properties = schema.get("properties")
        if isinstance(properties, dict) and all(name in properties for name in names):
            yield schema


def _enums(node: JSON) -> Iterator[dict[str, JSON]]:
    """Every schema in ``node`` with an ``enum`` list."""
    return (schema for schema in iter_dicts(node) if isinstance(schema.get("enum"), list))


def _add_values(schema: dict[str, JSON], values: list[JSON], correction: Correction) -> bool:
    if "enum" not in schema:
        if schema.get("type") != "string":
            raise CorrectionError(
                f"spec correction {correction.id!r} (openapi/corrections.toml) adds enum values, but at "
                f"{expected_path(correction)} the spec now has a schema of type {schema.get('type')!r}: "
                "the spec has moved; review the entry"
            )
        schema["enum"] = []
    missing = [value for value in values if value not in schema["enum"]]
    schema["enum"] = [*schema["enum"], *missing]
    return bool(missing)


def _change_object(node: dict[str, JSON], correction: Correction) -> bool:
    changed = False
    if correction.unrequire and any(name in (node.get("required") or ()) for name in correction.unrequire):
        node["required"] = [name for name in node["required"] if name not in correction.unrequire]
        if not node["required"]:
            node.pop("required")
        changed = True
    for name, schema in correction.properties.items():
        if _meaning(node["properties"].get(name)) != _meaning(schema):  # same meaning: keep Sigma's wording
            node["properties"][name] = copy.deepcopy(schema)
            changed = True
    if correction.enum_add:
        target = node["properties"].get(correction.enum_add["field"])
        if not isinstance(target, dict):
            raise CorrectionError(
                f"spec correction {correction.id!r} (openapi/corrections.toml): field {correction.enum_add['field']!r} "
                f"is not in the objects at {expected_path(correction)}: the spec has moved; review the entry"
            )
        changed = _add_values(target, correction.enum_add["values"], correction) or changed
    return changed


def apply(spec: dict[str, JSON], corrections: list[Correction]) -> dict[str, JSON]:
    """Apply ``corrections`` in place; record ``{id: places changed}`` under ``x-sigma-sdk-corrections``."""
    outcome: dict[str, int] = {}
    for correction in corrections:
        matched, changed = 0, 0

        def count(did_change: bool) -> None:
            nonlocal matched, changed
            matched += 1
            changed += did_change

        roots = _roots(spec, correction)
        if correction.responses:
            for operation in roots:
                for status, response in correction.responses.items():
                    responses = operation.setdefault("responses", {})
                    if _meaning(responses.get(status)) != _meaning(response):  # same meaning: keep Sigma's wording
                        responses[status] = copy.deepcopy(response)
                        count(True)
                    else:
                        count(False)
        elif correction.parameter is not None:
            for operation in roots:
                for parameter in operation.get("parameters") or ():
                    if parameter.get("name") == correction.parameter:
                        for enum in _enums(parameter.get("schema")):
                            count(_add_values(enum, correction.enum_add["values"], correction))
        else:
            for root in roots:
                for node in list(_objects(root, correction.object_with)):
                    count(_change_object(node, correction))
        if not matched:
            missing = (
                f"operation {correction.operation!r} is not in this spec"
                if correction.operation and not any(_operations(spec, correction.operation))
                else "nothing is there"
            )
            raise CorrectionError(
                f"spec correction {correction.id!r} (openapi/corrections.toml) matches nothing in this spec: "
                f"it expected {expected_path(correction)}, but {missing}; the spec has moved: review the entry"
            )
        outcome[correction.id] = changed
    spec["x-sigma-sdk-corrections"] = outcome
    return spec
