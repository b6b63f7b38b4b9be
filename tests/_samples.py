"""Deterministic sample payloads for an OpenAPI 3.1 spec, and leaf-field measurement.

Three tools for the tests that check the generated SDK against Sigma's spec:

* ``sample_payloads(spec, schema)`` walks a JSON Schema and returns a small list of spec-valid
  instances that together use every ``oneOf``/``anyOf`` branch, every optional property, every enum
  value and every ``null`` of a nullable type. No randomness: the same spec gives the same list.
  ``iter_operation_payloads(spec)`` does it for every request body and every 2xx response.
* ``validate(spec, schema, payload)`` checks an instance with ``jsonschema`` (Draft 2020-12), the
  spec's ``$ref``s resolved (leniently: ``#components/...`` is read as ``#/components/...``).
* ``leaf_paths(payload)`` and ``typed_leaf_paths(model)`` measure how many of a payload's leaf fields
  a parsed model holds in typed attributes rather than in ``additional_properties`` or raw dicts.

How the walker keeps the set small: every place where an instance has a choice (a union branch, an
enum value, ``null`` or not, ``true``/``false``, an optional property, an extra key) is a *target*,
keyed by the schema node that offers it. Instance 0 is minimal (required properties only). Every
later instance fills all optional properties and, at each choice, takes the first option that is
itself unused, else the first that leads to an unused target, else option ``index % n``. Arrays and
maps get more items while that keeps covering something new. An instance that covers nothing new
gives up on what it aimed at; generation ends when nothing is left. Independent choices therefore
cost about as many instances as the widest of them, not their product; unions nested under one
branch add up (``createConnection``: 5 connection types with their own auth unions -> 12).

Choices are kept valid: ``allOf`` parts (with the ``oneOf`` inside them decided) are merged before
anything is generated; a dead end (contradictory parts) rolls the coverage back and bans the last
branch taken; a dead optional property, array item or extra key is left out and named in the
``SampleReport``. Under ``oneOf``, enum values that a sibling branch also accepts are avoided when
the branch has others. A ``$ref`` nested inside itself ``RECURSION_LIMIT`` deep is closed with a
branch that does not lead back to it (``ConstValCodec``'s records and arrays of records).

Sigma's spec has two defects no reading can make valid: ``type: "null"`` beside an ``allOf``/``oneOf``
of objects (19 places: no instance exists), and ``oneOf``s whose branches overlap (an instance of
one fits another too). ``lenient_spec`` reads the first as "null or the composition";
``validator(..., one_of_as_any_of=True)`` accepts the second the way the generated SDK parses
unions (first fitting branch wins). Both are opt-in and named; nothing else is relaxed.

Unsupported (absent from Sigma's spec, so not worth the code): ``not``, ``if``/``then``/``else``,
``prefixItems``, ``patternProperties``, ``dependentSchemas``, ``uniqueItems``, regex generation for
``pattern`` (a few fixed candidates are tried, else ``ValueError``), and OpenAPI 3.0's
``nullable`` keyword (3.1 spells it ``type: [..., "null"]``).
"""

from __future__ import annotations

import ast
import builtins
import copy
import datetime
import enum
import json
import math
import re
import sys
import types
import typing
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, Final, TypeAlias
from urllib.parse import unquote

import attrs
from jsonschema import Draft202012Validator, FormatChecker, validators
from jsonschema.protocols import Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

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


# ---------------------------------------------------------------------------------------------
# Flattening: one node (with its $ref, allOf and chosen union branches) -> one merged view


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


@dataclass
class SampleReport:
    """What a ``sample_payloads`` call used and what it had to leave out."""

    covered: set[Target] = field(default_factory=set)
    # id of a schema node no valid instance exists for -> why; the walker left the optional
    # property, array item, extra key or union branch that led there out of its instances
    skipped: dict[int, str] = field(default_factory=dict)


