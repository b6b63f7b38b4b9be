"""Validation of samples with ``jsonschema`` (Draft 2020-12) against the spec, and ``lenient_spec``."""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping
from typing import Any, Final

from jsonschema import Draft202012Validator, FormatChecker, validators
from jsonschema.protocols import Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from ._schema import _UNION_KINDS, _canonical_ref

__all__ = ["FORMAT_CHECKER", "REPAIR_MARK", "SPEC_URI", "lenient_spec", "validate", "validator"]

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
