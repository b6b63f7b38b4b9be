"""Flattening: one schema node (its ``$ref``, ``allOf`` and chosen union branches) merged into one view
(``_Flat``), and the scalar values generated from such a view."""

from __future__ import annotations

import json
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from ._schema import (
    _MISSING,
    EXTRA_KEY,
    SAMPLE_BYTE,
    SAMPLE_DATE,
    SAMPLE_DATETIME,
    SAMPLE_EMAIL,
    SAMPLE_TIME,
    SAMPLE_URI,
    SAMPLE_UUID,
)

__all__ = ["SchemaError"]


@dataclass
class _Flat:
    """What one instance at one place must satisfy, with every union already decided."""

    anchor: int = 0  # id of the first raw node, for error messages
    types: list[str] | None = None  # None: unconstrained
    type_key: int = 0  # raw node whose "type" list offers the choice (nullable coverage)
    type_is_choice: bool = False
    enum: list[Any] | None = None
    enum_key: int = 0
    enum_index: list[int] = field(default_factory=list)  # index of each value in the raw enum
    const: Any = _MISSING
    properties: dict[str, list[Any]] = field(default_factory=dict)
    prop_owner: dict[str, int] = field(default_factory=dict)
    required: list[str] = field(default_factory=list)
    additional: list[Any] = field(default_factory=list)  # additionalProperties values seen
    additional_key: int = 0
    items: list[Any] = field(default_factory=list)
    min_items: int = 0
    max_items: int | None = None
    fmt: str | None = None
    min_length: int = 0
    max_length: int | None = None
    patterns: list[str] = field(default_factory=list)
    minimum: float | None = None
    maximum: float | None = None
    exclusive_minimum: float | None = None
    exclusive_maximum: float | None = None
    multiple_of: float | None = None
    bool_key: int = 0
    has_bool_choice: bool = False
    exclude: list[Any] = field(default_factory=list)  # the oneOf branches not taken
    conflict: str = ""  # why no instance fits, when the parts contradict each other


@dataclass(frozen=True)
class _Ctx:
    refs: tuple[str, ...] = ()  # $refs entered on the way here, outermost first
    minimal: bool = False  # required properties only, shortest arrays, no extra keys
    closing: bool = False  # recursion limit reached: steer away from the open $refs
    depth: int = 0
    hint: str = "value"  # property name, used to make string values readable


class SchemaError(ValueError):
    """No instance fits here: contradictory allOf, ``false`` schema, unsupported ``pattern``."""

    def __init__(self, message: str, node: int = 0) -> None:
        super().__init__(message)
        self.node = node


def _merge_keywords(flat: _Flat, node: Mapping[str, Any]) -> None:
    """Fold one ``allOf`` part's keywords into ``flat``: types and enums meet, bounds tighten."""
    _merge_type(flat, node)
    _merge_values(flat, node)
    _merge_structure(flat, node)
    _merge_bounds(flat, node)


def _merge_type(flat: _Flat, node: Mapping[str, Any]) -> None:
    types = node.get("type")
    if types is None:
        return
    names = [types] if isinstance(types, str) else list(types)
    if flat.types is None:
        flat.types = names
        flat.type_key = id(node)
        flat.type_is_choice = len(names) > 1
    else:
        flat.types = [_meet(t, names) for t in flat.types if _meet(t, names)]
    if "boolean" in names and not flat.has_bool_choice:
        flat.bool_key = id(node)
        flat.has_bool_choice = "enum" not in node and "const" not in node


def _merge_values(flat: _Flat, node: Mapping[str, Any]) -> None:
    """``enum`` (the values every part allows) and ``const`` (a second, different one is a conflict)."""
    if "enum" in node:
        values = list(node["enum"])
        if flat.enum is None:
            flat.enum = values
            flat.enum_key = id(node)
            flat.enum_index = list(range(len(values)))
        else:
            kept = [(v, i) for v, i in zip(flat.enum, flat.enum_index, strict=True) if _json_in(v, values)]
            flat.enum = [v for v, _ in kept]
            flat.enum_index = [i for _, i in kept]
    if "const" in node:
        if flat.const is not _MISSING and not _json_eq(flat.const, node["const"]):
            flat.conflict = flat.conflict or "contradictory const"
        flat.const = node["const"]


def _merge_structure(flat: _Flat, node: Mapping[str, Any]) -> None:
    """Properties, required names, additional properties and items: gathered from every part."""
    props = node.get("properties")
    if isinstance(props, Mapping):
        for name, sub in props.items():
            flat.properties.setdefault(name, []).append(sub)
            flat.prop_owner.setdefault(name, id(node))
    for name in node.get("required", ()):
        if name not in flat.required:
            flat.required.append(name)
    if "additionalProperties" in node:
        if not flat.additional:
            flat.additional_key = id(node)
        flat.additional.append(node["additionalProperties"])
    if "items" in node:
        flat.items.append(node["items"])


