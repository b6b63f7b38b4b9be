"""Leaf measurement: which leaves of a payload a parsed model holds in typed attributes."""

from __future__ import annotations

import ast
import builtins
import copy
import datetime
import enum
import re
import sys
import types
import typing
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Final

import attrs

from ._schema import JSONPath

__all__ = ["json_keys", "leaf_paths", "typed_leaf_paths"]


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
        return _match_subscript(value, ann)
    return _match_name(value, ann, ns)


def _match_subscript(value: Any, ann: ast.Subscript) -> ast.expr | None:
    """``Literal[...]`` admits its values; ``list[...]``/``dict[...]`` a value of that container."""
    base = _name_of(ann.value)
    if base == "Literal":
        literals = [a.value for a in _subscript_args(ann) if isinstance(a, ast.Constant)]
        return ann if value in literals else None
    container = _CONTAINERS.get(base or "")
    return ann if container is not None and isinstance(value, container) else None


def _match_name(value: Any, ann: ast.expr, ns: Mapping[str, Any]) -> ast.expr | None:
    """A named type: ``None``, a scalar, a class of ``ns``, or a type alias expanded."""
    name = _name_of(ann)
    if name is None or name in ("Any", "object") or name in _CONTAINERS:
        return None  # untyped, or a bare ``dict``/``list`` whose contents are untyped
    if name == "None":
        return ann if value is None else None
    if name in _SCALARS:
        return ann if isinstance(value, _SCALARS[name]) and not (name != "bool" and type(value) is bool) else None
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
