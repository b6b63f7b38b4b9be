"""Sample-generator building blocks: shared types and constants, ``$ref`` resolution and the static
schema graph (which choices, the *targets*, a node can reach)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Final, TypeAlias
from urllib.parse import unquote

__all__ = [
    "EXTRA_KEY",
    "MAX_DEPTH",
    "MAX_INSTANCES",
    "MAX_REPEAT",
    "MAX_RETRIES",
    "RECURSION_LIMIT",
    "SAMPLE_BYTE",
    "SAMPLE_DATE",
    "SAMPLE_DATETIME",
    "SAMPLE_EMAIL",
    "SAMPLE_TIME",
    "SAMPLE_URI",
    "SAMPLE_UUID",
    "JSONPath",
    "Target",
    "deref",
    "resolve_ref",
]

JSONPath: TypeAlias = tuple[str | int, ...]
# A choice an instance can make: (id of the schema node offering it, kind, option).
# kind is "oneOf"/"anyOf" (option: branch index), "enum" (value index), "type" (type name),
# "bool" ("true"/"false"), "prop" (property name) or "extra" (an additionalProperties key).
Target: TypeAlias = tuple[int, str, int | str]

SAMPLE_DATETIME: Final = "2024-01-02T03:04:05+00:00"  # what datetime.isoformat() writes back
SAMPLE_DATE: Final = "2024-01-02"
SAMPLE_TIME: Final = "03:04:05+00:00"
SAMPLE_UUID: Final = "0b7e2f4c-5d1a-4e8b-9c3f-2a6d8e1f4b70"
SAMPLE_EMAIL: Final = "user@example.com"
SAMPLE_URI: Final = "https://example.com/sample"
SAMPLE_BYTE: Final = "c2FtcGxl"  # base64 of "sample"
EXTRA_KEY: Final = "extraKey"
RECURSION_LIMIT: Final = 3  # how deep one $ref may nest inside itself
MAX_INSTANCES: Final = 64
MAX_REPEAT: Final = 16  # items per array / extra keys per map added for coverage
MAX_DEPTH: Final = 64
MAX_RETRIES: Final = 32

_HTTP_METHODS: Final = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
_UNION_KINDS: Final = ("oneOf", "anyOf")
_MISSING: Final = object()


# ---------------------------------------------------------------------------------------------
# $ref resolution


def resolve_ref(spec: Mapping[str, Any], ref: str) -> Any:
    """Return the node a local ``$ref`` points at; ``#components/x`` is read as ``#/components/x``."""
    if not ref.startswith("#"):
        raise ValueError(f"only local $refs are supported, got {ref!r}")
    node: Any = spec
    for raw in unquote(ref[1:]).lstrip("/").split("/"):
        if raw == "":
            continue
        part = raw.replace("~1", "/").replace("~0", "~")
        if isinstance(node, list):
            node = node[int(part)]
        elif isinstance(node, Mapping) and part in node:
            node = node[part]
        else:
            raise KeyError(f"$ref {ref!r}: no {part!r}")
    return node


def deref(spec: Mapping[str, Any], node: Any) -> Any:
    """Follow ``$ref`` chains of a node whose only keyword is ``$ref`` (responses, request bodies)."""
    seen: set[str] = set()
    while isinstance(node, Mapping) and isinstance(node.get("$ref"), str):
        ref = node["$ref"]
        if ref in seen:
            raise ValueError(f"$ref cycle through {ref!r}")
        seen.add(ref)
        node = resolve_ref(spec, ref)
    return node


# ---------------------------------------------------------------------------------------------
# Static view of a schema graph: targets and refs reachable from a node


def _children(spec: Mapping[str, Any], node: Any) -> Iterator[Any]:
    if not isinstance(node, Mapping):
        return
    ref = node.get("$ref")
    if isinstance(ref, str):
        yield resolve_ref(spec, ref)
    for key in ("allOf", "oneOf", "anyOf"):
        yield from node.get(key, ())
    props = node.get("properties")
    if isinstance(props, Mapping):
        yield from props.values()
    for key in ("additionalProperties", "items"):
        sub = node.get(key)
        if isinstance(sub, Mapping):
            yield sub


def _own_targets(node: Any, free_form: bool) -> Iterator[Target]:
    if not isinstance(node, Mapping):
        return
    key = id(node)
    for kind in _UNION_KINDS:
        for index in range(len(node.get(kind, ()))):
            yield (key, kind, index)
    for index in range(len(node.get("enum", ()))):
        yield (key, "enum", index)
    types = node.get("type")
    if "enum" in node or "const" in node:
        return  # the values decide, not the type list
    if isinstance(types, list) and len(types) > 1:
        for name in types:
            yield (key, "type", name)
    if types == "boolean" or (isinstance(types, list) and "boolean" in types):
        yield (key, "bool", "true")
        yield (key, "bool", "false")


def _own_object_targets(node: Any, free_form: bool) -> Iterator[Target]:
    if not isinstance(node, Mapping):
        return
    key = id(node)
    props = node.get("properties")
    if isinstance(props, Mapping):
        required = set(node.get("required", ()))
        for name in props:
            if name not in required:
                yield (key, "prop", name)
    extra = node.get("additionalProperties", _MISSING)
    if (isinstance(extra, Mapping) and extra) or ((extra is True or extra == {}) and free_form):
        yield (key, "extra", 0)


@dataclass
class _Reach:
    targets: frozenset[Target]
    refs: frozenset[str]


class _Graph:
    """Memoized reachability over the raw schema nodes (never over merged, temporary ones)."""

    def __init__(self, spec: Mapping[str, Any], free_form: bool) -> None:
        self.spec = spec
        self.free_form = free_form
        self._memo: dict[int, _Reach] = {}

    def reach(self, node: Any) -> _Reach:
        memo = self._memo.get(id(node))
        if memo is not None:
            return memo
        targets: set[Target] = set()
        refs: set[str] = set()
        seen: set[int] = set()
        stack = [node]
        while stack:
            current = stack.pop()
            if id(current) in seen or not isinstance(current, Mapping):
                continue
            seen.add(id(current))
            targets.update(_own_targets(current, self.free_form))
            targets.update(_own_object_targets(current, self.free_form))
            ref = current.get("$ref")
            if isinstance(ref, str):
                refs.add(_canonical_ref(ref))
            stack.extend(_children(self.spec, current))
        result = _Reach(frozenset(targets), frozenset(refs))
        self._memo[id(node)] = result
        return result


def _canonical_ref(ref: str) -> str:
    return "#/" + ref[1:].lstrip("/")
