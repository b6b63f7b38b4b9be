"""Every path parameter of every operation is exactly one segment on the wire, whatever the caller passes."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from sigma_sdk import Client
from sigma_sdk.errors import InvalidArgumentError, SigmaError
from sigma_sdk_auth.runtime import path_segment
from tests._support.spec import committed_surface, load_normalized_spec, richest_request_bodies
from tests.contract._arguments import (
    Operation,
    call_arguments,
    operations,
)

# value the caller passes -> the segment that must reach the wire (None: refused before sending)
HOSTILE: dict[str, str | None] = {
    ".": None,
    "..": None,
    "": None,
    "a/b": "a%2Fb",
    "../x": "..%2Fx",
    "%2e%2e": "%252e%252e",
    "line\r\nX-Injected: 1": "line%0D%0AX-Injected%3A%201",
    "..x": "..x",
}
_PLACEHOLDER = re.compile(r"\{([^}]+)\}")


class _Wire:
    """A transport that records the raw request paths and answers each API call with a 404 (nothing to parse)."""

    def __init__(self) -> None:
        self.paths: list[bytes] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v2/auth/token":
            return httpx.Response(200, json={"access_token": "tok", "token_type": "bearer", "expires_in": 3600})
        self.paths.append(request.url.raw_path.split(b"?", 1)[0])
        return httpx.Response(404, json={"message": "not found", "code": "not_found"})


@pytest.fixture(scope="module")
def spec_operations() -> list[Operation]:
    """The operations of the normalized spec, with their generated modules."""
    return operations(load_normalized_spec())


@pytest.fixture(scope="module")
def bodies() -> dict[str, Any]:
    """operationId -> a spec-valid (content type, payload) for its request body."""
    return richest_request_bodies()


@pytest.fixture
def wire() -> Iterator[tuple[Client, _Wire]]:
    """A client whose requests end in a recording transport (no retries, no network)."""
    recorder = _Wire()
    with Client("https://api.sigma.test", "id", "secret", max_retries=0, transport=httpx.MockTransport(recorder)) as c:
        yield c, recorder


def test_every_path_parameter_of_every_operation_is_one_segment(
    spec_operations: list[Operation], bodies: dict[str, Any], wire: tuple[Client, _Wire]
) -> None:
    """`.`, `..` and "" are refused naming the parameter; `/`, `%`, CR/LF are escaped inside one segment."""
    client, recorder = wire
    spec = load_normalized_spec()
    checked = 0
    for operation in spec_operations:
        names = _PLACEHOLDER.findall(operation.path)
        if not names:
            continue
        base = call_arguments(spec, operation, bodies)
        by_placeholder = {name: re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower() for name in names}
        for placeholder, python_name in by_placeholder.items():
            assert python_name in base, f"{operation}: no argument for {{{placeholder}}}"
            for hostile, expected in HOSTILE.items():
                recorder.paths.clear()
                kwargs = {**base, python_name: hostile}
                if expected is None:
                    with pytest.raises(InvalidArgumentError, match=f"'{python_name}'"):
                        operation.module.sync_detailed(client=client, **kwargs)
                    assert recorder.paths == [], f"{operation}: {hostile!r} reached the wire"
                else:
                    operation.module.sync_detailed(client=client, **kwargs)
                    wanted = operation.path
                    for other, other_name in by_placeholder.items():
                        segment = expected if other == placeholder else path_segment(base[other_name], other_name)
                        wanted = wanted.replace("{" + other + "}", segment)
                    assert recorder.paths == [wanted.encode()], f"{operation} {python_name}={hostile!r}"
                checked += 1
    parameters = sum(len(_PLACEHOLDER.findall(operation.path)) for operation in spec_operations)
    # As many as the committed surface lists (163 over 172 operations in spec 2.0.0).
    assert parameters == sum(len(_PLACEHOLDER.findall(op["path"])) for op in committed_surface()["operations"].values())
    assert checked == len(HOSTILE) * parameters


def test_path_segment_leaves_ids_alone_and_escapes_the_rest() -> None:
    """UUIDs and url-ids pass unchanged; non-ASCII is UTF-8 percent-encoded; non-str IDs use str()."""
    assert path_segment("2b1a9c1e-7f4e-4c1e-9d1a-0f5b8a6e3c21", "x") == "2b1a9c1e-7f4e-4c1e-9d1a-0f5b8a6e3c21"
    assert path_segment("a.b~c_d", "x") == "a.b~c_d"
    assert path_segment("é?#", "x") == "%C3%A9%3F%23"
    assert path_segment(42, "x") == "42"


@pytest.mark.parametrize("value", [".", "..", ""])
def test_refused_segment_error_names_the_parameter_and_is_a_sigma_value_error(value: str) -> None:
    """The refusal is a SigmaError and a ValueError, and says which parameter and why."""
    with pytest.raises(InvalidArgumentError) as caught:
        path_segment(value, "grant_id")
    assert isinstance(caught.value, SigmaError)
    assert isinstance(caught.value, ValueError)
    assert "'grant_id'" in str(caught.value)
    assert "another endpoint" in str(caught.value)


def test_dot_dot_no_longer_deletes_the_parent_connection(wire: tuple[Client, _Wire]) -> None:
    """The issue's case: delete_connection_grant(grant_id="..") never sends DELETE /v2/connections/C."""
    from sigma_sdk.api.connections import delete_connection_grant

    client, recorder = wire
    with pytest.raises(InvalidArgumentError):
        delete_connection_grant.sync(connection_id="C", grant_id="..", client=client)
    assert recorder.paths == []
    delete_connection_grant.sync_detailed(connection_id="C", grant_id="G", client=client)
    assert recorder.paths == [b"/v2/connections/C/grants/G"]
