"""Walking a JSON document: the one traversal the codegen passes filter."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

__all__ = ["COMPONENT_REF", "iter_dicts", "resolve_component"]

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
