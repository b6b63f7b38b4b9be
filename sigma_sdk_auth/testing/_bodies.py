"""Request bodies checked against Sigma's schemas, as the generated request models carry them.

The spec is not shipped, but the models generated from its schemas are: an operation's body type is
the ``body`` annotation of its generated ``_get_kwargs`` (``sigma_sdk.api.connections.create_connection``
-> ``CreateConnectionRequest``), and each model's attrs fields say which keys are required and what
type each value has.  :func:`check_body` walks a JSON body against that type, strictly (the
generated ``from_dict`` trusts its input: it reads ``name`` without checking it is a string), and
answers 400 naming the first field that does not fit: ``details.authType must be one of
'basic-auth', 'key-pair', 'oauth', not the string 'kerberos'``.

Strict where the client is concerned, as Sigma is about what it accepts: an enum value the model
does not know is refused (a response may bring new values; a request may not), ``true`` is not a
number.  Keys the schema does not name are accepted, as the spec allows (no schema in it sets
``additionalProperties: false``) and the models keep them.  A value of a field the model marks
secret (``repr=False``: passwords, private keys) is never quoted in a message.
"""

from __future__ import annotations

import datetime
import functools
import sys
import types
import typing
from collections.abc import Callable, Mapping
from typing import Any, Final, Literal, NamedTuple, Union

import attrs

from .._forward import UnknownValue, is_unset_type
from .._validation import camel_key, describe_json, loose_key, type_description
from ._answers import bad_request

__all__ = ["body_type", "check_body"]

_MAX_DEPTH: Final = 64


def body_type(operation: types.ModuleType) -> Any:
    """The request body type a generated operation module declares (None: it takes no JSON body)."""
    return typing.get_type_hints(operation._get_kwargs).get("body")


def check_body(declared: Any, body: object, *, path: str = "") -> None:
    """Raise a 400 :class:`ApiError` naming the first place where ``body`` (found at ``path``) does not fit."""
    problem = _check(declared, body, path, 0, secret=False)
    if problem is not None:
        raise bad_request(problem.message)


class _Problem(NamedTuple):
    path: str
    message: str
    missing: bool  # a required key is absent (else: a value is of the wrong kind)


def _where(path: str) -> str:
    return path or "The request body"


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _wrong(tp: Any, value: object, path: str, secret: bool) -> _Problem:
    found = describe_json(value, lambda text: text) if not secret or not isinstance(value, str) else "a string"
    return _Problem(path, f"{_where(path)} must be {_expected(tp)}, not {found}", missing=False)


def _expected(tp: Any) -> str:
    if typing.get_origin(tp) is Union or typing.get_origin(tp) is types.UnionType:
        return " or ".join(_expected(member) for member in _members(tp))
    if isinstance(tp, type) and attrs.has(tp):
        return f"an object ({tp.__name__})"
    return type_description(tp)


def _members(tp: Any) -> list[Any]:
    """A union's members a request may use: not ``Unset`` (the key's absence) nor ``UnknownValue``."""
    return [member for member in typing.get_args(tp) if not is_unset_type(member) and member is not UnknownValue]


def _check(tp: Any, value: object, path: str, depth: int, *, secret: bool) -> _Problem | None:
    """The first place where ``value`` does not fit ``tp``, or None."""
    if depth > _MAX_DEPTH or tp is Any or tp is object:
        return None
    origin = typing.get_origin(tp)
    if origin is Union or origin is types.UnionType:
        return _check_union(tp, value, path, depth, secret=secret)
    if origin is list or origin is dict:
        return _check_items(tp, value, path, depth, secret=secret)
    if isinstance(tp, type) and attrs.has(tp):
        return _check_model(tp, value, path, depth, secret=secret)
    return None if _scalar_fits(tp, value) else _wrong(tp, value, path, secret)


def _first(problems: typing.Iterable[_Problem | None]) -> _Problem | None:
    return next((problem for problem in problems if problem is not None), None)


def _check_items(tp: Any, value: object, path: str, depth: int, *, secret: bool) -> _Problem | None:
    """An array's items (``path[0]``) or a free-form object's values (``path.key``)."""
    if typing.get_origin(tp) is list:
        if not isinstance(value, list):
            return _wrong(tp, value, path, secret)
        (item_type,) = typing.get_args(tp) or (Any,)
        items = [(f"{path}[{index}]", item) for index, item in enumerate(value)]
    else:
        if not isinstance(value, dict):
            return _wrong(tp, value, path, secret)
        _, item_type = typing.get_args(tp) or (str, Any)
        items = [(_join(path, str(key)), item) for key, item in value.items()]
    return _first(_check(item_type, item, where, depth + 1, secret=secret) for where, item in items)


