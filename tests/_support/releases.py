"""Synthetic Sigma releases made from today's spec, for the release drill (tests/release/test_release_drill.py).

Each function takes the raw spec (as Sigma publishes it, not normalized) and returns a changed copy,
the way a next release could look: an additive one, a breaking one, one that makes a spec
correction redundant and one that moves a correction's target. The changes name the operations
they touch, so the drill can say exactly which report lines to expect.
"""

from __future__ import annotations

import copy
from typing import Any

__all__ = [
    "additive_release",
    "breaking_release",
    "fresh_noun",
    "moved_correction_release",
    "new_region",
    "operation",
    "redundant_correction_release",
]

JSON = Any
_NOUNS = ("gizmo", "widget", "sprocket", "doohickey", "thingamajig")


def fresh_noun(spec: dict[str, JSON]) -> str:
    """The first noun whose additive release is new to ``spec`` (its tag path is not there yet), so the
    drill still adds something after a release the drill itself made was committed."""
    for noun in _NOUNS:
        if f"/v2/{noun}s" not in spec.get("paths", {}):
            return noun
    raise LookupError(
        f"every drill noun is already in the spec ({', '.join(_NOUNS)}): add one to tests/_support/releases.py"
    )


def new_region(noun: str) -> str:
    """The server URL the additive release named by ``noun`` adds."""
    return f"https://api.{noun}.example.sigmacomputing.com"


def operation(spec: dict[str, JSON], operation_id: str) -> tuple[str, str, dict[str, JSON]]:
    """``(path, method, operation)`` of ``operation_id`` in ``spec``."""
    for path, item in spec["paths"].items():
        for method, candidate in item.items():
            if isinstance(candidate, dict) and candidate.get("operationId") == operation_id:
                return path, method, candidate
    raise LookupError(
        f"the release drill changes operation {operation_id!r}, which this spec does not have (Sigma removed or "
        "renamed it): pick another operation in tests/_support/releases.py"
    )


def _json_schema(op: dict[str, JSON]) -> dict[str, JSON]:
    schema: dict[str, JSON] = op["responses"]["200"]["content"]["application/json"]["schema"]
    return schema


def _new_version(spec: dict[str, JSON], version: str) -> dict[str, JSON]:
    release = copy.deepcopy(spec)
    release["info"]["version"] = version
    return release


def additive_release(spec: dict[str, JSON], noun: str = "gizmo") -> dict[str, JSON]:
    """3 new operations in one new tag, one new optional field, one new enum value, one new region.

    ``noun`` names what is added (``gizmo``: ``listGizmos``, tag ``gizmos``, field ``gizmoColor``,
    enum value ``gizmoKind``, region ``api.gizmo.example...``), so another noun makes another release.
    """
    release = _new_version(spec, "2.1.0")
    title = noun[0].upper() + noun[1:]
    thing = {
        "type": "object",
        "title": title,
        "required": [f"{noun}Id", "name"],
        "properties": {f"{noun}Id": {"type": "string"}, "name": {"type": "string"}, f"{noun}Size": {"type": "number"}},
    }
    page = {
        "type": "object",
        "title": f"{title} page",
        "required": ["entries"],
        "properties": {"entries": {"type": "array", "items": copy.deepcopy(thing)}, "nextPage": {"type": "string"}},
    }

    def answer(schema: dict[str, JSON]) -> dict[str, JSON]:
        return {"200": {"description": "OK", "content": {"application/json": {"schema": copy.deepcopy(schema)}}}}

    tag = f"{noun}s"
    release["tags"] = [*release.get("tags", []), {"name": tag, "description": f"{title}s (a new Sigma feature)."}]
    release["paths"][f"/v2/{tag}"] = {
        "get": {"operationId": f"list{title}s", "tags": [tag], "summary": f"List {tag}", "responses": answer(page)},
        "post": {
            "operationId": f"create{title}",
            "tags": [tag],
            "summary": f"Create a {noun}",
            "requestBody": {
                "required": True,
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "required": ["name"],
                            # a shape of its own (the name of a shape shared with another operation may move)
                            "properties": {"name": {"type": "string"}, f"{noun}Template": {"type": "string"}},
                        }
                    }
                },
            },
            "responses": answer(thing),
        },
    }
    release["paths"][f"/v2/{tag}/{{{noun}Id}}"] = {
        "get": {
            "operationId": f"get{title}",
            "tags": [tag],
            "summary": f"Get a {noun}",
            "parameters": [{"name": f"{noun}Id", "in": "path", "required": True, "schema": {"type": "string"}}],
            "responses": answer(thing),
        }
    }
    _json_schema(operation(release, "getInodeConnectionPath")[2])["properties"][f"{noun}Color"] = {"type": "string"}
    kind = _json_schema(operation(release, "lookupConnection")[2])["properties"]["kind"]
    kind["enum"] = [*kind["enum"], f"{noun}Kind"]
    region = {
        "url": new_region(noun),
        "description": f"Server for {title} organizations",
    }
    release["servers"] = [*release["servers"], region]
    return release


