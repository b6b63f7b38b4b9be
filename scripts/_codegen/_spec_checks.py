"""The checks that say a spec cannot be generated as it is: operation IDs and ``$ref`` targets.

Module and function names are built from operationIds, so an operation without a usable, unique
one cannot be generated; neither can a ``$ref`` to nothing. ``check_operation_ids`` lists every
such problem at once, each with what to do (``openapi/normalization.toml [operation_ids]`` fixes
operation IDs without waiting for Sigma).
"""

from __future__ import annotations

import re
from typing import Any

from ._problems import SpecProblem, SpecProblems
from ._rules import Rules

__all__ = ["check_operation_ids"]

JSON = Any

_OPERATION_ID = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")
_OVERRIDES = "openapi/normalization.toml [operation_ids]"


def _override_fix(key: str, operation_id: str) -> str:
    return f'add  "{key}" = "{operation_id}"  under [operation_ids] in openapi/normalization.toml'


def _suggested_id(method: str, path: str, current: JSON, taken: set[str]) -> str:
    """A usable operationId: the words of the unusable one (``'list foos'`` → ``listFoos``), else method and path."""
    words = re.findall(r"[A-Za-z0-9]+", current) if isinstance(current, str) else []
    if not words:
        segments = [s for s in path.split("/") if s and not s.startswith("{") and not re.fullmatch(r"v\d[\w.]*", s)]
        words = [method, *(word for segment in segments for word in re.findall(r"[A-Za-z0-9]+", segment))]
    name = words[0][:1].lower() + words[0][1:] + "".join(word[:1].upper() + word[1:] for word in words[1:])
    name = name if name[:1].isalpha() else f"op{name}"
    candidate, number = name, 2
    while candidate in taken:
        candidate, number = f"{name}{number}", number + 1
    return candidate


_Operations = dict[str, tuple[str, str, dict[str, JSON]]]  # "GET /path" -> (method, path, operation)


def _operation_problems(spec: dict[str, JSON], rules: Rules) -> list[SpecProblem]:
    """Apply the ``[operation_ids]`` overrides; list every operation still without a usable, unique operationId."""
    operations: _Operations = {
        f"{method.upper()} {path}": (method, path, operation)
        for path, item in (spec.get("paths") or {}).items()
        for method, operation in (item or {}).items()
        if method in _HTTP_METHODS and isinstance(operation, dict)
    }
    problems = _override_problems(operations, rules)
    taken = {str(op.get("operationId")) for _, _, op in operations.values()}
    problems += _unusable_id_problems(operations, taken)
    by_id: dict[str, list[str]] = {}
    by_shape: dict[tuple[str, str], list[str]] = {}
    for key, (method, path, operation) in operations.items():
        by_shape.setdefault((method, re.sub(r"\{[^}]*\}", "{}", path)), []).append(key)
        if _usable_id(operation.get("operationId")):
            by_id.setdefault(operation["operationId"], []).append(key)
    return problems + _clash_problems(operations, by_id, taken) + _shape_problems(by_shape)


def _usable_id(operation_id: JSON) -> bool:
    return isinstance(operation_id, str) and bool(_OPERATION_ID.match(operation_id))


def _override_problems(operations: _Operations, rules: Rules) -> list[SpecProblem]:
    """Apply the ``[operation_ids]`` overrides; the ones that match no operation or name no identifier."""
    problems: list[SpecProblem] = []
    for key, override in sorted(rules.operation_ids.items()):
        if key not in operations:
            fix = "remove the entry, or correct its method and path (written like `GET /v2/files`)"
            problems.append(SpecProblem(_OVERRIDES, f"{key!r} matches no operation of the spec", fix))
        elif not _OPERATION_ID.match(override):
            fix = "use letters, digits and _, starting with a letter"
            problems.append(SpecProblem(_OVERRIDES, f"{key!r} = {override!r} is not a usable operationId", fix))
        else:
            operations[key][2]["operationId"] = override
    return problems