class _Walker:
    def __init__(self, spec: Mapping[str, Any], free_form: bool) -> None:
        self.spec = spec
        self.free_form = free_form
        self.graph = _Graph(spec, free_form)
        self.covered: set[Target] = set()
        self.log: list[Target] = []  # undo log of ``covered`` for backtracking
        self.banned: set[Target] = set()  # union branches that led to a SchemaError
        self.skipped: dict[int, str] = {}
        self.abandoned: set[Target] = set()  # aimed at by an instance that covered nothing new
        self.aimed: list[Any] = []  # union options picked this instance only to reach deeper targets
        self.index = 0  # instance number, used for the default rotation at a covered choice
        self._validators: dict[int, Validator] = {}

    # -- coverage bookkeeping -----------------------------------------------------------------

    def mark(self, target: Target) -> None:
        if target not in self.covered:
            self.covered.add(target)
            self.log.append(target)

    def undo(self, mark: int, error: SchemaError) -> None:
        while len(self.log) > mark:
            self.covered.discard(self.log.pop())
        self.skipped.setdefault(error.node, str(error))

    def _leads_to_new(self, node: Any) -> bool:
        return bool(self.graph.reach(node).targets - self.covered - self.abandoned)

    def give_up(self) -> bool:
        """After an instance that covered nothing new: stop aiming at what it aimed at."""
        for node in self.aimed:
            self.abandoned |= self.graph.reach(node).targets - self.covered
        progress = bool(self.aimed)
        self.aimed = []
        return progress

    def _fits(self, schema: Any, value: Any) -> bool:
        checker = self._validators.get(id(schema))
        if checker is None:
            checker = self._validators[id(schema)] = validator(self.spec, schema)
        return bool(checker.is_valid(value))

    # -- choices ------------------------------------------------------------------------------

    def choose(
        self,
        key: int,
        kind: str,
        labels: Sequence[int | str],
        options: Sequence[Any] | None,
        ctx: _Ctx,
        allowed: Sequence[int] | None = None,
    ) -> int:
        """Pick an option: first unused (or leading to something unused), else rotate by instance."""
        candidates = [
            i
            for i in (allowed if allowed is not None else range(len(labels)))
            if (key, kind, labels[i]) not in self.banned
        ]
        if not candidates:
            raise SchemaError(f"every {kind} option is unsatisfiable", key)
        if options is not None and ctx.closing:
            open_refs = set(ctx.refs)
            closing = [i for i in candidates if not self.graph.reach(options[i]).refs & open_refs]
            candidates = closing or candidates
        pick = next((i for i in candidates if (key, kind, labels[i]) not in self.covered), None)
        if pick is None and options is not None:
            pick = next((i for i in candidates if self._leads_to_new(options[i])), None)
            if pick is not None:
                self.aimed.append(options[pick])
        if pick is None:
            pick = candidates[self.index % len(candidates)]
        self.mark((key, kind, labels[pick]))
        return pick

    # -- flattening ---------------------------------------------------------------------------

    def _merge_into(self, flat: _Flat, node: Any, ctx: _Ctx, seen: tuple[int, ...], picks: list[Target]) -> _Ctx:
        if node is True or (isinstance(node, Mapping) and not node):
            return ctx
        if not isinstance(node, Mapping):
            flat.conflict = flat.conflict or "false schema"
            return ctx
        if id(node) in seen:
            raise SchemaError("allOf/$ref cycle with no object in between", id(node))
        seen = (*seen, id(node))
        ref = node.get("$ref")
        if isinstance(ref, str):
            canonical = _canonical_ref(ref)
            if ctx.refs.count(canonical) >= RECURSION_LIMIT - 1:
                ctx = replace(ctx, closing=True, minimal=True)
            ctx = replace(ctx, refs=(*ctx.refs, canonical))
            ctx = self._merge_into(flat, resolve_ref(self.spec, ref), ctx, seen, picks)
        _merge_keywords(flat, node)
        for part in node.get("allOf", ()):
            ctx = self._merge_into(flat, part, ctx, seen, picks)
        for kind in _UNION_KINDS:
            branches = node.get(kind)
            if branches:
                pick = self.choose(id(node), kind, range(len(branches)), branches, ctx)
                picks.append((id(node), kind, pick))
                if kind == "oneOf":
                    flat.exclude.extend(b for i, b in enumerate(branches) if i != pick)
                ctx = self._merge_into(flat, branches[pick], ctx, seen, picks)
        return ctx

    # -- generation ---------------------------------------------------------------------------

    def generate(self, node: Any, ctx: _Ctx) -> Any:
        """One instance of ``node``; on a dead end, ban the last union branch taken here and retry."""
        if ctx.depth > MAX_DEPTH:
            raise SchemaError("schema nests deeper than MAX_DEPTH; unbounded recursion?", id(node))
        for _ in range(MAX_RETRIES):
            mark = len(self.log)
            picks: list[Target] = []
            try:
                flat = _Flat(anchor=id(node))
                inner = self._merge_into(flat, node, ctx, (), picks)
                return self._instance(flat, replace(inner, depth=ctx.depth + 1))
            except SchemaError as error:
                self.undo(mark, error)
                if not picks or picks[-1] in self.banned:
                    raise
                self.banned.add(picks[-1])
        raise SchemaError("too many dead ends", id(node))

    def _instance(self, flat: _Flat, ctx: _Ctx) -> Any:
        if flat.conflict:
            raise SchemaError(flat.conflict, flat.anchor)
        if flat.const is not _MISSING:
            return copy.deepcopy(flat.const)
        if flat.enum is not None:
            if not flat.enum:
                raise SchemaError("allOf leaves no enum value", flat.enum_key)
            # under oneOf, prefer values no sibling branch accepts (else the instance is ambiguous)
            own = [i for i, v in enumerate(flat.enum) if not any(self._fits(s, v) for s in flat.exclude)]
            pick = self.choose(flat.enum_key, "enum", flat.enum_index, None, ctx, own or None)
            return copy.deepcopy(flat.enum[pick])
        kind = self._pick_type(flat, ctx)
        if kind == "null":
            return None
        if kind == "boolean":
            if not flat.has_bool_choice:
                return True
            return self.choose(flat.bool_key, "bool", ("true", "false"), None, ctx) == 0
        if kind in ("integer", "number"):
            return _number(flat, integer=kind == "integer")
        if kind == "string":
            return _string(flat, f"{ctx.hint}-{self.index}")
        if kind == "array":
            return self._array(flat, ctx)
        if kind == "object":
            return self._object(flat, ctx)
        raise SchemaError(f"unknown type {kind!r}", flat.type_key)

    def _pick_type(self, flat: _Flat, ctx: _Ctx) -> str:
        if flat.types is not None:
            if not flat.types:
                raise SchemaError("allOf leaves no type", flat.type_key)
            if flat.type_is_choice and len(flat.types) > 1:
                return flat.types[self.choose(flat.type_key, "type", flat.types, None, ctx)]
            return flat.types[0]
        if flat.properties or flat.required or flat.additional:
            return "object"
        if flat.items:
            return "array"
        if flat.minimum is not None or flat.maximum is not None or flat.multiple_of is not None:
            return "number"
        return "string"  # an unconstrained schema: any JSON value will do

    def _optional(self, node: Any, ctx: _Ctx) -> Any:
        """``generate``, or ``_MISSING`` (coverage rolled back) when no instance exists."""
        mark = len(self.log)
        try:
            return self.generate(node, ctx)
        except SchemaError as error:
            self.undo(mark, error)
            return _MISSING

    def _array(self, flat: _Flat, ctx: _Ctx) -> list[Any]:
        item_schema: Any = _all_of(flat.items)
        item_ctx = replace(ctx, hint="item")
        limit = flat.max_items if flat.max_items is not None else flat.min_items + MAX_REPEAT
        out = [self.generate(item_schema, item_ctx) for _ in range(min(flat.min_items, limit))]
        if ctx.minimal:
            return out
        while len(out) < limit and (not out or (flat.items and self._leads_to_new_all(flat.items))):
            before = len(self.covered)
            item = self._optional(item_schema, item_ctx)
            if item is _MISSING or (out and len(self.covered) == before):
                break
            out.append(item)
        return out

    def _leads_to_new_all(self, nodes: Sequence[Any]) -> bool:
        return any(self._leads_to_new(n) for n in nodes)

    def _object(self, flat: _Flat, ctx: _Ctx) -> dict[str, Any]:
        out: dict[str, Any] = {}
        names = list(flat.properties)
        names += [n for n in flat.required if n not in flat.properties]
        for name in names:
            required = name in flat.required
            if ctx.minimal and not required:
                continue
            schema = _all_of(flat.properties.get(name, []))
            prop_ctx = replace(ctx, hint=name)
            value = self.generate(schema, prop_ctx) if required else self._optional(schema, prop_ctx)
            if value is not _MISSING:
                out[name] = value
                if name in flat.prop_owner:
                    self.mark((flat.prop_owner[name], "prop", name))
        if not flat.additional or ctx.minimal or any(e is False for e in flat.additional):
            return out  # extra keys only where the schema names additionalProperties
        extras = [e for e in flat.additional if e is not True and e != {}]
        if not extras and not self.free_form:
            return out
        extra_schema = _all_of(extras)
        for count in range(MAX_REPEAT):
            key = _fresh_key(out, count)
            before = len(self.covered)
            value = self._optional(extra_schema, replace(ctx, hint=key))
            if value is _MISSING or (count and len(self.covered) == before):
                break
            out[key] = value
            self.mark((flat.additional_key, "extra", 0))
            if not extras or not self._leads_to_new_all(extras):
                break
        return out


