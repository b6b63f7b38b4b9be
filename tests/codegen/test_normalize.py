"""Unit tests of the spec normalization passes (scripts/_codegen/normalize.py), one defect each."""

from __future__ import annotations

import copy
import json
from typing import Any

import jsonschema
import pytest
from _codegen._corrections import Correction, load_corrections
from _codegen._corrections import apply as apply_corrections_list
from _codegen._problems import SpecProblems
from _codegen._rules import Rules
from _codegen.normalize import (
    break_recursive_unions,
    check_operation_ids,
    drop_no_content_bodies,
    drop_truncated_examples,
    enum_singletons_to_const,
    fix_malformed_refs,
    flatten_all_of,
    hoist_and_name_schemas,
    inline_response_refs,
    normalize,
    nullable_unions,
    open_response_unions,
    require_bodies_that_have_required_fields,
    specific_branches_first,
    strip_server_urls,
    unions_as_any_of,
)

from tests._support.spec import load_spec

RULES = Rules()


@pytest.fixture
def sigma_spec() -> dict[str, Any]:
    """Sigma's published spec, as downloaded."""
    return load_spec()


def _spec(paths: dict[str, Any], schemas: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"openapi": "3.1.0", "info": {"title": "t", "version": "1"}, "paths": paths,
            "components": {"schemas": schemas or {}}}  # fmt: skip


def _op(operation_id: str, body: Any = None, response: Any = None) -> dict[str, Any]:
    op: dict[str, Any] = {"operationId": operation_id, "responses": {}}
    if body is not None:
        op["requestBody"] = {"content": {"application/json": {"schema": body}}}
    if response is not None:
        op["responses"]["200"] = {"description": "ok", "content": {"application/json": {"schema": response}}}
    return op


