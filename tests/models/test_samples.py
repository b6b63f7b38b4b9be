"""The sample-payload walker of ``scripts/_samples/``: every schema of the spec, and tiny schemas."""

from __future__ import annotations

import copy
import datetime
import json
from dataclasses import dataclass
from typing import Any

import _samples as samples
import pytest
from jsonschema import Draft202012Validator, ValidationError

from tests._support.payloads import schema_payloads
from tests._support.spec import load_spec, locked_release


@dataclass
class Sampled:
    """Every schema of the spec with its payloads, and what the walker covered and skipped."""

    spec: dict[str, Any]
    entries: list[tuple[str, str, str, Any, list[Any]]]
    report: samples.SampleReport
    branches: set[samples.Target]


def _sample_all(spec: dict[str, Any]) -> Sampled:
    report = samples.SampleReport()
    entries = []
    branches: set[samples.Target] = set()
    for op_id, where, content_type, schema in samples.iter_operation_schemas(spec):
        entries.append((op_id, where, content_type, schema, samples.sample_payloads(spec, schema, report=report)))
        branches |= samples.schema_targets(spec, schema)
    return Sampled(spec, entries, report, branches)


@pytest.fixture(scope="module")
def raw_spec() -> dict[str, Any]:
    return load_spec()


@pytest.fixture(scope="module")
def sampled(raw_spec: dict[str, Any]) -> Sampled:
    return _sample_all(samples.lenient_spec(raw_spec))


# --- the real spec ------------------------------------------------------------------------------


def test_every_request_body_and_2xx_response_gets_payloads(raw_spec: dict[str, Any], sampled: Sampled) -> None:
    """Each request body (every content type) and each 2xx response with content yields payloads."""
    operations = {
        op["operationId"]
        for item in raw_spec["paths"].values()
        for method, op in item.items()
        if method in ("get", "put", "post", "delete", "patch")
    }
    assert len(operations) == locked_release()["operations"]
    seen = {op_id for op_id, *_ in sampled.entries}
    with_content = {
        op["operationId"]
        for item in raw_spec["paths"].values()
        for op in item.values()
        if any(str(s).startswith("2") and "content" in r for s, r in op["responses"].items()) or "requestBody" in op
    }
    assert seen == with_content
    assert {ct for *_, ct, _, _ in sampled.entries} == {
        "application/json",
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    }
    assert all(payloads for *_, payloads in sampled.entries)


def test_every_payload_validates_against_its_schema(sampled: Sampled) -> None:
    """Every payload fits its schema (Draft 2020-12, formats checked), a oneOf fitting >= 1 branch."""
    invalid = []
    for op_id, where, content_type, schema, payloads in sampled.entries:
        checker = samples.validator(sampled.spec, schema, one_of_as_any_of=True)
        for index, payload in enumerate(payloads):
            for error in checker.iter_errors(payload):
                invalid.append(f"{op_id} {where} {content_type} #{index}: {error.message[:200]}")
    assert invalid == []


def test_strict_one_of_failures_are_only_branch_overlaps(sampled: Sampled) -> None:
    """Under strict oneOf, payloads fail only where Sigma's branches overlap, never for another reason."""
    overlapping: set[str] = set()
    for _, _, _, schema, payloads in sampled.entries:
        strict = samples.validator(sampled.spec, schema)
        for payload in payloads:
            for error in strict.iter_errors(payload):
                assert _only_overlap(error), error.message[:300]
                overlapping.add("/".join(map(str, error.absolute_schema_path)))
    # e.g. "Single Page" vs "Paginated Response": every paginated instance is also a single page
    assert overlapping


def _only_overlap(error: Any) -> bool:
    if error.validator == "oneOf" and "is valid under each of" in error.message:
        return True
    if error.validator in ("oneOf", "anyOf") and error.context:
        by_branch: dict[Any, list[Any]] = {}
        for sub in error.context:
            by_branch.setdefault(sub.schema_path[0], []).append(sub)
        return any(all(_only_overlap(sub) for sub in subs) for subs in by_branch.values())
    return False