def _merge_keywords(flat: _Flat, node: Mapping[str, Any]) -> None:
    types = node.get("type")
    if types is not None:
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


# ---------------------------------------------------------------------------------------------
# Public API: payloads


def sample_payloads(
    spec: Mapping[str, Any], schema: Any, *, free_form: bool = True, report: SampleReport | None = None
) -> list[Any]:
    """Spec-valid instances of ``schema`` that together use every branch, optional property, enum value.

    Instance 0 has the required properties only; the others fill everything. ``free_form=False``
    adds no key to objects whose ``additionalProperties`` is ``{}``/``true`` (such values can only
    land untyped in an SDK). ``report``, when given, receives the targets used and the nodes skipped.
    """
    walker = _Walker(spec, free_form)
    out = [walker.generate(schema, _Ctx(minimal=True))]
    total = walker.graph.reach(schema).targets
    attempts = 0
    while len(out) < MAX_INSTANCES and attempts < MAX_INSTANCES and not total <= walker.covered | walker.abandoned:
        attempts += 1
        walker.index = len(out)
        walker.aimed = []
        mark = len(walker.log)
        instance = walker.generate(schema, _Ctx())
        if len(walker.log) > mark or (len(out) == 1 and not _json_in(instance, out)):
            out.append(instance)
        elif not walker.give_up():
            break
    if len(out) == 1:  # nothing to choose anywhere: still show the schema filled up
        walker.index = 1
        instance = walker.generate(schema, _Ctx())
        if not _json_in(instance, out):
            out.append(instance)
    if report is not None:
        report.covered.update(walker.covered)
        for node, reason in walker.skipped.items():
            report.skipped.setdefault(node, reason)
    return out


