"""Turning a 2xx body that cannot be parsed into a :class:`ResponseValidationError` that says why.

The generated ``_parse_response`` functions stay as fast as before: they run without any checks of
their own, and only when one raises does this module look at the body again, slowly, to name the
JSON path of the offending value (``entries[17].formula``), what the declared type expected there
and what Sigma sent.  The walk reads the declared type from the parse function's return annotation
and the generated attrs models' field annotations, so it needs nothing generated for it.

Whatever of the body the message quotes goes through ``_scrubbing.safe_excerpt`` with the request's
scrubber first: a proxy that answers 200 with the request's headers echoed must not put the bearer
token into a traceback.
"""

from __future__ import annotations

import datetime
import json
import types
import typing
from collections.abc import Callable, Mapping
from typing import Any, Final, Literal, NamedTuple, TypeVar, Union, cast

import attrs
import httpx

from ._errors import ResponseValidationError
from ._fast import MISS, parse_fast
from ._forward import is_unset_type
from ._scrubbing import safe_excerpt, scrubber

__all__ = [
    "Operation",
    "camel_key",
    "describe_json",
    "loose_key",
    "parse_body",
    "parse_detailed",
    "type_description",
]

T = TypeVar("T")

_MAX_DEPTH: Final = 64
_EXCERPT: Final = 80


class Operation(NamedTuple):
    """Which operation a response answers, for messages: ``Operation("listWorkbooks", "GET", "/v2/workbooks")``."""

    operation_id: str
    method: str
    path: str


def parse_body(response: httpx.Response, parse: Callable[[httpx.Response], T], operation: Operation) -> T:
    """``parse(response)``, or :class:`ResponseValidationError` if the body cannot become its type."""
    parsed = parse_fast(response, parse)  # the same objects, with msgspec installed (the `fast` extra)
    if parsed is not MISS:
        return cast(T, parsed)
    try:
        return parse(response)
    except Exception as exc:  # any failure of generated parsing: the body is not what the spec says
        raise invalid_response(response, parse, operation, exc) from exc


def parse_detailed(
    response: httpx.Response, parse: Callable[[httpx.Response], T], operation: Operation
) -> tuple[T | None, ResponseValidationError | None]:
    """``(parsed, None)`` for a readable 2xx body, ``(None, error)`` for an unreadable one, else ``(None, None)``."""
    if not response.is_success:
        return None, None
    parsed = parse_fast(response, parse)
    if parsed is not MISS:
        return cast(T, parsed), None
    try:
        return parse(response), None
    except Exception as exc:  # never raised from *_detailed: the caller inspects Response.error
        return None, invalid_response(response, parse, operation, exc)


class _Problem(NamedTuple):
    path: str
    expected: str
    found: str


def invalid_response(
    response: httpx.Response, parse: Callable[[httpx.Response], Any], operation: Operation, exc: Exception
) -> ResponseValidationError:
    """The :class:`ResponseValidationError` for ``response``, whose parsing raised ``exc``."""
    declared = getattr(parse, "__annotations__", {}).get("return", Any)
    scrub = scrubber(response)
    content = response.content
    body: Any
    if not content.strip():
        body = response.text
        problem = _Problem("", f"a JSON body ({type_description(declared)})", "an empty body")
    else:
        try:
            body = json.loads(content)
        except RecursionError:  # ``[`` x 100000 is valid JSON that Python cannot decode
            body = response.text
            problem = _Problem(
                "",
                f"a JSON body ({type_description(declared)})",
                f"JSON nested too deeply to decode: {_excerpt(body, scrub)!r}",
            )
        except ValueError as decode_error:  # JSONDecodeError and UnicodeDecodeError both are
            body = response.text
            kind = response.headers.get("content-type") or "no content type"
            problem = _Problem(
                "",
                f"a JSON body ({type_description(declared)})",
                f"{kind} that is not JSON ({decode_error}): {_excerpt(body, scrub)!r}",
            )
        else:
            located = _locate(declared, body, "", 0, scrub)
            problem = located or _Problem("", type_description(declared), _failure(body, exc, scrub))
    request_id = response.headers.get("x-request-id") or None
    if request_id is None and isinstance(body, dict) and isinstance(body.get("requestId"), str):
        request_id = scrub(body["requestId"])
    # Keys of a free-form object become path segments: scrubbed too, not cut (the path must stay whole).
    problem = problem._replace(path=scrub(problem.path))
    return ResponseValidationError(
        operation_id=operation.operation_id,
        method=operation.method,
        path=operation.path,
        response=response,
        body=body,
        json_path=problem.path,
        expected=problem.expected,
        found=problem.found,
        request_id=request_id,
    )


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def camel_key(python_name: str) -> str:
    head, *rest = python_name.rstrip("_").split("_")
    return head + "".join(word[:1].upper() + word[1:] for word in rest)