def test_every_one_of_and_any_of_branch_is_used(sampled: Sampled) -> None:
    """Every oneOf/anyOf branch reachable from request bodies and 2xx responses is in some payload."""
    missing = sampled.branches - sampled.report.covered
    assert sorted(samples.describe_target(sampled.spec, t) for t in missing) == []
    index = samples.node_index(sampled.spec)
    own = {t for t in sampled.branches if samples.REPAIR_MARK not in index[t[0]][1]}
    assert len(own) > 1000  # the spec's own branches, besides the null-or-composition repairs


def test_raw_spec_leaves_out_only_the_null_beside_composition_nodes(raw_spec: dict[str, Any]) -> None:
    """On the unrepaired spec, only ``type: null`` beside allOf/oneOf (no instance exists) is skipped."""
    result = _sample_all(raw_spec)
    assert result.report.skipped
    index = samples.node_index(raw_spec)
    for node_id in result.report.skipped:
        node = index[node_id][1]
        assert node.get("type") == "null"
        assert {"allOf", "oneOf", "anyOf"} & set(node)
    for _, _, _, schema, payloads in result.entries:
        checker = samples.validator(raw_spec, schema, one_of_as_any_of=True)
        assert all(checker.is_valid(p) for p in payloads)


def test_walker_is_deterministic(raw_spec: dict[str, Any], sampled: Sampled) -> None:
    """Two runs, even on a fresh copy of the spec (other object ids), give identical payloads."""
    first = [(e[0], e[1], e[2], e[4]) for e in sampled.entries]
    second = [(e[0], e[1], e[2], e[4]) for e in _sample_all(samples.lenient_spec(copy.deepcopy(raw_spec))).entries]
    third = [(e[0], e[1], e[2], [p]) for e in samples.iter_operation_payloads(raw_spec) for p in [e[3]]]
    assert json.dumps(first) == json.dumps(second)
    assert json.dumps([x for e in first for x in ((e[0], e[1], e[2], p) for p in e[3])]) == json.dumps(
        [(e[0], e[1], e[2], e[3][0]) for e in third]
    )


def test_instance_count_stays_small(sampled: Sampled) -> None:
    """No schema needs more than 24 instances (the widest choice is a 19-value enum); < 800 in all."""
    counts = {(e[0], e[1], e[2]): len(e[4]) for e in sampled.entries}
    assert max(counts.values()) <= 24, max(counts.items(), key=lambda kv: kv[1])
    assert sum(counts.values()) < 800


def test_date_time_samples_round_trip_through_isoformat(sampled: Sampled) -> None:
    """The date-time sample survives ``datetime.fromisoformat(...).isoformat()`` and is what payloads carry."""
    assert datetime.datetime.fromisoformat(samples.SAMPLE_DATETIME).isoformat() == samples.SAMPLE_DATETIME
    assert datetime.date.fromisoformat(samples.SAMPLE_DATE).isoformat() == samples.SAMPLE_DATE
    text = json.dumps([e[4] for e in sampled.entries])
    assert samples.SAMPLE_DATETIME in text


# --- tiny schemas -------------------------------------------------------------------------------


