"""The API surface of a normalized spec, and the change report between two surfaces.

The surface is what a caller of the SDK depends on: operations, their parameters and bodies, and
every named schema's fields and enum values, with compact type strings. It is committed beside the
lock (``openapi/api-surface.json``) so a regeneration can say what changed without keeping Sigma's
spec itself in the repository.
"""

from __future__ import annotations

import json
import re
from typing import Any

__all__ = ["change_report", "renamed_models", "surface"]

JSON = Any
_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")


def type_string(schema: JSON) -> str:
    """A short, stable description of a schema's type: ``list[Connection]``, ``string|null``, ``'snowflake'``."""
    if not isinstance(schema, dict) or not schema:
        return "any"
    if "$ref" in schema:
        return str(schema["$ref"]).rsplit("/", 1)[-1]
    if "const" in schema:
        return repr(schema["const"])
    for keyword in ("oneOf", "anyOf"):
        if keyword in schema:
            return " | ".join(type_string(branch) for branch in schema[keyword])
    kind = schema.get("type", "any")
    kinds = kind if isinstance(kind, list) else [kind]
    rendered = []
    for single in kinds:
        if single == "array":
            rendered.append(f"list[{type_string(schema.get('items'))}]")
        elif single == "object" and isinstance(schema.get("additionalProperties"), dict):
            rendered.append(f"dict[str, {type_string(schema['additionalProperties'])}]")
        else:
            fmt = schema.get("format")
            rendered.append(f"{single}({fmt})" if fmt else str(single))
    if "enum" in schema:
        rendered.append("enum")
    return "|".join(rendered)


def _fields(schema: dict[str, JSON]) -> dict[str, str]:
    required = set(schema.get("required") or ())
    return {
        name: type_string(prop) + ("" if name in required else "?")
        for name, prop in sorted((schema.get("properties") or {}).items())
    }


def surface(spec: dict[str, JSON]) -> dict[str, JSON]:
    """Reduce a normalized spec to what SDK callers depend on (sorted, so it diffs cleanly)."""
    operations: dict[str, JSON] = {}
    for path, item in (spec.get("paths") or {}).items():
        for method in _METHODS:
            operation = item.get(method)
            if not isinstance(operation, dict):
                continue
            params = {
                f"{p['in']}:{p['name']}": type_string(p.get("schema")) + ("" if p.get("required") else "?")
                for p in operation.get("parameters") or ()
            }
            request_body = operation.get("requestBody") or {}
            optional = "" if request_body.get("required") else "?"
            bodies = {
                media_type: type_string(media.get("schema")) + optional
                for media_type, media in (request_body.get("content") or {}).items()
            }
            responses = {
                status: " | ".join(type_string(m.get("schema")) for m in (response.get("content") or {}).values())
                for status, response in (operation.get("responses") or {}).items()
                if str(status).startswith("2")
            }
            operations[operation["operationId"]] = {
                "method": method.upper(),
                "path": path,
                "params": dict(sorted(params.items())),
                "body": dict(sorted(bodies.items())),
                "responses": dict(sorted(responses.items())),
            }
    schemas: dict[str, JSON] = {}
    for name, schema in sorted(((spec.get("components") or {}).get("schemas") or {}).items()):
        entry: dict[str, JSON] = {}
        if isinstance(schema, dict) and "properties" in schema:
            entry["fields"] = _fields(schema)
        if isinstance(schema, dict) and "enum" in schema:
            entry["enum"] = sorted(str(value) for value in schema["enum"])
        if not entry:
            entry["type"] = type_string(schema)
        schemas[name] = entry
    return {
        "version": (spec.get("info") or {}).get("version"),
        # {id: places changed} from the apply_corrections pass (0: the spec now agrees).
        "corrections": dict(sorted((spec.get("x-sigma-sdk-corrections") or {}).items())),
        "servers": [server.get("url") for server in spec.get("servers") or ()],
        "operations": dict(sorted(operations.items())),
        "schemas": schemas,
        # Published model names and where each came from (_published.py): the naming pass's memory.
        "names": (spec.get("x-sigma-sdk-names") or {}),
    }


def _diff_mapping(old: dict[str, str], new: dict[str, str], what: str, where: str, out: list[str]) -> None:
    for key in sorted(new.keys() - old.keys()):
        out.append(f"  + {where}: {what} {key} ({new[key]})")
    for key in sorted(old.keys() - new.keys()):
        out.append(f"  - {where}: {what} {key} removed (was {old[key]})  [may break callers]")
    for key in sorted(old.keys() & new.keys()):
        if old[key] != new[key]:
            out.append(f"  ~ {where}: {what} {key} retyped {old[key]} -> {new[key]}  [may break callers]")


_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _rename_in(value: JSON, renames: dict[str, str]) -> JSON:
    """``value`` (an entry of a surface) with every model name in its type strings renamed."""
    if isinstance(value, dict):
        return {key: _rename_in(item, renames) for key, item in value.items()}
    if isinstance(value, list):
        return [_rename_in(item, renames) for item in value]
    if isinstance(value, str):
        return _NAME.sub(lambda match: renames.get(match[0], match[0]), value)
    return value


