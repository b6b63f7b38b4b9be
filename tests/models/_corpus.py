"""Response shapes Sigma's live API sends, as recorded by public integrations (facts, re-typed here).

Each entry: the operationId, the status, the body, and a provenance line naming the public source
whose fixture or code shows that shape. Names and IDs are this project's own; the shapes (keys,
nesting, value types, enum values, what is absent) are the recorded facts.
"""

from __future__ import annotations

from typing import Any, NamedTuple

DATAHUB = (
    "https://github.com/datahub-project/datahub/blob/master/metadata-ingestion/tests/integration/sigma/test_sigma.py"
)
DAGSTER = (
    "https://github.com/dagster-io/dagster/blob/master/python_modules/libraries/dagster-sigma/"
    "dagster_sigma_tests/conftest.py"
)
RECIPES = "https://github.com/sigmacomputing/quickstarts-public/blob/main/recipe-portal/recipes/workbooks/"
T = "2024-04-15T13:44:51.477Z"


class Recorded(NamedTuple):
    operation_id: str
    status: int
    body: Any  # JSON, or bytes for a non-JSON answer, or None for no body
    provenance: str


def _page(*entries: Any, total: bool = True, has_more: Any = False) -> dict[str, Any]:
    page: dict[str, Any] = {"entries": list(entries), "nextPage": None}
    if total:
        page["total"] = len(entries)
    if has_more is not None:
        page["hasMore"] = has_more
    return page


_WORKBOOK = {"workbookId": "wb-1", "workbookUrlId": "WbUrl1", "name": "Revenue", "url": "https://app.example/wb/1",
             "path": "Finance", "latestVersion": 4, "ownerId": "own-1", "createdBy": "own-1", "updatedBy": "own-1",
             "createdAt": T, "updatedAt": T}  # fmt: skip
_DATASET = {"datasetId": "ds-1", "createdBy": "own-1", "updatedBy": "own-1", "createdAt": T, "updatedAt": T,
            "name": "Orders", "description": "", "url": "https://app.example/b/ds1"}  # fmt: skip
_FILE = {"id": "f-1", "urlId": "FUrl1", "name": "Orders", "type": "dataset", "parentId": "ws-1",
         "parentUrlId": "WsUrl1", "permission": "edit", "path": "Finance", "badge": None,
         "createdBy": "own-1", "updatedBy": "own-1",
         "createdAt": T, "updatedAt": T, "isArchived": False}  # fmt: skip
_SHEET = {"nodeId": "n-sheet", "type": "sheet", "name": "Orders table", "elementId": "el-1"}
_DATASET_NODE = {"nodeId": "inode-ds1", "type": "dataset", "name": "Orders"}
_LINEAGE = {"dependencies": {"n-sheet": _SHEET, "inode-ds1": _DATASET_NODE},
            "edges": [{"source": "inode-ds1", "target": "n-sheet", "type": "source"}]}  # fmt: skip

