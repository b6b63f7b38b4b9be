"""The fake's route table: declared once from the generated operations, shared by every fake, 404/405 as Sigma."""

from __future__ import annotations

import httpx
import pytest

from sigma_sdk.testing import SigmaStandin
from sigma_sdk_auth.testing import _routes

from .conftest import assert_sigma_error, bearer


def test_unknown_routes_are_404_and_wrong_methods_405(wire: httpx.Client) -> None:
    """Unknown paths answer 404 and known paths with another method 405, both with Sigma's error body."""
    headers = bearer(wire)
    assert_sigma_error(wire.get("/v2/no-such-collection", headers=headers), 404, "not_found")
    assert_sigma_error(wire.delete("/v2/whoami", headers=headers), 405, "method_not_allowed")
    assert_sigma_error(wire.post("/v2/connections/abc", json={}, headers=headers), 405, "method_not_allowed")


def test_routes_are_declared_once_and_shared_by_every_fake(monkeypatch: pytest.MonkeyPatch) -> None:
    """Two fakes serving requests declare no route of their own: both dispatch through the one table."""
    declared = list(_routes.ROUTES.routes)
    built: list[object] = []
    original = _routes.Route.__init__

    def counting(self: _routes.Route, *args: object, **kwargs: object) -> None:
        built.append(self)
        original(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(_routes.Route, "__init__", counting)
    for standin in (SigmaStandin(), SigmaStandin(workbooks=1)):
        raw = httpx.Client(base_url="http://127.0.0.1", transport=standin.transport())
        raw.headers["Authorization"] = f"Bearer {standin.issue()['access_token']}"
        assert raw.get("/v2/whoami").status_code == 200
        assert raw.get("/v2/connections", params={"limit": "2"}).status_code == 200
    assert built == []
    assert _routes.ROUTES.routes == tuple(declared)


def test_every_route_is_a_generated_operation() -> None:
    """Each route's method and path are its generated operation's; no two routes share a method and path."""
    operations = {route.operation_id for route in _routes.ROUTES.routes}
    assert operations == {
        "whoAmI",
        "listConnections",
        "createConnection",
        "getConnection",
        "listMembers",
        "getMember",
        "listWorkbooks",
        "getWorkbook",
        "listWorkbookPages",
        "listWorkbookPageElements",
        "listAccountTypes",
        "exportWorkbook",
        "downloadQuery",
        "materializeWorkbookElement",
        "getWorkbookMaterialization",
    }
    keys = [(route.method, route.path) for route in _routes.ROUTES.routes]
    assert len(keys) == len(set(keys))
    assert ("GET", "/v2/workbooks/{workbookId}/pages/{pageId}/elements") in keys


@pytest.mark.parametrize(
    ("method", "path", "status", "message"),
    [
        ("GET", "/v2/no-such-collection", 404, "No route for GET /v2/no-such-collection"),
        ("GET", "/v2/workbooks/w/unknown", 404, "No route for GET /v2/workbooks/w/unknown"),
        ("DELETE", "/v2/whoami", 405, "DELETE is not allowed on /v2/whoami"),
        ("PUT", "/v2/connections", 405, "PUT is not allowed on /v2/connections"),
        ("GET", "/v2/whoami/", 200, None),  # a trailing slash names the same path
    ],
)
def test_unknown_routes_answer_as_they_always_have(
    http: httpx.Client, method: str, path: str, status: int, message: str | None
) -> None:
    """An unknown path is 404 "No route for ...", another method 405 "... is not allowed on ...", as before."""
    response = http.request(method, path)
    assert response.status_code == status
    if message is not None:
        assert response.json()["message"] == message
