"""The release report's rules on small hand-made inputs: stale corrections, and what counts as breaking.

tests/release/test_release_drill.py runs whole synthetic releases; these pin each rule on its own.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest
from _codegen._corrections import Correction, CorrectionError, apply, expected_path
from _codegen._surface import change_report

JSON = Any
EVIDENCE = {"spec_says": "the spec's claim", "sigma_sends": "what Sigma sends", "evidence": ["https://example.com/f"]}


def _correction(**entry: JSON) -> Correction:
    return Correction.from_toml({"id": "c", **EVIDENCE, **entry})


def _spec(page: dict[str, JSON]) -> dict[str, JSON]:
    response = {"description": "ok", "content": {"application/json": {"schema": page}}}
    return {"paths": {"/p": {"get": {"operationId": "listThings", "responses": {"200": response}}}}}


def _page(spec: dict[str, JSON]) -> dict[str, JSON]:
    schema: dict[str, JSON] = spec["paths"]["/p"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    return schema


def test_a_correction_the_spec_now_carries_in_other_words_agrees_and_keeps_sigmas_text() -> None:
    """Same type, other description: recorded as 0 places (remove it), and the spec's description stays."""
    fix = _correction(object_with=["entries"], properties={"total": {"type": "number", "description": "Ours."}})
    page = {"type": "object", "properties": {"entries": {"type": "array"},
                                             "total": {"type": "number", "description": "Sigma's words."}}}  # fmt: skip
    spec = apply(_spec(page), [fix])
    assert spec["x-sigma-sdk-corrections"] == {"c": 0}
    assert _page(spec)["properties"]["total"]["description"] == "Sigma's words."


def test_a_correction_that_still_differs_in_meaning_is_applied() -> None:
    """Another type (or type list order aside, other types) is a real difference: the correction applies."""
    fix = _correction(object_with=["entries"], properties={"hasMore": {"type": ["boolean", "string"]}})
    same = {"type": "object", "properties": {"entries": {}, "hasMore": {"type": ["string", "boolean"]}}}
    other = {"type": "object", "properties": {"entries": {}, "hasMore": {"type": "boolean"}}}
    assert apply(_spec(copy.deepcopy(same)), [fix])["x-sigma-sdk-corrections"] == {"c": 0}
    spec = apply(_spec(other), [fix])
    assert spec["x-sigma-sdk-corrections"] == {"c": 1}
    assert _page(spec)["properties"]["hasMore"] == {"type": ["boolean", "string"]}


def test_a_response_correction_the_spec_now_carries_agrees() -> None:
    """`responses` with the same content and another description: 0 places, Sigma's description kept."""
    binary = {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}}
    fix = _correction(operation="listThings", responses={"200": {"description": "Ours.", "content": binary}})
    spec = _spec({})
    spec["paths"]["/p"]["get"]["responses"]["200"] = {"description": "Sigma's.", "content": copy.deepcopy(binary)}
    spec = apply(spec, [fix])
    assert spec["x-sigma-sdk-corrections"] == {"c": 0}
    assert spec["paths"]["/p"]["get"]["responses"]["200"]["description"] == "Sigma's."


@pytest.mark.parametrize(
    ("entry", "path"),
    [
        ({"object_with": ["a", "b"], "unrequire": ["a"]}, "$..[?(@.properties has 'a', 'b')]"),
        (
            {"operation": "op", "scope": "responses", "object_with": ["a"], "unrequire": ["a"]},
            "$.paths.*[?(@.operationId == 'op')].responses..[?(@.properties has 'a')]",
        ),
        (
            {"operation": "op", "parameter": "kind", "enum_add": {"values": ["x"]}},
            "$.paths.*[?(@.operationId == 'op')].parameters[?(@.name == 'kind')].schema..enum",
        ),
        (
            {"operation": "op", "responses": {"200": {"description": "d"}}},
            "$.paths.*[?(@.operationId == 'op')].responses['200']",
        ),
    ],
)
def test_expected_path_names_where_a_correction_looks(entry: dict[str, JSON], path: str) -> None:
    """Each kind of correction has a JSON path saying where it expects its target."""
    assert expected_path(_correction(**entry)) == path


def test_a_correction_whose_operation_is_gone_names_it() -> None:
    """An `operation` the spec no longer has: CorrectionError naming the entry, the path and the operation."""
    fix = _correction(operation="gone", scope="responses", object_with=["entries"], unrequire=["entries"])
    with pytest.raises(CorrectionError) as raised:
        apply(_spec({"type": "object", "properties": {"entries": {}}}), [fix])
    message = str(raised.value)
    assert "'c'" in message
    assert "$.paths.*[?(@.operationId == 'gone')].responses" in message
    assert "operation 'gone' is not in this spec" in message


def test_enum_values_for_a_field_that_is_no_longer_a_string_is_a_clean_error() -> None:
    """`enum_add` on a field that became a number: CorrectionError with the JSON path, not a bare ValueError."""
    fix = _correction(object_with=["kind"], enum_add={"field": "kind", "values": ["x"]})
    with pytest.raises(CorrectionError, match=r"adds enum values, but at \$\.\.\[\?\(@\.properties has 'kind'\)\]"):
        apply(_spec({"type": "object", "properties": {"kind": {"type": "number"}}}), [fix])