CORPUS: tuple[Recorded, ...] = (
    Recorded("listWorkbooks", 200, _page({**_WORKBOOK, "isArchived": False, "workspaceId": "ws-1"}),
             f"{DATAHUB}: /v2/workbooks entries carry workspaceId, path and isArchived; pages carry total"),
    Recorded("listWorkbooks", 200, _page(_WORKBOOK),
             f"{DAGSTER}: workbook entries without isArchived; pages {{entries, hasMore, total, nextPage}}"),
    Recorded("listDatasets", 200, _page(_DATASET, {**_DATASET, "datasetId": "ds-2", "isArchived": False,
                                                   "workspaceId": "ws-1", "path": "Finance/Sub"}),
             f"{DATAHUB}: dataset entries, some with workspaceId and path"),
    Recorded("filesList", 200, _page(_FILE, {**_FILE, "id": "f-2", "type": "workbook", "badge": "Warning",
                                             "ownerId": "own-1"}),
             f"{DATAHUB}: /v2/files?typeFilters=dataset|workbook entries, badge null or a string"),
    Recorded("filesList", 200, _page({**_FILE, "id": "dm-1", "type": "data-model"}),
             f"{DATAHUB}: /v2/files?typeFilters=data-model entries have type data-model"),
    Recorded("filesGet", 200, {**_FILE, "type": "folder"}, f"{DATAHUB}: GET /v2/files/{{id}} of a folder"),
    Recorded("listWorkbookPages", 200,
             _page({"pageId": "pg-1", "name": "Page 1"}, {"pageId": "pg-2", "name": "Page 2"}),
             f"{DATAHUB} and {DAGSTER}: pages as {{pageId, name}}"),
    Recorded("listWorkbookPageElements", 200,
             _page({"elementId": "el-1", "type": "table", "name": "Orders table", "columns": ["Id", "Status"],
                    "vizualizationType": "levelTable"},
                   {"elementId": "el-2", "type": "visualization", "name": "By status", "columns": ["Status"],
                    "vizualizationType": "bar"}),
             f"{DATAHUB} and {DAGSTER}: elements with columns as names and the key spelt vizualizationType"),
    Recorded("getElementColumns", 200, _page({"columnId": "inode-ds1/Id", "label": "Id"},
                                             {"columnId": "c-9", "label": "Count of Id"}),
             f"{DAGSTER}: element columns as {{columnId, label}} without formula"),
    Recorded("listLineage", 200, _LINEAGE, f"{DATAHUB} and {DAGSTER}: element lineage dependencies and edges"),
    Recorded("getElementQuery", 200, {"elementId": "el-1", "name": "Orders table", "sql": "select 1"},
             f"{DATAHUB}: element SQL as {{elementId, name, sql}}"),
    Recorded("listWorkbookQueries", 200, _page({"elementId": "el-1", "name": "Orders table", "sql": "select 1"}),
             f"{DAGSTER}: workbook queries page"),
    Recorded("listWorkspaces", 200, _page({"workspaceId": "ws-1", "name": "Finance", "createdBy": "own-1",
                                           "updatedBy": "own-1", "createdAt": T, "updatedAt": T}, has_more=None),
             f"{DATAHUB}: workspaces page with total and without hasMore"),
    Recorded("listMembers", 200, _page({"organizationId": "org-1", "memberId": "m-1", "memberType": "admin",
                                        "firstName": "Ada", "lastName": "L", "email": "a@example.com",
                                        "profileImgUrl": None, "createdBy": "m-1", "updatedBy": "m-1",
                                        "createdAt": T, "updatedAt": T, "homeFolderId": "f-1",
                                        "userKind": "internal", "isArchived": False, "isInactive": False}),
             f"{DATAHUB}: members page (register_mock_api, /v2/members): profileImgUrl null, isInactive"),
    Recorded("listDataModels", 200, _page({"dataModelId": "dm-1", "dataModelUrlId": "DmUrl1", "name": "Model",
                                           "url": "https://app.example/dm/1", "path": "Finance", "latestVersion": 3,
                                           "ownerId": "own-1", "createdBy": "own-1", "updatedBy": "own-1",
                                           "createdAt": T, "updatedAt": T, "workspaceId": "ws-1"}),
             f"{DATAHUB}: /v2/dataModels entries with workspaceId and path"),
    Recorded("getWorkbookMaterialization", 200, {"materializationId": "mat-1", "status": "building"},
             f"{RECIPES}initiate-materialization.js: status pending or building while running"),
    Recorded("getWorkbookMaterialization", 200, {"materializationId": "mat-1", "status": "ready", "readyAt": T},
             f"{RECIPES}initiate-materialization.js: status ready on success"),
    Recorded("exportWorkbook", 200, {"queryId": "q-1", "jobComplete": False},
             f"{RECIPES}export-workbook-element-csv.js: the export answers with queryId"),
    Recorded("downloadQuery", 204, None, f"{RECIPES}export-workbook-element-csv.js: 204 while the export runs"),
    Recorded("downloadQuery", 200, b"Id,Status\n1,shipped\n",
             f"{RECIPES}export-workbook-element-csv.js: 200 streams the CSV itself"),
)  # fmt: skip