def loose_key(name: str) -> str:
    return name.replace("_", "").lower()


def _excerpt(text: str, scrub: Callable[[str], str], *, collapse: bool = True) -> str:
    return safe_excerpt(text, scrub, _EXCERPT, collapse=collapse)


def _failure(value: object, exc: Exception, scrub: Callable[[str], str]) -> str:
    """``value`` described, with the exception that parsing it raised (whose text may quote the body)."""
    return f"{describe_json(value, scrub)} ({type(exc).__name__}: {_excerpt(str(exc), scrub)})"


def describe_json(value: object, scrub: Callable[[str], str]) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return f"the string {_excerpt(value, scrub, collapse=False)!r}"
    if isinstance(value, int | float):
        return f"the number {value!r}"
    if isinstance(value, list):
        return f"an array of {len(value)} item(s)"
    if isinstance(value, dict):
        keys = list(value)[:6]
        return f"an object with keys {_excerpt(repr(keys), scrub)}" if keys else "an empty object"
    return type(value).__name__


def type_description(tp: Any) -> str:
    origin = typing.get_origin(tp)
    if origin is Union or origin is types.UnionType:
        return " or ".join(type_description(member) for member in typing.get_args(tp) if not is_unset_type(member))
    if origin is Literal:
        return "one of " + ", ".join(repr(value) for value in typing.get_args(tp))
    if origin is list:
        (item,) = typing.get_args(tp) or (Any,)
        return f"an array of {type_description(item)}"
    if origin is dict:
        return "an object"
    names = {
        type(None): "null",
        str: "a string",
        bool: "a boolean",
        int: "an integer",
        float: "a number",
        datetime.datetime: "an ISO 8601 date-time string",
        datetime.date: "an ISO 8601 date string",
    }
    if tp in names:
        return names[tp]
    return getattr(tp, "__name__", str(tp))


def _locate(tp: Any, value: object, path: str, depth: int, scrub: Callable[[str], str]) -> _Problem | None:
    """The first place where ``value`` does not fit ``tp``, or None when it fits (as far as can be told)."""
    if depth > _MAX_DEPTH or tp is Any or tp is object:
        return None
    origin = typing.get_origin(tp)
    if origin is Union or origin is types.UnionType:
        return _locate_union(tp, value, path, depth, scrub)
    if origin is Literal:
        return (
            None if value in typing.get_args(tp) else _Problem(path, type_description(tp), describe_json(value, scrub))
        )
    if origin is list:
        return _locate_items(tp, value, path, depth, scrub)
    if origin is dict:
        return _locate_entries(tp, value, path, depth, scrub)
    if not isinstance(tp, type):
        return None
    if attrs.has(tp) and hasattr(tp, "from_dict"):
        return _locate_model(tp, value, path, depth, scrub)
    return _locate_scalar(tp, value, path, scrub)


