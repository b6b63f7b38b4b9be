"""Response unions stay open to a newer Sigma: the ``UnknownVariant`` catch-all branch.

Also where the response-reachable part of a spec is found (``response_reachable``), which the
fixed-values pass shares.
"""

from __future__ import annotations

import copy
from typing import Any

from ._json import iter_dicts, iter_operations, resolve_component

__all__ = ["UNKNOWN_VARIANT", "open_response_unions", "response_reachable"]

JSON = Any

UNKNOWN_VARIANT = "UnknownVariant"
_UNKNOWN_VARIANT_SCHEMA: dict[str, JSON] = {
    "type": "object",
    "title": UNKNOWN_VARIANT,
    "description": (
        "An object that matches none of the shapes this SDK knows for the field (a variant newer than "
        "the spec it was generated from). Every key is kept in additional_properties, and to_dict() "
        "returns the object exactly as Sigma sent it."
    ),
    "additionalProperties": True,
}


def response_reachable(spec: dict[str, JSON]) -> tuple[list[JSON], set[str]]:
    """The 2xx response schemas, and the component schemas they reach through ``$ref``s."""
    roots = [
        media.get("schema")
        for operation in iter_operations(spec)
        for status, response in (operation.get("responses") or {}).items()
        if str(status).startswith("2") and isinstance(response, dict)
        for media in (response.get("content") or {}).values()
        if isinstance(media, dict) and isinstance(media.get("schema"), dict)
    ]
    components = spec.get("components", {}).get("schemas", {})
    reached: set[str] = set()
    pending = list(roots)
    while pending:
        node = pending.pop()
        if isinstance(node, list):
            pending.extend(node)
        elif isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
                name = ref.rsplit("/", 1)[1]
                if name not in reached and name in components:
                    reached.add(name)
                    pending.append(components[name])
            pending.extend(node.values())
    return roots, reached


def open_response_unions(spec: dict[str, JSON]) -> dict[str, JSON]:
    """Append an ``UnknownVariant`` branch to every union of objects that a response can hold.

    Sigma adds union variants (a new connection type, grantee kind, schedule target) between spec
    releases; an object matching no known branch used to fall through to the last branch and fail
    the whole call with a ``KeyError``. The catch-all branch (an object with any keys) keeps it, with
    all its data, as a typed ``UnknownVariant``. Request-only unions are left closed, and so are
    unions of pages (a branch with an ``entries`` array): ``iterate()`` cannot walk an unknown page,
    so an answer that is no known page raises ``ResponseValidationError`` naming the operation.
    """
    components = spec.setdefault("components", {}).setdefault("schemas", {})
    if UNKNOWN_VARIANT in components:
        raise ValueError(f"the spec already has a schema named {UNKNOWN_VARIANT!r}")
    roots, reached = response_reachable(spec)
    branch = {"$ref": f"#/components/schemas/{UNKNOWN_VARIANT}"}

    def is_object(node: JSON) -> bool:
        resolved = resolve_component(components, node)
        if resolved is not node:
            return is_object(resolved)
        return isinstance(node, dict) and (node.get("type") == "object" or "properties" in node)

    def is_page(node: JSON) -> bool:
        node = resolve_component(components, node)
        entries = ((node or {}).get("properties") or {}).get("entries") if isinstance(node, dict) else None
        return isinstance(entries, dict) and entries.get("type") == "array"

    opened = 0

    def visit(node: dict[str, JSON]) -> None:
        nonlocal opened
        branches = node.get("anyOf")
        if not isinstance(branches, list) or any(is_page(b) for b in branches):
            return
        if any(is_object(b) for b in branches) and branch not in branches:
            node["anyOf"] = [*branches, dict(branch)]
            opened += 1

    for root in roots:
        for node in iter_dicts(root):
            visit(node)
    for name in sorted(reached):
        for node in iter_dicts(components[name]):
            visit(node)
    if opened:
        components[UNKNOWN_VARIANT] = copy.deepcopy(_UNKNOWN_VARIANT_SCHEMA)
    return spec
