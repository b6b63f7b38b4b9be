"""The API surface of a normalized spec, the change report between two surfaces, and its verdict.

The surface is what a caller of the SDK depends on: operations, their parameters and bodies, every
named schema's fields and enum values, and every class the generator makes (the named schemas and
the inline ones it names itself, with their Python attributes), the servers (regions), tags,
``sigma_sdk.api`` subpackages and the operations that paginate. It is committed beside the lock
(``openapi/api-surface.json``) so a regeneration or ``--dry-run`` can say what changed without
keeping Sigma's spec in the repository.

The report is one line a change; a change that can break a caller's code ends in ``[breaking]``
(removals, renames, retypes, optional -> required, new required inputs). Its last line is the
verdict: ``Verdict: <no change|additive|breaking>; next version <x.y.z>``, by :func:`next_version`.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

__all__ = [
    "BREAKING",
    "change_report",
    "current_version",
    "generated_classes",
    "next_version",
    "renamed_models",
    "surface",
]

JSON = Any
_METHODS = ("get", "put", "post", "delete", "patch", "head", "options")
ROOT = Path(__file__).resolve().parents[2]
VERSION_FILE = ROOT / "sigma_sdk_auth" / "_version.py"
GENERATOR_CONFIG = ROOT / "generator-config.yml"
BREAKING = "  [breaking]"


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


def generated_classes(spec: dict[str, JSON]) -> tuple[dict[str, JSON], list[str]]:
    """Every class openapi-python-client makes from ``spec``, and the ``sigma_sdk.api`` subpackages.

    Read from the generator's own parser (no rendering, under a second), so the names are exactly
    the generated ones, inline classes included (``InodePermissionType0``, ``...Item``). A model is
    ``{"fields": {python_attribute: type}}`` (``?``: optional), an enum ``{"enum": [values]}``.
    """
    from openapi_python_client.config import Config, ConfigFile, MetaType
    from openapi_python_client.parser import GeneratorData

    config = Config.from_sources(
        ConfigFile.load_from_path(GENERATOR_CONFIG), MetaType.NONE, "spec", "utf-8", True, None
    )
    data = GeneratorData.from_dict(json.loads(json.dumps(spec)), config=config)
    if not isinstance(data, GeneratorData):
        raise ValueError(f"openapi-python-client cannot read this spec: {data.header}: {data.detail}")
    classes: dict[str, JSON] = {}
    for model in data.models:
        properties = [*(model.required_properties or ()), *(model.optional_properties or ())]
        classes[str(model.class_info.name)] = {
            "fields": {
                str(prop.python_name): prop.get_type_string().as_unembedded_code().replace(" | Unset", "")
                + ("" if prop.required else "?")
                for prop in sorted(properties, key=lambda prop: str(prop.python_name))
            }
        }
    for enum in data.enums:
        values = enum.values.values() if isinstance(enum.values, dict) else enum.values
        classes[str(enum.class_info.name)] = {"enum": sorted(str(value) for value in values)}
    return dict(sorted(classes.items())), sorted(str(tag) for tag in data.endpoint_collections_by_tag)


def _operation_entry(path: str, method: str, operation: dict[str, JSON]) -> dict[str, JSON]:
    """One operation as callers see it: method, path, parameters, request bodies, 2xx responses."""
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
    return {
        "method": method.upper(),
        "path": path,
        "params": dict(sorted(params.items())),
        "body": dict(sorted(bodies.items())),
        "responses": dict(sorted(responses.items())),
    }


def _operations(spec: dict[str, JSON]) -> list[tuple[str, str, dict[str, JSON]]]:
    """``(path, method, operation)`` for every operation of ``spec``."""
    return [
        (path, method, item[method])
        for path, item in (spec.get("paths") or {}).items()
        for method in _METHODS
        if isinstance(item.get(method), dict)
    ]


def _schema_entry(schema: JSON) -> dict[str, JSON]:
    """A named schema's fields and enum values, or its type when it has neither."""
    entry: dict[str, JSON] = {}
    if isinstance(schema, dict) and "properties" in schema:
        entry["fields"] = _fields(schema)
    if isinstance(schema, dict) and "enum" in schema:
        entry["enum"] = sorted(str(value) for value in schema["enum"])
    return entry or {"type": type_string(schema)}


