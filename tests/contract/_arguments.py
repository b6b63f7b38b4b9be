"""Valid arguments for every generated endpoint function, read from Sigma's spec.

* ``operations(spec)``: one ``Operation`` per operationId of the normalized spec (the spec Prism
  mocks), with its endpoint module (``sigma_sdk.api.<tag>.<snake_case(operationId)>``).
* ``path_arguments`` / ``query_arguments``: keyword arguments for the endpoint function, valid per
  the parameter schemas (a plain string path parameter is ``"<name>-1"``; anything with an enum, a
  format or another type is sampled with ``scripts/_samples/``).
* ``request_body_samples(raw_spec)``: the spec-valid request payloads of every operation, sampled
  from the RAW spec (``lenient_spec``), the way ``tests/models/test_payload_roundtrip.py`` does.
* ``typed_body``: a payload turned into the body type ``sync`` declares (``from_dict``; for a union
  body, the first member that takes it), so what the SDK sends is its models' ``to_dict()``.
* ``conforms``: whether a parsed value is an instance of a declared return annotation.
"""

from __future__ import annotations

import importlib
import inspect
import types
import typing
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Literal

from _samples import deref, iter_operation_schemas, lenient_spec, sample_payloads
from openapi_python_client.strings import snake_case

from sigma_sdk.types import Unset

API_DIR = Path(__file__).resolve().parents[2] / "sigma_sdk" / "api"
HTTP_METHODS = ("get", "put", "post", "delete", "patch")


@dataclass(frozen=True)
class Operation:
    """One operation of the normalized spec and the generated module that calls it."""

    operation_id: str
    method: str
    path: str
    parameters: tuple[Mapping[str, Any], ...]  # path-level and operation-level, $refs resolved
    module: types.ModuleType

    def __str__(self) -> str:
        return f"{self.operation_id} ({self.method.upper()} {self.path})"


@cache
def endpoint_module(operation_id: str) -> types.ModuleType:
    """``sigma_sdk.api.<tag>.<snake_case(operationId)>``; exactly one module must match."""
    stem = snake_case(operation_id)
    matches = sorted(API_DIR.glob(f"*/{stem}.py"))
    if len(matches) != 1:
        raise LookupError(f"{operation_id}: expected one sigma_sdk/api/*/{stem}.py, found {matches}")
    return importlib.import_module(f"sigma_sdk.api.{matches[0].parent.name}.{stem}")


def operations(spec: Mapping[str, Any]) -> list[Operation]:
    """Every operation of ``spec`` (normalized), in spec order."""
    out: list[Operation] = []
    for path, raw_item in spec["paths"].items():
        item = deref(spec, raw_item)
        shared = [deref(spec, p) for p in item.get("parameters", ())]
        for method in HTTP_METHODS:
            operation = item.get(method)
            if operation is None:
                continue
            own = [deref(spec, p) for p in operation.get("parameters", ())]
            overridden = {(p["in"], p["name"]) for p in own}
            params = (*(p for p in shared if (p["in"], p["name"]) not in overridden), *own)
            op_id = operation["operationId"]
            out.append(Operation(op_id, method, path, params, endpoint_module(op_id)))
    return out


def _kwarg_names(module: types.ModuleType) -> set[str]:
    return set(inspect.signature(module.sync_detailed).parameters)


def _required_kwargs(module: types.ModuleType) -> set[str]:
    signature = inspect.signature(module.sync_detailed)
    return {name for name, p in signature.parameters.items() if p.default is inspect.Parameter.empty}


def _python_name(operation: Operation, param_name: str) -> str:
    name = snake_case(param_name)
    if name not in _kwarg_names(operation.module):
        raise LookupError(f"{operation}: parameter {param_name!r} has no keyword {name!r} in sync_detailed")
    return name


def parameter_value(spec: Mapping[str, Any], param: Mapping[str, Any]) -> Any:
    """A value valid for ``param``'s schema: ``"<name>-1"`` for a plain string, else a sampled instance.

    Sampled from the normalized spec (what Prism validates against), so enums, formats, unions and
    arrays get a value their schema allows.
    """
    schema = param.get("schema", {})
    plain = {k: v for k, v in schema.items() if k not in ("description", "title", "example", "examples")}
    if plain == {"type": "string"}:
        return f"{param['name']}-1"
    samples = sample_payloads(spec, schema, free_form=False)
    # An empty array or null is valid but puts nothing on the wire: prefer a value that is sent.
    return next((v for v in samples if v not in (None, [], {})), samples[0])


