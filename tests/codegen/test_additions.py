"""Spec additions: the operations Sigma serves but its spec lacks, typed, paged and reported once the spec has them.

The recorded shapes are those of public integrations' fixtures (facts, rewritten here):
DataHub's Sigma source tests (data model elements, columns, lineage) and MeltanoLabs' tap-sigma
schemas (workbook lineage).
"""

from __future__ import annotations

import copy
import inspect
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import respx
from _codegen._additions import Addition, add, additions_summary, load_additions

from sigma_sdk import Client
from sigma_sdk.api.data_models import (
    list_data_model_columns,
    list_data_model_elements,
    list_data_model_lineage_tree,
)
from sigma_sdk.api.workbooks import list_lineage_tree
from sigma_sdk.models import DataModelColumn, DataModelElement, DataModelLineageNode, WorkbookLineageNode
from sigma_sdk.types import UnknownValue
from tests._support.payloads import json_of
from tests.conftest import BASE_URL, CLIENT_ID, CLIENT_SECRET, FakeSigma

DM = "147a4d09-a686-4eea-b183-9b82aa0f7beb"
WB = "9bbbe3b0-c0c8-4fac-b6f1-8dfebfe74f8b"

# DataHub's fixture of GET /v2/dataModels/{id}/elements (bare column names, null vizualizationType).
ELEMENTS = [
    {"elementId": "0ui59vLc38", "name": "random data model", "type": "table", "vizualizationType": None,
     "columns": ["id", "name"]},
    {"elementId": "4plNusNz75", "name": "2313213123.test.231", "type": "table", "vizualizationType": None,
     "columns": ["id", "price"]},
]  # fmt: skip
# DataHub's fixture of .../columns: a column without element and a null label are recorded too.
COLUMNS = [
    {"columnId": "col-0ui-team1", "elementId": "0ui59vLc38", "name": "team1", "label": "Team 1", "formula": ""},
    {"columnId": "col-4pl-calc", "elementId": "4plNusNz75", "name": "Calc (1)", "label": "Calc",
     "formula": "[team1] + 'x'"},
    {"columnId": "col-orphan", "elementId": None, "name": "orphan_col", "label": None, "formula": ""},
]  # fmt: skip
# DataHub's fixture of .../lineage: source nodes and element nodes with their sourceIds.
DM_LINEAGE = [
    {"type": "dataset", "name": "PETS", "inodeId": "inode-49HFLTr6xytgrPly3PFsNC"},
    {"type": "table", "name": "SOME_WAREHOUSE_TABLE", "inodeId": "inode-dmWarehouseTableX"},
    {"type": "element", "elementId": "0ui59vLc38", "sourceIds": ["inode-49HFLTr6xytgrPly3PFsNC"]},
    {"type": "element", "elementId": "4plNusNz75", "sourceIds": ["0ui59vLc38"]},
]
# tap-sigma's fields of GET /v2/workbooks/{id}/lineage entries, one node of each kind it names.
WB_LINEAGE = [
    {"type": "element", "elementId": "kH0MeihtGs", "sourceIds": ["inode-2Fby"], "dataSourceIds": ["inode-2Fby"]},
    {"type": "data-model", "dataModelId": DM, "name": "My Data Model-2", "connectionId": None},
    {"type": "table", "inodeId": "inode-2Fby", "name": "ADOPTIONS", "connectionId": "conn-1"},
    {"type": "customSQL", "definition": "select 1", "connectionId": "conn-1"},
]

CASES = [
    (list_data_model_elements, f"/v2/dataModels/{DM}/elements", DM, ELEMENTS, DataModelElement),
    (list_data_model_columns, f"/v2/dataModels/{DM}/columns", DM, COLUMNS, DataModelColumn),
    (list_data_model_lineage_tree, f"/v2/dataModels/{DM}/lineage", DM, DM_LINEAGE, DataModelLineageNode),
    (list_lineage_tree, f"/v2/workbooks/{WB}/lineage", WB, WB_LINEAGE, WorkbookLineageNode),
]


def _name(value: object) -> str:
    return getattr(value, "__name__", "").rsplit(".", 1)[-1]


@pytest.fixture
def router(fake_sigma: FakeSigma) -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=BASE_URL, assert_all_called=False) as router:
        yield router