def test_all_of_with_one_of_picks_a_branch_and_keeps_every_part() -> None:
    """allOf [base, oneOf[a, b]]: every instance has the base fields plus one branch's fields."""
    schema = {
        "allOf": [
            {"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}}},
            {
                "oneOf": [
                    {
                        "type": "object",
                        "required": ["kind", "a"],
                        "properties": {"kind": {"enum": ["A"]}, "a": {"type": "integer"}},
                    },
                    {
                        "type": "object",
                        "required": ["kind", "b"],
                        "properties": {"kind": {"enum": ["B"]}, "b": {"type": "boolean"}},
                    },
                ]
            },
        ]
    }
    result = schema_payloads(schema)
    assert all("name" in p for p in result)
    assert {p["kind"] for p in result} == {"A", "B"}
    for payload in result:
        assert ("a" in payload) == (payload["kind"] == "A")


def test_nested_union_inside_one_branch_is_fully_covered() -> None:
    """A union nested in branch 1 of an outer union still gets each of its branches (no i-mod-n gaps)."""
    inner = {"oneOf": [{"type": "integer"}, {"type": "boolean"}, {"type": "null"}]}
    schema = {"oneOf": [{"type": "string"}, {"type": "array", "minItems": 1, "maxItems": 1, "items": inner}]}
    result = schema_payloads(schema)
    inner_values = {type(p[0]).__name__ for p in result if isinstance(p, list)}
    assert inner_values == {"int", "bool", "NoneType"}
    assert any(isinstance(p, str) for p in result)


def test_instances_grow_with_the_widest_choice_not_the_product() -> None:
    """Three independent choices of 3, 4 and 5 options need about 5 instances, not 60."""
    schema = {
        "type": "object",
        "required": ["a", "b", "c"],
        "properties": {
            "a": {"oneOf": [{"type": "integer"}, {"type": "string"}, {"type": "null"}]},
            "b": {"anyOf": [{"type": "integer"}, {"type": "string"}, {"type": "null"}, {"type": "array"}]},
            "c": {"enum": ["v", "w", "x", "y", "z"]},
        },
    }
    result = schema_payloads(schema)
    assert {p["c"] for p in result} == {"v", "w", "x", "y", "z"}
    assert len(result) <= 6


def test_nullable_type_gets_null_and_a_value() -> None:
    """``type: [string, null]`` yields both a string and a null somewhere."""
    schema = {"type": "object", "required": ["x"], "properties": {"x": {"type": ["string", "null"]}}}
    values = [p["x"] for p in schema_payloads(schema)]
    assert None in values
    assert any(isinstance(v, str) for v in values)


def test_every_enum_value_and_both_booleans_appear() -> None:
    """Each enum value appears in some instance, and so do true and false."""
    schema = {
        "type": "object",
        "required": ["color", "flag"],
        "properties": {"color": {"type": "string", "enum": ["red", "green", "blue"]}, "flag": {"type": "boolean"}},
    }
    result = schema_payloads(schema)
    assert {p["color"] for p in result} == {"red", "green", "blue"}
    assert {p["flag"] for p in result} == {True, False}


def test_first_instance_is_minimal_and_another_fills_every_optional_property() -> None:
    """Instance 0 holds the required properties only; a later one holds all of them."""
    schema = {
        "type": "object",
        "required": ["id"],
        "properties": {"id": {"type": "string"}, "note": {"type": "string"}, "count": {"type": "integer"}},
    }
    result = schema_payloads(schema)
    assert set(result[0]) == {"id"}
    assert any(set(p) == {"id", "note", "count"} for p in result)


def test_additional_properties_schema_gets_one_extra_key() -> None:
    """``additionalProperties: schema`` adds a key with a valid value; free-form ones can be turned off."""
    typed = {"type": "object", "properties": {"a": {"type": "string"}}, "additionalProperties": {"type": "integer"}}
    result = schema_payloads(typed)
    assert any(isinstance(p.get(samples.EXTRA_KEY), int) for p in result)
    free = {"type": "object", "additionalProperties": {}}
    assert any(samples.EXTRA_KEY in p for p in schema_payloads(free))
    assert all(samples.EXTRA_KEY not in p for p in schema_payloads(free, free_form=False))


def _depth(value: Any, key: str) -> int:
    if isinstance(value, dict):
        return max([_depth(v, key) + int(k == key) for k, v in value.items()] or [0])
    if isinstance(value, list):
        return max([_depth(v, key) for v in value] or [0])
    return 0


def test_recursion_is_closed_after_the_limit() -> None:
    """A self-referencing union (like ConstValCodec) nests at most RECURSION_LIMIT deep, all branches used."""
    spec: dict[str, Any] = {
        "components": {
            "schemas": {
                "Codec": {
                    "oneOf": [
                        {
                            "type": "object",
                            "required": ["type", "val"],
                            "properties": {"type": {"enum": ["num"]}, "val": {"type": "number"}},
                        },
                        {
                            "type": "object",
                            "required": ["type", "val"],
                            "properties": {
                                "type": {"enum": ["record"]},
                                "val": {
                                    "type": "object",
                                    "additionalProperties": {"$ref": "#/components/schemas/Codec"},
                                },
                            },
                        },
                        {
                            "type": "object",
                            "required": ["type", "val"],
                            "properties": {
                                "type": {"enum": ["list"]},
                                "val": {"type": "array", "items": {"$ref": "#/components/schemas/Codec"}},
                            },
                        },
                    ]
                }
            }
        }
    }
    schema = {"$ref": "#/components/schemas/Codec"}
    report = samples.SampleReport()
    result = schema_payloads(schema, spec, report=report)
    assert {p["type"] for p in result} >= {"num", "record"}
    assert '"list"' in json.dumps(result)  # covered wherever it fits first, here inside a record
    assert max(_depth(p, "val") for p in result) == samples.RECURSION_LIMIT
    assert samples.schema_targets(spec, schema) <= report.covered


def test_malformed_ref_is_resolved_leniently() -> None:
    """``#components/x`` (no slash) resolves like ``#/components/x``, for walking and validating."""
    spec: dict[str, Any] = {"components": {"schemas": {"Id": {"type": "string", "format": "uuid"}}}}
    schema = {"type": "object", "required": ["id"], "properties": {"id": {"$ref": "#components/schemas/Id"}}}
    result = schema_payloads(schema, spec)
    assert result[0] == {"id": samples.SAMPLE_UUID}
    with pytest.raises(ValidationError, match="is not a 'uuid'"):
        samples.validate(spec, schema, {"id": "nope"})


def test_formats_and_bounds_are_respected() -> None:
    """Formatted strings pass the format checker; lengths and numeric bounds are honoured."""
    schema = {
        "type": "object",
        "required": ["when", "day", "id", "mail", "short", "long", "n", "x"],
        "properties": {
            "when": {"type": "string", "format": "date-time"},
            "day": {"type": "string", "format": "date"},
            "id": {"type": "string", "format": "uuid"},
            "mail": {"type": "string", "format": "email"},
            "short": {"type": "string", "maxLength": 3},
            "long": {"type": "string", "minLength": 40},
            "n": {"type": "integer", "minimum": 10, "maximum": 12},
            "x": {"type": "number", "exclusiveMaximum": 0},
        },
    }
    payload = schema_payloads(schema)[0]
    assert payload["when"] == samples.SAMPLE_DATETIME
    assert payload["day"] == samples.SAMPLE_DATE
    assert len(payload["short"]) <= 3
    assert len(payload["long"]) >= 40
    assert 10 <= payload["n"] <= 12
    assert payload["x"] < 0
    with pytest.raises(ValidationError, match="is not a 'date-time'"):
        samples.validate({}, schema, {**payload, "when": "2024-01-02 03:04"})


def test_one_of_enums_prefer_values_only_their_branch_accepts() -> None:
    """oneOf over overlapping enums picks values that make the instance fit exactly one branch."""
    schema = {"oneOf": [{"enum": ["a", "b"]}, {"enum": ["b", "c"]}]}
    result = schema_payloads(schema)
    assert set(result) == {"a", "c"}


def test_unsatisfiable_optional_property_is_left_out_and_reported() -> None:
    """An optional property with no possible instance is omitted, and named in the report."""
    impossible = {"type": "null", "allOf": [{"type": "object"}]}
    schema = {"type": "object", "properties": {"ok": {"type": "string"}, "bad": impossible}}
    report = samples.SampleReport()
    result = schema_payloads(schema, report=report)
    assert all("bad" not in p for p in result)
    assert any("ok" in p for p in result)
    assert id(impossible) in report.skipped


def test_lenient_spec_reads_null_beside_composition_as_nullable() -> None:
    """lenient_spec turns ``type: null`` + oneOf into null-or-oneOf and fixes slashless refs."""
    raw: dict[str, Any] = {
        "components": {"schemas": {"S": {"type": "string"}}},
        "x": {
            "type": "null",
            "oneOf": [{"type": "object", "required": ["k"], "properties": {"k": {"type": "string"}}}],
        },
        "y": {"$ref": "#components/schemas/S"},
    }
    spec = samples.lenient_spec(raw)
    assert spec["y"] == {"$ref": "#/components/schemas/S"}
    values = schema_payloads(spec["x"], spec)
    assert None in values
    assert any(isinstance(v, dict) and "k" in v for v in values)


def test_validator_is_draft_2020_12() -> None:
    """validate() speaks Draft 2020-12 (e.g. ``prefixItems``), not an older draft."""
    checker = samples.validator({}, {"type": "array", "prefixItems": [{"type": "integer"}]})
    assert isinstance(checker, Draft202012Validator)
    assert not checker.is_valid(["x"])
