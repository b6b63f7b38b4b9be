"""Optional fast parsing of response bodies with msgspec (``pip install "sigma-computing-sdk[fast]"``).

The generated path (``json.loads``, then ``Model.from_dict``) stays the reference: this module returns
exactly what that path returns, or steps aside and lets it run.  For a ``_parse_response`` whose
declared type is one generated model (or a list of one), it builds once, lazily, a private msgspec Struct *mirror* of
that model and of the models it holds (JSON keys from the model module's ``_JSON_KEYS``, types from
the attrs fields' annotations), decodes the body strictly into the mirror in C, and fills the same
attrs classes positionally, as ``from_dict`` does.

A mirror accepts only bodies that ``from_dict`` turns into the same objects without a choice of its
own; anything else raises inside msgspec and the caller runs the generated path, which makes the
same objects, or raises the same ``ResponseValidationError``, as if this module did not exist:

- no unknown keys (``from_dict`` would keep them as additional properties);
- only the enum values the SDK knows (``from_dict`` turns any other into an ``UnknownValue``);
- str, bool, int, null and lists of them exactly as ``from_dict`` keeps them (``strict=True``: no
  ``"1"`` for an int, no ``1`` for a bool; an integer of any size stays that int, and one past
  Python's 4,300-digit limit is refused, as ``json.loads`` refuses it; NaN, Infinity and 1e400,
  which ``json.loads`` reads as floats, are refused);
- a float field as ``int | float``: ``from_dict`` keeps a JSON ``1`` as the int ``1``;
- date-times and dates as strings, parsed by the same ``fromisoformat`` as ``from_dict`` (msgspec's
  own RFC 3339 parser rounds a seventh fractional digit that ``fromisoformat`` truncates);
- a model that cannot be mirrored (a field that is a union of models, typed additional properties, a
  model holding itself) is decoded as plain JSON and handed to its own ``from_dict``.

``SIGMA_SDK_FAST=0`` (or ``false``/``no``/``off``) switches the fast path off; without msgspec it is
off.  The setting is read once, on the first response parsed (``reset()`` reads it again;
``force()`` overrides it, for tests and scripts/bench.py).
"""

from __future__ import annotations

import datetime
import os
import sys
import threading
import types
import typing
from collections.abc import Callable
from typing import Any, Final, Literal, TypeGuard, Union

import attrs
import httpx

from ._forward import UnknownValue, is_unset_type

__all__ = ["MISS", "enabled", "force", "parse_fast", "reset"]

MISS: Final = object()
"""What ``parse_fast`` returns when the caller must parse the body itself."""

_OFF_VALUES: Final = frozenset({"0", "false", "no", "off"})

_Fill = Callable[[Any], Any]


class _NotMirrored(Exception):
    """A type the mirror cannot represent exactly: the model holding it goes the ``from_dict`` way."""


_NO_FIELD: Final = object()  # a model without optional fields: no decoded value is its UNSET

_state: bool | None = None  # None: not decided yet; decided on the first response parsed
# The fast parser of each generated ``_parse_response`` function, or None where it has none.
_parsers: dict[Callable[..., Any], Callable[[bytes], Any] | None] = {}
_mirrors: _Mirrors | None = None  # every model's mirror, built once, shared by the operations
_building: Final = threading.Lock()  # one thread builds at a time: a half-built model is never used


def enabled() -> bool:
    """Whether responses are parsed with msgspec: installed, and ``SIGMA_SDK_FAST`` does not say no."""
    global _state
    if _state is None:
        if os.environ.get("SIGMA_SDK_FAST", "").strip().lower() in _OFF_VALUES:
            _state = False
        else:
            try:
                import msgspec  # noqa: F401 - imported on first use, so `import sigma_sdk` stays as fast
            except ImportError:
                _state = False
            else:
                _state = True
    return _state


def reset() -> None:
    """Forget the setting and every parser built, so the next response reads ``SIGMA_SDK_FAST`` again."""
    global _state, _mirrors
    _state = None
    _parsers.clear()
    _mirrors = None


def force(on: bool | None) -> None:
    """Use the fast path (True; msgspec must be installed), the generated one (False), or decide anew (None).

    For tests and benchmarks that compare both paths in one process; parsers built so far are kept.
    """
    global _state
    if on:
        import msgspec  # noqa: F401 - fail here, not on the first response, when it is missing
    _state = on


