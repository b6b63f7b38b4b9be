"""JSON payloads shaped like Sigma's answers, shared by the tests that parse them."""

from __future__ import annotations

from typing import Any

STAMP = "2024-01-02T03:04:05+00:00"


def connection_payload(index: int = 1, **extra: Any) -> dict[str, Any]:
    """A `Connection` with its 12 required keys (as `GET /v2/connections` lists it), plus ``extra``."""
    return {
        "connectionId": f"c-{index}", "organizationId": "org", "name": f"conn {index}", "type": "snowflake",
        "isSample": False, "isAuditLog": False, "lastActiveAt": STAMP, "useOauth": False,
        "createdBy": "u-1", "updatedBy": "u-2", "createdAt": STAMP, "updatedAt": STAMP, **extra,
    }  # fmt: skip


def json_of(value: Any) -> Any:
    """The JSON form of a parsed value (a model, a list of them, or a plain value), as the SDK would send it."""
    if hasattr(value, "to_dict"):
        return value.to_dict()
    if isinstance(value, list):
        return [json_of(item) for item in value]
    return value


def schema_payloads(schema: dict[str, Any], spec: dict[str, Any] | None = None, **kwargs: Any) -> list[Any]:
    """``scripts/_samples``' payloads for ``schema`` (refs resolved in ``spec``), each checked valid against it."""
    import _samples as samples

    root = spec if spec is not None else {}
    result = samples.sample_payloads(root, schema, **kwargs)
    for payload in result:
        samples.validate(root, schema, payload)
    return result