def _paged(router: respx.MockRouter, fake_sigma: FakeSigma, path: str, entries: list[dict[str, Any]]) -> respx.Route:
    """Serve ``entries`` at ``path`` in two pages ({entries, nextPage, total}, as Sigma answers)."""
    half = len(entries) // 2

    def answer(request: httpx.Request) -> httpx.Response:
        if request.url.params.get("page") == "2":
            return httpx.Response(200, json={"entries": entries[half:], "nextPage": None, "total": len(entries)})
        return httpx.Response(200, json={"entries": entries[:half], "nextPage": "2", "total": len(entries)})

    route = router.get(path).mock(side_effect=answer)
    router.route().mock(side_effect=fake_sigma.handle)
    return route


@pytest.mark.parametrize(("module", "path", "owner", "entries", "model"), CASES, ids=_name)
def test_added_operation_pages_through_recorded_entries(
    router: respx.MockRouter, fake_sigma: FakeSigma, module: Any, path: str, owner: str, entries: Any, model: type
) -> None:
    """iterate() walks both pages of a recorded answer and yields typed entries that round-trip exactly."""
    route = _paged(router, fake_sigma, path, entries)
    with Client(BASE_URL, CLIENT_ID, CLIENT_SECRET) as client:
        got = list(module.iterate(owner, client=client))
    assert [type(entry) for entry in got] == [model] * len(entries)
    assert [json_of(entry) for entry in got] == entries
    assert [call.request.url.params.get("page") for call in route.calls] == [None, "2"]


@pytest.mark.parametrize(("module", "path", "owner", "entries", "model"), CASES, ids=_name)
async def test_added_operation_pages_asynchronously(
    router: respx.MockRouter, fake_sigma: FakeSigma, module: Any, path: str, owner: str, entries: Any, model: type
) -> None:
    """aiterate() walks the same pages on the async client."""
    _paged(router, fake_sigma, path, entries)
    async with Client(BASE_URL, CLIENT_ID, CLIENT_SECRET) as client:
        got = [entry async for entry in module.aiterate(owner, client=client)]
    assert [json_of(entry) for entry in got] == entries


def test_added_operations_have_typed_fields_and_an_open_node_type(
    router: respx.MockRouter, fake_sigma: FakeSigma
) -> None:
    """Fields are typed attributes; a lineage node kind the SDK does not list is kept as an UnknownValue."""
    nodes = [*DM_LINEAGE, {"type": "data-model", "name": "Other model", "inodeId": "inode-x"}]
    router.get(f"/v2/dataModels/{DM}/lineage").respond(200, json={"entries": nodes, "nextPage": None})
    router.route().mock(side_effect=fake_sigma.handle)
    with Client(BASE_URL, CLIENT_ID, CLIENT_SECRET) as client:
        page = list_data_model_lineage_tree.sync(DM, client=client)
    assert page.entries[3].source_ids == ["0ui59vLc38"]
    assert page.entries[0].inode_id == "inode-49HFLTr6xytgrPly3PFsNC"
    assert isinstance(page.entries[4].type_, UnknownValue)
    assert page.entries[4].type_ == "data-model"


def test_added_operations_say_they_are_not_in_the_spec() -> None:
    """Each added operation's docstring says it is not in Sigma's published spec and cites its evidence."""
    for module, *_ in CASES:
        doc = inspect.getdoc(module.sync) or ""
        assert "Not in Sigma's published spec" in doc, module.__name__
        assert "https://" in doc, module.__name__


# -- the mechanism ----------------------------------------------------------------------------


def _spec_with(path: str, method: str, operation_id: str) -> dict[str, Any]:
    return {
        "openapi": "3.1.0",
        "paths": {path: {method: {"operationId": operation_id, "responses": {"200": {"description": "ok"}}}}},
    }


def test_spec_listing_an_addition_makes_it_redundant_not_duplicated() -> None:
    """A spec that has the operation itself keeps its own; the entry is reported 'remove it', the others added."""
    additions = load_additions()
    spec = _spec_with("/v2/dataModels/{dataModelId}/elements", "get", "listDataModelElements")
    own = copy.deepcopy(spec["paths"]["/v2/dataModels/{dataModelId}/elements"]["get"])
    add(spec, additions)
    assert spec["paths"]["/v2/dataModels/{dataModelId}/elements"]["get"] == own
    assert spec["x-sigma-sdk-additions"] == {
        "data-model-elements": "redundant",
        "data-model-columns": "added",
        "data-model-lineage": "added",
        "workbook-lineage": "added",
    }
    assert additions_summary(spec) == (
        "Spec additions (openapi/corrections.toml): 3 added; the spec now has data-model-elements: remove those entries"
    )