def parse_fast(response: httpx.Response, parse: Callable[[httpx.Response], Any]) -> Any:
    """What ``parse(response)`` returns, computed with msgspec, or ``MISS`` when ``parse`` must run."""
    if _state is False or (_state is None and not enabled()):
        return MISS
    try:
        fast = _parsers[parse]
    except KeyError:
        fast = _parsers[parse] = _parser_for(parse)
    if fast is None:
        return MISS
    try:
        return fast(response.content)
    except Exception:  # anything unexpected in the body: the generated path decides, and says why
        return MISS


def _parser_for(parse: Callable[..., Any]) -> Callable[[bytes], Any] | None:
    """The fast parser for a generated ``_parse_response`` that returns one model or a list of one, else None.

    Such a function is ``Model.from_dict(response.json())`` for every 2xx status, or the loop
    ``[Model.from_dict(item) for item in response.json()]`` (tests/models/test_fast_parsing.py pins
    both for every operation).
    """
    global _mirrors
    declared = getattr(parse, "__annotations__", {}).get("return")
    listed = typing.get_origin(declared) is list
    model = typing.get_args(declared)[0] if listed else declared
    if not _is_model(model):
        return None
    import msgspec  # only with the fast path on

    try:
        with _building:
            if _mirrors is None:
                _mirrors = _Mirrors(msgspec)
            mirror, fill, fill_list = _mirrors.built(model)
            decode = msgspec.json.Decoder(list[mirror] if listed else mirror).decode  # type: ignore[valid-type]
    except Exception:  # a type this module cannot mirror after all: the generated path parses it
        return None
    fill_body = fill_list if listed else fill
    return lambda content: fill_body(decode(content))


def _is_model(tp: object) -> TypeGuard[type]:
    """A generated model: an attrs class whose module lists its fields' JSON keys."""
    return (
        isinstance(tp, type)
        and attrs.has(tp)
        and hasattr(tp, "from_dict")
        and hasattr(sys.modules.get(tp.__module__), "_JSON_KEYS")
    )


def _or_none(fill: _Fill) -> _Fill:
    return lambda value: None if value is None else fill(value)


def _each(fill: _Fill) -> _Fill:
    return lambda items: [fill(item) for item in items]


class _Mirrors:
    """Builds the mirror and filler of a model and of everything it holds, each model once."""

    def __init__(self, msgspec: types.ModuleType) -> None:
        self._msgspec = msgspec
        self._built: dict[type, tuple[Any, _Fill, _Fill]] = {}
        self._building: set[type] = set()

    def model(self, cls: type) -> tuple[Any, _Fill]:
        """``(mirror type, fill)`` for ``cls``: a Struct and its filler, or plain JSON and ``from_dict``."""
        mirror, fill, _ = self.built(cls)
        return mirror, fill

    def built(self, cls: type) -> tuple[Any, _Fill, _Fill]:
        """``model(cls)`` and the filler of a list of ``cls`` (one comprehension, no call per item)."""
        if cls in self._built:
            return self._built[cls]
        from_dict: _Fill = cls.from_dict  # type: ignore[attr-defined]
        if cls in self._building:  # a model that holds itself: from_dict below this point
            return Any, from_dict, _each(from_dict)
        self._building.add(cls)
        try:
            built = self._struct(cls)
        except _NotMirrored:
            built = (Any, from_dict, _each(from_dict))
        finally:
            self._building.discard(cls)
        self._built[cls] = built
        return built

    def _struct(self, cls: type) -> tuple[Any, _Fill, _Fill]:
        module = sys.modules[cls.__module__]
        resolve = getattr(module, "_resolve_references", None)
        if resolve is not None and not getattr(module, "_REFERENCES_RESOLVED", True):
            resolve()  # binds the models the annotations name, as from_dict does on its first call
        hints = typing.get_type_hints(cls, vars(module))
        fields = [field for field in attrs.fields(cls) if field.init]
        json_keys: tuple[str, ...] = module._JSON_KEYS
        extra = hints.get("additional_properties")
        if len(fields) != len(json_keys) or extra not in (None, dict[str, Any]):
            raise _NotMirrored(cls)  # typed additional properties: from_dict parses each value
        unset: Any = _NO_FIELD  # no optional field: nothing decoded is UNSET
        specs: list[tuple[Any, ...]] = []
        fills: dict[int, _Fill] = {}
        optional_indexes: set[int] = set()
        for index, field in enumerate(fields):
            tp = hints[field.name]
            members = typing.get_args(tp) if _is_union(tp) else (tp,)
            optional = [member for member in members if is_unset_type(member)]
            mirror, fill = self._value(tp)
            if optional:
                unset = field.default  # the UNSET sentinel, the default of every optional field
                optional_indexes.add(index)
                specs.append((f"f{index}", mirror, unset))
            else:
                specs.append((f"f{index}", mirror))
            if fill is not None:
                fills[index] = fill
        struct = self._msgspec.defstruct(
            f"_{cls.__name__}Mirror",
            specs,
            kw_only=True,  # a required key may follow an optional one
            forbid_unknown_fields=True,  # an unknown key is an additional property: from_dict keeps it
            gc=False,  # decoded JSON holds no cycles; untracked mirrors spare the collector a page's worth
            # Fields are named by position (f0, f1, ...): the fillers read them without a name from the spec.
            rename={f"f{index}": key for index, key in enumerate(json_keys)},
            module=__name__,
        )
        return (struct, *_fillers(cls, len(fields), fills, optional_indexes, unset))

    def _value(self, tp: Any) -> tuple[Any, _Fill | None]:
        """The mirror of one annotation and what turns a decoded value into ``from_dict``'s (None: as is)."""
        if _is_union(tp):
            return self._union(tp)
        if typing.get_origin(tp) is Literal:
            return tp, None
        if typing.get_origin(tp) is list:
            (item,) = typing.get_args(tp)
            if _is_model(item):
                mirror, _, fill_list = self.built(item)
                return list[mirror], fill_list  # type: ignore[valid-type]
            mirror, fill = self._value(item)
            return list[mirror], (None if fill is None else _each(fill))  # type: ignore[valid-type]
        if tp in (str, bool, int, type(None)):
            return tp, None
        if tp is float:
            return int | float, None  # from_dict keeps a JSON 1 as the int 1
        if tp is datetime.datetime:
            return str, datetime.datetime.fromisoformat
        if tp is datetime.date:
            return str, datetime.date.fromisoformat
        if _is_model(tp):
            return self.model(tp)
        raise _NotMirrored(tp)

    def _union(self, tp: Any) -> tuple[Any, _Fill | None]:
        members = [member for member in typing.get_args(tp) if not is_unset_type(member) and member is not UnknownValue]
        nullable = type(None) in members
        mirrored = [self._value(member) for member in _merged_literals(members)]
        if len(mirrored) > 1 and any(fill is not None for _, fill in mirrored):
            # from_dict tries each member in turn; the mirror cannot know which one it would pick.
            raise _NotMirrored(tp)
        mirror: Any = Union[tuple(mirror for mirror, _ in mirrored) + ((type(None),) if nullable else ())]  # noqa: UP007
        fill = mirrored[0][1] if len(mirrored) == 1 else None
        if fill is not None and nullable:
            fill = _or_none(fill)
        return mirror, fill