def _is_datetime(value: object, parse: Callable[[str], object]) -> bool:
    try:
        parse(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False
    return True


# JSON's kinds, strictly: ``true`` is not a number, ``1.5`` not an integer.
_SCALARS: Final[Mapping[Any, Callable[[object], bool]]] = {
    type(None): lambda value: value is None,
    bool: lambda value: isinstance(value, bool),
    int: lambda value: isinstance(value, int) and not isinstance(value, bool),
    float: lambda value: isinstance(value, int | float) and not isinstance(value, bool),
    str: lambda value: isinstance(value, str),
    datetime.datetime: lambda value: _is_datetime(value, datetime.datetime.fromisoformat),
    datetime.date: lambda value: _is_datetime(value, datetime.date.fromisoformat),
}


def _scalar_fits(tp: Any, value: object) -> bool:
    if typing.get_origin(tp) is Literal:  # an enum or a const: the value itself, of the same JSON kind
        return any(type(value) is type(allowed) and value == allowed for allowed in typing.get_args(tp))
    fits = _SCALARS.get(tp)
    return fits is None or fits(value)  # File and anything else JSON cannot carry is the model's business


def _check_union(tp: Any, value: object, path: str, depth: int, *, secret: bool) -> _Problem | None:
    """None if ``value`` fits one of the union's forms, else the most telling of their problems."""
    members = _members(tp)
    if len(members) == 1:
        return _check(members[0], value, path, depth, secret=secret)
    problems: list[tuple[Any, _Problem]] = []
    for member in members:
        problem = _check(member, value, path, depth + 1, secret=secret)
        if problem is None:
            return None
        # Only the forms the value could mean (its "type" fits), and only those that got past the value itself.
        if _could_be(member, value) and problem.path != path:
            problems.append((member, problem))
    return _most_telling(problems, path) if problems else _wrong(tp, value, path, secret)


def _most_telling(problems: list[tuple[Any, _Problem]], path: str) -> _Problem:
    """One form's problem; when several forms fail differently, all of them, by form."""
    wrong_values = {problem.path: problem for _, problem in problems if not problem.missing}
    if len(problems) == 1 or len(wrong_values) == 1:  # one form, or every form stumbles on the same value
        return next(iter(wrong_values.values()), problems[0][1])
    reasons = "; ".join(f"as {member.__name__}: {problem.message}" for member, problem in problems)
    return _Problem(path, f"{_where(path)} fits none of its forms ({reasons})", missing=False)


def _could_be(member: Any, value: object) -> bool:
    """False when ``value`` names another form: its ``type`` is not one this model's ``type`` allows."""
    if not (isinstance(member, type) and attrs.has(member)) or not isinstance(value, Mapping):
        return True
    for _attribute, key, field_type, _required in _fields(member):
        if key == "type" and key in value:
            return _check(field_type, value[key], key, 0, secret=False) is None
    return True


def _check_model(tp: type, value: object, path: str, depth: int, *, secret: bool) -> _Problem | None:
    if not isinstance(value, Mapping):
        return _wrong(tp, value, path, secret)
    keys = {loose_key(str(key)): key for key in value}
    for field, key, field_type, required in _fields(tp):
        json_key = keys.get(loose_key(field))
        if json_key is None:
            if required:
                return _Problem(_join(path, key), f"{_join(path, key)} is required", missing=True)
            continue
        hidden = secret or key in _secret_keys(tp)
        problem = _check(field_type, value[json_key], _join(path, str(json_key)), depth + 1, secret=hidden)
        if problem is not None:
            return problem
    return None


@functools.cache
def _fields(tp: type) -> tuple[tuple[str, str, Any, bool], ...]:
    """``(attribute, JSON key, type, required)`` of a generated model's fields, in declaration order."""
    resolve = getattr(sys.modules[tp.__module__], "_resolve_references", None)
    if resolve is not None:  # the models a model refers to are bound late, to break import cycles
        resolve()
    hints = typing.get_type_hints(tp)
    fields = []
    for field in attrs.fields(tp):
        if field.name == "additional_properties":
            continue
        field_type = hints.get(field.name, Any)
        # A const (``type_: Literal["snowflake"] = "snowflake"``) has a default but from_dict requires it.
        const = typing.get_origin(field_type) is Literal and len(typing.get_args(field_type)) == 1
        fields.append((field.name, camel_key(field.name), field_type, field.default is attrs.NOTHING or const))
    return tuple(fields)


@functools.cache
def _secret_keys(tp: type) -> frozenset[str]:
    return frozenset(camel_key(field.name) for field in attrs.fields(tp) if not field.repr)