def _unusable_id_problems(operations: _Operations, taken: set[str]) -> list[SpecProblem]:
    """Operations without an operationId, or with one that is not an identifier."""
    problems: list[SpecProblem] = []
    for key, (method, path, operation) in operations.items():
        operation_id: JSON = operation.get("operationId")
        if operation_id is None:
            suggestion = _suggested_id(method, path, None, taken)
            problems.append(SpecProblem(key, "has no operationId", _override_fix(key, suggestion)))
        elif not _usable_id(operation_id):
            suggestion = _suggested_id(method, path, operation_id, taken)
            what = f"operationId {operation_id!r} is not an identifier (letters, digits, _; starting with a letter)"
            problems.append(SpecProblem(key, what, _override_fix(key, suggestion)))
    return problems


def _clash_problems(operations: _Operations, by_id: dict[str, list[str]], taken: set[str]) -> list[SpecProblem]:
    """operationIds used twice, and distinct ones that make the same module name."""
    from openapi_python_client.strings import snake_case  # the generator's module names

    problems: list[SpecProblem] = []
    for operation_id, keys in by_id.items():
        for key in keys if len(keys) > 1 else ():
            others = ", ".join(other for other in keys if other != key)
            suggestion = _suggested_id(operations[key][0], operations[key][1], None, taken)
            what = f"operationId {operation_id!r} is also the operationId of {others}"
            problems.append(SpecProblem(key, what, _override_fix(key, suggestion) + " (for all but one of them)"))
    by_module: dict[str, set[str]] = {}
    for operation_id in by_id:
        by_module.setdefault(snake_case(operation_id), set()).add(operation_id)
    for module, operation_ids in by_module.items():
        for operation_id in sorted(operation_ids) if len(operation_ids) > 1 else ():
            what = f"operationId {operation_id!r} makes the same module name ({module}) as {sorted(operation_ids)}"
            fix = _override_fix(by_id[operation_id][0], "<another name>") + " for all but one of them"
            problems.append(SpecProblem(by_id[operation_id][0], what, fix))
    return problems


def _shape_problems(by_shape: dict[tuple[str, str], list[str]]) -> list[SpecProblem]:
    """Operations that differ only in the names of their path parameters."""
    problems: list[SpecProblem] = []
    for keys in by_shape.values():
        for key in keys if len(keys) > 1 else ():
            others = ", ".join(other for other in keys if other != key)
            what = f"differs from {others} only in the names of its path parameters (one endpoint, two operations)"
            fix = "remove one of them with a correction in openapi/corrections.toml, or report it to Sigma"
            problems.append(SpecProblem(key, what, fix))
    return problems


def _ref_problems(spec: dict[str, JSON]) -> list[SpecProblem]:
    """Every local ``$ref`` that points at nothing (``#components/...`` read as ``#/components/...``)."""
    problems: list[SpecProblem] = []

    def resolves(ref: str) -> bool:
        node: JSON = spec
        for part in ref.lstrip("#").strip("/").split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            if not isinstance(node, dict) or part not in node:
                return False
            node = node[part]
        return True

    def visit(node: JSON, location: list[str]) -> None:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith("#") and not resolves(ref):
                if location[:1] == ["paths"] and len(location) >= 3:
                    where = f"{location[2].upper()} {location[1]}"
                    inside = "/".join(location[3:])
                else:
                    where, inside = "#/" + "/".join(location[:3]), "/".join(location[3:])
                what = f"$ref {ref!r}" + (f" (at {inside})" if inside else "") + " points at nothing in the spec"
                fix = (
                    "Sigma's spec is broken here: report it, and meanwhile add a correction in openapi/corrections.toml"
                )
                problems.append(SpecProblem(where, what, fix))
            for key, value in node.items():
                visit(value, [*location, str(key)])
        elif isinstance(node, list):
            for index, value in enumerate(node):
                visit(value, [*location, str(index)])

    visit(spec, [])
    return problems


def check_operation_ids(spec: dict[str, JSON], rules: Rules) -> dict[str, JSON]:
    """Apply ``[operation_ids]`` of normalization.toml, then stop with every problem found, if any.

    Module and function names are built from operationIds, so an operation without a usable,
    unique one cannot be generated; neither can a ``$ref`` to nothing. All of them are listed at
    once (``SpecProblems``), each with its method and path and what to do, so that one run of
    regenerate.py shows everything a messy spec needs.
    """
    problems = _operation_problems(spec, rules) + _ref_problems(spec)
    if problems:
        raise SpecProblems(problems)
    return spec