def _merge_bounds(flat: _Flat, node: Mapping[str, Any]) -> None:
    """Lengths, sizes, ranges, formats and patterns: the tightest of all parts."""
    flat.min_items = max(flat.min_items, int(node.get("minItems", 0)))
    flat.max_items = _min_opt(flat.max_items, node.get("maxItems"))
    if isinstance(node.get("format"), str):
        flat.fmt = flat.fmt or node["format"]
    flat.min_length = max(flat.min_length, int(node.get("minLength", 0)))
    flat.max_length = _min_opt(flat.max_length, node.get("maxLength"))
    if isinstance(node.get("pattern"), str):
        flat.patterns.append(node["pattern"])
    flat.minimum = _max_opt(flat.minimum, node.get("minimum"))
    flat.maximum = _min_opt(flat.maximum, node.get("maximum"))
    flat.exclusive_minimum = _max_opt(flat.exclusive_minimum, node.get("exclusiveMinimum"))
    flat.exclusive_maximum = _min_opt(flat.exclusive_maximum, node.get("exclusiveMaximum"))
    if node.get("multipleOf") is not None:
        flat.multiple_of = node["multipleOf"]


def _fresh_key(taken: Mapping[str, Any], n: int) -> str:
    key = EXTRA_KEY if n == 0 else f"{EXTRA_KEY}{n + 1}"
    while key in taken:
        key += "_"
    return key


def _all_of(schemas: Sequence[Any]) -> Any:
    if not schemas:
        return {}
    if len(schemas) == 1:
        return schemas[0]
    return {"allOf": list(schemas)}


def _meet(name: str, names: Sequence[str]) -> str:
    """``name`` if ``names`` allows it ("integer" is a "number"), else ""."""
    if name in names:
        return name
    if name == "number" and "integer" in names:
        return "integer"
    if name == "integer" and "number" in names:
        return "integer"
    return ""


def _min_opt(current: Any, new: Any) -> Any:
    if new is None:
        return current
    return new if current is None else min(current, new)


def _max_opt(current: Any, new: Any) -> Any:
    if new is None:
        return current
    return new if current is None else max(current, new)


def _json_eq(a: Any, b: Any) -> bool:
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True) and type(a) is type(b)


def _json_in(value: Any, values: Sequence[Any]) -> bool:
    return any(_json_eq(value, v) for v in values)


def _number(flat: _Flat, integer: bool) -> int | float:
    value: float = 1 if integer else 1.5
    low = flat.minimum
    if flat.exclusive_minimum is not None:
        low = _max_opt(low, flat.exclusive_minimum + (1 if integer else 0.5))
    high = flat.maximum
    if flat.exclusive_maximum is not None:
        high = _min_opt(high, flat.exclusive_maximum - (1 if integer else 0.5))
    if low is not None and value < low:
        value = low
    if high is not None and value > high:
        value = high
    if flat.multiple_of:
        value = flat.multiple_of * max(1, round(value / flat.multiple_of))
        if high is not None and value > high:
            value -= flat.multiple_of
    if integer:
        whole = math.ceil(value)
        return whole if high is None or whole <= high else math.floor(value)
    return float(value)


def _string(flat: _Flat, base: str) -> str:
    fixed = {
        "date-time": SAMPLE_DATETIME,
        "date": SAMPLE_DATE,
        "time": SAMPLE_TIME,
        "uuid": SAMPLE_UUID,
        "email": SAMPLE_EMAIL,
        "idn-email": SAMPLE_EMAIL,
        "uri": SAMPLE_URI,
        "url": SAMPLE_URI,
        "byte": SAMPLE_BYTE,
    }
    value = fixed.get(flat.fmt or "", base)
    if flat.fmt not in fixed:
        if len(value) < flat.min_length:
            value += "x" * (flat.min_length - len(value))
        if flat.max_length is not None and len(value) > flat.max_length:
            value = value[: flat.max_length]
    if flat.patterns:
        candidates = [value, base, "sample", "a", "A", "0", "a" * max(flat.min_length, 1)]
        for candidate in candidates:
            if (
                all(re.search(p, candidate) for p in flat.patterns)
                and flat.min_length <= len(candidate)
                and (flat.max_length is None or len(candidate) <= flat.max_length)
            ):
                return candidate
        raise SchemaError(f"no built-in sample string matches pattern(s) {flat.patterns!r}")
    return value
