"""The walker that generates a covering set of instances, and the payload API built on it."""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from jsonschema.protocols import Validator

from ._flat import SchemaError, _all_of, _Ctx, _Flat, _fresh_key, _json_in, _merge_keywords, _number, _string
from ._schema import (
    _HTTP_METHODS,
    _MISSING,
    _UNION_KINDS,
    MAX_DEPTH,
    MAX_INSTANCES,
    MAX_REPEAT,
    MAX_RETRIES,
    RECURSION_LIMIT,
    Target,
    _canonical_ref,
    _Graph,
    deref,
    resolve_ref,
)
from ._validation import lenient_spec, validator

__all__ = [
    "SampleReport",
    "describe_target",
    "iter_operation_payloads",
    "iter_operation_schemas",
    "node_index",
    "sample_payloads",
    "schema_targets",
]


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
        self._add_extra_keys(flat, ctx, out)
        return out

    def _add_extra_keys(self, flat: _Flat, ctx: _Ctx, out: dict[str, Any]) -> None:
        """Keys beyond the named properties, as long as each one reaches something new."""
        extras = [e for e in flat.additional if e is not True and e != {}]
        if not extras and not self.free_form:
            return
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
