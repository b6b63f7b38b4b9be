"""Unit tests of the pagination pass (scripts/_codegen/_pagination.py): which operations page, and how."""

from __future__ import annotations

from typing import Any

import jinja2
from _codegen._pagination import EXTENSION, PLANS_TEMPLATE, mark_pagination, pagination_plans_template
from _codegen._rules import Rules

RULES = Rules()


def _page(next_field: str | None) -> dict[str, Any]:
    properties: dict[str, Any] = {"entries": {"type": "array", "items": {"$ref": "#/components/schemas/Thing"}}}
    if next_field:
        properties[next_field] = {"type": ["string", "null"]}
    return {"type": "object", "properties": properties}


def _spec(parameters: list[str], response: dict[str, Any], **schemas: Any) -> dict[str, Any]:
    operation = {
        "operationId": "listThings",
        "parameters": [{"name": name, "in": "query", "schema": {"type": "number"}} for name in parameters],
        "responses": {"200": {"content": {"application/json": {"schema": response}}}},
    }
    return {
        "paths": {"/things": {"get": operation}},
        "components": {"schemas": {"Thing": {"type": "object"}, **schemas}},
    }


def _operation(spec: dict[str, Any]) -> dict[str, Any]:
    return spec["paths"]["/things"]["get"]  # type: ignore[no-any-return]


def test_page_and_limit_with_next_page_is_marked() -> None:
    """`page`/`limit` answered by `{entries, nextPage}`: style, page model and its cursor field are recorded."""
    spec = mark_pagination(_spec(["page", "limit"], {"$ref": "#/components/schemas/ThingsPage"},
                                 ThingsPage=_page("nextPage")), RULES)  # fmt: skip
    assert _operation(spec)[EXTENSION] == {
        "cursor": "page", "size": "limit", "entries": "entries", "pages": {"ThingsPage": "nextPage"},
        "bare_list": False,
    }  # fmt: skip


def test_page_token_style_and_a_bare_array_branch_are_recorded() -> None:
    """`pageToken`/`pageSize` with a union of a bare array and a page: the bare array is noted for the fallback."""
    union = {"anyOf": [{"type": "array", "items": {"$ref": "#/components/schemas/Thing"}},
                       {"$ref": "#/components/schemas/ThingsPage"}]}  # fmt: skip
    spec = mark_pagination(_spec(["pageToken", "pageSize"], union, ThingsPage=_page("nextPageToken")), RULES)
    plan = _operation(spec)[EXTENSION]
    assert (plan["cursor"], plan["size"], plan["pages"], plan["bare_list"]) == (
        "pageToken", "pageSize", {"ThingsPage": "nextPageToken"}, True)  # fmt: skip


def test_a_single_page_branch_has_no_cursor_field() -> None:
    """A union of a paginated and a single-page model keeps both; the single page's cursor is empty."""
    union = {"anyOf": [{"$ref": "#/components/schemas/ThingsPage"}, {"$ref": "#/components/schemas/OnePage"}]}
    spec = mark_pagination(_spec(["page", "limit"], union, ThingsPage=_page("nextPage"), OnePage=_page(None)), RULES)
    assert _operation(spec)[EXTENSION]["pages"] == {"ThingsPage": "nextPage", "OnePage": ""}


def test_operations_that_do_not_page_are_not_marked() -> None:
    """No cursor parameter, or no page that names a next page: no plan (and no iterate())."""
    no_cursor = mark_pagination(_spec(["limit"], {"$ref": "#/components/schemas/P"}, P=_page("nextPage")), RULES)
    no_next = mark_pagination(_spec(["page", "limit"], {"$ref": "#/components/schemas/P"}, P=_page(None)), RULES)
    assert EXTENSION not in _operation(no_cursor)
    assert EXTENSION not in _operation(no_next)


def test_page_size_is_an_integer_even_without_a_page_model() -> None:
    """`page`/`limit` whose answer is no `{entries, nextPage}` page gets no plan, but `limit` is still `integer`."""
    spec = mark_pagination(_spec(["page", "limit"], {"type": "object"}), RULES)
    assert EXTENSION not in _operation(spec)
    assert [p["schema"]["type"] for p in _operation(spec)["parameters"]] == ["number", "integer"]


def test_page_size_becomes_an_integer() -> None:
    """Sigma's `limit: number` is a count: the size parameter of a paged operation is `integer`, others untouched."""
    spec = mark_pagination(_spec(["page", "limit", "other"], {"$ref": "#/components/schemas/P"},
                                 P=_page("nextPage")), RULES)  # fmt: skip
    types = {p["name"]: p["schema"]["type"] for p in _operation(spec)["parameters"]}
    assert types == {"page": "number", "limit": "integer", "other": "number"}


def test_plans_template_is_a_jinja_module_the_endpoint_template_can_import() -> None:
    """The rendered plans import into Jinja as the same data, keyed by operationId."""
    spec = mark_pagination(_spec(["page", "limit"], {"$ref": "#/components/schemas/P"}, P=_page("nextPage")), RULES)
    loader = jinja2.DictLoader({PLANS_TEMPLATE: pagination_plans_template(spec)})
    env = jinja2.Environment(autoescape=True, loader=loader)  # as data only: nothing here is rendered
    module = env.get_template(PLANS_TEMPLATE).module
    assert module.pagination_plans == {"listThings": _operation(spec)[EXTENSION]}  # type: ignore[attr-defined]
