"""Spec-valid sample payloads for every request body and 2xx response, parsed by the generated code.

Measures (printed with ``-s``, asserted here): parse errors, round trips (``from_dict`` → ``to_dict``
gives the payload back) and the share of leaf fields held in typed attributes rather than in
``additional_properties`` or raw dicts.
"""

from __future__ import annotations

import importlib
import types
import typing
from functools import cache
from typing import Any

import httpx
import pytest
from _samples import leaf_paths, typed_leaf_paths
from openapi_python_client.strings import snake_case

from sigma_sdk.types import File, Unset
from tests._support.payloads import json_of
from tests._support.spec import ROOT, corrected_payloads

API = ROOT / "sigma_sdk" / "api"


@cache
def _module_of(operation_id: str) -> types.ModuleType:
    stem = snake_case(operation_id)
    (path,) = API.glob(f"*/{stem}.py")
    return importlib.import_module(f"sigma_sdk.api.{path.parent.name}.{stem}")


def _parse_body(operation_id: str, content_type: str, payload: Any) -> Any:
    """Parse a request payload into the body type the endpoint function accepts."""
    if content_type == "multipart/form-data":
        # A binary part is bytes on the way out; the JSON sample holds it as text.
        payload = {k: v.encode() if isinstance(v, str) else v for k, v in payload.items()}
    hints = typing.get_type_hints(_module_of(operation_id).sync)
    body_type = hints["body"]
    members = [m for m in typing.get_args(body_type) if m is not Unset] or [body_type]
    errors = []
    for member in members:
        try:
            return member.from_dict(payload)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            errors.append(f"{member.__name__}: {exc!r}")
    raise AssertionError(f"no body type of {operation_id} accepts the payload: {errors}")


def _parse_response(operation_id: str, status: int, payload: Any) -> Any:
    return _module_of(operation_id)._parse_response(httpx.Response(status, json=payload))


@pytest.fixture(scope="module")
def measured() -> dict[str, Any]:
    """Parse every sample payload once and gather the figures the tests assert on."""
    figures: dict[str, Any] = {"payloads": 0, "parse_errors": [], "round_trip_failures": [], "leaves": 0,
                               "no_content": 0,
                               "typed_leaves": 0, "untyped": []}  # fmt: skip
    # free_form=False: no invented keys inside objects the spec leaves free-form ({}), which no SDK can type.
    for operation_id, where, content_type, payload in corrected_payloads():
        figures["payloads"] += 1
        if where == "response:204":
            # HTTP forbids a body on 204 (the normalizer drops the one Sigma declares): nothing to parse.
            assert _module_of(operation_id)._parse_response(httpx.Response(204)) is None
            figures["no_content"] += 1
            continue
        if where.startswith("response") and content_type == "application/octet-stream":
            # A binary answer (the export download) is its bytes, handed over undecoded.
            body = payload.encode() if isinstance(payload, str) else bytes(payload)
            parsed = _module_of(operation_id)._parse_response(httpx.Response(int(where.split(":")[1]), content=body))
            assert isinstance(parsed, File), operation_id
            assert parsed.payload.read() == body, operation_id
            continue
        try:
            if where == "request":
                parsed = _parse_body(operation_id, content_type, payload)
            else:
                parsed = _parse_response(operation_id, int(where.split(":")[1]), payload)
        except Exception as exc:
            figures["parse_errors"].append(f"{operation_id} {where}: {exc!r}"[:300])
            continue
        dumped = json_of(parsed)
        if content_type == "multipart/form-data":
            # A binary part parses into a File wrapping the bytes; compare what would be uploaded.
            dumped = {k: (v[1].read().decode() if isinstance(v, tuple) else v) for k, v in dumped.items()}
        if dumped != payload:
            figures["round_trip_failures"].append(f"{operation_id} {where}")
        leaves = leaf_paths(payload)
        typed = typed_leaf_paths(parsed) & leaves
        figures["leaves"] += len(leaves)
        figures["typed_leaves"] += len(typed)
        figures["untyped"] += [f"{operation_id} {where} {path}" for path in sorted(leaves - typed, key=str)[:3]]
    ratio = figures["typed_leaves"] / max(figures["leaves"], 1)
    parsed_count = figures["payloads"] - figures["no_content"]
    round_trips = parsed_count - len(figures["parse_errors"]) - len(figures["round_trip_failures"])
    print(
        f"\npayloads={figures['payloads']} (204 without body: {figures['no_content']}) "
        f"parse_errors={len(figures['parse_errors'])} round_trips={round_trips}/{parsed_count} "
        f"typed_leaves={figures['typed_leaves']}/{figures['leaves']} ({ratio:.4%})"
    )
    return figures


def test_every_sample_payload_parses(measured: dict[str, Any]) -> None:
    """0 parse errors over every request body and 2xx response sample."""
    assert measured["payloads"] > 300
    assert measured["parse_errors"] == []


def test_every_sample_payload_round_trips(measured: dict[str, Any]) -> None:
    """`from_dict` then `to_dict` gives back exactly the payload, for every sample."""
    assert measured["round_trip_failures"] == []


def test_leaf_fields_are_held_in_typed_attributes(measured: dict[str, Any]) -> None:
    """At least 99.5% of the payloads' leaf fields land in typed attributes, not raw dicts."""
    ratio = measured["typed_leaves"] / measured["leaves"]
    assert ratio >= 0.995, measured["untyped"][:20]


def test_quickstart_snowflake_payload_is_fully_typed() -> None:
    """The QuickStart's Snowflake key-pair body is built from typed models with every field an attribute."""
    from sigma_sdk.models import CreateConnectionRequest, SnowflakeKeyPairAuthentication

    details = SnowflakeKeyPairAuthentication(
        account="acme-xy12345", host="acme-xy12345.snowflakecomputing.com", warehouse="COMPUTE_WH",
        user="SIGMA_SERVICE", role="SIGMA_ROLE", auth_type="key-pair",
        private_key="-----BEGIN PRIVATE KEY-----\nMII...\n-----END PRIVATE KEY-----",
        private_key_passphrase="passphrase",
    )  # fmt: skip
    body = CreateConnectionRequest(name="Snowflake (key pair)", details=details)
    payload = body.to_dict()
    assert payload["details"] == {
        "type": "snowflake", "account": "acme-xy12345", "host": "acme-xy12345.snowflakecomputing.com",
        "warehouse": "COMPUTE_WH", "user": "SIGMA_SERVICE", "role": "SIGMA_ROLE", "authType": "key-pair",
        "privateKey": "-----BEGIN PRIVATE KEY-----\nMII...\n-----END PRIVATE KEY-----",
        "privateKeyPassphrase": "passphrase",
    }  # fmt: skip
    parsed = CreateConnectionRequest.from_dict(payload)
    assert isinstance(parsed.details, SnowflakeKeyPairAuthentication)
    assert parsed.details.additional_properties == {}
    assert leaf_paths(payload) == typed_leaf_paths(parsed)