def breaking_release(spec: dict[str, JSON]) -> dict[str, JSON]:
    """whoAmI removed; copyTaggedWorkbook's {versionTag} renamed {tag}; testConnection's answer loses
    ``write``; getTeam's isArchived becomes required; getInodeConnectionPath's connectionId becomes an integer."""
    release = _new_version(spec, "3.0.0")
    path, method, _ = operation(release, "whoAmI")
    del release["paths"][path][method]
    if not any(isinstance(value, dict) and "operationId" in value for value in release["paths"][path].values()):
        del release["paths"][path]
    path, _, _ = operation(release, "copyTaggedWorkbook")
    item = release["paths"].pop(path)
    for op in item.values():
        for parameter in op.get("parameters", []) if isinstance(op, dict) else ():
            if parameter.get("name") == "versionTag":
                parameter["name"] = "tag"
    release["paths"][path.replace("{versionTag}", "{tag}")] = item
    tested = _json_schema(operation(release, "testConnection")[2])
    del tested["properties"]["write"]
    tested["required"] = [name for name in tested.get("required", []) if name != "write"]
    team_parts = _json_schema(operation(release, "getTeam")[2])["allOf"][0]["allOf"]
    team_parts[1]["required"] = ["isArchived"]
    _json_schema(operation(release, "getInodeConnectionPath")[2])["properties"]["connectionId"] = {"type": "integer"}
    return release


def redundant_correction_release(spec: dict[str, JSON]) -> tuple[dict[str, JSON], str]:
    """Sigma now documents what two corrections say, in its own words; returns the release and its
    new 200 description of downloadQuery (which must survive normalization)."""
    release = _new_version(spec, "2.0.1")
    _, _, download = operation(release, "downloadQuery")
    sigmas_words = "The file you exported, in its own format."
    download["responses"]["200"] = {
        "description": sigmas_words,
        "content": {"application/octet-stream": {"schema": {"type": "string", "format": "binary"}}},
    }
    download["responses"]["204"] = {"description": "Not ready yet."}
    _, _, files = operation(release, "filesList")
    for parameter in files["parameters"]:
        if parameter["name"] == "typeFilters":
            for node in _enums(parameter["schema"]):
                node["enum"] = [*node["enum"], "data-model"]
    return release, sigmas_words


def moved_correction_release(spec: dict[str, JSON]) -> dict[str, JSON]:
    """getElementColumns' entries call ``formula`` ``formulaText`` now: element-columns-formula-optional
    matches nothing."""
    release = _new_version(spec, "2.0.2")
    _, _, columns = operation(release, "getElementColumns")
    for node in _objects_with(columns["responses"], "formula"):
        node["properties"]["formulaText"] = node["properties"].pop("formula")
        node["required"] = ["formulaText" if name == "formula" else name for name in node.get("required", [])]
    return release


def _enums(node: JSON) -> list[dict[str, JSON]]:
    found = []
    if isinstance(node, dict):
        if isinstance(node.get("enum"), list):
            found.append(node)
        for value in node.values():
            found += _enums(value)
    elif isinstance(node, list):
        for value in node:
            found += _enums(value)
    return found


def _objects_with(node: JSON, name: str) -> list[dict[str, JSON]]:
    found = []
    if isinstance(node, dict):
        if isinstance(node.get("properties"), dict) and name in node["properties"]:
            found.append(node)
        for value in node.values():
            found += _objects_with(value, name)
    elif isinstance(node, list):
        for value in node:
            found += _objects_with(value, name)
    return found