def _surface(**parts: JSON) -> dict[str, JSON]:
    base: dict[str, JSON] = {"version": "1", "servers": [], "tags": [], "subpackages": [], "paginated": [],
                             "operations": {}, "schemas": {}, "classes": {}, "corrections": {}}  # fmt: skip
    return {**base, **parts}


def _op(path: str, params: dict[str, str] | None = None, body: dict[str, str] | None = None) -> dict[str, JSON]:
    return {"method": "GET", "path": path, "params": params or {}, "body": body or {}, "responses": {}}


def _lines(old: dict[str, JSON], new: dict[str, JSON]) -> list[str]:
    return [line.strip() for line in change_report(old, new, "0.4.2").splitlines()[1:]]


def test_inputs_and_fields_are_judged_by_who_they_break() -> None:
    """New required input breaks, new optional one adds; a field becoming optional breaks readers, an input does not."""
    old = _surface(
        operations={"op": _op("/a", {"query:q": "string", "query:r": "string?"})},
        schemas={"M": {"fields": {"f": "string", "g": "string?"}}},
    )
    new = _surface(
        operations={"op": _op("/a", {"query:q": "string?", "query:r": "string", "query:s": "string?",
                                      "query:t": "integer"})},
        schemas={"M": {"fields": {"f": "string?", "g": "string", "h": "string?"}}},
    )  # fmt: skip
    assert _lines(old, new) == [
        "+ op: parameter query:s (string?)",
        "+ op: parameter query:t (integer), required  [breaking]",
        "~ op: parameter query:q required -> optional",
        "~ op: parameter query:r optional -> required (string)  [breaking]",
        "+ M: field h (string?)",
        "~ M: field f required -> optional  [breaking]",
        "~ M: field g optional -> required (string)  [breaking]",
        "Verdict: breaking; next version 0.5.0",
    ]


def test_a_path_parameter_rename_is_one_rename_line() -> None:
    """{id} -> {thingId} with the same shape: one rename line naming the keyword argument, not move + add + remove."""
    old = _surface(operations={"op": _op("/t/{id}", {"path:id": "string"})})
    new = _surface(operations={"op": _op("/t/{thingId}", {"path:thingId": "string"})})
    assert _lines(old, new) == [
        "~ op: path parameter id renamed -> thingId (keyword argument id -> thing_id; /t/{thingId})  [breaking]",
        "Verdict: breaking; next version 0.5.0",
    ]


def test_a_moved_operation_breaks_no_caller() -> None:
    """Another path (not just a renamed placeholder) is reported as moved, without [breaking]."""
    old = _surface(operations={"op": _op("/old")})
    new = _surface(operations={"op": _op("/new")})
    assert _lines(old, new) == ["~ operation op moved GET /old -> GET /new", "Verdict: additive; next version 0.4.3"]


def test_inline_classes_are_tracked_and_their_renames_said() -> None:
    """Generator-named classes: added, removed, renamed (same content) and attribute renames of named models."""
    old = _surface(
        schemas={"Thing": {"fields": {"ownerInfo": "string"}}},
        classes={"Thing": {"fields": {"owner_info": "str"}}, "ThingKindType0": {"enum": ["a", "b"]},
                 "ThingGone": {"fields": {"x": "str"}}},
    )  # fmt: skip
    new = _surface(
        schemas={"Thing": {"fields": {"ownerInfo": "string"}}},
        classes={"Thing": {"fields": {"ownerinfo": "str"}}, "ThingKindOption0": {"enum": ["a", "b"]},
                 "ThingNew": {"fields": {"y": "int"}}},
    )  # fmt: skip
    assert _lines(old, new) == [
        "~ class ThingKindType0 renamed -> ThingKindOption0 (generated from an inline schema)  [breaking]",
        "+ class ThingNew (generated from an inline schema)",
        "- class ThingGone removed (generated from an inline schema)  [breaking]",
        "+ Thing: field ownerinfo (str), required  [breaking]",
        "- Thing: field owner_info removed (was str)  [breaking]",
        "Verdict: breaking; next version 0.5.0",
    ]


def test_servers_tags_subpackages_and_iterate_are_added_removed_lists() -> None:
    """Lists are reported item by item: additions add, removals break."""
    old = _surface(servers=["https://a", "https://b"], tags=["t"], subpackages=["t"], paginated=["listA"])
    new = _surface(servers=["https://a", "https://c"], tags=["t", "u"], subpackages=["t", "u"], paginated=[])
    assert _lines(old, new) == [
        "+ server https://c",
        "- server https://b removed  [breaking]",
        "+ tag u",
        "- iterate() of listA removed  [breaking]",
        "+ subpackage sigma_sdk.api.u",
        "Verdict: breaking; next version 0.5.0",
    ]


def test_a_correction_the_spec_agrees_with_is_a_note_not_a_change() -> None:
    """A correction going from applied to 0 places says "remove it"; alone, the verdict is no change."""
    old = _surface(corrections={"fix-a": 3})
    new = _surface(corrections={"fix-a": 0}, version="2")
    assert change_report(old, new, "0.4.2").splitlines() == [
        "No API changes.",
        "Spec version 1 -> 2",
        "  = spec correction fix-a: the spec now agrees: remove it from openapi/corrections.toml",
        "Verdict: no change; next version 0.4.2",
    ]