def _resolve(spec: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    """A JSON schema validator for ``schema`` that resolves refs into ``spec``."""
    return {**schema, "components": spec.get("components", {})}


def _valid(spec: dict[str, Any], schema: dict[str, Any], instance: Any) -> bool:
    wrapper = {"$defs": {}, **_resolve(spec, schema)}
    validator = jsonschema.Draft202012Validator(wrapper)
    return validator.is_valid(instance)


def test_fix_malformed_refs_adds_the_missing_slash() -> None:
    """`#components/responses/ApiError` becomes `#/components/responses/ApiError`; good refs are untouched."""
    spec = {"a": {"$ref": "#components/responses/ApiError"}, "b": {"$ref": "#/components/schemas/X"}}
    fixed = fix_malformed_refs(spec, RULES)
    assert fixed["a"]["$ref"] == "#/components/responses/ApiError"
    assert fixed["b"]["$ref"] == "#/components/schemas/X"


def test_strip_server_urls_removes_surrounding_whitespace() -> None:
    """A server URL published with a leading space is usable as a base URL."""
    spec = {"servers": [{"url": " https://api.sa.gcp.sigmacomputing.com"}, {"url": "https://x.example"}]}
    assert [s["url"] for s in strip_server_urls(spec, RULES)["servers"]] == [
        "https://api.sa.gcp.sigmacomputing.com",
        "https://x.example",
    ]


def test_inline_response_refs_hoists_the_error_schema_once() -> None:
    """Every operation's `default` response shares one `ApiError` schema component."""
    error = {"type": "object", "properties": {"message": {"type": "string"}}}
    spec = _spec({"/a": {"get": _op("a")}, "/b": {"get": _op("b")}})
    spec["components"]["responses"] = {
        "ApiError": {"description": "e", "content": {"application/json": {"schema": error}}}
    }
    for path in ("/a", "/b"):
        spec["paths"][path]["get"]["responses"]["default"] = {"$ref": "#/components/responses/ApiError"}
    out = inline_response_refs(spec, RULES)
    assert out["components"]["schemas"]["ApiError"] == error
    for path in ("/a", "/b"):
        media = out["paths"][path]["get"]["responses"]["default"]["content"]["application/json"]
        assert media["schema"] == {"$ref": "#/components/schemas/ApiError"}


def test_inline_response_refs_rejects_a_dangling_reference() -> None:
    """A reference to a response that does not exist is an error naming it, not a silent drop."""
    spec = _spec({"/a": {"get": _op("a")}})
    spec["paths"]["/a"]["get"]["responses"]["default"] = {"$ref": "#/components/responses/Nope"}
    with pytest.raises(ValueError, match="Nope"):
        inline_response_refs(spec, RULES)


def test_flatten_all_of_distributes_over_nested_one_of() -> None:
    """`allOf[A, oneOf[B, C]]` becomes `oneOf[A+B, A+C]` and every branch keeps all fields."""
    common = {"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}}}
    snowflake = {"type": "object", "required": ["account"], "properties": {"account": {"type": "string"}},
                 "title": "Snowflake"}  # fmt: skip
    postgres = {"type": "object", "required": ["host"], "properties": {"host": {"type": "string"}}}
    body = {"allOf": [common, {"oneOf": [snowflake, postgres]}]}
    spec = flatten_all_of(_spec({"/c": {"post": _op("c", body)}}), RULES)
    flat = spec["paths"]["/c"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert "allOf" not in json.dumps(flat)
    first, second = flat["oneOf"]
    assert set(first["properties"]) == {"name", "account"}
    assert set(first["required"]) == {"name", "account"}
    assert first["title"] == "Snowflake"
    assert set(second["properties"]) == {"name", "host"}


def test_flatten_all_of_accepts_and_rejects_the_same_payloads() -> None:
    """Flattening is wire-neutral: payloads valid (or invalid) before are valid (or invalid) after."""
    body = {"allOf": [
        {"type": "object", "required": ["a"], "properties": {"a": {"type": "string"}}},
        {"oneOf": [{"type": "object", "required": ["b"], "properties": {"b": {"type": "number"}, "k": {"const": 1}}},
                   {"type": "object", "required": ["c"], "properties": {"c": {"type": "boolean"}, "k": {"const": 2}}}]},
    ]}  # fmt: skip
    before = copy.deepcopy(body)
    spec = flatten_all_of(_spec({"/c": {"post": _op("c", body)}}), RULES)
    after = spec["paths"]["/c"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    samples = [{"a": "x", "b": 1, "k": 1}, {"a": "x", "c": True, "k": 2}, {"b": 1, "k": 1}, {"a": "x"},
               {"a": 1, "b": 1, "k": 1}, {"a": "x", "c": True, "k": 1}]  # fmt: skip
    for sample in samples:
        assert _valid(spec, before, sample) == _valid(spec, after, sample), sample


def test_break_recursive_unions_keeps_top_level_branches() -> None:
    """A self-referencing union keeps every branch; only the nested position becomes free-form JSON."""
    codec = {"oneOf": [
        {"type": "object", "title": "Number", "properties": {"type": {"enum": ["number"]}, "val": {"type": "number"}}},
        {"type": "object", "title": "Record", "properties": {
            "type": {"enum": ["record"]},
            "val": {"type": "object", "additionalProperties": {"$ref": "#/components/schemas/ConstValCodec"}}}},
    ]}  # fmt: skip
    spec = break_recursive_unions(_spec({}, {"ConstValCodec": copy.deepcopy(codec)}), RULES)
    out = spec["components"]["schemas"]["ConstValCodec"]
    assert "#/components/schemas/ConstValCodec" not in json.dumps(out)
    assert [b["title"] for b in out["oneOf"]] == ["Number", "Record"]
    nested = out["oneOf"][1]["properties"]["val"]["additionalProperties"]
    assert "$ref" not in nested
    record = {"type": "record", "val": {"x": {"type": "number", "val": 1}}}
    assert _valid(spec, {"$ref": "#/components/schemas/ConstValCodec"}, record)


def test_enum_singletons_to_const_defaults_required_discriminators() -> None:
    """A one-value `type` enum becomes a `const` that defaults to its value when required."""
    schema = {"type": "object", "required": ["type"], "properties": {
        "type": {"type": "string", "enum": ["snowflake"]},
        "auth": {"type": "string", "enum": ["key-pair"]},
        "mode": {"type": "string", "enum": ["a", "b"]}}}  # fmt: skip
    spec = enum_singletons_to_const(_spec({"/c": {"post": _op("c", schema)}}), RULES)
    props = spec["paths"]["/c"]["post"]["requestBody"]["content"]["application/json"]["schema"]["properties"]
    assert props["type"] == {"type": "string", "const": "snowflake", "default": "snowflake"}
    assert props["auth"] == {"type": "string", "const": "key-pair"}
    assert props["mode"]["enum"] == ["a", "b"]


def test_drop_no_content_bodies_removes_content_of_204() -> None:
    """A 204 declares no body, so the generated parser does not try to decode an empty answer."""
    op = {"operationId": "d", "responses": {"204": {"description": "x", "content": {"application/json": {}}}}}
    spec = drop_no_content_bodies(_spec({"/d": {"post": op}}), RULES)
    assert "content" not in spec["paths"]["/d"]["post"]["responses"]["204"]


def test_check_operation_ids_lists_every_problem_with_method_path_and_fix() -> None:
    """Spaces, a missing and a duplicated operationId: one SpecProblems naming each operation and its override."""
    spec = _spec({
        "/v2/foos": {"get": _op("list foos"), "post": {"responses": {}}},
        "/a": {"get": _op("x")},
        "/b": {"get": _op("x")},
    })  # fmt: skip
    with pytest.raises(SpecProblems) as caught:
        check_operation_ids(spec, RULES)
    problems = {(p.where, p.what.split(" ")[0]) for p in caught.value.problems}
    assert problems == {("GET /v2/foos", "operationId"), ("POST /v2/foos", "has"), ("GET /a", "operationId"),
                        ("GET /b", "operationId")}  # fmt: skip
    message = str(caught.value)
    assert "4 problem(s)" in message
    assert "'list foos' is not an identifier" in message
    assert '"GET /v2/foos" = "listFoos"  under [operation_ids]' in message
    assert '"POST /v2/foos" = "postFoos"' in message
    assert "'x' is also the operationId of GET /b" in message


def test_operation_id_overrides_repair_the_spec_and_stale_ones_are_problems() -> None:
    """``[operation_ids]`` gives a bad operation its name; an entry for no operation is itself reported."""
    spec = _spec({"/v2/foos": {"get": _op("list foos")}})
    fixed = check_operation_ids(copy.deepcopy(spec), Rules(operation_ids={"GET /v2/foos": "listFoos"}))
    assert fixed["paths"]["/v2/foos"]["get"]["operationId"] == "listFoos"
    with pytest.raises(SpecProblems, match=r"'GET /v2/bars' matches no operation"):
        check_operation_ids(copy.deepcopy(spec), Rules(operation_ids={"GET /v2/foos": "listFoos", "GET /v2/bars": "x"}))
    with pytest.raises(SpecProblems, match=r"'no way' is not a usable operationId"):
        check_operation_ids(copy.deepcopy(spec), Rules(operation_ids={"GET /v2/foos": "no way"}))


def test_check_operation_ids_finds_module_clashes_parameter_twins_and_dangling_refs() -> None:
    """Same module name, one endpoint twice under other parameter names, and a $ref to nothing are all listed."""
    spec = _spec({
        "/a": {"get": _op("listFoos")},
        "/b": {"get": _op("list_foos")},
        "/c/{id}": {"get": _op("getC")},
        "/c/{cId}": {"get": {"operationId": "getC2", "responses": {"200": {"$ref": "#components/responses/Missing"}}}},
    })  # fmt: skip
    with pytest.raises(SpecProblems) as caught:
        check_operation_ids(spec, RULES)
    message = str(caught.value)
    assert "same module name (list_foos)" in message
    assert "GET /c/{id}: differs from GET /c/{cId} only in the names of its path parameters" in message
    assert "GET /c/{cId}: $ref '#components/responses/Missing' (at responses/200) points at nothing" in message


def _wrapped(inner: dict[str, Any]) -> dict[str, Any]:
    return {"type": "object", "properties": {"item": copy.deepcopy(inner)}}


def _ref_of_item(spec: dict[str, Any], top_ref: str) -> str:
    return str(spec["components"]["schemas"][top_ref.rsplit("/", 1)[1]]["properties"]["item"]["$ref"])


def test_hoist_merges_identical_shapes_and_names_them_by_title() -> None:
    """Two identical nested shapes become one component named after their title."""
    team = {"type": "object", "title": "Team", "properties": {"teamId": {"type": "string"}}}
    spec = _spec({"/t": {"get": _op("listThings", response=_wrapped(team))},
                  "/u": {"get": _op("otherThings", response=_wrapped(team))}})  # fmt: skip
    out = hoist_and_name_schemas(spec, RULES)
    # The identical wrappers merge too, named for what both operations share, not after either.
    assert set(out["components"]["schemas"]) == {"Team", "Thing"}
    for path in ("/t", "/u"):
        top = out["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
        assert _ref_of_item(out, top) == "#/components/schemas/Team"


def test_hoist_tells_apart_different_shapes_with_one_title() -> None:
    """Different shapes sharing a title get distinct names; unversioned operations keep the plain one."""
    a = {"type": "object", "title": "Settings", "properties": {"a": {"type": "string"}}}
    b = {"type": "object", "title": "Settings", "properties": {"b": {"type": "string"}}}
    spec = _spec({"/v3alpha/x": {"post": _op("v3alpha_makeX", body=_wrapped(b))},
                  "/v2/x": {"post": _op("makeX", body=_wrapped(a))}})  # fmt: skip
    out = hoist_and_name_schemas(spec, RULES)
    schemas = out["components"]["schemas"]
    assert schemas["Settings"]["properties"] == {"a": {"type": "string"}}
    top = out["paths"]["/v3alpha/x"]["post"]["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    other = _ref_of_item(out, top).rsplit("/", 1)[1]
    assert other != "Settings"
    assert schemas[other]["properties"] == {"b": {"type": "string"}}


def test_hoist_names_list_entries_after_the_resource() -> None:
    """The entries of `listConnections` are `Connection`, and a get response reuses that name."""
    conn = {"type": "object", "properties": {"connectionId": {"type": "string"}}}
    page = {"type": "object", "properties": {"entries": {"type": "array", "items": copy.deepcopy(conn)},
                                             "nextPage": {"type": ["string", "null"]}}}  # fmt: skip
    spec = _spec({"/c": {"get": _op("listConnections", response=page)}})
    out = hoist_and_name_schemas(spec, RULES)
    assert set(out["components"]["schemas"]) == {"Connection", "ListConnectionsResponse"}


def _names_by_operation(out: dict[str, Any]) -> dict[str, str]:
    """``{operationId: name of its request body or 200 response}`` of a normalized spec."""
    names = {}
    for item in out["paths"].values():
        for op in item.values():
            slots = [op.get("requestBody", {}), op["responses"].get("200", {})]
            refs = [s["content"]["application/json"]["schema"]["$ref"] for s in slots if "content" in s]
            names[op["operationId"]] = refs[0].rsplit("/", 1)[1]
    return names


def test_hoist_names_a_shared_empty_answer_for_its_shape() -> None:
    """`{}` answered by `deleteConnection` and `sendWorkbook` is an `EmptyResponse`, after neither."""
    empty = {"type": "object", "properties": {}}
    spec = _spec({"/c": {"delete": _op("deleteConnection", response=copy.deepcopy(empty))},
                  "/w": {"post": _op("sendWorkbook", response=copy.deepcopy(empty))}})  # fmt: skip
    names = _names_by_operation(hoist_and_name_schemas(spec, RULES))
    assert names == {"deleteConnection": "EmptyResponse", "sendWorkbook": "EmptyResponse"}


def test_hoist_names_a_shared_page_after_its_entries() -> None:
    """One page shape of `listWorkbooks` and `listWorkbooksForTag` is a `WorkbooksPage` of `Workbook`s."""
    workbook = {"type": "object", "properties": {"workbookId": {"type": "string"}}}
    page = {"type": "object", "properties": {"entries": {"type": "array", "items": workbook},
                                             "nextPage": {"type": ["string", "null"]}}}  # fmt: skip
    spec = _spec({"/w": {"get": _op("listWorkbooks", response=copy.deepcopy(page))},
                  "/t": {"get": _op("listWorkbooksForTag", response=copy.deepcopy(page))}})  # fmt: skip
    out = hoist_and_name_schemas(spec, RULES)
    assert set(out["components"]["schemas"]) == {"WorkbooksPage", "Workbook"}


def test_hoist_names_a_shared_page_with_no_common_resource_after_its_entries() -> None:
    """Pages shared by `filesList` and `listFavorites` (nothing in common) are named after their entry type."""
    inode = {"type": "object", "title": "Inode", "properties": {"id": {"type": "string"}}}
    page = {"type": "object", "properties": {"entries": {"type": "array", "items": inode},
                                             "nextPage": {"type": ["string", "null"]}}}  # fmt: skip
    spec = _spec({"/f": {"get": _op("filesList", response=copy.deepcopy(page))},
                  "/v": {"get": _op("listFavorites", response=copy.deepcopy(page))}})  # fmt: skip
    assert set(hoist_and_name_schemas(spec, RULES)["components"]["schemas"]) == {"InodesPage", "Inode"}


def test_hoist_names_shared_bodies_from_the_words_their_operations_share() -> None:
    """Shared bodies take the common resource and verb, never one operation's name; own bodies keep theirs."""
    grant = {"type": "object", "required": ["grants"], "properties": {"grants": {"type": "array", "items": {
        "type": "string"}}}}  # fmt: skip
    workspace = {"type": "object", "properties": {"name": {"type": "string"}}}
    own = {"type": "object", "properties": {"only": {"type": "string"}}}
    spec = _spec({"/a": {"post": _op("createConnectionGrant", body=copy.deepcopy(grant))},
                  "/b": {"post": _op("createConnectionPathGrant", body=copy.deepcopy(grant))},
                  "/c": {"post": _op("createWorkspace", body=copy.deepcopy(workspace))},
                  "/d": {"patch": _op("updateWorkspace", body=copy.deepcopy(workspace))},
                  "/e": {"post": _op("copyWorkbook", body=copy.deepcopy(own))}})  # fmt: skip
    names = _names_by_operation(hoist_and_name_schemas(spec, RULES))
    assert names == {
        "createConnectionGrant": "ConnectionGrantCreateRequest",
        "createConnectionPathGrant": "ConnectionGrantCreateRequest",
        "createWorkspace": "WorkspaceRequest",
        "updateWorkspace": "WorkspaceRequest",
        "copyWorkbook": "CopyWorkbookRequest",
    }


def test_hoist_names_a_shared_parameter_enum_for_its_resource() -> None:
    """A `visibility` enum of `listTeams` (parameter) and `createTeam` (body field) is a `TeamVisibility`."""
    visibility = {"type": "string", "enum": ["public", "private"]}
    list_teams = _op("listTeams")
    list_teams["parameters"] = [{"name": "visibility", "in": "query", "schema": copy.deepcopy(visibility)}]
    body = {"type": "object", "properties": {"name": {"type": "string"}, "visibility": copy.deepcopy(visibility)}}
    spec = _spec({"/t": {"get": list_teams, "post": _op("createTeam", body=body)}})
    assert "TeamVisibility" in hoist_and_name_schemas(spec, RULES)["components"]["schemas"]


def test_hoist_applies_rename_rules_and_respects_reserved_names() -> None:
    """`[rename]` picks a name; a `[reserved]` name is never taken by a model."""
    body = {"type": "object", "properties": {"x": {"type": "string"}}}
    spec = _spec({"/c": {"post": _op("client", body=copy.deepcopy(body))}})
    out = hoist_and_name_schemas(spec, Rules(rename={"ClientRequest": "Client"}, reserved=frozenset({"Client"})))
    assert "Client" not in out["components"]["schemas"]
    out = hoist_and_name_schemas(
        _spec({"/c": {"post": _op("client", body=copy.deepcopy(body))}}), Rules(rename={"ClientRequest": "Thing"})
    )
    assert list(out["components"]["schemas"]) == ["Thing"]


def test_hoist_keeps_nullability_beside_the_hoisted_object() -> None:
    """`type: [object, null]` becomes `oneOf[$ref, null]`: null is still accepted on the wire."""
    schema = {"type": "object", "properties": {"owner": {"type": ["object", "null"],
                                                         "properties": {"id": {"type": "string"}}}}}  # fmt: skip
    out = hoist_and_name_schemas(_spec({"/c": {"get": _op("getThing", response=schema)}}), RULES)
    owner = out["components"]["schemas"]["Thing"]["properties"]["owner"]
    assert owner["oneOf"][1] == {"type": "null"}
    assert owner["oneOf"][0]["$ref"].endswith("ThingOwner")


def test_normalize_is_deterministic_and_leaves_the_input_alone(sigma_spec: dict[str, Any]) -> None:
    """Two runs give identical output, and the caller's spec is not mutated."""
    before = json.dumps(sigma_spec, sort_keys=True)
    first = json.dumps(normalize(sigma_spec))
    second = json.dumps(normalize(sigma_spec))
    assert first == second
    assert json.dumps(sigma_spec, sort_keys=True) == before


def test_normalized_sigma_spec_has_no_inline_models_left(sigma_spec: dict[str, Any]) -> None:
    """After normalization no operation holds an inline object: each is a named component."""
    normalized = normalize(sigma_spec)
    inline: list[str] = []

    def visit(node: Any, where: str) -> None:
        if isinstance(node, dict):
            if node.get("type") == "object" and "properties" in node:
                inline.append(where)
            for key, value in node.items():
                visit(value, f"{where}/{key}")
        elif isinstance(node, list):
            for index, value in enumerate(node):
                visit(value, f"{where}/{index}")

    visit(normalized["paths"], "#/paths")
    assert inline == []
    assert "allOf" not in json.dumps(normalized)
    assert all(s["url"] == s["url"].strip() for s in normalized["servers"])


def test_nullable_unions_accept_null_beside_the_branches() -> None:
    """`{oneOf: [A, B], type: null}` (Sigma's nullable union) becomes `oneOf: [A, B, null]`."""
    a = {"type": "object", "properties": {"t": {"const": "a"}}, "required": ["t"]}
    value = {"oneOf": [a], "type": "null"}
    spec = nullable_unions(_spec({"/c": {"post": _op("c", {"type": "object", "properties": {"v": value}})}}), RULES)
    out = spec["paths"]["/c"]["post"]["requestBody"]["content"]["application/json"]["schema"]["properties"]["v"]
    assert out == {"oneOf": [a, {"type": "null"}]}
    assert _valid(spec, out, None)
    assert _valid(spec, out, {"t": "a"})


def test_specific_branches_first_orders_overlapping_object_branches() -> None:
    """The union branch requiring more fields is tried first, so its fields are not swallowed."""
    loose = {"type": "object", "required": ["format"], "properties": {"format": {"type": "string"}}}
    strict = {"type": "object", "required": ["format", "pageId"],
              "properties": {"format": {"type": "string"}, "pageId": {"type": "string"}}}  # fmt: skip
    body = {"oneOf": [loose, strict]}
    spec = specific_branches_first(_spec({"/e": {"post": _op("e", body)}}), RULES)
    out = spec["paths"]["/e"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert out["oneOf"] == [strict, loose]


def test_bodies_with_required_fields_become_required() -> None:
    """A body whose schema (or every union branch) requires fields is marked required; others are not."""
    demanding = {"type": "object", "required": ["name"], "properties": {"name": {"type": "string"}}}
    relaxed = {"type": "object", "properties": {"name": {"type": "string"}}}
    union = {"oneOf": [demanding, {"type": "object", "required": ["id"], "properties": {"id": {"type": "string"}}}]}
    spec = _spec({"/a": {"post": _op("a", demanding)}, "/b": {"post": _op("b", relaxed)},
                  "/c": {"post": _op("c", union)}})  # fmt: skip
    out = require_bodies_that_have_required_fields(spec, RULES)
    assert [out["paths"][p]["post"]["requestBody"].get("required") for p in ("/a", "/b", "/c")] == [True, None, True]


def test_unions_as_any_of_keeps_branches_and_accepts_overlaps() -> None:
    """`oneOf` becomes `anyOf` with the same branches, so a value fitting two branches stays valid."""
    loose = {"type": "object", "properties": {"w": {"type": "string"}}}
    strict = {"type": "object", "required": ["w"], "properties": {"w": {"type": "string"}}}
    spec = _spec({"/u": {"post": _op("u", {"oneOf": [strict, loose]})}})
    before = copy.deepcopy(spec["paths"]["/u"]["post"]["requestBody"]["content"]["application/json"]["schema"])
    out = unions_as_any_of(spec, RULES)["paths"]["/u"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert out == {"anyOf": [strict, loose]}
    assert not _valid(spec, before, {"w": "x"})
    assert _valid(spec, out, {"w": "x"})


def test_drop_truncated_examples_removes_only_placeholder_examples() -> None:
    """An example holding Node's "[Array]" truncation mark is dropped; a faithful one stays."""
    op = _op("x", response={"type": "object"})
    media = op["responses"]["200"]["content"]["application/json"]
    media["examples"] = {"bad": {"value": {"rows": "[Array]"}}, "good": {"value": {"rows": [1]}}}
    spec = drop_truncated_examples(_spec({"/x": {"get": op}}), RULES)
    assert list(spec["paths"]["/x"]["get"]["responses"]["200"]["content"]["application/json"]["examples"]) == ["good"]


def test_model_names_never_equal_a_typed_property() -> None:
    """A shape whose title matches its own model-typed property gets another name (generator local clash)."""
    inner = {"type": "object", "properties": {"user": {"type": "string"}}}
    shape = {"type": "object", "title": "Service account", "properties": {"serviceAccount": inner}}
    spec = _spec({"/s": {"post": _op("makeS", body={"type": "object", "properties": {"auth": shape}})}})
    names = set(hoist_and_name_schemas(spec, RULES)["components"]["schemas"])
    assert "ServiceAccount" not in names


def _correction(**entry: Any) -> Correction:
    about = {"id": "c", "spec_says": "the spec's claim", "sigma_sends": "what Sigma sends",
             "evidence": ["https://example.com/fixture"]}  # fmt: skip
    return Correction.from_toml({**about, **entry})


def _page_spec() -> dict[str, Any]:
    page = {"type": "object", "required": ["entries", "nextPage"],
            "properties": {"entries": {"type": "array", "items": {"type": "string"}},
                           "nextPage": {"type": ["string", "null"]}}}  # fmt: skip
    return _spec({"/p": {"get": _op("listThings", response=page)}})


def test_a_correction_changes_the_objects_it_names_and_is_recorded() -> None:
    """`object_with` + `unrequire`/`properties` edit every matching object; the outcome is recorded per id."""
    fix = _correction(
        object_with=["entries", "nextPage"], unrequire=["nextPage"], properties={"total": {"type": "number"}}
    )
    spec = apply_corrections_list(_page_spec(), [fix])
    page = spec["paths"]["/p"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert page["required"] == ["entries"]
    assert page["properties"]["total"] == {"type": "number"}
    assert spec["x-sigma-sdk-corrections"] == {"c": 1}
    assert _valid(spec, page, {"entries": []})  # a last page without nextPage is now valid


def test_a_correction_the_spec_already_agrees_with_is_recorded_as_zero() -> None:
    """Applying a correction twice changes nothing the second time: the report can say the spec agrees."""
    fix = _correction(object_with=["entries"], unrequire=["nextPage"])
    once = apply_corrections_list(_page_spec(), [fix])
    assert apply_corrections_list(once, [fix])["x-sigma-sdk-corrections"] == {"c": 0}


def test_a_correction_that_matches_nothing_fails_with_its_id() -> None:
    """A stale correction (the spec moved) stops regeneration and names the entry to review."""
    with pytest.raises(ValueError, match=r"'c'.*matches nothing"):
        apply_corrections_list(_page_spec(), [_correction(object_with=["workbookId"], unrequire=["x"])])


def test_a_correction_replaces_responses_and_adds_enum_values() -> None:
    """`responses` swaps an operation's answers; `enum_add` grows a field's enum, or makes one for a string."""
    spec = _spec(
        {"/d": {"get": _op("download", response={"type": "object", "properties": {"status": {"type": "string"}}})}}
    )
    binary = {
        "description": "file",
        "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
    }
    spec = apply_corrections_list(spec, [
        _correction(id="bin", operation="download", responses={"200": binary, "204": {"description": "running"}}),
    ])  # fmt: skip
    assert spec["paths"]["/d"]["get"]["responses"] == {"200": binary, "204": {"description": "running"}}
    status_spec = _spec(
        {"/m": {"get": _op("m", response={"type": "object", "properties": {"status": {"type": "string"}}})}}
    )
    out = apply_corrections_list(
        status_spec, [_correction(object_with=["status"], enum_add={"field": "status", "values": ["ready"]})]
    )
    assert out["paths"]["/m"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]["properties"][
        "status"
    ]["enum"] == ["ready"]


def test_a_correction_without_evidence_or_a_change_is_refused() -> None:
    """Every entry needs an https evidence URL, a place and a change; the error names the entry and the key."""
    with pytest.raises(ValueError, match="evidence"):
        _correction(evidence=[], object_with=["a"], unrequire=["a"])
    with pytest.raises(ValueError, match="nothing to change"):
        _correction(object_with=["a"])
    with pytest.raises(ValueError, match="unknown keys"):
        _correction(object_with=["a"], unrequire=["a"], unrequired=["b"])


def test_the_reviewed_corrections_file_loads_and_every_entry_cites_evidence() -> None:
    """openapi/corrections.toml parses; each entry has public https evidence and distinct ids."""
    corrections = load_corrections()
    assert len(corrections) >= 10
    assert all(c.evidence and all(url.startswith("https://") for url in c.evidence) for c in corrections)
    assert "download-query-binary" in {c.id for c in corrections}


def test_every_correction_applies_to_sigmas_spec(sigma_spec: dict[str, Any]) -> None:
    """Each reviewed correction changes at least one place of the locked spec (none is stale)."""
    applied = normalize(sigma_spec)["x-sigma-sdk-corrections"]
    assert applied == {name: places for name, places in applied.items() if places > 0}
    assert len(applied) == len(load_corrections())


def test_open_response_unions_appends_unknown_variant_to_response_unions_only() -> None:
    """Unions of objects in responses get the catch-all branch; request-only and enum-only unions do not."""
    objects = {
        "anyOf": [{"$ref": "#/components/schemas/A"}, {"type": "object", "properties": {"b": {"type": "string"}}}]
    }
    enums = {"anyOf": [{"type": "string", "enum": ["x"]}, {"type": "string", "enum": ["y"]}]}
    spec = _spec(
        {"/r": {"post": _op("op", body={"type": "object", "properties": {"u": copy.deepcopy(objects)}},
                            response={"type": "object", "properties": {"u": copy.deepcopy(objects), "e": enums}})}},
        {"A": {"type": "object", "properties": {"a": {"type": "string"}}}},
    )  # fmt: skip
    out = open_response_unions(spec, RULES)
    operation = out["paths"]["/r"]["post"]
    response = operation["responses"]["200"]["content"]["application/json"]["schema"]["properties"]
    assert response["u"]["anyOf"][-1] == {"$ref": "#/components/schemas/UnknownVariant"}
    assert len(response["e"]["anyOf"]) == 2
    assert len(operation["requestBody"]["content"]["application/json"]["schema"]["properties"]["u"]["anyOf"]) == 2
    assert out["components"]["schemas"]["UnknownVariant"]["additionalProperties"] is True
    assert _valid(out, response["u"], {"somethingNew": 1})  # an unknown object is a valid answer now


def test_open_response_unions_leaves_unions_of_pages_closed() -> None:
    """A union with a page branch (an `entries` array) stays closed: iterate() cannot walk an unknown page."""
    page = {"type": "object", "properties": {"entries": {"type": "array", "items": {"type": "string"}}}}
    pages = {"anyOf": [{"type": "array", "items": {"type": "string"}}, {"$ref": "#/components/schemas/Page"}]}
    spec = _spec({"/l": {"get": _op("list", response=pages)}}, {"Page": page})
    out = open_response_unions(spec, RULES)
    response = out["paths"]["/l"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    assert response["anyOf"] == pages["anyOf"]
    assert "UnknownVariant" not in out["components"]["schemas"]
