"""Prism itself, with plain httpx and no generated SDK: the contract suite's assumptions about the mock hold."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

from ._prism import PrismStartError, run_prism

AUTH = {"Authorization": "Bearer contract-test-token"}


def _violations(response: httpx.Response) -> list[dict[str, Any]]:
    """Prism's ``sl-violations`` header: what it found wrong with the request (or its own response)."""
    header = response.headers.get("sl-violations")
    assert header, f"no sl-violations header on {response.status_code} {response.request.url}"
    violations: list[dict[str, Any]] = json.loads(header)
    return violations


def test_whoami_returns_200_json(prism_url: str) -> None:
    """A valid, authenticated GET /v2/whoami gets 200 with a JSON body holding the required fields."""
    response = httpx.get(f"{prism_url}/v2/whoami", headers=AUTH, timeout=30)
    assert response.status_code == 200, response.headers.get("sl-violations")
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert isinstance(body["userId"], str)
    assert isinstance(body["organizationId"], str)
    assert "sl-violations" not in response.headers


def test_missing_bearer_token_is_401(prism_url: str) -> None:
    """Prism enforces the spec's security: a request without a bearer token gets 401."""
    response = httpx.get(f"{prism_url}/v2/whoami", timeout=30)
    assert response.status_code == 401
    assert any(v["code"] == 401 for v in _violations(response))


def test_invalid_body_is_rejected_with_422(prism_url: str) -> None:
    """Request validation is on: POST /v2/connections with {} gets 422 naming the missing required fields."""
    response = httpx.post(f"{prism_url}/v2/connections", headers=AUTH, json={}, timeout=30)
    assert response.status_code == 422
    violations = _violations(response)
    assert {v["code"] for v in violations} == {"required"}
    assert all(v["location"][:2] == ["request", "body"] for v in violations)
    messages = " ".join(v["message"] for v in violations)
    assert "'name'" in messages
    assert "'details'" in messages


def test_invalid_query_parameter_is_rejected_with_422(prism_url: str) -> None:
    """Request validation covers query parameters too: a non-numeric ``limit`` gets 422."""
    response = httpx.get(f"{prism_url}/v2/connections", headers=AUTH, params={"limit": "many"}, timeout=30)
    assert response.status_code == 422
    assert any(v["location"][:2] == ["request", "query"] for v in _violations(response))


def test_static_mode_is_deterministic(prism_url: str) -> None:
    """Without -d, Prism answers the same request with the same body every time."""
    bodies = [
        httpx.get(f"{prism_url}/v2/connections", headers=AUTH, params={"limit": 5}, timeout=30).json() for _ in range(2)
    ]
    assert bodies[0] == bodies[1]


def test_dynamic_mode_varies_list_data(prism_dynamic_url: str) -> None:
    """With -d, a list endpoint (GET /v2/connections) returns different schema-shaped data on each call."""
    bodies: list[Any] = []
    for _ in range(3):
        response = httpx.get(f"{prism_dynamic_url}/v2/connections", headers=AUTH, params={"limit": 5}, timeout=30)
        assert response.status_code == 200, response.headers.get("sl-violations")
        body = response.json()
        assert isinstance(body["entries"], list)
        bodies.append(body)
    assert len({json.dumps(b, sort_keys=True) for b in bodies}) > 1


def test_raw_spec_loads_and_prism_stops_at_exit(prism_ready: None, raw_spec_path: Path) -> None:
    """Prism 5.16 serves Sigma's unnormalized spec (malformed refs, space-led server URL); run_prism stops it."""
    with run_prism(raw_spec_path) as url:
        response = httpx.get(f"{url}/v2/whoami", headers=AUTH, timeout=30)
        assert response.status_code == 200
        assert set(response.json()) >= {"userId", "organizationId"}
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{url}/v2/whoami", headers=AUTH, timeout=5)


def test_start_failure_reports_prism_output(prism_ready: None, tmp_path: Path) -> None:
    """A spec Prism can't load raises PrismStartError carrying Prism's own fatal message."""
    broken = tmp_path / "broken.json"
    broken.write_text('{"openapi": "3.1.0", ', encoding="utf-8")
    with pytest.raises(PrismStartError, match=r"(?s)exited with code 1.*fatal.*broken\.json"), run_prism(broken):
        pytest.fail("Prism should not have started")
