"""Stable names: generated code depends on no order in the spec, and a published name stays with its schema.

Pure-normalization checks compare the normalized specs and name maps (cheap); one full regeneration of a
reordered spec proves the generated tree is byte-identical to the committed one.
"""

from __future__ import annotations

import copy
import dataclasses
import json
import random
from pathlib import Path
from typing import Any

import pytest
import regenerate
from _codegen._naming import naming_collisions
from _codegen._published import EXTENSION, Published
from _codegen._rules import Rules
from _codegen._surface import surface
from _codegen.normalize import PASSES, add_operations, apply_corrections, normalize

from tests._support.releases import operation
from tests._support.spec import ROOT, load_spec

SURFACE = ROOT / "openapi" / "api-surface.json"


def _committed_surface() -> dict[str, Any]:
    return json.loads(SURFACE.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def _reordered(spec: dict[str, Any], seed: int | None) -> dict[str, Any]:
    """``spec`` with ``paths`` and each path's methods reversed (``seed`` None) or shuffled with ``seed``."""
    spec = copy.deepcopy(spec)
    paths = list(spec["paths"].items())
    order: Any = (lambda items: items.reverse()) if seed is None else random.Random(seed).shuffle
    order(paths)
    reordered = {}
    for path, item in paths:
        methods = list(item.items())
        order(methods)
        reordered[path] = dict(methods)
    spec["paths"] = reordered
    assert list(spec["paths"]) != list(load_spec()["paths"])
    return spec


def _without_memory() -> Rules:
    return dataclasses.replace(Rules.load(), published={})


_HTTP_METHODS = ("get", "put", "post", "delete", "patch")


def _operation(spec: dict[str, Any], operation_id: str) -> dict[str, Any]:
    """The operation object; a LookupError saying what to change once Sigma drops or renames it."""
    return operation(spec, operation_id)[2]


@pytest.mark.parametrize("seed", [None, 7])
def test_reordered_paths_and_methods_normalize_identically_without_any_published_names(seed: int | None) -> None:
    """Reversed or shuffled paths and methods: the same normalized spec, names included, even with no memory."""
    rules = _without_memory()
    expected = json.dumps(normalize(load_spec(), rules))
    assert json.dumps(normalize(_reordered(load_spec(), seed), rules)) == expected


def test_a_reordered_spec_regenerates_the_committed_tree_byte_for_byte(tmp_path: Path) -> None:
    """The real pipeline on a shuffled spec: 0 generated files differ from the committed sigma_sdk/."""
    package = regenerate.generate(normalize(_reordered(load_spec(), 2026)), tmp_path)
    assert regenerate.tree_differences(package, ROOT / "sigma_sdk") == []


def test_the_committed_names_are_what_the_published_record_says() -> None:
    """Every model named by the naming pass is in the surface's ``names`` record, with its origins."""
    committed = _committed_surface()
    names = committed["names"]
    hoisted = set(normalize(load_spec())[EXTENSION])
    assert hoisted <= set(names)
    assert set(committed["schemas"]) - hoisted <= {"ApiError", "ConstValCodec", "UnknownVariant"}
    assert all(entry["origins"] and len(entry["shape"]) == 24 for entry in names.values())


def _add_field_to_list_workbooks_entries(spec: dict[str, Any]) -> None:
    schema = _operation(spec, "listWorkbooks")["responses"]["200"]["content"]["application/json"]["schema"]
    pending = [schema]
    while pending:
        node = pending.pop()
        entries = (node.get("properties") or {}).get("entries")
        if entries is not None:
            items = entries["items"]
            target = next((part for part in items.get("allOf", ()) if "properties" in part), items)
            target["properties"]["sigmaNextField"] = {"type": "string", "description": "new in the next release"}
            return
        pending += [b for keyword in ("allOf", "oneOf", "anyOf") for b in node.get(keyword, ()) if isinstance(b, dict)]
    raise AssertionError("listWorkbooks answers no page of entries")


def test_adding_a_field_to_one_operation_renames_nothing_elsewhere() -> None:
    """A new optional field in listWorkbooks' entries: no published model renamed or changed; others untouched."""
    spec = load_spec()
    _add_field_to_list_workbooks_entries(spec)
    new = surface(normalize(spec))
    old = _committed_surface()
    assert set(old["schemas"]) - set(new["schemas"]) == set()
    assert new["operations"]["listWorkbooksForTag"] == old["operations"]["listWorkbooksForTag"]
    changed = {name for name in old["schemas"] if new["schemas"][name] != old["schemas"][name]}
    assert changed == set()  # the untouched copy keeps the shape and the name; the new shape is a new model
    assert new["operations"]["listWorkbooks"]["responses"] != old["operations"]["listWorkbooks"]["responses"]


def _normalize_without_corrections(spec: dict[str, Any], rules: Rules) -> dict[str, Any]:
    """The passes without corrections.toml (corrections and additions), whose entries target Sigma's spec."""
    for normalization_pass in PASSES:
        if normalization_pass not in (apply_corrections, add_operations):
            spec = normalization_pass(copy.deepcopy(spec), rules)
    return spec


def _small_spec(item_properties: dict[str, Any]) -> dict[str, Any]:
    def listing(operation_id: str) -> dict[str, Any]:
        schema = {"type": "object", "properties": {"items": {"type": "array", "items": {
            "type": "object", "properties": copy.deepcopy(item_properties)}}}}  # fmt: skip
        content = {"application/json": {"schema": schema}}
        return {"operationId": operation_id, "responses": {"200": {"description": "ok", "content": content}}}

    return {"openapi": "3.1.0", "info": {"title": "t", "version": "1"},
            "paths": {"/things": {"get": listing("listThings")}, "/gadgets": {"post": listing("findGadgets")}},
            "components": {"schemas": {}}}  # fmt: skip


def _published(spec: dict[str, Any]) -> dict[str, Published]:
    record = spec[EXTENSION]
    return {name: Published(e["shape"], frozenset(e["origins"])) for name, e in record.items()}


def test_a_published_name_stays_with_its_schema_and_is_never_reused() -> None:
    """Same content keeps its published name; a changed one keeps it by origin; a retired name goes to no new schema."""
    first = _normalize_without_corrections(_small_spec({"id": {"type": "string"}}), Rules())
    (item,) = [name for name, entry in first[EXTENSION].items() if any(o.endswith("/items") for o in entry["origins"])]
    renamed = {"Gizmo" if name == item else name: entry for name, entry in _published(first).items()}
    rules = Rules(published=renamed)
    again = _normalize_without_corrections(_small_spec({"id": {"type": "string"}}), rules)
    assert "Gizmo" in again["components"]["schemas"]
    assert item not in again["components"]["schemas"]
    grown = _normalize_without_corrections(_small_spec({"id": {"type": "string"}, "size": {"type": "integer"}}), rules)
    assert "size" in grown["components"]["schemas"]["Gizmo"]["properties"]
    retired = {"Gizmo": Published("0" * 24, frozenset({"elsewhere#/responses/200"}))}
    fresh = _normalize_without_corrections(_small_spec({"id": {"type": "string"}}), Rules(published=retired))
    assert "Gizmo" not in fresh["components"]["schemas"]
    assert fresh[EXTENSION]["Gizmo"]["origins"] == ["elsewhere#/responses/200"]


def test_a_split_shape_leaves_the_published_name_with_the_unchanged_copy() -> None:
    """Two operations shared one item model; a field added to one's copy: the other keeps the name and shape."""
    shared = _normalize_without_corrections(_small_spec({"id": {"type": "string"}}), Rules())
    (item,) = [name for name, entry in shared[EXTENSION].items() if entry["origins"][0].endswith("/items")]
    assert len(shared[EXTENSION][item]["origins"]) == 2
    spec = _small_spec({"id": {"type": "string"}})
    items = spec["paths"]["/gadgets"]["post"]["responses"]["200"]["content"]["application/json"]["schema"]
    items["properties"]["items"]["items"]["properties"]["size"] = {"type": "integer"}
    split = _normalize_without_corrections(spec, Rules(published=_published(shared)))
    assert split[EXTENSION][item]["origins"] == ["listThings#/responses/200/properties/items/items"]
    assert set(split["components"]["schemas"][item]["properties"]) == {"id"}


def test_name_and_attribute_collisions_are_resolved_listed_and_snake_case(tmp_path: Path) -> None:
    """Two "Summary" objects and owner_info/ownerInfo: one name each, both collisions listed, attributes snake_case."""
    response = {"type": "object", "properties": {
        "owner_info": {"type": "string"}, "ownerInfo": {"type": "integer"},
        "a": {"type": "object", "title": "Summary", "properties": {"x": {"type": "string"}}},
        "b": {"type": "object", "title": "Summary", "properties": {"y": {"type": "string"}}}}}  # fmt: skip
    content = {"application/json": {"schema": response}}
    spec = {"openapi": "3.1.0", "info": {"title": "t", "version": "1"},
            "paths": {"/owners": {"get": {"operationId": "listOwners", "tags": ["owners"],
                                          "responses": {"200": {"description": "ok", "content": content}}}}},
            "components": {"schemas": {}}}  # fmt: skip
    normalized = _normalize_without_corrections(spec, Rules())
    lines = naming_collisions(normalized)
    assert lines == [
        "ListOwnersResponse.owner_info wanted by #/components/schemas/ListOwnersResponse field 'ownerInfo': named "
        "ListOwnersResponse.owner_info_2 (ListOwnersResponse.owner_info is #/components/schemas/ListOwnersResponse "
        "field 'owner_info')",
        "Summary wanted by listOwners#/responses/200/properties/b: named ListOwnersB (Summary is "
        "listOwners#/responses/200/properties/a)",
    ]
    model = (regenerate.generate(normalized, tmp_path) / "models" / "list_owners_response.py").read_text("utf-8")
    assert "    owner_info: str | Unset = UNSET\n    owner_info_2: int | Unset = UNSET\n" in model
    assert 'field_dict["ownerInfo"] = owner_info_2' in model
    assert "ownerInfo:" not in model
    assert "self.ownerInfo" not in model


def test_a_bad_spec_stops_regeneration_with_every_problem_and_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """An operationId with spaces and an operation without one: regenerate.py exits 2 listing both, writes nothing."""
    spec = load_spec()
    # The first two operations in path order, whatever the release: one gets spaces, one loses its id.
    (spaced_path, spaced_method), (bare_path, bare_method) = sorted(
        (path, method) for path, item in spec["paths"].items() for method in item if method in _HTTP_METHODS
    )[:2]
    spec["paths"][spaced_path][spaced_method]["operationId"] = "list all things"
    del spec["paths"][bare_path][bare_method]["operationId"]
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(spec), encoding="utf-8")
    for name in ("PACKAGE", "LOCK", "SURFACE", "CHANGELOG"):  # nothing in the repository may be touched
        monkeypatch.setattr(regenerate, name, tmp_path / name)
    assert regenerate.main(["--spec", str(bad)]) == 2
    err = capsys.readouterr().err
    spaced, bare = f"{spaced_method.upper()} {spaced_path}", f"{bare_method.upper()} {bare_path}"
    assert "(2 problem(s))" in err
    assert f"{spaced}: operationId 'list all things' is not an identifier" in err
    assert f'"{spaced}" = "listAllThings"  under [operation_ids] in openapi/normalization.toml' in err
    assert f"{bare}: has no operationId" in err
    assert "Traceback" not in err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.json"]