def surface(spec: dict[str, JSON]) -> dict[str, JSON]:
    """Reduce a normalized spec to what SDK callers depend on (sorted, so it diffs cleanly)."""
    operations = _operations(spec)
    schemas = ((spec.get("components") or {}).get("schemas") or {}).items()
    classes, subpackages = generated_classes(spec)
    return {
        "version": (spec.get("info") or {}).get("version"),
        # {id: places changed} from the apply_corrections pass (0: the spec now agrees).
        "corrections": dict(sorted((spec.get("x-sigma-sdk-corrections") or {}).items())),
        "servers": [server.get("url") for server in spec.get("servers") or ()],
        "tags": sorted({str(tag) for _, _, operation in operations for tag in operation.get("tags") or ()}),
        # _pagination.EXTENSION marks the endpoints that get iterate()
        "paginated": sorted(op["operationId"] for _, _, op in operations if op.get("x-sigma-pagination")),
        "subpackages": subpackages,
        "operations": dict(
            sorted((op["operationId"], _operation_entry(path, method, op)) for path, method, op in operations)
        ),
        "schemas": {name: _schema_entry(schema) for name, schema in sorted(schemas)},
        # Published model names and where each came from (_published.py): the naming pass's memory.
        "names": (spec.get("x-sigma-sdk-names") or {}),
        "classes": classes,
    }


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


def current_version(path: Path = VERSION_FILE) -> str:
    """The SDK's version, from ``sigma_sdk_auth/_version.py`` (the one place it is kept)."""
    match = re.search(r'^__version__ = "([^"]+)"', path.read_text(encoding="utf-8"), re.MULTILINE)
    if match is None:
        raise ValueError(f'{path} has no __version__ = "x.y.z" line')
    return match[1]


def next_version(current: str, verdict: str) -> str:
    """The SDK version a release with this verdict gets.

    Before 1.0: breaking bumps the minor (0.3.2 -> 0.4.0), additive the patch (0.3.2 -> 0.3.3).
    From 1.0: breaking bumps the major, additive the minor. No change keeps the version.
    """
    match = re.fullmatch(r"(\d+)\.(\d+)\.(\d+)", current)
    if match is None:
        raise ValueError(f"version {current!r} is not x.y.z")
    major, minor, patch = (int(part) for part in match.groups())
    if verdict == "breaking":
        return f"0.{minor + 1}.0" if major == 0 else f"{major + 1}.0.0"
    if verdict == "additive":
        return f"0.{minor}.{patch + 1}" if major == 0 else f"{major}.{minor + 1}.0"
    return current


def _diff_mapping(old: dict[str, str], new: dict[str, str], what: str, where: str, kind: str, out: list[str]) -> None:
    """Entries added, removed or changed. ``kind``: "input" (parameters, bodies), "output" (responses), "field".

    A type ending in ``?`` is optional. New required inputs and fields break callers (a new required
    argument); a field becoming optional breaks readers (it may now be ``Unset``); an input
    becoming optional breaks no one.
    """
    for key in sorted(new.keys() - old.keys()):
        required = kind != "output" and not new[key].endswith("?")
        out.append(f"  + {where}: {what} {key} ({new[key]})" + (f", required{BREAKING}" if required else ""))
    for key in sorted(old.keys() - new.keys()):
        out.append(f"  - {where}: {what} {key} removed (was {old[key]}){BREAKING}")
    for key in sorted(old.keys() & new.keys()):
        before, after = old[key], new[key]
        if before == after:
            continue
        if kind != "output" and before.removesuffix("?") == after.removesuffix("?"):
            if before.endswith("?"):
                out.append(f"  ~ {where}: {what} {key} optional -> required ({after}){BREAKING}")
            else:
                out.append(f"  ~ {where}: {what} {key} required -> optional" + (BREAKING if kind == "field" else ""))
        else:
            out.append(f"  ~ {where}: {what} {key} retyped {before} -> {after}{BREAKING}")


def _diff_list(old: list[str], new: list[str], what: str, out: list[str]) -> None:
    for item in sorted(set(new) - set(old)):
        out.append(f"  + {what} {item}")
    for item in sorted(set(old) - set(new)):
        out.append(f"  - {what} {item} removed{BREAKING}")


def _path_parameter_renames(before: str, after: str) -> dict[str, str] | None:
    """``{old: new}`` placeholder names when two paths differ only in them, else None."""
    placeholder = re.compile(r"\{([^}]+)\}")
    if placeholder.sub("{}", before) != placeholder.sub("{}", after):
        return None
    pairs = zip(placeholder.findall(before), placeholder.findall(after), strict=True)
    return {old: new for old, new in pairs if old != new}


