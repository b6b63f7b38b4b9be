"""Request bodies checked against Sigma's schemas, as the generated request models carry them.

The fake answers 400 naming the first field that does not fit: a missing required field, a value of
the wrong JSON type, an enum value the spec does not list.  Keys the schema does not name pass (the
spec allows them); a secret's value is never quoted; exports check ``format.type`` only.
"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from sigma_sdk.api.connections import create_connection
from sigma_sdk.api.workbooks import create_workbook_embed, materialize_workbook_element
from sigma_sdk.models import CreateConnectionRequest, MaterializeElementRequest
from sigma_sdk.testing import ApiError, SigmaStandin
from sigma_sdk_auth.testing._bodies import body_type, check_body

from .conftest import ENCRYPTED_KEY, KEY, assert_sigma_error, bearer, snowflake_body


@pytest.mark.parametrize(
    ("body", "why"),
    [
        ([], "body is not an object"),
        ({"details": snowflake_body()["details"]}, "no name"),
        ({"name": "x"}, "no details"),
        (snowflake_body(type="postgres"), "not Snowflake"),
        ({"name": "x", "details": {"type": "snowflake", "account": "acme", "user": "U"}}, "no credentials"),
        ({"name": "x", "details": {"type": "snowflake", "user": "U", "privateKey": KEY}}, "no account or host"),
        (snowflake_body(privateKey="not a key"), "privateKey is not PEM"),
        (snowflake_body(privateKey=ENCRYPTED_KEY), "encrypted key without passphrase"),
        (snowflake_body(password="hunter2"), "key-pair with a password"),
        (snowflake_body(authType="kerberos"), "unknown authType"),
        (snowflake_body(user=7), "user is not a string"),
    ],
)
def test_create_connection_rejects_malformed_bodies(wire: httpx.Client, body: Any, why: str) -> None:
    """A createConnection body that breaks the Snowflake shape answers 400 with Sigma's error body."""
    response = wire.post("/v2/connections", json=body, headers=bearer(wire))
    assert_sigma_error(response, 400, "bad_request")
    assert "MIIEvQIBADANBgkq" not in response.text, why  # never echoes key material


def _workbook_path(standin: SigmaStandin, tail: str) -> str:
    return f"/v2/workbooks/{standin.workbooks()[0]['workbookId']}/{tail}"


@pytest.mark.parametrize(
    ("operation", "body", "message"),
    [
        ("createConnection", {"details": snowflake_body()["details"]}, "name is required"),
        ("createConnection", {**snowflake_body(), "timeoutSecs": True}, "timeoutSecs must be a number, not true"),
        (
            "createConnection",
            snowflake_body(authType="kerberos"),
            "details.authType must be one of 'basic-auth', 'key-pair', 'oauth', not the string 'kerberos'",
        ),
        (
            "createConnection",
            {
                "name": "x",
                "details": {
                    "type": "snowflake",
                    "account": "a",
                    "user": "U",
                    "password": {"type": "plain", "value": 5},
                },
            },
            "details.password.value must be a string, not the number 5",
        ),
        ("materializeWorkbookElement", {}, "sheetId is required"),
        ("materializeWorkbookElement", {"sheetId": 5}, "sheetId must be a string, not the number 5"),
        ("materializeWorkbookElement", [], "The request body must be an object (MaterializeElementRequest)"),
    ],
)
def test_a_body_that_breaks_the_schema_is_400_naming_the_field(
    http: httpx.Client, standin: SigmaStandin, operation: str, body: Any, message: str
) -> None:
    """Missing required fields, wrong JSON types and unknown request enum values answer 400 naming the field."""
    path = "/v2/connections" if operation == "createConnection" else _workbook_path(standin, "materializations")
    response = http.post(path, json=body)
    assert (response.status_code, response.json()["code"]) == (400, "bad_request")
    assert response.json()["message"].startswith(message)
    assert len(standin.connections()) == 124  # nothing created
    assert standin.materializations() == []


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"sourceType": "workbook"}, "embedType is required"),
        (
            {"embedType": "public", "sourceType": "workbook", "sourceId": 7},
            "sourceId must be a string, not the number 7",
        ),
        (
            {"embedType": "private", "sourceType": "workbook"},
            "embedType must be one of 'application', 'public', 'secure', not the string 'private'",
        ),
    ],
)
def test_any_generated_operation_body_is_checked_the_same_way(body: dict[str, Any], message: str) -> None:
    """check_body reads a body type from any generated operation (here createWorkbookEmbed's two required enums)."""
    with pytest.raises(ApiError) as refused:
        check_body(body_type(create_workbook_embed), body)
    assert (refused.value.status, refused.value.message) == (400, message)
    check_body(body_type(create_workbook_embed), {"embedType": "public", "sourceType": "workbook"})  # fits


def test_body_types_come_from_the_generated_operations() -> None:
    """An operation's body type is its generated _get_kwargs' body annotation; a GET has none."""
    assert body_type(create_connection) is CreateConnectionRequest
    assert body_type(materialize_workbook_element) is MaterializeElementRequest
    from sigma_sdk.api.whoami import who_am_i

    assert body_type(who_am_i) is None


def test_a_secret_is_never_quoted_in_a_body_problem() -> None:
    """A wrong value of a field the model keeps out of repr (a secret) is described, never quoted."""
    body = snowflake_body(pythonSecrets="hunter2-do-not-echo")
    with pytest.raises(ApiError) as refused:
        check_body(CreateConnectionRequest, body)
    assert refused.value.message.startswith("details.pythonSecrets must be an object (PythonSecrets), not a string")
    assert "hunter2" not in refused.value.message


def test_keys_the_schema_does_not_name_are_accepted(http: httpx.Client, standin: SigmaStandin) -> None:
    """Extra keys pass, as the spec allows (no additionalProperties: false) and Sigma's models keep them."""
    body = {**snowflake_body(comment="made by a test"), "labels": ["ci"]}
    created = http.post("/v2/connections", json=body)
    assert created.status_code == 201
    assert "labels" not in created.json()  # accepted, not stored
    started = http.post(_workbook_path(standin, "materializations"), json={"sheetId": "s", "note": "x"})
    assert started.status_code == 200


def test_exports_check_format_type_only(http: httpx.Client, standin: SigmaStandin) -> None:
    """A whole-workbook CSV export passes (the schema wants an elementId for CSV); a bad format.type is 400."""
    assert http.post(_workbook_path(standin, "export"), json={"format": {"type": "csv"}}).status_code == 200
    refused = http.post(_workbook_path(standin, "export"), json={"format": {"type": "docx"}})
    assert refused.status_code == 400
    assert "format.type must be one of csv" in refused.json()["message"]


@pytest.mark.parametrize(
    ("details", "status", "message"),
    [
        ({"authType": "oauth", "useOauth": True, "privateKey": KEY, "user": "U"}, 201, None),
        ({"authType": "key-pair", "password": "p", "user": "U"}, 400, "details.privateKey is required"),
        ({"authType": "oauth", "useOauth": False}, 400, "OAuth connections need details.useOauth: true"),
    ],
)
def test_auth_type_picks_the_form_the_details_are_checked_as(
    http: httpx.Client, details: dict[str, Any], status: int, message: str | None
) -> None:
    """details.authType names the credentials' form: its fields are required, other keys pass (an extra key too)."""
    body = {"name": "n", "details": {"type": "snowflake", "account": "a", **details}}
    response = http.post("/v2/connections", json=body)
    assert response.status_code == status
    if message is None:
        assert response.json()["useOauth"] is True
    else:
        assert response.json()["message"] == message
