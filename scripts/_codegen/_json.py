"""Walking a JSON document (the one traversal the codegen passes filter) and a spec's operations."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

__all__ = ["COMPONENT_REF", "iter_dicts", "iter_operations", "resolve_component"]

_METHODS = frozenset({"get", "put", "post", "delete", "patch", "head", "options", "trace"})

COMPONENT_REF = "#/components/schemas/"


def iter_dicts(node: Any) -> Iterator[dict[str, Any]]:
    """Every dict of a JSON document, parents before children, in document order."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from iter_dicts(value)
    elif isinstance(node, list):
        for value in node:
            yield from iter_dicts(value)


def resolve_component(components: dict[str, Any], node: Any) -> Any:
    """The component a local ``#/components/schemas/X`` reference names (None if absent), else ``node``."""
    ref = node.get("$ref") if isinstance(node, dict) else None
    if isinstance(ref, str) and ref.startswith(COMPONENT_REF):
        return components.get(ref.removeprefix(COMPONENT_REF))
    return node


def iter_operations(spec: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Yield every operation object of the spec in document order."""
    for path_item in (spec.get("paths") or {}).values():
        for method, operation in path_item.items():
            if method in _METHODS:
                yield operation
