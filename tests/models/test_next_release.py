"""Sigma's next release, simulated: every response sample mutated the way a newer API answers.

For every 2xx response of every operation, the spec-driven samples (scripts/_samples/, which use
every union branch, enum value and optional field) are mutated twice and must still parse and
round-trip through ``to_dict()`` exactly:

* "new values": every enum value replaced by one the SDK does not know, and a new field added to
  every object;
* "new variants": the value of every union replaced by an object of a shape no branch knows (the
  outermost unions in one payload, the innermost in another, so nested unions are reached too);
* "fixed values": every single-value enum and fixed discriminator (a field whose type allows one
  value, e.g. ``type: "snowflake"``) given a value the SDK does not know. Where the value selects a
  union branch the object must become an ``UnknownVariant``; elsewhere the field keeps it as an
  ``UnknownValue``. Either way the call parses and ``to_dict()`` gives the payload back.

The test walks the generated types from each operation's declared return type, so it also knows
which enums, union fields and models responses can hold, and checks that the mutations reached
every one of them.
"""

from __future__ import annotations

import importlib
import types
import typing
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any, Literal, Union

import attrs
import httpx
import pytest
from openapi_python_client.strings import snake_case

from sigma_sdk.models import UnknownVariant
from sigma_sdk.types import UnknownValue, Unset
from sigma_sdk_auth._validation import _locate
from tests._support.payloads import json_of
from tests._support.spec import ROOT, corrected_payloads

NEW_VALUE = "sigma-next-value"
NEW_FIELD = "sigmaNextField"
NEW_VARIANT = {"sigmaNextKind": "hologram", "sigmaNextDetail": {"level": 1, "tags": ["a"]}}
_KEEP = str  # the payloads hold no credentials: the scrubber _locate takes keeps every text
MODELS = ROOT / "sigma_sdk" / "models"


@cache
def enum_names() -> dict[frozenset[str], frozenset[str]]:
    """The open enum types of sigma_sdk.models by their value sets: {values: {alias names}}."""
    names: dict[frozenset[str], set[str]] = {}
    for path in sorted(MODELS.glob("*.py")):
        if "UnknownValue" not in path.read_text(encoding="utf-8") or "= _Known | UnknownValue" not in path.read_text(
            encoding="utf-8"
        ):
            continue
        module = importlib.import_module(f"sigma_sdk.models.{path.stem}")
        (values,) = [v for k, v in vars(module).items() if k.endswith("_VALUES")]
        alias = next(k for k, v in vars(module).items() if typing.get_origin(v) is Union and k != "_Known")
        names.setdefault(frozenset(values), set()).add(alias)
    return {values: frozenset(aliases) for values, aliases in names.items()}


def _enum_of(member: Any) -> frozenset[str] | None:
    if typing.get_origin(member) is Literal:
        return enum_names().get(frozenset(typing.get_args(member)))
    return None


def _members(tp: Any) -> list[Any] | None:
    if typing.get_origin(tp) in (Union, types.UnionType):
        return [m for m in typing.get_args(tp) if m is not Unset and m is not type(None)]
    return None


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and attrs.has(tp) and hasattr(tp, "from_dict")


@cache
def _hints(model: type) -> dict[str, Any]:
    # Models bind the models they refer to on first use (postprocess: resolve_model_references_once).
    resolve = getattr(importlib.import_module(model.__module__), "_resolve_references", None)
    if resolve is not None:
        resolve()
    return typing.get_type_hints(model)


def _json_keys(model: type, payload: dict[str, Any]) -> list[tuple[str, str]]:
    """(python field, JSON key) for the fields present in ``payload``."""
    by_norm = {key.replace("_", "").lower(): key for key in payload}
    pairs = []
    for attribute in attrs.fields(model):
        if attribute.name == "additional_properties":
            continue
        key = by_norm.get(attribute.name.replace("_", "").lower())
        if key is not None:
            pairs.append((attribute.name, key))
    return pairs


def _fixed_value(tp: Any) -> bool:
    """True for a type that allows one string: a closed one-value ``Literal`` or an open enum of one known value."""
    if typing.get_origin(tp) is not Literal:
        return False
    values = typing.get_args(tp)
    return len(values) == 1 and isinstance(values[0], str)