def schema_targets(spec: Mapping[str, Any], schema: Any, kinds: Sequence[str] = _UNION_KINDS) -> set[Target]:
    """Targets of the given kinds reachable from ``schema`` (default: every oneOf/anyOf branch)."""
    return {t for t in _Graph(spec, free_form=True).reach(schema).targets if t[1] in kinds}


def iter_operation_schemas(spec: Mapping[str, Any]) -> Iterator[tuple[str, str, str, Any]]:
    """Yield ``(operation_id, "request" | "response:<status>", content_type, schema)``, spec order.

    Every request body (every content type) and every 2xx response that has content with a schema.
    """
    for path, item in spec.get("paths", {}).items():
        item = deref(spec, item)
        for method, operation in item.items():
            if method not in _HTTP_METHODS:
                continue
            op_id = operation.get("operationId") or f"{method} {path}"
            body = deref(spec, operation.get("requestBody"))
            if isinstance(body, Mapping):
                for content_type, media in body.get("content", {}).items():
                    if isinstance(media, Mapping) and "schema" in media:
                        yield op_id, "request", content_type, media["schema"]
            for status, response in operation.get("responses", {}).items():
                if not str(status).startswith("2"):
                    continue
                response = deref(spec, response)
                for content_type, media in response.get("content", {}).items():
                    if isinstance(media, Mapping) and "schema" in media:
                        yield op_id, f"response:{status}", content_type, media["schema"]


def iter_operation_payloads(
    spec: Mapping[str, Any], *, free_form: bool = True, lenient: bool = True
) -> Iterator[tuple[str, str, str, Any]]:
    """Yield ``(operation_id, "request" | "response:<status>", content_type, payload)`` for the spec.

    With ``lenient`` (the default) the payloads come from ``lenient_spec(spec)``, so the parts Sigma
    declares as ``type: null`` beside a composition (no instance exists as written) are sampled too,
    as null and as each branch. Pass ``lenient=False`` for the spec exactly as written.
    """
    source = lenient_spec(spec) if lenient else spec
    for op_id, where, content_type, schema in iter_operation_schemas(source):
        for payload in sample_payloads(source, schema, free_form=free_form):
            yield op_id, where, content_type, payload


def node_index(root: Any) -> dict[int, tuple[str, Any]]:
    """``id(node) -> (JSON pointer, node)`` for every dict and list under ``root``."""
    index: dict[int, tuple[str, Any]] = {}
    stack: list[tuple[Any, str]] = [(root, "#")]
    while stack:
        node, pointer = stack.pop()
        if isinstance(node, Mapping):
            index[id(node)] = (pointer, node)
            stack.extend((v, f"{pointer}/{str(k).replace('~', '~0').replace('/', '~1')}") for k, v in node.items())
        elif isinstance(node, list):
            index[id(node)] = (pointer, node)
            stack.extend((v, f"{pointer}/{i}") for i, v in enumerate(node))
    return index