def _merged_literals(members: list[Any]) -> list[Any]:
    """A union's members without ``None``, its enums merged into one ``Literal``.

    Several enums in one field: ``from_dict`` keeps a value any of them knows, as it is.
    """
    members = [member for member in members if member is not type(None)]
    literals = [member for member in members if typing.get_origin(member) is Literal]
    if not literals:
        return members
    values = tuple(value for literal in literals for value in typing.get_args(literal))
    return [member for member in members if member not in literals] + [Literal[values]]


def _is_union(tp: Any) -> bool:
    origin = typing.get_origin(tp)
    return origin is Union or origin is types.UnionType


def _fillers(cls: type, count: int, fills: dict[int, _Fill], optional: set[int], unset: Any) -> tuple[_Fill, _Fill]:
    """``cls(...)`` from a decoded mirror, and ``[cls(...), ...]`` from a list of them.

    The arguments are the mirror's ``count`` fields (``f0``, ``f1``, ...) in field order, those in
    ``fills`` converted. Like attrs' own ``__init__``, both functions are written out for their class
    and compiled, from indexes only (no name from the spec reaches the source): reading the fields one
    by one is cheaper than a tuple of them, a loop over the converted fields cost as much again as the
    rest of filling a model, and a call per list item another tenth.
    """
    arguments = []
    for index in range(count):
        if index not in fills:
            arguments.append(f"m.f{index}")
        elif index in optional:  # an absent optional field stays UNSET, as from_dict leaves it
            arguments.append(f"(unset if (x := m.f{index}) is unset else c{index}(x))")
        else:
            arguments.append(f"c{index}(m.f{index})")
    call = f"cls({', '.join(arguments)})"
    source = f"def fill(m):\n    return {call}\ndef fill_list(mirrors):\n    return [{call} for m in mirrors]\n"
    namespace: dict[str, Any] = {"cls": cls, "unset": unset}
    namespace.update({f"c{index}": convert for index, convert in fills.items()})
    exec(compile(source, f"<sigma_sdk fast fill {cls.__name__}>", "exec"), namespace)  # noqa: S102 - indexes only
    return namespace["fill"], namespace["fill_list"]