@dataclass
class Reach:
    """What responses can hold (from the types) or what the mutations touched (from the payloads)."""

    models: set[str] = field(default_factory=set)
    enums: set[str] = field(default_factory=set)
    enum_fields: set[str] = field(default_factory=set)
    unions: set[str] = field(default_factory=set)
    fixed: set[str] = field(default_factory=set)  # fields holding a single-value enum or fixed discriminator


def reach(tp: Any, where: str, found: Reach, visited: set[type]) -> None:
    """Record every model, open enum and open union field reachable from ``tp``."""
    members = _members(tp)
    if members is not None:
        if UnknownVariant in members:
            found.unions.add(where)
        for member in members:
            enum = _enum_of(member)
            if _fixed_value(member):
                found.fixed.add(where)
            if enum:
                found.enums |= enum
                found.enum_fields.add(where)
            else:
                reach(member, where, found, visited)
        return
    if _fixed_value(tp):
        found.fixed.add(where)
        return
    origin = typing.get_origin(tp)
    if origin in (list, dict):
        reach(typing.get_args(tp)[-1], where, found, visited)
    elif _is_model(tp) and tp is not UnknownVariant and tp not in visited:
        visited.add(tp)
        found.models.add(tp.__name__)
        for name, hint in _hints(tp).items():
            if name != "additional_properties":
                reach(hint, f"{tp.__name__}.{name}", found, visited)


def mutate(tp: Any, value: Any, where: str, mode: str, touched: Reach) -> Any:
    """``value`` (valid for ``tp``) as a newer Sigma would send it, recording what was mutated."""
    if mode == "fixed values" and _fixed_value(tp) and isinstance(value, str):
        touched.fixed.add(where)
        return NEW_VALUE
    members = _members(tp)
    if members is not None:
        return _mutate_union(members, value, where, mode, touched)
    origin = typing.get_origin(tp)
    if origin is list and isinstance(value, list):
        (item,) = typing.get_args(tp)
        return [mutate(item, v, where, mode, touched) for v in value]
    if origin is dict and isinstance(value, dict):
        item = typing.get_args(tp)[-1]
        return {k: mutate(item, v, where, mode, touched) for k, v in value.items()}
    if _is_model(tp) and tp is not UnknownVariant and isinstance(value, dict):
        return _mutate_model(tp, value, mode, touched)
    return value


def _mutate_union(members: list[Any], value: Any, where: str, mode: str, touched: Reach) -> Any:
    """A value of a union: replaced outright (new value, new variant) or mutated inside its branch."""
    if mode == "fixed values" and isinstance(value, str) and any(_fixed_value(m) for m in members):
        touched.fixed.add(where)
        return NEW_VALUE
    if mode == "outer variants" and UnknownVariant in members:
        touched.unions.add(where)
        return dict(NEW_VARIANT)
    if value is None:
        return None
    enums = [enum for enum in map(_enum_of, members) if enum]
    if enums and isinstance(value, str) and mode == "values":
        for enum in enums:
            touched.enums |= enum
        touched.enum_fields.add(where)
        return NEW_VALUE
    best = _branch_of(members, value)
    if best is None:
        return value
    before = len(touched.unions)
    inner = mutate(best, value, where, mode, touched)
    if mode == "inner variants" and UnknownVariant in members and len(touched.unions) == before:
        touched.unions.add(where)  # nothing inside was replaced: replace this one
        return dict(NEW_VARIANT)
    return inner


def _branch_of(members: list[Any], value: Any) -> Any:
    """The branch the payload was built from: the fitting one that types most of its keys (None: none fits)."""
    fitting = [
        member
        for member in members
        if _enum_of(member) is None and member is not UnknownValue and _locate(member, value, "", 0, _KEEP) is None
    ]

    def typed_keys(member: Any) -> int:
        return len(_json_keys(member, value)) if _is_model(member) and isinstance(value, dict) else 0

    return max(fitting, key=typed_keys) if fitting else None