def test_an_addition_is_redundant_when_the_spec_has_its_operation_id_elsewhere() -> None:
    """Sigma listing the operation under another path (same operationId) also makes the entry redundant."""
    spec = _spec_with("/v2/dataModels/{dataModelId}/lineageTree", "get", "listDataModelLineageTree")
    add(spec, load_additions())
    assert spec["x-sigma-sdk-additions"]["data-model-lineage"] == "redundant"
    assert "/v2/dataModels/{dataModelId}/lineage" not in spec["paths"]


def test_normalizing_a_spec_that_lists_an_addition_keeps_one_operation() -> None:
    """Normalizing a spec that has GET /v2/workbooks/{workbookId}/lineage keeps one operation and says so."""
    from _codegen._rules import Rules
    from _codegen.normalize import add_operations, check_operation_ids

    spec = _spec_with("/v2/workbooks/{workbookId}/lineage", "get", "listLineageTree")
    spec = check_operation_ids(add_operations(spec, Rules.load()), Rules.load())  # no duplicate operationId
    assert list(spec["paths"]["/v2/workbooks/{workbookId}/lineage"]) == ["get"]
    assert "the spec now has workbook-lineage: remove those entries" in additions_summary(spec)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"evidence": ["http://example.com"]}, "'evidence' must list"),
        ({"method": "fetch"}, "'method' must be one of"),
        ({"path": "/v2/things/{otherId}/parts"}, "path parameters"),
        ({"operation": {"operationId": "x", "responses": {"404": {}}}}, "2xx response"),
        ({"colour": "blue"}, "unknown keys"),
    ],
)
def test_a_malformed_addition_names_the_entry_and_the_problem(change: dict[str, Any], message: str) -> None:
    """A mistake in an [[addition]] fails loading with the entry's id and what is wrong."""
    entry = {
        "id": "sample",
        "spec_says": "nothing",
        "sigma_sends": "a page",
        "evidence": ["https://example.com/evidence"],
        "method": "get",
        "path": "/v2/things/{thingId}/parts",
        "operation": {
            "operationId": "listThingParts",
            "parameters": [{"name": "thingId", "in": "path", "required": True, "schema": {"type": "string"}}],
            "responses": {"200": {"description": "ok"}},
        },
        **change,
    }
    with pytest.raises(ValueError, match=f"addition 'sample'.*{message}"):
        Addition.from_toml(entry)


def test_every_addition_is_generated() -> None:
    """Each [[addition]] of corrections.toml is a generated module of sigma_sdk.api (nothing silently dropped)."""
    from openapi_python_client.strings import snake_case

    root = Path(__file__).resolve().parents[2] / "sigma_sdk" / "api"
    stems = {path.stem for path in root.glob("*/*.py")}
    assert {snake_case(a.operation_id) for a in load_additions()} <= stems
    assert len(load_additions()) == 4


def test_full_normalization_of_a_spec_release_that_lists_an_addition() -> None:
    """Sigma's spec plus its own GET /v2/workbooks/{workbookId}/lineage: normalized once, reported redundant."""
    from _codegen.normalize import iter_operations, normalize

    from tests._support.spec import load_spec

    spec = load_spec()
    spec_count = sum(1 for _ in iter_operations(spec))
    own = {
        "operationId": "listLineageTree",
        "summary": "List lineage for a workbook",
        "parameters": [{"name": "workbookId", "in": "path", "required": True, "schema": {"type": "string"}}],
        "responses": {"200": {"description": "ok", "content": {"application/json": {"schema": {"type": "object"}}}}},
    }
    spec["paths"]["/v2/workbooks/{workbookId}/lineage"] = {"get": own}
    normalized = normalize(spec)
    operation = normalized["paths"]["/v2/workbooks/{workbookId}/lineage"]["get"]
    assert "Not in Sigma's published spec" not in operation.get("description", "")
    ids = [op["operationId"] for item in normalized["paths"].values() for op in item.values() if isinstance(op, dict)]
    assert ids.count("listLineageTree") == 1
    assert len(ids) == spec_count + 1 + 3  # the spec's, its new one, and the three additions it still lacks
    assert "the spec now has workbook-lineage: remove those entries" in additions_summary(normalized)
