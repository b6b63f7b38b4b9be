"""Secret fields of models (private keys, passphrases, passwords, client secrets, tokens) never show in a repr,
are decided by one rule from the spec's names, are still sent by ``to_dict()``, and stay out of error text."""

from __future__ import annotations

import copy
import json
import re
from typing import Any

import attrs
import httpx
import pytest
from _codegen._rules import Rules
from _codegen._secrets import EXTENSION, _object_schemas, mark_secret_properties, secret_properties_template
from _codegen.normalize import PASSES

import sigma_sdk.models as models
from sigma_sdk import Client
from sigma_sdk.api.connections import create_connection
from sigma_sdk.models import (
    CreateConnectionRequest,
    PasswordPlain,
    PostgreSQL,
    SnowflakeKeyPairAuthentication,
)
from sigma_sdk_auth import BadRequestError, ResponseValidationError
from sigma_sdk_auth._logging import redact
from sigma_sdk_auth._secrets import is_secret_name, request_secrets, scrub_secrets
from tests._support.spec import load_spec

PEM = (
    "-----BEGIN ENCRYPTED PRIVATE KEY-----\n"
    "MIIFHDBOBgkqhkiG9w0BBQ0wQTApBgkqhkiG9w0BBQwwHAQIq1w2e3r4t5y6AgIIAAIB\n"
    "ADAMBggqhkiG9w0CCQUAMBQGCCqGSIb3DQMHBAhV0c8QmP5nXwSCBMiLxjZq0Y7b3n9Q\n"
    "-----END ENCRYPTED PRIVATE KEY-----\n"
)
PASSPHRASE = "correct-horse-battery-staple"
PASSWORD = "pg-Pa55word-9071"


def _key_pair_request() -> CreateConnectionRequest:
    details = SnowflakeKeyPairAuthentication(
        user="svc_sigma", private_key=PEM, private_key_passphrase=PASSPHRASE, account="acme"
    )
    return CreateConnectionRequest(name="warehouse", details=details)


def _assert_no_secret(text: str) -> None:
    for secret in (PASSPHRASE, PASSWORD, *[line for line in PEM.splitlines() if len(line) > 16]):
        assert secret not in text
        assert json.dumps(secret)[1:-1] not in text


# -- the rule ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "secret"),
    [
        ("privateKey", True),
        ("private_key_passphrase", True),
        ("privateKeyPassphrase", True),
        ("password", True),
        ("clientSecret", True),
        ("client_secret", True),
        ("pythonSecrets", True),
        ("accessToken", True),
        ("refresh_token", True),
        ("token", True),
        ("authorization", True),
        ("apiKey", True),
        ("nextPageToken", False),
        ("pageToken", False),
        ("token_type", False),
        ("subject_token_type", False),
        ("exploreKey", False),
        ("authType", False),
        ("userCredential", False),
        ("username", False),
    ],
)
def test_the_rule_decides_from_the_name(name: str, secret: bool) -> None:
    """One rule over a field's name: credentials are secret, cursors, kinds and IDs named like them are not."""
    assert is_secret_name(name) is secret


def test_the_normalized_spec_marks_every_secret_property_by_the_rule() -> None:
    """The pass runs in normalization and marks exactly the properties the rule names, in every object schema."""
    assert mark_secret_properties in PASSES
    spec = mark_secret_properties(load_spec(), Rules())
    template = secret_properties_template(spec)
    marked = set(json.loads(re.search(r"secret_properties = (\[.*\])", template).group(1)))  # type: ignore[union-attr]
    assert {"privateKey", "privateKeyPassphrase", "password", "clientSecret", "token", "pythonSecrets"} <= marked
    assert {"access_token", "refresh_token", "accessToken", "authorization"} <= marked
    assert not {"nextPageToken", "exploreKey", "token_type", "username"} & marked
    assert all(is_secret_name(name) for name in marked)


def test_the_log_redactor_removes_every_marked_property() -> None:
    """The log redactor applies the same rule: each property marked in the spec has its value redacted in logs."""
    spec = mark_secret_properties(load_spec(), Rules())
    marked = {name for schema in _object_schemas(spec) for name in schema.get(EXTENSION) or ()}
    assert marked
    for name in marked:
        assert "v-12345678" not in redact(f'{{"{name}": "v-12345678", "id": 1}}'), name
        assert "v-12345678" not in redact(f"{name}=v-12345678&id=1"), name


def test_a_future_property_matching_the_rule_is_marked() -> None:
    """A property a later spec adds (``sshPrivateKey``) is marked by the same rule; a cursor is not."""
    spec: dict[str, Any] = {
        "components": {
            "schemas": {
                "Tunnel": {
                    "type": "object",
                    "properties": {"sshPrivateKey": {"type": "string"}, "nextPageToken": {"type": "string"}},
                }
            }
        }
    }
    assert mark_secret_properties(spec, Rules())["components"]["schemas"]["Tunnel"][EXTENSION] == ["sshPrivateKey"]


def test_every_generated_secret_field_is_kept_out_of_repr() -> None:
    """Every field of every generated model the rule calls secret is declared repr=False, and no other field is.

    (A Python name is the JSON name in snake case, which the rule reads alike: ``private_key`` is ``privateKey``.)
    """
    hidden = []
    for name in models.__all__:
        model = getattr(models, name)
        for field in attrs.fields(model) if attrs.has(model) else ():
            if field.name != "additional_properties":
                assert field.repr is not is_secret_name(field.name), f"{name}.{field.name}"
                hidden += [] if field.repr else [f"{name}.{field.name}"]
    assert len(hidden) >= 25
    assert "SnowflakeKeyPairAuthentication.private_key_passphrase" in hidden


