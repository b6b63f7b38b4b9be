"""Walking a JSON document: the one traversal the codegen passes filter."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

__all__ = ["iter_dicts"]


def iter_dicts(node: Any) -> Iterator[dict[str, Any]]:
    """Every dict of a JSON document, parents before children, in document order."""
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from iter_dicts(value)
    elif isinstance(node, list):
        for value in node:
            yield from iter_dicts(value)
