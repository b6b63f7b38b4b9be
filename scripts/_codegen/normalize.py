"""Normalization passes that turn Sigma's published spec into one openapi-python-client can generate well.

Every pass is a small function ``spec -> spec`` with a docstring naming the spec defect or generator
limit it addresses. Passes never change what goes on the wire: a payload valid against the input
schema is valid against the output schema and vice versa (names, titles and ``$ref`` layout may change).
Four passes are the deliberate exceptions, all about what Sigma really serves: ``add_operations`` and
``apply_corrections`` (reviewed, evidence-backed entries in ``openapi/corrections.toml``),
``open_fixed_values`` and ``open_response_unions`` (a kind or an object from a newer Sigma that
matches no known union branch is kept, not refused).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

from ._additions import add as add_operation_list
from ._additions import load_additions
from ._corrections import apply as apply_correction_list
from ._corrections import load_corrections
from ._fixed_values import open_fixed_values as open_fixed_value_list
from ._json import iter_dicts, iter_operations, resolve_component
from ._naming import hoist_and_name_schemas
from ._open_unions import UNKNOWN_VARIANT, response_reachable
from ._open_unions import open_response_unions as open_unions_in_responses
from ._pagination import mark_pagination
from ._rules import Rules
from ._secrets import mark_secret_properties
from ._spec_checks import check_operation_ids

__all__ = [
    "PASSES",
    "UNKNOWN_VARIANT",
    "add_operations",
    "apply_corrections",
    "break_recursive_unions",
    "canonical_order",
    "check_operation_ids",
    "drop_no_content_bodies",
    "drop_truncated_examples",
    "drop_unused_titles",
    "enum_singletons_to_const",
    "fix_malformed_refs",
    "flatten_all_of",
    "hoist_and_name_schemas",
    "inline_response_refs",
    "iter_operations",
    "mark_pagination",
    "mark_secret_properties",
    "normalize",
    "nullable_unions",
    "open_fixed_values",
    "open_response_unions",
    "require_bodies_that_have_required_fields",
    "specific_branches_first",
    "strip_server_urls",
    "unions_as_any_of",
]

JSON = Any
Pass = Callable[[dict[str, JSON], Rules], dict[str, JSON]]


def _walk(node: JSON, visit: Callable[[dict[str, JSON]], None]) -> None:
    """Call ``visit`` on every dict of a JSON document, parents before children."""
    for found in iter_dicts(node):
        visit(found)


_METHOD_ORDER = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def canonical_order(spec: dict[str, JSON], rules: Rules) -> dict[str, JSON]:
    """Sort ``paths``, each path's methods and the components, so nothing depends on the order Sigma lists them.

    Names are chosen in document order where candidates tie; Sigma reordering its ``paths`` (or one
    path's methods) renamed 15 models. The order has no meaning in OpenAPI. Path-level keys
    (``parameters``, ``summary``) come before the operations, operations in a fixed method order.
    """
    paths = spec.get("paths")
    if isinstance(paths, dict):
        spec["paths"] = {
            path: dict(sorted(item.items(), key=lambda kv: _method_rank(kv[0]))) if isinstance(item, dict) else item
            for path, item in sorted(paths.items())
        }
    for section, value in list((spec.get("components") or {}).items()):
        if isinstance(value, dict):
            spec["components"][section] = dict(sorted(value.items()))
    return spec


def _method_rank(key: str) -> tuple[int, str]:
    return (_METHOD_ORDER.index(key) + 1 if key in _METHOD_ORDER else 0, key)


def fix_malformed_refs(spec: dict[str, JSON], rules: Rules) -> dict[str, JSON]:
    """Repair ``$ref`` values missing the slash after ``#`` (Sigma's ``#components/responses/ApiError``).

    The generator rejects the malformed pointer and silently drops the error response of all 172
    operations.
    """

    def visit(node: dict[str, JSON]) -> None:
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#") and not ref.startswith("#/"):
            node["$ref"] = "#/" + ref[1:]

    _walk(spec, visit)
    return spec


def strip_server_urls(spec: dict[str, JSON], rules: Rules) -> dict[str, JSON]:
    """Strip whitespace around server URLs (the GCP KSA server is published as ``' https://…'``)."""
    for server in spec.get("servers") or ():
        if isinstance(server.get("url"), str):
            server["url"] = server["url"].strip()
    return spec


def inline_response_refs(spec: dict[str, JSON], rules: Rules) -> dict[str, JSON]:
    """Replace ``$ref``s to ``components/responses`` with the response, its schema hoisted once.

    openapi-python-client cannot follow response references; it drops them. The shared error schema
    becomes the single component ``ApiError`` instead of one class per operation.
    """
    responses = spec.get("components", {}).pop("responses", {}) or {}
    schemas = spec.setdefault("components", {}).setdefault("schemas", {})
    for name, response in responses.items():
        for media in (response.get("content") or {}).values():
            schema = media.get("schema")
            if isinstance(schema, dict) and "$ref" not in schema:
                schemas.setdefault(name, schema)
                media["schema"] = {"$ref": f"#/components/schemas/{name}"}
    for operation in iter_operations(spec):
        for status, response in list(operation.get("responses", {}).items()):
            ref = response.get("$ref") if isinstance(response, dict) else None
            if isinstance(ref, str) and ref.startswith("#/components/responses/"):
                name = ref.rsplit("/", 1)[1]
                if name not in responses:
                    raise ValueError(f"response $ref {ref!r} points at no component response")
                operation["responses"][status] = copy.deepcopy(responses[name])
    return spec


def _merge_objects(parts: list[dict[str, JSON]], outer: dict[str, JSON]) -> dict[str, JSON]:
    """Merge object schemas that an ``allOf`` combines into one object schema."""
    merged: dict[str, JSON] = {"type": "object"}
    properties: dict[str, JSON] = {}
    required: list[str] = []
    for part in parts:
        unknown = set(part) - {
            "type", "properties", "required", "description", "title", "additionalProperties", "example", "examples",
        }  # fmt: skip
        if unknown or part.get("type", "object") != "object":
            raise ValueError(f"cannot merge allOf part with keys {sorted(part)}")
        for key, value in (part.get("properties") or {}).items():
            if key in properties and properties[key] != value:
                # Both constrain the same property: keep both constraints.
                properties[key] = {"allOf": [properties[key], value]}
            else:
                properties[key] = value
        required += [name for name in part.get("required") or () if name not in required]
        if "additionalProperties" in part:
            merged["additionalProperties"] = part["additionalProperties"]
        for key in ("title", "description"):
            if key in part and key not in outer:
                merged.setdefault(key, part[key])
    merged["properties"] = properties
    if required:
        merged["required"] = required
    for key, value in outer.items():
        if key != "allOf":
            merged[key] = value
    return merged


def _flatten(schema: dict[str, JSON], resolve: Callable[[dict[str, JSON]], dict[str, JSON]]) -> dict[str, JSON]:
    """Return ``schema`` with its ``allOf`` (if any) merged away; the input's children are already flat."""
    if "allOf" not in schema:
        return schema
    parts = [_flatten(resolve(part), resolve) for part in schema["allOf"]]
    union_parts = [p for p in parts if "oneOf" in p or "anyOf" in p]
    if not union_parts:
        return _merge_objects(parts, schema)
    # Distribute the allOf over the first union: A & (B | C) == (A & B) | (A & C).
    union = union_parts[0]
    keyword = "oneOf" if "oneOf" in union else "anyOf"
    others = [p for p in parts if p is not union]
    union_rest = {k: v for k, v in union.items() if k not in {keyword, "title", "description"}}
    branches = []
    for branch in union[keyword]:
        branch = resolve(branch)
        combined = {"allOf": [*others, branch, *([union_rest] if union_rest else [])]}
        for key in ("title", "description"):
            if key in branch:
                combined[key] = branch[key]
        branches.append(_flatten(combined, resolve))
    result: dict[str, JSON] = {keyword: branches}
    for key, value in schema.items():
        if key != "allOf":
            result[key] = value
    return result


def flatten_all_of(spec: dict[str, JSON], rules: Rules) -> dict[str, JSON]:
    """Merge every ``allOf`` into a plain object schema, distributing it over nested ``oneOf``/``anyOf``.

    The generator loses the fields of an ``allOf`` that contains a ``oneOf`` (the Snowflake body of
    ``POST /v2/connections`` ended up in ``additional_properties``); distributing gives every branch
    all of its fields. Component ``$ref``s inside an ``allOf`` are inlined for the merge.
    """
    components = spec.get("components", {}).get("schemas", {})

    def resolve(node: dict[str, JSON]) -> dict[str, JSON]:
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
            return copy.deepcopy(components[ref.rsplit("/", 1)[1]])
        return node

    def rewrite(node: JSON) -> JSON:
        if isinstance(node, list):
            return [rewrite(item) for item in node]
        if not isinstance(node, dict):
            return node
        node = {key: rewrite(value) for key, value in node.items()}
        return _flatten(node, resolve) if "allOf" in node and isinstance(node["allOf"], list) else node

    spec["paths"] = rewrite(spec.get("paths", {}))
    if components:
        spec["components"]["schemas"] = rewrite(components)
    return spec


def nullable_unions(spec: dict[str, JSON], rules: Rules) -> dict[str, JSON]:
    """Read ``{oneOf: [...], type: "null"}`` (or ``allOf``) as "one of these (all of these), or null".

    Sigma marks nullable unions (a condition's ``value``) with a sibling ``type: "null"``, which taken
    literally no value satisfies; the generator then rejects both null and every branch. Sigma
    sends null or one of the branches, so that is what the normalized schema says.
    """

    def visit(node: dict[str, JSON]) -> None:
        if node.get("type") != "null":
            return
        for keyword in ("oneOf", "anyOf"):
            if isinstance(node.get(keyword), list):
                node.pop("type")
                node[keyword] = [*node[keyword], {"type": "null"}]
                return
        if isinstance(node.get("allOf"), list):  # the same defect on an allOf: null, or all of these
            node.pop("type")
            node["oneOf"] = [{"allOf": node.pop("allOf")}, {"type": "null"}]

    _walk(spec, visit)
    return spec


def specific_branches_first(spec: dict[str, JSON], rules: Rules) -> dict[str, JSON]:
    """Order inline object branches of a union by how much they require, most first.

    The generated parser takes the first branch that accepts a payload; where Sigma's branches
    overlap (export ``{format}`` vs ``{format, pageId}``), a lenient branch listed first would swallow
    the specific one's fields into ``additional_properties``. Branch order has no meaning on the wire.
    """

    def weight(branch: JSON) -> tuple[int, int]:
        if not isinstance(branch, dict) or "properties" not in branch:
            return (0, 0)
        return (len(branch.get("required") or ()), len(branch["properties"]))

    def visit(node: dict[str, JSON]) -> None:
        for keyword in ("oneOf", "anyOf"):
            branches = node.get(keyword)
            if isinstance(branches, list) and all(isinstance(b, dict) and "properties" in b for b in branches):
                node[keyword] = sorted(branches, key=lambda b: tuple(-w for w in weight(b)))

    _walk(spec.get("paths", {}), visit)
    return spec


def break_recursive_unions(spec: dict[str, JSON], rules: Rules) -> dict[str, JSON]:
    """Cut self-references inside recursive union components such as ``ConstValCodec``.

    openapi-python-client cannot generate a union alias that refers to itself ("Invalid property in
    union") and then drops every operation that uses it. The top-level union keeps all its branches
    and their fields; only the nested, recursive positions (a record's values, an array's items)
    become free-form JSON, which accepts exactly what the recursive schema accepted and more.
    """
    components = spec.get("components", {}).get("schemas", {})
    for name, schema in components.items():
        if not ("oneOf" in schema or "anyOf" in schema):
            continue
        target = f"#/components/schemas/{name}"

        def visit(node: dict[str, JSON], target: str = target, name: str = name) -> None:
            if node.get("$ref") == target:
                node.pop("$ref")
                node["description"] = f"A nested {name} value, kept as raw JSON (recursive in the spec)."

        _walk(schema, visit)
    return spec


def enum_singletons_to_const(spec: dict[str, JSON], rules: Rules) -> dict[str, JSON]:
    """Turn one-value string enums (Sigma's discriminators, e.g. ``type: enum [snowflake]``) into ``const``.

    The generator makes a class per one-value enum; as ``const`` it becomes a ``Literal`` that
    defaults to its only value when required, so ``Snowflake(account=...)`` needs no ``type=``.
    """

    def visit(node: dict[str, JSON]) -> None:
        properties = node.get("properties")
        if not isinstance(properties, dict):
            return
        required = set(node.get("required") or ())
        for key, prop in properties.items():
            enum = prop.get("enum") if isinstance(prop, dict) else None
            if isinstance(enum, list) and len(enum) == 1 and isinstance(enum[0], str) and prop.get("type") == "string":
                prop.pop("enum")
                prop["const"] = enum[0]
                if key in required:
                    prop["default"] = enum[0]

    _walk(spec.get("paths", {}), visit)
    _walk(spec.get("components", {}).get("schemas", {}), visit)
    return spec


def drop_unused_titles(spec: dict[str, JSON], rules: Rules) -> dict[str, JSON]:
    """Drop ``title`` from inline non-object schemas; naming already used them.

    With ``use_path_prefixes_for_title_model_names: false`` the generator names inline enums by
    title, and Sigma reuses titles (six different "Condition type" enums), which makes it refuse to
    generate duplicate models.
    """

    def visit(node: dict[str, JSON]) -> None:
        if "title" in node and "properties" not in node and isinstance(node.get("title"), str):
            node.pop("title")

    for operation in iter_operations(spec):
        _walk(operation, visit)
    return spec


def drop_no_content_bodies(spec: dict[str, JSON], rules: Rules) -> dict[str, JSON]:
    """Remove the body Sigma declares on a 204 (``POST /v3alpha/allowedIps:batchDelete``).

    A 204 has no content (RFC 9110 §15.3.5); the generated parser would try to decode JSON from an
    empty body and fail.
    """
    for operation in iter_operations(spec):
        response = (operation.get("responses") or {}).get("204")
        if isinstance(response, dict):
            response.pop("content", None)
    return spec


def require_bodies_that_have_required_fields(spec: dict[str, JSON], rules: Rules) -> dict[str, JSON]:
    """Mark a request body required when its schema requires fields (Sigma marks none of 66 required).

    An empty body could never satisfy such a schema, so nothing valid changes on the wire; the
    generated functions then take ``body: X`` instead of ``body: X | Unset = UNSET``, and mypy
    catches a forgotten body.
    """
    components = spec.get("components", {}).get("schemas", {})

    def demands_fields(schema: JSON) -> bool:
        resolved = resolve_component(components, schema)
        if resolved is not schema:
            return demands_fields(resolved)
        if not isinstance(schema, dict):
            return False
        for keyword in ("oneOf", "anyOf"):
            if isinstance(schema.get(keyword), list):
                return bool(schema[keyword]) and all(demands_fields(branch) for branch in schema[keyword])
        return bool(schema.get("required"))

    for operation in iter_operations(spec):
        body = operation.get("requestBody")
        if not isinstance(body, dict) or body.get("required") is True:
            continue
        media = list((body.get("content") or {}).values())
        if media and all(demands_fields(m.get("schema")) for m in media):
            body["required"] = True
    return spec


def unions_as_any_of(spec: dict[str, JSON], rules: Rules) -> dict[str, JSON]:
    """Write every ``oneOf`` as ``anyOf``: Sigma's unions do not exclude each other.

    In 11 of the 128 unions an instance of one branch also fits another: the Snowflake ``writeAccess``
    ("write location and warehouse" vs "warehouse"), the export bodies, the grant ``permission`` enums
    that share values, paginated vs single-page lists, and the lineage ``dependencies`` of Sigma's own
    example. JSON Schema's ``oneOf`` makes such an instance invalid, so a validating mock (Prism)
    refuses requests Sigma accepts and responses Sigma sends. ``anyOf`` is what Sigma means and what
    the generated parser does (the first fitting branch wins); where branches exclude each other the
    two are the same. The generated code is identical.
    """

    def visit(node: dict[str, JSON]) -> None:
        if isinstance(node.get("oneOf"), list) and "anyOf" not in node:
            node["anyOf"] = node.pop("oneOf")

    _walk(spec.get("paths", {}), visit)
    _walk(spec.get("components", {}).get("schemas", {}), visit)
    return spec


_TRUNCATION_MARKS = frozenset({"[Array]", "[Object]"})


def _truncated(value: JSON) -> bool:
    if isinstance(value, str):
        return value in _TRUNCATION_MARKS
    if isinstance(value, dict):
        return any(_truncated(v) for v in value.values())
    if isinstance(value, list):
        return any(_truncated(v) for v in value)
    return False


def drop_truncated_examples(spec: dict[str, JSON], rules: Rules) -> dict[str, JSON]:
    """Drop examples holding Node's ``util.inspect`` truncation marks (``"[Array]"``, ``"[Object]"``).

    Sigma's docs tooling printed nested values below depth 2 as these strings: the "Export Success"
    example of ``exportWorkbook`` has ``"rows": "[Array]"`` where the schema says array. A mock server
    serves the first example of a response (Prism's static mode does), so the SDK would be handed a
    body the spec forbids. Examples do not affect the generated code.
    """
    for operation in iter_operations(spec):
        bodies = [operation.get("requestBody") or {}, *(operation.get("responses") or {}).values()]
        for body in bodies:
            content = body.get("content") if isinstance(body, dict) else None
            for media in (content or {}).values():
                if not isinstance(media, dict):
                    continue
                if "example" in media and _truncated(media["example"]):
                    media.pop("example")
                examples = media.get("examples")
                if isinstance(examples, dict):
                    for name, example in list(examples.items()):
                        if isinstance(example, dict) and _truncated(example.get("value")):
                            examples.pop(name)
    return spec


def apply_corrections(spec: dict[str, JSON], rules: Rules) -> dict[str, JSON]:
    """Apply ``openapi/corrections.toml``: where the live API differs from the spec, with public evidence.

    The spec declares JSON for the export download (Sigma sends the file's bytes, or a bodiless 204),
    requires fields real answers omit (``nextPage`` on a last page, element columns' ``formula``) and
    lacks fields and values they carry (``total``/``hasMore``, ``workspaceId``, ``data-model``). Runs
    after ``flatten_all_of`` so each correction sees whole objects. Outcomes are recorded under
    ``x-sigma-sdk-corrections`` for the change report.
    """
    return apply_correction_list(spec, load_corrections())


def add_operations(spec: dict[str, JSON], rules: Rules) -> dict[str, JSON]:
    """Add the operations of ``openapi/corrections.toml``'s ``[[addition]]`` entries that the spec lacks.

    Sigma serves (and documents in its release notes) endpoints its published spec does not list,
    e.g. a data model's elements, columns and lineage; integrations call them. Runs first, so each
    added operation is normalized and generated like the spec's own. One the spec already has is
    left out and recorded as redundant under ``x-sigma-sdk-additions`` (see ``_additions``).
    """
    return add_operation_list(spec, load_additions())


def open_fixed_values(spec: dict[str, JSON], rules: Rules) -> dict[str, JSON]:
    """Keep single-value enums and fixed discriminators in responses open to values a newer Sigma sends.

    A ``const`` that selects a union branch stays (an unknown kind falls to the union's
    ``UnknownVariant``); an object-valued response field whose object has a required ``const`` but
    no union (v3alpha connection ``details``, a user attribute's ``value``) becomes a one-branch
    union, opened by ``open_response_unions``; every other ``const`` of a response object becomes an
    open one-value enum again. Request-only ones stay ``const``. Runs after naming, so no name moves
    (see ``_fixed_values``).
    """
    roots, reached = response_reachable(spec)
    return open_fixed_value_list(spec, roots, reached)


def open_response_unions(spec: dict[str, JSON], rules: Rules) -> dict[str, JSON]:
    """Append an ``UnknownVariant`` branch to every union of objects that a response can hold.

    A newer Sigma's union variant is kept, with all its data, instead of failing the call (see
    ``_open_unions``).
    """
    return open_unions_in_responses(spec)


PASSES: tuple[Pass, ...] = (
    add_operations,
    canonical_order,
    check_operation_ids,
    fix_malformed_refs,
    strip_server_urls,
    inline_response_refs,
    drop_no_content_bodies,
    nullable_unions,
    flatten_all_of,
    apply_corrections,
    specific_branches_first,
    require_bodies_that_have_required_fields,
    break_recursive_unions,
    enum_singletons_to_const,
    hoist_and_name_schemas,
    drop_unused_titles,
    drop_truncated_examples,
    open_fixed_values,
    unions_as_any_of,
    open_response_unions,
    mark_pagination,
    mark_secret_properties,
)


def normalize(spec: dict[str, JSON], rules: Rules | None = None) -> dict[str, JSON]:
    """Run every pass, in order, on a deep copy of ``spec``."""
    result = copy.deepcopy(spec)
    active_rules = rules if rules is not None else Rules.load()
    for normalization_pass in PASSES:
        result = normalization_pass(result, active_rules)
    return result