def _mutate_model(tp: Any, value: dict[str, Any], mode: str, touched: Reach) -> dict[str, Any]:
    """A model's payload with each typed field mutated, and (for "values") a field no release had before."""
    touched.models.add(tp.__name__)
    hints = _hints(tp)
    out = dict(value)
    for name, key in _json_keys(tp, value):
        out[key] = mutate(hints[name], value[key], f"{tp.__name__}.{name}", mode, touched)
    free_form = typing.get_args(hints.get("additional_properties", dict[str, Any]))[-1] is Any
    if mode == "values" and free_form:
        out[NEW_FIELD] = {"addedIn": "a later release", "values": [1, 2]}
    return out


@cache
def _module(operation_id: str) -> types.ModuleType:
    stem = snake_case(operation_id)
    (path,) = Path(ROOT / "sigma_sdk" / "api").glob(f"*/{stem}.py")
    return importlib.import_module(f"sigma_sdk.api.{path.parent.name}.{stem}")


@pytest.fixture(scope="module")
def release() -> dict[str, Any]:
    """Mutate every response sample both ways, parse and round-trip it; gather what was reached."""
    possible, touched = Reach(), Reach()
    visited: set[type] = set()
    failures: list[str] = []
    payloads = 0
    fixed_payloads = 0  # "fixed values" payloads that changed at least one fixed value
    for operation_id, where, content_type, payload in corrected_payloads():
        if not where.startswith("response:2") or where == "response:204" or content_type != "application/json":
            continue
        parse: Callable[[httpx.Response], Any] = _module(operation_id)._parse_response
        declared = parse.__annotations__["return"]
        reach(declared, f"{operation_id}.<body>", possible, visited)
        for mode in ("values", "outer variants", "inner variants", "fixed values"):
            mutated = mutate(declared, payload, f"{operation_id}.<body>", mode, touched)
            if mode == "fixed values":
                if mutated == payload:
                    continue  # nothing fixed in this sample
                fixed_payloads += 1
            payloads += 1
            try:
                parsed = parse(httpx.Response(int(where.split(":")[1]), json=mutated))
            except Exception as exc:  # what this test exists to catch
                failures.append(f"{operation_id} {mode}: {exc!r}"[:300])
                continue
            if json_of(parsed) != mutated:
                failures.append(f"{operation_id} {mode}: to_dict() differs from the mutated payload")
    print(
        f"\nnext release: {payloads} mutated payloads; enum types {len(touched.enums)}/{len(possible.enums)}, "
        f"enum fields {len(touched.enum_fields)}/{len(possible.enum_fields)}, "
        f"union fields {len(touched.unions)}/{len(possible.unions)}, "
        f"models {len(touched.models)}/{len(possible.models)}, "
        f"fixed-value fields {len(touched.fixed)}/{len(possible.fixed)} "
        f"({fixed_payloads} payloads, {sum('fixed values' in f for f in failures)} failing)"
    )
    return {"possible": possible, "touched": touched, "failures": failures, "payloads": payloads}


def test_every_mutated_response_parses_and_round_trips(release: dict[str, Any]) -> None:
    """New enum values, new fields and new union variants in every response: parsed, and to_dict() gives them back."""
    assert release["payloads"] > 600
    assert release["failures"] == []


def test_the_mutations_reach_every_enum_union_and_model_a_response_can_hold(release: dict[str, Any]) -> None:
    """Every open enum type, enum field and open union field reachable from a response was mutated."""
    possible, touched = release["possible"], release["touched"]
    assert possible.enums - touched.enums == set()
    assert possible.enum_fields - touched.enum_fields == set()
    assert possible.unions - touched.unions == set()
    # Models: all but branches whose samples also fit an earlier branch of their union (the parser,
    # like this walk, takes the first fitting branch): SinglePage and MaterializationResultErrorOption1.
    assert len(possible.models - touched.models) <= 2, possible.models - touched.models
    assert len(possible.enums) > 50
    assert len(possible.unions) > 20


def test_every_fixed_value_in_a_response_is_mutated(release: dict[str, Any]) -> None:
    """Every single-value enum and fixed discriminator a response can hold got a value the SDK does not know."""
    possible, touched = release["possible"], release["touched"]
    assert possible.fixed - touched.fixed == set()
    assert len(possible.fixed) > 50