def describe_target(spec: Mapping[str, Any], target: Target, root: Any = None) -> str:
    """A readable ``#/json/pointer kind option`` for a target of ``spec`` (or of ``root``)."""
    found = node_index(root if root is not None else spec).get(target[0])
    pointer = found[0] if found else "<unknown node>"
    return f"{pointer} {target[1]} {target[2]}"


# ---------------------------------------------------------------------------------------------
# Validation

SPEC_URI: Final = "urn:sigma-sdk:openapi-spec"
_RFC3339 = re.compile(r"\d{4}-\d\d-\d\d[Tt]\d\d:\d\d:\d\d(\.\d+)?([Zz]|[+-]\d\d:\d\d)")
_REGISTRIES: dict[int, tuple[Mapping[str, Any], Registry[Any]]] = {}


def _format_checker() -> FormatChecker:
    checker = FormatChecker(formats=())
    checker.checkers = dict(Draft202012Validator.FORMAT_CHECKER.checkers)

    @checker.checks("date-time", raises=ValueError)
    def _date_time(value: object) -> bool:  # jsonschema only checks it with rfc3339-validator installed
        if not isinstance(value, str):
            return True
        if not _RFC3339.fullmatch(value):
            return False
        datetime.datetime.fromisoformat(value.upper().replace("Z", "+00:00"))
        return True

    return checker


FORMAT_CHECKER: Final = _format_checker()


def _absolute_refs(node: Any) -> Any:
    """Copy of ``node`` whose local ``$ref``s point into the registered spec, malformed ones fixed."""
    if isinstance(node, Mapping):
        out = {k: _absolute_refs(v) for k, v in node.items()}
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#"):
            out["$ref"] = SPEC_URI + _canonical_ref(ref)
        return out
    if isinstance(node, list):
        return [_absolute_refs(v) for v in node]
    return node


def _registry(spec: Mapping[str, Any]) -> Registry[Any]:
    cached = _REGISTRIES.get(id(spec))
    if cached is not None and cached[0] is spec:
        return cached[1]
    resource: Resource[Any] = Resource.from_contents(_absolute_refs(spec), default_specification=DRAFT202012)
    registry: Registry[Any] = Registry().with_resource(SPEC_URI, resource)
    _REGISTRIES[id(spec)] = (spec, registry)
    return registry


_LenientOneOf = validators.extend(  # type: ignore[no-untyped-call]
    Draft202012Validator, {"oneOf": Draft202012Validator.VALIDATORS["anyOf"]}
)


def validator(spec: Mapping[str, Any], schema: Any, *, one_of_as_any_of: bool = False) -> Validator:
    """A Draft 2020-12 validator for ``schema`` (a node of ``spec`` or a schema using its refs).

    ``one_of_as_any_of=True`` accepts an instance that fits more than one ``oneOf`` branch, the way
    the generated SDK parses unions (first branch that fits wins). Sigma's spec needs it: several of
    its ``oneOf``s have a branch that every instance of another branch also fits (see the tests).
    """
    cls = _LenientOneOf if one_of_as_any_of else Draft202012Validator
    return cls(_absolute_refs(schema), registry=_registry(spec), format_checker=FORMAT_CHECKER)


def validate(spec: Mapping[str, Any], schema: Any, payload: Any, *, one_of_as_any_of: bool = False) -> None:
    """Raise ``jsonschema.ValidationError`` (the most relevant one) unless ``payload`` fits ``schema``."""
    validator(spec, schema, one_of_as_any_of=one_of_as_any_of).validate(payload)


REPAIR_MARK: Final = "x-samples-repair"