def _locate_items(tp: Any, value: object, path: str, depth: int, scrub: Callable[[str], str]) -> _Problem | None:
    """``value`` against ``list[X]``: a list, and the first item that does not fit ``X``."""
    if not isinstance(value, list):
        return _Problem(path, type_description(tp), describe_json(value, scrub))
    (item_type,) = typing.get_args(tp) or (Any,)
    problems = (_locate(item_type, item, f"{path}[{index}]", depth + 1, scrub) for index, item in enumerate(value))
    return next((problem for problem in problems if problem is not None), None)


def _locate_entries(tp: Any, value: object, path: str, depth: int, scrub: Callable[[str], str]) -> _Problem | None:
    """``value`` against ``dict[str, X]``: an object, and the first entry that does not fit ``X``."""
    if not isinstance(value, dict):
        return _Problem(path, "an object", describe_json(value, scrub))
    _, value_type = typing.get_args(tp) or (str, Any)
    problems = (_locate(value_type, item, _join(path, str(key)), depth + 1, scrub) for key, item in value.items())
    return next((problem for problem in problems if problem is not None), None)


def _locate_union(tp: Any, value: object, path: str, depth: int, scrub: Callable[[str], str]) -> _Problem | None:
    members = [member for member in typing.get_args(tp) if not is_unset_type(member)]
    problems = []
    for member in members:
        problem = _locate(member, value, path, depth + 1, scrub)
        if problem is None:
            return None
        problems.append(problem)
    deepest = max(problems, key=lambda problem: len(problem.path))
    if deepest.path == path:  # no branch got further than this value itself
        return _Problem(path, " or ".join(type_description(member) for member in members), describe_json(value, scrub))
    return deepest


def _locate_scalar(tp: type, value: object, path: str, scrub: Callable[[str], str]) -> _Problem | None:
    if tp is type(None):
        fits = value is None
    elif tp is bool:
        fits = isinstance(value, bool)
    elif tp is int:
        fits = isinstance(value, int) and not isinstance(value, bool)
    elif tp is float:
        fits = isinstance(value, int | float) and not isinstance(value, bool)
    elif tp is str:
        fits = isinstance(value, str)
    elif tp is datetime.datetime or tp is datetime.date:
        fits = isinstance(value, str) and _parses(tp.fromisoformat, value)
    else:
        return None  # File, bytes and anything else the walk does not model
    return None if fits else _Problem(path, type_description(tp), describe_json(value, scrub))


def _parses(parse: Callable[[str], object], text: str) -> bool:
    try:
        parse(text)
    except ValueError:
        return False
    return True


def _locate_model(tp: type, value: object, path: str, depth: int, scrub: Callable[[str], str]) -> _Problem | None:
    if not isinstance(value, Mapping):
        return _Problem(path, f"an object ({tp.__name__})", describe_json(value, scrub))
    try:
        tp.from_dict(value)  # type: ignore[attr-defined]
    except Exception as exc:  # the walk below says where; exc is the fallback
        failure = exc
    else:
        return None
    try:
        hints = typing.get_type_hints(tp)
    except Exception:  # an annotation that cannot be resolved: say what from_dict said
        hints = {}
    keys = {loose_key(str(key)): key for key in value}
    for field in attrs.fields(tp):
        if field.name == "additional_properties":
            continue
        json_key = keys.get(loose_key(field.name))
        if json_key is None:
            if field.default is attrs.NOTHING:
                return _Problem(_join(path, camel_key(field.name)), "a required field", "nothing (the key is missing)")
            continue
        problem = _locate(hints.get(field.name, Any), value[json_key], _join(path, str(json_key)), depth + 1, scrub)
        if problem is not None:
            return problem
    if isinstance(failure, KeyError) and failure.args and isinstance(failure.args[0], str):
        return _Problem(_join(path, failure.args[0]), "a required field", "nothing (the key is missing)")
    return _Problem(path, f"an object ({tp.__name__})", _failure(value, failure, scrub))