def _arguments(
    spec: Mapping[str, Any], operation: Operation, where: str, keep: Callable[[Mapping[str, Any]], bool]
) -> dict[str, Any]:
    return {
        _python_name(operation, p["name"]): parameter_value(spec, p)
        for p in operation.parameters
        if p["in"] == where and keep(p)
    }


def path_arguments(spec: Mapping[str, Any], operation: Operation) -> dict[str, Any]:
    """A valid value for every path parameter (all are required)."""
    return _arguments(spec, operation, "path", lambda _p: True)


def query_arguments(spec: Mapping[str, Any], operation: Operation, *, optional: bool = False) -> dict[str, Any]:
    """Valid values for the required query parameters, or for all of them with ``optional=True``."""
    return _arguments(spec, operation, "query", lambda p: optional or bool(p.get("required")))


def missing_required(operation: Operation, kwargs: Mapping[str, Any]) -> set[str]:
    """Keyword arguments ``sync_detailed`` requires that ``kwargs`` (plus ``client``) does not give."""
    return _required_kwargs(operation.module) - {"client", *kwargs}


def has_query_parameters(operation: Operation) -> bool:
    """Whether the operation declares any query parameter."""
    return any(p["in"] == "query" for p in operation.parameters)


BodySample = tuple[str, Any]  # (content type, payload)


def request_body_samples(raw_spec: Mapping[str, Any]) -> dict[str, list[BodySample]]:
    """operationId -> every spec-valid request payload the walker makes (all branches), per content type."""
    source = lenient_spec(raw_spec)
    out: dict[str, list[BodySample]] = {}
    for op_id, where, content_type, schema in iter_operation_schemas(source):
        if where == "request":
            samples = sample_payloads(source, schema, free_form=False)
            out.setdefault(op_id, []).extend((content_type, payload) for payload in samples)
    return out


def richest(samples: list[BodySample]) -> BodySample:
    """The sample with the most JSON nodes: sample 0 is required-only, the later ones fill optionals."""
    return max(samples, key=lambda sample: _size(sample[1]))


def _size(value: Any) -> int:
    if isinstance(value, Mapping):
        return 1 + sum(_size(v) for v in value.values())
    if isinstance(value, list):
        return 1 + sum(_size(v) for v in value)
    return 1


def body_types(module: types.ModuleType) -> list[Any]:
    """The classes the ``body`` of ``sync`` may be (its annotation without ``Unset``)."""
    declared = typing.get_type_hints(module.sync)["body"]
    return [m for m in typing.get_args(declared) if m is not Unset] or [declared]


def typed_body(module: types.ModuleType, content_type: str, payload: Any) -> Any:
    """The payload as the typed body ``sync`` accepts: ``from_dict``, first union member that takes it.

    A multipart binary part is text in the JSON sample; it is sent as bytes, as a ``File`` would be.
    """
    if content_type == "multipart/form-data":
        payload = {k: v.encode() if isinstance(v, str) else v for k, v in payload.items()}
    errors: list[str] = []
    for member in body_types(module):
        try:
            return member.from_dict(payload)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            errors.append(f"{member.__name__}: {exc!r}")
    raise AssertionError(f"{module.__name__}: no body type accepts the sample {payload!r}: {errors}")


def success_type(module: types.ModuleType) -> Any:
    """The return annotation of ``sync``: what a 2xx response parses into."""
    return typing.get_type_hints(module.sync)["return"]


def conforms(value: Any, annotation: Any) -> bool:
    """Whether ``value`` is an instance of ``annotation`` (classes, unions, ``list[...]``, Literal, None, Any)."""
    if annotation is Any:
        return True
    if annotation is None or annotation is type(None):
        return value is None
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin in (typing.Union, types.UnionType):
        return any(conforms(value, member) for member in args)
    if origin is Literal:
        return value in args
    if origin is list:
        return isinstance(value, list) and all(conforms(item, args[0]) for item in value)
    if origin is dict:
        return isinstance(value, dict) and all(conforms(v, args[1]) for v in value.values())
    if isinstance(annotation, type):
        if annotation is float:
            return isinstance(value, int | float) and not isinstance(value, bool)
        return isinstance(value, annotation)
    raise TypeError(f"conforms() does not handle the annotation {annotation!r}")


def call_arguments(spec: Mapping[str, Any], operation: Operation, bodies: Mapping[str, BodySample]) -> dict[str, Any]:
    """Keyword arguments for one call of ``operation``: its path and query values and, if required, a typed body."""
    kwargs = {**path_arguments(spec, operation), **query_arguments(spec, operation)}
    if "body" in missing_required(operation, kwargs):
        content_type, payload = bodies[operation.operation_id]
        kwargs["body"] = typed_body(operation.module, content_type, payload)
    return kwargs