def _diff_operations(old_ops: dict[str, JSON], new_ops: dict[str, JSON], out: list[str]) -> None:
    from openapi_python_client.strings import snake_case

    for op in sorted(new_ops.keys() - old_ops.keys()):
        out.append(f"  + operation {op} ({new_ops[op]['method']} {new_ops[op]['path']})")
    for op in sorted(old_ops.keys() - new_ops.keys()):
        out.append(f"  - operation {op} removed ({old_ops[op]['method']} {old_ops[op]['path']}){BREAKING}")
    for op in sorted(old_ops.keys() & new_ops.keys()):
        before, after = old_ops[op], new_ops[op]
        old_params, new_params = dict(before["params"]), dict(after["params"])
        renames = _path_parameter_renames(before["path"], after["path"])
        if before["method"] == after["method"] and renames is not None:
            for old_name, new_name in sorted(renames.items()):
                out.append(
                    f"  ~ {op}: path parameter {old_name} renamed -> {new_name} (keyword argument "
                    f"{snake_case(old_name)} -> {snake_case(new_name)}; {after['path']}){BREAKING}"
                )
                was, now = old_params.pop(f"path:{old_name}", None), new_params.pop(f"path:{new_name}", None)
                if was is not None and now is not None and was != now:
                    out.append(f"  ~ {op}: path parameter {new_name} retyped {was} -> {now}{BREAKING}")
        elif (before["method"], before["path"]) != (after["method"], after["path"]):
            out.append(
                f"  ~ operation {op} moved {before['method']} {before['path']} -> {after['method']} {after['path']}"
            )
        _diff_mapping(old_params, new_params, "parameter", op, "input", out)
        _diff_mapping(before["body"], after["body"], "request body", op, "input", out)
        _diff_mapping(before["responses"], after["responses"], "response", op, "output", out)


def _diff_entry(name: str, before: JSON, after: JSON, out: list[str]) -> None:
    """Fields, enum values and type of one model (a named schema or a generated class)."""
    _diff_mapping(before.get("fields", {}), after.get("fields", {}), "field", name, "field", out)
    old_enum, new_enum = set(before.get("enum", ())), set(after.get("enum", ()))
    for value in sorted(new_enum - old_enum):
        out.append(f"  + {name}: enum value {value!r}")
    for value in sorted(old_enum - new_enum):
        out.append(f"  - {name}: enum value {value!r} removed{BREAKING}")
    if before.get("type") != after.get("type"):
        out.append(f"  ~ {name}: type {before.get('type')} -> {after.get('type')}{BREAKING}")


def _diff_classes(old: dict[str, JSON], new: dict[str, JSON], out: list[str]) -> None:
    """The generator's classes that the named schemas do not already account for.

    Inline classes (named by the generator, not in ``components.schemas``) are reported like models;
    a named schema's class only where its schema entry is unchanged but its Python side is not (an
    attribute renamed by the generator). ``old`` has renamed models under their new names already.
    """
    from openapi_python_client.strings import ClassName

    def inline(surface: dict[str, JSON]) -> dict[str, JSON]:
        named = {ClassName(name, "") for name in surface["schemas"]}
        return {name: entry for name, entry in surface.get("classes", {}).items() if name not in named}

    old_inline, new_inline = inline(old), inline(new)
    renames = renamed_models(old_inline, new_inline)
    for before, after in sorted(renames.items()):
        out.append(f"  ~ class {before} renamed -> {after} (generated from an inline schema){BREAKING}")
    old_classes = {
        renames.get(name, name): _rename_in(entry, renames) for name, entry in old.get("classes", {}).items()
    }
    old_inline = {renames.get(name, name): old_classes[renames.get(name, name)] for name in old_inline}
    for name in sorted(new_inline.keys() - old_inline.keys()):
        out.append(f"  + class {name} (generated from an inline schema)")
    for name in sorted(old_inline.keys() - new_inline.keys()):
        out.append(f"  - class {name} removed (generated from an inline schema){BREAKING}")
    for name in sorted(old_inline.keys() & new_inline.keys()):
        _diff_entry(name, old_inline[name], new_inline[name], out)
    new_classes = new.get("classes", {})
    for schema in sorted(old["schemas"].keys() & new["schemas"].keys()):
        class_name = ClassName(schema, "")
        if old["schemas"][schema] == new["schemas"][schema] and class_name in old_classes and class_name in new_classes:
            _diff_entry(class_name, old_classes[class_name], new_classes[class_name], out)