# -- repr and to_dict ----------------------------------------------------------------------------------


def test_repr_of_a_request_hides_the_private_key_and_passphrase() -> None:
    """repr() of a connection request shows the user and account, never the key or passphrase."""
    request = _key_pair_request()
    text = repr(request) + str(request)
    _assert_no_secret(text)
    assert "svc_sigma" in text
    assert "acme" in text


def test_to_dict_still_sends_the_secrets() -> None:
    """Hidden from repr, the secret fields are still sent, and come back from from_dict, as before."""
    body = _key_pair_request().to_dict()
    assert body["details"]["privateKey"] == PEM
    assert body["details"]["privateKeyPassphrase"] == PASSPHRASE
    assert CreateConnectionRequest.from_dict(body).to_dict() == body


def test_a_password_given_as_a_plain_object_is_hidden_too() -> None:
    """``password`` as ``{type: plain, value}`` is hidden as a whole field, and copies keep it."""
    postgres = PostgreSQL(
        type_="postgres", host="db", user="sigma", database="d", password=PasswordPlain(value=PASSWORD)
    )
    _assert_no_secret(repr(postgres))
    assert copy.deepcopy(postgres).to_dict()["password"] == {"type": "plain", "value": PASSWORD}


# -- errors --------------------------------------------------------------------------------------------


def _token_or(answer: Any) -> Any:
    """A transport that issues a token, and answers every API request with ``answer(request)``."""

    def handle(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v2/auth/token":
            return httpx.Response(200, json={"access_token": "access-token-value-123", "expires_in": 3600})
        return answer(request)  # type: ignore[no-any-return]

    return handle


def _echo(request: httpx.Request) -> httpx.Response:
    """A server that quotes the whole request body back in its error message."""
    return httpx.Response(400, json={"message": f"invalid connection: {request.content.decode()}"})


def test_a_400_echoing_the_request_body_shows_no_secret() -> None:
    """A 400 whose message quotes the sent body (PEM escaped as JSON) has no key or passphrase in str/repr."""
    transport = httpx.MockTransport(_token_or(_echo))
    with (
        Client("https://api.sigma.test", "id", "secret", transport=transport) as client,
        pytest.raises(BadRequestError) as info,
    ):
        create_connection.sync(client=client, body=_key_pair_request())
    _assert_no_secret(str(info.value) + repr(info.value))
    assert "svc_sigma" in str(info.value)  # the rest of the echo is kept
    assert '"privateKey":"***"' in str(info.value)


async def test_a_400_echoing_the_request_body_shows_no_secret_async() -> None:
    """Async twin: the same echo, the same scrubbing."""
    transport = httpx.MockTransport(_token_or(_echo))
    async with Client("https://api.sigma.test", "id", "secret", async_transport=transport) as client:
        with pytest.raises(BadRequestError) as info:
            await create_connection.asyncio(client=client, body=_key_pair_request())
    _assert_no_secret(str(info.value) + repr(info.value))


def test_a_2xx_echo_the_sdk_cannot_read_shows_no_secret() -> None:
    """A 201 whose unreadable body is the sent key is a ResponseValidationError without the key."""

    def echo(request: httpx.Request) -> httpx.Response:
        return httpx.Response(201, json=json.loads(request.content)["details"]["privateKey"])  # a bare string

    transport = httpx.MockTransport(_token_or(echo))
    with (
        Client("https://api.sigma.test", "id", "secret", transport=transport) as client,
        pytest.raises(ResponseValidationError) as info,
    ):
        create_connection.sync(client=client, body=_key_pair_request())
    _assert_no_secret(str(info.value) + repr(info.value))
    assert "found the string '***'" in str(info.value)


def test_request_secrets_reads_only_secret_fields_of_json_bodies() -> None:
    """The values of secret fields (discriminators excepted) of a JSON body; nothing from other bodies."""
    body = json.dumps({"user": "u", "details": {"password": {"type": "plain", "value": "v-1234567"}, "token": "t0k3n"}})
    assert request_secrets(body.encode(), "application/json") == ["v-1234567", "t0k3n"]
    assert request_secrets(b"password=abc", "application/x-www-form-urlencoded") == []
    assert request_secrets(b"{not json", "application/json") == []


def test_scrub_removes_a_pem_in_every_form_a_server_echoes() -> None:
    """As sent, JSON-escaped once or twice, or one line of it quoted alone: each becomes ***."""
    once = json.dumps(PEM)[1:-1]
    twice = json.dumps(once)[1:-1]
    line = PEM.splitlines()[1]
    for text in (PEM, once, twice, f"bad line {line}"):
        assert "MIIF" not in scrub_secrets(text, [PEM])


def test_a_secret_key_a_newer_sigma_adds_is_hidden_in_additional_properties() -> None:
    """An unknown key the rule calls secret (kept in additional_properties) shows as *** in repr, at any depth."""
    body = _key_pair_request().to_dict()
    body["details"]["sshPrivateKey"] = PEM
    body["tunnel"] = {"host": "bastion", "password": PASSWORD, "hops": [{"token": PASSPHRASE}]}
    model = CreateConnectionRequest.from_dict(body)
    text = repr(model)
    _assert_no_secret(text)
    assert "'sshPrivateKey': ***" in text
    assert "'host': 'bastion'" in text
    assert model.to_dict() == body  # sent back exactly as received