def lenient_spec(spec: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of ``spec`` with its contradictions read the way Sigma evidently means them.

    * ``$ref: "#components/x"`` becomes ``"#/components/x"``.
    * ``{"type": "null", "allOf"/"oneOf"/"anyOf": [objects...]}`` has no instance at all under JSON
      Schema (null and an object at once); it is read as "null, or the composition":
      ``{"anyOf": [{"type": "null"}, <the node without type>], "x-samples-repair": ...}``. Every
      instance of the original (there are none) still fits, so this only widens.

    Use the copy for everything (iterating, sampling, validating): targets are keyed by its nodes.
    """

    def fix(node: Any) -> Any:
        if isinstance(node, list):
            return [fix(v) for v in node]
        if not isinstance(node, Mapping):
            return node
        out = {k: fix(v) for k, v in node.items()}
        ref = out.get("$ref")
        if isinstance(ref, str) and ref.startswith("#"):
            out["$ref"] = _canonical_ref(ref)
        if out.get("type") == "null" and any(k in out for k in ("allOf", *_UNION_KINDS)):
            rest = {k: v for k, v in out.items() if k != "type"}
            out = {"anyOf": [{"type": "null"}, rest], REPAIR_MARK: "null beside a composition"}
        return out

    fixed: dict[str, Any] = fix(spec)
    return fixed


# ---------------------------------------------------------------------------------------------
# Leaf measurement


def leaf_paths(payload: Any) -> set[JSONPath]:
    """Every path to a JSON scalar or to an empty object/array in ``payload``."""
    out: set[JSONPath] = set()
    stack: list[tuple[Any, JSONPath]] = [(payload, ())]
    while stack:
        value, path = stack.pop()
        if isinstance(value, Mapping) and value:
            stack.extend((v, (*path, k)) for k, v in value.items())
        elif isinstance(value, list | tuple) and value:
            stack.extend((v, (*path, i)) for i, v in enumerate(value))
        else:
            out.add(path)
    return out


def typed_leaf_paths(obj: Any) -> set[JSONPath]:
    """JSON paths of ``obj.to_dict()``'s leaves that ``obj`` holds in typed attributes.

    ``obj`` is a generated attrs model (or a list of them, or a scalar). A leaf counts when every step
    to it goes through an attribute (or list item, or typed ``additional_properties`` value) whose
    annotation is not ``Any`` and admits the value: leaves inside ``additional_properties:
    dict[str, Any]``, a raw ``dict`` or an ``Any``-typed attribute do not count. Python attribute
    names are mapped to JSON keys by running the model's own ``to_dict`` on a copy whose attributes
    are replaced by tracer objects (see ``json_keys``), so renamed or escaped keys need no guessing.
    """
    out: set[JSONPath] = set()
    _walk_typed(obj, (), None, {}, out)
    return out


class _Tracer:
    """Stands in for an attribute value in ``to_dict``; every conversion the templates use returns a token."""

    def __init__(self, token: str) -> None:
        self.token = token

    def to_dict(self) -> str:
        return self.token

    def isoformat(self) -> str:
        return self.token

    def to_tuple(self) -> str:
        return self.token

    @property
    def value(self) -> str:
        return self.token

    def __iter__(self) -> Iterator[_Tracer]:
        yield self

    def items(self) -> Iterator[tuple[str, _Tracer]]:
        yield self.token, self


_KEYS: dict[type, dict[str, str]] = {}
_TOKEN: Final = "\x00trace\x00"


def _tokens_in(value: Any) -> set[str]:
    if isinstance(value, _Tracer):
        return {value.token}
    if isinstance(value, str):
        return {value} if value.startswith(_TOKEN) else set()
    if isinstance(value, Mapping):
        return set().union(*(_tokens_in(v) for v in value.values()), *(_tokens_in(k) for k in value))
    if isinstance(value, list | tuple):
        return set().union(*(_tokens_in(v) for v in value))
    return set()


def _fields(cls: type) -> list[attrs.Attribute[Any]]:
    return [f for f in attrs.fields(cls) if f.name != "additional_properties"]


def _probe(obj: Any, names: Sequence[str]) -> dict[str, str]:
    probe = copy.copy(obj)
    if hasattr(probe, "additional_properties"):
        object.__setattr__(probe, "additional_properties", {})
    for name in names:
        object.__setattr__(probe, name, _Tracer(_TOKEN + name))
    mapping: dict[str, str] = {}
    for key, value in probe.to_dict().items():
        found = _tokens_in(value)
        if len(found) == 1:
            mapping[found.pop()[len(_TOKEN) :]] = key
    return mapping


def json_keys(obj: Any) -> dict[str, str]:
    """Map the attrs attribute names of ``obj``'s class to the JSON keys its ``to_dict`` writes.

    1. Tracers: all attributes of a shallow copy replaced at once by objects whose every conversion
       (``to_dict``, ``isoformat``, ``.value``, iteration...) yields a token naming the attribute;
       the key holding a token is that attribute's key. If ``to_dict`` cannot digest that, each
       attribute is traced alone, the others keeping their real values.
    2. A guarded template (``if isinstance(self.x, list): ...`` with no ``else``) rejects tracers;
       such attributes are matched by value: the key whose JSON equals the attribute's value
       encoded like ``to_dict`` does, ties broken by the snake_case name.
    An attribute whose key is still unknown is left out, so its leaves count as untyped (the safe
    side). The mapping is cached per class once the tracers alone find every attribute.
    """
    cls = type(obj)
    cached = _KEYS.get(cls)
    if cached is not None:
        return cached
    names = [f.name for f in _fields(cls)]
    try:
        mapping = _probe(obj, names)
    except Exception:  # a to_dict shape we do not know: trace one attribute at a time
        mapping = {}
        for name in names:
            try:
                mapping.update(_probe(obj, [name]))
            except Exception:  # noqa: S112 - this attribute stays unmapped for now
                continue
    if len(mapping) == len(names):
        _KEYS[cls] = mapping
        return mapping
    _match_by_value(obj, [n for n in names if n not in mapping], mapping)
    return mapping


def _match_by_value(obj: Any, names: Sequence[str], mapping: dict[str, str]) -> None:
    probe = copy.copy(obj)
    if hasattr(probe, "additional_properties"):
        object.__setattr__(probe, "additional_properties", {})
    try:
        encoded = probe.to_dict()
    except Exception:  # nothing more to learn from this model
        return
    for name in names:
        value = getattr(obj, name)
        if _is_unset(value):
            continue
        try:
            wanted = _encode(value)
        except Exception:  # noqa: S112 - leave this one unmapped
            continue
        free = [k for k in encoded if k not in mapping.values() and encoded[k] == wanted]
        if len(free) > 1:
            free = [k for k in free if _snake(k) == name.rstrip("_")] or free
        if len(free) == 1:
            mapping[name] = free[0]


def _encode(value: Any) -> Any:
    """``value`` as the generated ``to_dict`` writes it."""
    if _is_model(value):
        return value.to_dict()
    if isinstance(value, list | tuple):
        return [_encode(v) for v in value]
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime.date):
        return value.isoformat()
    return value


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])([A-Z])", r"_\1", name).lower()


def _is_model(value: Any) -> bool:
    return attrs.has(type(value)) and callable(getattr(value, "to_dict", None))


def _is_unset(value: Any) -> bool:
    return type(value).__name__ == "Unset"


def _walk_typed(value: Any, path: JSONPath, ann: ast.expr | None, ns: Mapping[str, Any], out: set[JSONPath]) -> None:
    """Record ``value``'s typed leaves; ``ann`` is its annotation (None: unknown, at the root) in ``ns``."""
    if ann is not None:
        matched = _match(value, ann, ns)
        if matched is None:
            return
        ann = matched
    if _is_model(value):
        _walk_model(value, path, out)
        return
    if isinstance(value, list | tuple):
        if not value:
            out.add(path)
        inner = _subscript_args(ann)[0] if ann is not None and _subscript_args(ann) else None
        for index, item in enumerate(value):
            _walk_typed(item, (*path, index), inner, ns, out)
        return
    if isinstance(value, Mapping):
        args = _subscript_args(ann) if ann is not None else []
        if len(args) != 2:  # a raw dict, or a field typed ``dict`` without value type
            return
        if not value:
            out.add(path)
        for key, item in value.items():
            _walk_typed(item, (*path, key), args[1], ns, out)
        return
    out.add(path)  # a scalar: str, number, bool, None, enum, datetime, File


def _walk_model(model: Any, path: JSONPath, out: set[JSONPath]) -> None:
    keys = json_keys(model)
    module = sys.modules.get(type(model).__module__)
    ns: Mapping[str, Any] = vars(module) if module is not None else {}
    empty = True
    for attribute in _fields(type(model)):
        value = getattr(model, attribute.name)
        if _is_unset(value):
            continue
        empty = False
        key = keys.get(attribute.name)
        if key is not None:
            _walk_typed(value, (*path, key), _annotation(attribute.type), ns, out)
    extras = getattr(model, "additional_properties", None)
    if isinstance(extras, Mapping) and extras:
        empty = False
        extra_field = attrs.fields_dict(type(model)).get("additional_properties")
        ann = _annotation(extra_field.type) if extra_field is not None else None
        args = _subscript_args(ann) if ann is not None else []
        if len(args) == 2:
            for key, item in extras.items():
                _walk_typed(item, (*path, key), args[1], ns, out)
    if empty:
        out.add(path)


# Annotations: attrs gives the source text (the generated models use ``from __future__ import
# annotations``) or a typing object; both become a Python expression AST that ``_match`` reads.

_ANY: Final = ast.Name(id="Any")


def _annotation(ann: Any) -> ast.expr:
    if ann is None:
        return _ANY
    text = ann if isinstance(ann, str) else _type_to_str(ann)
    try:
        return ast.parse(text, mode="eval").body
    except SyntaxError:
        return _ANY


def _type_to_str(tp: Any) -> str:
    if tp is Any:
        return "Any"
    if tp is None or tp is type(None):
        return "None"
    origin = typing.get_origin(tp)
    args = typing.get_args(tp)
    if origin in (typing.Union, types.UnionType):
        return " | ".join(_type_to_str(a) for a in args)
    if origin is typing.Literal:
        return f"Literal[{', '.join(repr(a) for a in args)}]"
    if origin is not None:
        return f"{getattr(origin, '__name__', 'Any')}[{', '.join(_type_to_str(a) for a in args)}]"
    if isinstance(tp, str):
        return tp
    return getattr(tp, "__name__", "Any")


def _name_of(ann: ast.expr) -> str | None:
    if isinstance(ann, ast.Name):
        return ann.id
    if isinstance(ann, ast.Attribute):
        return ann.attr
    if isinstance(ann, ast.Constant) and ann.value is None:
        return "None"
    return None


def _subscript_args(ann: ast.expr) -> list[ast.expr]:
    if not isinstance(ann, ast.Subscript):
        return []
    inner = ann.slice
    return list(inner.elts) if isinstance(inner, ast.Tuple) else [inner]


def _union_members(ann: ast.expr) -> list[ast.expr] | None:
    if isinstance(ann, ast.BinOp) and isinstance(ann.op, ast.BitOr):
        return [*(_union_members(ann.left) or [ann.left]), *(_union_members(ann.right) or [ann.right])]
    if isinstance(ann, ast.Subscript) and _name_of(ann.value) in ("Union", "Optional"):
        members = _subscript_args(ann)
        return [*members, ast.Constant(value=None)] if _name_of(ann.value) == "Optional" else members
    return None


_SCALARS: Final[dict[str, tuple[type, ...]]] = {
    "str": (str,),
    "int": (int,),
    "float": (int, float),  # from_dict keeps a JSON 1 as int in a float field
    "bool": (bool,),
    "bytes": (bytes,),
}
_CONTAINERS: Final[dict[str, type]] = {
    "list": list,
    "List": list,
    "Sequence": list,
    "tuple": tuple,
    "dict": dict,
    "Dict": dict,
    "Mapping": dict,
}


def _match(value: Any, ann: ast.expr, ns: Mapping[str, Any]) -> ast.expr | None:
    """The non-``Any`` member of ``ann`` that admits ``value``, or None (untyped or no match).

    Names are looked up in ``ns`` (the model's module): a class is checked with ``isinstance``, a
    type alias (``AuthType = Literal[...]`` with ``literal_enums``) is expanded; a name only
    imported under ``TYPE_CHECKING`` is compared with the names in ``type(value).__mro__``.
    """
    if isinstance(ann, ast.Constant) and isinstance(ann.value, str):  # a quoted forward reference
        return _match(value, _annotation(ann.value), ns)
    members = _union_members(ann)
    if members is not None:
        return next((m for m in (_match(value, m, ns) for m in members) if m is not None), None)
    if isinstance(ann, ast.Subscript):
        base = _name_of(ann.value)
        if base == "Literal":
            literals = [a.value for a in _subscript_args(ann) if isinstance(a, ast.Constant)]
            return ann if value in literals else None
        container = _CONTAINERS.get(base or "")
        return ann if container is not None and isinstance(value, container) else None
    name = _name_of(ann)
    if name is None or name in ("Any", "object"):
        return None
    if name == "None":
        return ann if value is None else None
    if name in _SCALARS:
        return ann if isinstance(value, _SCALARS[name]) and not (name != "bool" and type(value) is bool) else None
    if name in _CONTAINERS:
        return None  # a bare ``dict``/``list``: contents untyped
    target = _resolve(ann, ns)
    if isinstance(target, type):
        return ann if isinstance(value, target) else None
    if target is Any or typing.get_origin(target) is not None:  # a type alias
        return _match(value, _annotation(target), ns)
    return ann if any(c.__name__ == name for c in type(value).__mro__) else None


def _resolve(ann: ast.expr, ns: Mapping[str, Any]) -> Any:
    """The object a ``Name``/``Attribute`` annotation names in ``ns`` (or builtins), else None."""
    if isinstance(ann, ast.Name):
        return ns.get(ann.id, getattr(builtins, ann.id, None))
    if isinstance(ann, ast.Attribute):
        return getattr(_resolve(ann.value, ns), ann.attr, None)
    return None