def _diff_corrections(old: dict[str, int], new: dict[str, int], changes: list[str], notes: list[str]) -> None:
    for name in sorted(new.keys() - old.keys()):
        changes.append(f"  + spec correction {name} applied ({new[name]} place(s); openapi/corrections.toml)")
    for name in sorted(old.keys() - new.keys()):
        if old[name]:
            changes.append(f"  - spec correction {name} no longer applied{BREAKING}")
        else:
            notes.append(f"  = spec correction {name} removed (the spec already agreed)")
    for name in sorted(old.keys() & new.keys()):
        if old[name] and not new[name]:
            notes.append(f"  = spec correction {name}: the spec now agrees: remove it from openapi/corrections.toml")
        elif old[name] != new[name]:
            notes.append(f"  = spec correction {name}: {old[name]} -> {new[name]} place(s)")


def _with_new_names(old: dict[str, JSON], renames: dict[str, str]) -> dict[str, JSON]:
    """``old`` as if its renamed models had always had their new names, so the rest diffs as changes."""
    renamed = {
        **old,
        "operations": _rename_in(old["operations"], renames),
        "schemas": {renames.get(name, name): _rename_in(entry, renames) for name, entry in old["schemas"].items()},
    }
    if "classes" in old:
        from openapi_python_client.strings import ClassName

        class_renames = {str(ClassName(before, "")): str(ClassName(after, "")) for before, after in renames.items()}
        renamed["classes"] = {
            class_renames.get(name, name): _rename_in(entry, class_renames) for name, entry in old["classes"].items()
        }
    return renamed


def _diff_models(old_schemas: dict[str, JSON], new_schemas: dict[str, JSON], out: list[str]) -> None:
    for name in sorted(new_schemas.keys() - old_schemas.keys()):
        out.append(f"  + model {name}")
    for name in sorted(old_schemas.keys() - new_schemas.keys()):
        out.append(f"  - model {name} removed{BREAKING}")
    for name in sorted(old_schemas.keys() & new_schemas.keys()):
        _diff_entry(name, old_schemas[name], new_schemas[name], out)


def _diff_lists(old: dict[str, JSON], new: dict[str, JSON], out: list[str]) -> None:
    """Servers, tags, paginated operations and ``sigma_sdk.api`` subpackages."""
    _diff_list(old.get("servers") or [], new.get("servers") or [], "server", out)
    _diff_list(old.get("tags") or [], new.get("tags") or [], "tag", out)
    _diff_list(old.get("paginated") or [], new.get("paginated") or [], "iterate() of", out)
    packages = ["sigma_sdk.api." + name for name in old.get("subpackages") or []]
    _diff_list(packages, ["sigma_sdk.api." + name for name in new.get("subpackages") or []], "subpackage", out)


def change_report(old: dict[str, JSON] | None, new: dict[str, JSON], current: str | None = None) -> str:
    """What changed between two surfaces, one line a change, then the verdict line.

    ``current``: the SDK version the next one is counted from (default: sigma_sdk_auth/_version.py).
    """
    current = current or current_version()
    if old is None:
        return (
            f"First lock: {len(new['operations'])} operations, {len(new['schemas'])} schemas "
            f"(spec version {new.get('version')}).\nVerdict: additive; next version {next_version(current, 'additive')}"
        )
    changes: list[str] = []
    notes: list[str] = []
    if old.get("version") != new.get("version"):
        notes.append(f"Spec version {old.get('version')} -> {new.get('version')}")
    renames = renamed_models(old["schemas"], new["schemas"])
    changes += [f"  ~ model {before} renamed -> {after}{BREAKING}" for before, after in sorted(renames.items())]
    renamed_old = _with_new_names(old, renames)
    _diff_operations(renamed_old["operations"], new["operations"], changes)
    _diff_models(renamed_old["schemas"], new["schemas"], changes)
    if "classes" in old and "classes" in new:
        _diff_classes(renamed_old, new, changes)
    _diff_corrections(old.get("corrections", {}), new.get("corrections", {}), changes, notes)
    _diff_lists(old, new, changes)
    breaking = sum(line.endswith(BREAKING) for line in changes)
    verdict = "breaking" if breaking else "additive" if changes else "no change"
    head = f"{len(changes)} change(s), {breaking} breaking:" if changes else "No API changes."
    return "\n".join([head, *notes, *changes, f"Verdict: {verdict}; next version {next_version(current, verdict)}"])
