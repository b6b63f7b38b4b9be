"""Which operations paginate and how, decided once, in Python, where a unit test can reach it.

Sigma lists in two styles: ``page``/``limit`` answered by ``{entries, nextPage}``, and
``pageToken``/``pageSize`` answered by ``{entries, nextPageToken}``; a few lists answer a bare array
when no page size is given. ``mark_pagination`` records the style of each list operation as an
``x-sigma-pagination`` extension on the operation; openapi-python-client does not pass extensions to
templates, so ``pagination_plans_template`` renders them as a Jinja module the endpoint template
imports (``pagination_plans``, keyed by operationId). The endpoint template only renders a
plan; it decides nothing.
"""

from __future__ import annotations

import json
from typing import Any

from ._rules import Rules

__all__ = ["EXTENSION", "PLANS_TEMPLATE", "integer_totals", "mark_pagination", "pagination_plans_template"]

JSON = Any
EXTENSION = "x-sigma-pagination"
PLANS_TEMPLATE = "pagination_plans.jinja"
_STYLES = (("page", "limit", "nextPage"), ("pageToken", "pageSize", "nextPageToken"))
_SCHEMA_PREFIX = "#/components/schemas/"


def _branches(schema: JSON, components: dict[str, JSON]) -> list[tuple[str | None, dict[str, JSON]]]:
    """The alternatives of a response schema as ``(component name or None, schema)``, refs and unions opened."""
    if not isinstance(schema, dict):
        return []
    ref = schema.get("$ref")
    if isinstance(ref, str) and ref.startswith(_SCHEMA_PREFIX):
        name = ref[len(_SCHEMA_PREFIX) :]
        target = components.get(name)
        if isinstance(target, dict) and ("anyOf" in target or "oneOf" in target):
            return _branches(target, components)
        return [(name, target)] if isinstance(target, dict) else []
    for keyword in ("anyOf", "oneOf"):
        if isinstance(schema.get(keyword), list):
            return [branch for option in schema[keyword] for branch in _branches(option, components)]
    return [(None, schema)]


def _style(operation: dict[str, JSON]) -> tuple[str, str, str] | None:
    """``(cursor, size, next field)`` when the operation takes one of Sigma's cursor/size pairs."""
    query = {p.get("name") for p in operation.get("parameters") or () if p.get("in") == "query"}
    return next(((c, s, n) for c, s, n in _STYLES if c in query and s in query), None)


def _plan(operation: dict[str, JSON], components: dict[str, JSON]) -> dict[str, JSON] | None:
    """The pagination plan of one operation, or None when it does not page."""
    style = _style(operation)
    if style is None:
        return None
    cursor, size, next_field = style
    pages: dict[str, str] = {}
    bare_list = False
    for status, response in (operation.get("responses") or {}).items():
        if not str(status).startswith("2") or not isinstance(response, dict):
            continue
        for media in (response.get("content") or {}).values():
            for name, schema in _branches(media.get("schema"), components):
                properties = schema.get("properties") or {}
                entries = properties.get("entries")
                if name is not None and isinstance(entries, dict) and entries.get("type") == "array":
                    pages[name] = next_field if next_field in properties else ""
                elif schema.get("type") == "array":
                    bare_list = True
    if not any(pages.values()):  # no page says where the next one is: nothing to walk
        return None
    return {"cursor": cursor, "size": size, "entries": "entries", "pages": pages, "bare_list": bare_list}


def mark_pagination(spec: dict[str, JSON], rules: Rules) -> dict[str, JSON]:
    """Mark each list operation with its ``x-sigma-pagination`` plan; make its page size an integer.

    A plan names the cursor and page-size query parameters, the page models (each with the field
    holding the next cursor, ``""`` for a single-page answer), the entries field and whether Sigma may
    also answer a bare array. Sigma declares ``limit`` as ``number``; a page size is a count of entries,
    so on every operation with a cursor/size pair it becomes ``integer`` (``iterate(limit=...)`` and
    ``sync(limit=...)`` both take an ``int``); for the same reason a page model's ``total`` is ``int``.
    """
    components = (spec.get("components") or {}).get("schemas") or {}
    for path_item in (spec.get("paths") or {}).values():
        for operation in path_item.values():
            if not isinstance(operation, dict) or "responses" not in operation:
                continue
            plan = _plan(operation, components)
            if plan is None:
                operation.pop(EXTENSION, None)
            else:
                operation[EXTENSION] = plan
            style = _style(operation)  # a page size is a count even where no page model says so
            for parameter in operation.get("parameters") or ():
                schema = parameter.get("schema")
                if style and parameter.get("name") == style[1] and isinstance(schema, dict):
                    schema["type"] = "integer" if schema.get("type") == "number" else schema.get("type")
    return integer_totals(spec)


def integer_totals(spec: dict[str, JSON]) -> dict[str, JSON]:
    """Type a page's ``total`` (a schema with an ``entries`` array) as ``integer``: it counts entries.

    Sigma declares it ``number`` ("Total number of results"); its own example shows ``"total": 104``.
    Also applied to the samples' corrected spec (tests/_support/spec.py), so samples send counts as Sigma does.
    """

    def visit(node: JSON) -> None:
        if isinstance(node, dict):
            properties = node.get("properties")
            if isinstance(properties, dict) and isinstance(properties.get("entries"), dict):
                total = properties.get("total")
                if properties["entries"].get("type") == "array" and isinstance(total, dict):
                    total["type"] = "integer" if total.get("type") == "number" else total.get("type")
            for value in node.values():
                visit(value)
        elif isinstance(node, list):
            for value in node:
                visit(value)

    visit(spec)
    return spec


def pagination_plans_template(spec: dict[str, JSON]) -> str:
    """A Jinja module holding every plan: ``{% from "pagination_plans.jinja" import pagination_plans %}``."""
    plans = {
        operation["operationId"]: operation[EXTENSION]
        for path_item in (spec.get("paths") or {}).values()
        for operation in path_item.values()
        if isinstance(operation, dict) and EXTENSION in operation
    }
    # JSON is a Jinja literal as long as it holds no null; plans hold strings, booleans, lists and dicts.
    return (
        "{#- Written by scripts/regenerate.py from the x-sigma-pagination marks of the normalized spec. -#}\n"
        f"{{% set pagination_plans = {json.dumps(plans, sort_keys=True)} %}}\n"
    )