def renamed_models(old_schemas: dict[str, JSON], new_schemas: dict[str, JSON]) -> dict[str, str]:
    """Models that changed only their name, ``{old: new}``: one removed and one added model, same content.

    Matched in rounds, because a renamed model's fields may name other renamed models
    (``WorkbookSchedule.schedule: CronSchedule`` was ``PostWorkbookScheduleSchedule``).
    """
    renames: dict[str, str] = {}
    while True:
        added: dict[str, list[str]] = {}
        for name in sorted(new_schemas.keys() - old_schemas.keys() - set(renames.values())):
            added.setdefault(json.dumps(new_schemas[name], sort_keys=True), []).append(name)
        found: dict[str, str] = {}
        for name in sorted(old_schemas.keys() - new_schemas.keys() - renames.keys()):
            matches = added.get(json.dumps(_rename_in(old_schemas[name], renames), sort_keys=True), [])
            if len(matches) == 1 and matches[0] not in found.values():
                found[name] = matches[0]
        if not found:
            return renames
        renames.update(found)


def change_report(old: dict[str, JSON] | None, new: dict[str, JSON]) -> str:
    """What changed between two surfaces, one line a change, breaking ones flagged; renames said as such."""
    if old is None:
        return (
            f"First lock: {len(new['operations'])} operations, {len(new['schemas'])} schemas "
            f"(spec version {new.get('version')})."
        )
    renames = renamed_models(old["schemas"], new["schemas"])
    lines = [f"  ~ model {before} renamed -> {after}  [may break callers]" for before, after in sorted(renames.items())]
    if renames:  # compare the rest as if the old names had been the new ones
        old = {
            **old,
            "operations": _rename_in(old["operations"], renames),
            "schemas": {renames.get(name, name): _rename_in(entry, renames) for name, entry in old["schemas"].items()},
        }
    if old.get("version") != new.get("version"):
        lines.append(f"Spec version {old.get('version')} -> {new.get('version')}")
    old_ops, new_ops = old["operations"], new["operations"]
    for op in sorted(new_ops.keys() - old_ops.keys()):
        lines.append(f"  + operation {op} ({new_ops[op]['method']} {new_ops[op]['path']})")
    for op in sorted(old_ops.keys() - new_ops.keys()):
        lines.append(f"  - operation {op} removed ({old_ops[op]['method']} {old_ops[op]['path']})  [breaking]")
    for op in sorted(old_ops.keys() & new_ops.keys()):
        before, after = old_ops[op], new_ops[op]
        if (before["method"], before["path"]) != (after["method"], after["path"]):
            lines.append(
                f"  ~ operation {op} moved {before['method']} {before['path']} -> {after['method']} {after['path']}"
            )
        _diff_mapping(before["params"], after["params"], "parameter", op, lines)
        _diff_mapping(before["body"], after["body"], "request body", op, lines)
        _diff_mapping(before["responses"], after["responses"], "response", op, lines)
    old_schemas, new_schemas = old["schemas"], new["schemas"]
    for name in sorted(new_schemas.keys() - old_schemas.keys()):
        lines.append(f"  + model {name}")
    for name in sorted(old_schemas.keys() - new_schemas.keys()):
        lines.append(f"  - model {name} removed  [may break callers]")
    for name in sorted(old_schemas.keys() & new_schemas.keys()):
        before, after = old_schemas[name], new_schemas[name]
        _diff_mapping(before.get("fields", {}), after.get("fields", {}), "field", name, lines)
        old_enum, new_enum = set(before.get("enum", ())), set(after.get("enum", ()))
        for value in sorted(new_enum - old_enum):
            lines.append(f"  + {name}: enum value {value!r}")
        for value in sorted(old_enum - new_enum):
            lines.append(f"  - {name}: enum value {value!r} removed  [may break callers]")
        if before.get("type") != after.get("type"):
            lines.append(f"  ~ {name}: type {before.get('type')} -> {after.get('type')}")
    old_fixes, new_fixes = old.get("corrections", {}), new.get("corrections", {})
    for name in sorted(new_fixes.keys() - old_fixes.keys()):
        lines.append(f"  + spec correction {name} applied ({new_fixes[name]} place(s); openapi/corrections.toml)")
    for name in sorted(old_fixes.keys() - new_fixes.keys()):
        lines.append(f"  - spec correction {name} no longer applied  [may break callers]")
    for name in sorted(old_fixes.keys() & new_fixes.keys()):
        if old_fixes[name] and not new_fixes[name]:
            lines.append(f"  ~ spec correction {name}: the spec now agrees; the entry can be removed")
        elif old_fixes[name] != new_fixes[name]:
            lines.append(f"  ~ spec correction {name}: {old_fixes[name]} -> {new_fixes[name]} place(s)")
    if old.get("servers") != new.get("servers"):
        lines.append(f"  ~ servers: {old.get('servers')} -> {new.get('servers')}")
    if not lines:
        return "No API changes."
    breaking = sum("[breaking]" in line or "[may break callers]" in line for line in lines)
    return "\n".join([f"{len(lines)} change(s), {breaking} possibly breaking:", *lines])
