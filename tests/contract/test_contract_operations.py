"""The contract suite: every operation, called through the SDK, against Prism mocking the normalized spec.

Static Prism (``prism_url``, request validation on, ``--errors``): each operation of the surface gets
valid arguments (path parameters, required query parameters, a body built from the typed models
out of a spec-valid sample of the RAW spec). Prism must accept the request (2xx, no
``sl-violations``) and the SDK must parse the answer into the type ``sync`` declares. Further
tests send every sample body (every ``oneOf``/``anyOf`` branch), every optional query parameter,
and take the first entry of each list's ``iterate()``.

Dynamic Prism (``prism_dynamic_url``, ``-d``): each list operation (the surface's ``paginated``) is called
3 times with ``sync``; every random, spec-valid page must parse into the declared type.

Operations are parametrized from ``openapi/api-surface.json`` (committed with ``sigma_sdk/``), so the
ids exist even where the spec or Node.js is missing; ``test_every_operation_is_covered`` ties them
to the spec Prism serves. Run with ``-s`` to see the dynamic-mode tally.
"""

from __future__ import annotations

import contextlib
import json
import typing
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import httpx
import pytest

from sigma_sdk import Client
from sigma_sdk.api.whoami import who_am_i
from sigma_sdk.errors import SigmaAPIError
from sigma_sdk.types import Response

from ._arguments import (
    BodySample,
    Operation,
    conforms,
    endpoint_module,
    has_query_parameters,
    missing_required,
    operations,
    path_arguments,
    query_arguments,
    request_body_samples,
    richest,
    success_type,
    typed_body,
)

SURFACE = Path(__file__).resolve().parents[2] / "openapi" / "api-surface.json"
LOCK = SURFACE.with_name("spec.lock.json")
_SURFACE: dict[str, Any] = json.loads(SURFACE.read_text(encoding="utf-8"))
_SURFACE_OPERATIONS: dict[str, Any] = _SURFACE["operations"]
OPERATION_IDS = sorted(_SURFACE_OPERATIONS)
BODY_OPERATION_IDS = [op for op in OPERATION_IDS if _SURFACE_OPERATIONS[op].get("body")]
QUERY_OPERATION_IDS = [
    op for op in OPERATION_IDS if any(p.startswith("query:") for p in _SURFACE_OPERATIONS[op].get("params", {}))
]
LIST_OPERATION_IDS = [op for op in OPERATION_IDS if hasattr(endpoint_module(op), "iterate")]
# From the surface (the spec's operations and the additions of openapi/corrections.toml), so a new release
# needs no edit here.
EXPECTED_OPERATIONS = len(_SURFACE["operations"])
EXPECTED_LIST_OPERATIONS = len(_SURFACE["paginated"])
DYNAMIC_CALLS = 3
TOKEN_PATH = "/v2/auth/token"
CLIENT_ID = "contract-client-id"
CLIENT_SECRET = "contract-client-secret"  # Prism checks that credentials are present, not what they are


@dataclass
class Recorder:
    """Every request the client sends and every response it gets (bodies read), in order."""

    requests: list[httpx.Request] = field(default_factory=list)
    responses: list[httpx.Response] = field(default_factory=list)

    def on_request(self, request: httpx.Request) -> None:
        request.read()
        self.requests.append(request)

    def on_response(self, response: httpx.Response) -> None:
        response.read()
        self.responses.append(response)

    def clear(self) -> None:
        self.requests.clear()
        self.responses.clear()


@dataclass
class Session:
    """A Client pointed at one Prism, with what it sent and received."""

    client: Client
    recorder: Recorder


@dataclass
class DynamicTally:
    """What the dynamic-mode tests saw: payloads parsed, and how many of them were distinct."""

    parsed: int = 0
    payloads: set[bytes] = field(default_factory=set)
    operations: set[str] = field(default_factory=set)


@contextlib.contextmanager
def _session(base_url: str, *, token_url: str | None = None) -> Iterator[Session]:
    """A Client on ``base_url`` (tokens from ``token_url``, default its own) recording its traffic; closed on exit."""
    recorder = Recorder()
    # auth_method="basic": the spec secures postToken with basicAuth (or bearerAuth); Prism answers
    # the default form-body credentials with 401 "Invalid security scheme used".
    client = Client(
        base_url=base_url,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        max_retries=0,
        auth_method="basic",
        token_url=token_url,
        httpx_args={"event_hooks": {"request": [recorder.on_request], "response": [recorder.on_response]}},
    )
    with client:
        yield Session(client, recorder)


@pytest.fixture(scope="module")
def static(prism_url: str) -> Iterator[Session]:
    """A Client on the static Prism."""
    with _session(prism_url) as session:
        yield session


@pytest.fixture(scope="module")
def dynamic(prism_dynamic_url: str, prism_url: str) -> Iterator[Session]:
    """A Client on the dynamic (-d) Prism, with tokens from the static one.

    Dynamic Prism answers the token endpoint with random schema-valid bodies too (no ``access_token``,
    ``expires_in`` of 0), which would test Prism's dice rather than the list operations.
    """
    with _session(prism_dynamic_url, token_url=f"{prism_url}{TOKEN_PATH}") as session:
        yield session


@pytest.fixture(scope="module")
def normalized_spec(normalized_spec_path: Path) -> dict[str, Any]:
    """The spec Prism serves and the SDK is generated from."""
    spec: dict[str, Any] = json.loads(normalized_spec_path.read_text(encoding="utf-8"))
    return spec


@pytest.fixture(scope="module")
def spec_operations(normalized_spec: dict[str, Any]) -> dict[str, Operation]:
    """operationId -> Operation, from the normalized spec."""
    return {op.operation_id: op for op in operations(normalized_spec)}


@pytest.fixture(scope="module")
def body_samples(raw_spec_path: Path) -> dict[str, list[BodySample]]:
    """operationId -> every spec-valid request payload sampled from the RAW spec."""
    return request_body_samples(json.loads(raw_spec_path.read_text(encoding="utf-8")))


@pytest.fixture(scope="module")
def dynamic_tally() -> Iterator[DynamicTally]:
    """Collects the dynamic-mode figures and prints them when the module ends (visible with -s)."""
    tally = DynamicTally()
    yield tally
    print(
        f"\ndynamic Prism: {tally.parsed} payloads parsed ({len(tally.payloads)} distinct) "
        f"over {len(tally.operations)} list operations"
    )


def _operation(spec_operations: Mapping[str, Operation], operation_id: str) -> Operation:
    operation = spec_operations.get(operation_id)
    assert operation is not None, f"{operation_id} is in openapi/api-surface.json but not in the spec Prism serves"
    return operation


def _describe(response: Response[Any] | httpx.Response, request: httpx.Request | None) -> str:
    """Status, request line, Prism's ``sl-violations`` and the start of the body, for assertion messages."""
    status = response.status_code
    content = response.content
    where = f"{request.method} {request.url}" if request is not None else "(no request recorded)"
    text = f"HTTP {status} to {where}\nsl-violations: {response.headers.get('sl-violations')}\nbody: {content[:600]!r}"
    if status == 500 and b"errors#VIOLATIONS" in content:
        text = (
            "Prism's own mocked RESPONSE violates the spec (a spec/normalization defect, not a request error)\n" + text
        )
    return text


def _call(session: Session, operation: Operation, kwargs: Mapping[str, Any]) -> tuple[Response[Any], httpx.Request]:
    """``sync_detailed`` with kwargs; returns the response and the request the SDK sent for it."""
    missing = missing_required(operation, kwargs)
    assert not missing, f"{operation}: no value for required arguments {sorted(missing)}"
    session.recorder.clear()
    response: Response[Any] = operation.module.sync_detailed(client=session.client, **kwargs)
    assert session.recorder.requests, f"{operation}: the SDK sent no request"
    return response, session.recorder.requests[-1]


def _assert_accepted_and_parsed(operation: Operation, response: Response[Any], request: httpx.Request) -> None:
    assert 200 <= response.status_code < 300, f"{operation}: Prism refused the call\n{_describe(response, request)}"
    assert "sl-violations" not in response.headers, f"{operation}: accepted with violations\n" + _describe(
        response, request
    )
    declared = success_type(operation.module)
    if response.status_code == 204:
        assert response.parsed is None, f"{operation}: a 204 parsed into {response.parsed!r}"
        return
    assert response.parsed is not None, f"{operation}: {response.status_code} with nothing parsed"
    assert conforms(response.parsed, declared), (
        f"{operation}: parsed {type(response.parsed).__name__}, sync declares {declared}"
    )


def _path_values(normalized_spec: Mapping[str, Any], operation: Operation) -> tuple[dict[str, Any], dict[str, Any]]:
    """(keyword arguments, values by spec name) for the path parameters."""
    kwargs = path_arguments(normalized_spec, operation)
    names = [p["name"] for p in operation.parameters if p["in"] == "path"]
    return kwargs, dict(zip(names, kwargs.values(), strict=True))


def _assert_sent_body(operation: Operation, request: httpx.Request, content_type: str, payload: Any) -> None:
    """The SDK sent the typed body, serialized, with the operation's content type."""
    sent_type = request.headers.get("content-type", "")
    assert sent_type.startswith(content_type), f"{operation}: sent Content-Type {sent_type!r}, spec has {content_type}"
    if content_type == "application/json":
        assert json.loads(request.content) == payload, f"{operation}: the JSON sent is not the sample payload"
    elif content_type == "application/x-www-form-urlencoded":
        assert dict(parse_qsl(request.content.decode())) == {k: str(v) for k, v in payload.items()}
    else:  # multipart/form-data: each field is a part
        for name in payload:
            assert f'name="{name}"'.encode() in request.content, f"{operation}: no multipart part {name!r}"


def test_every_operation_is_covered(spec_operations: dict[str, Operation]) -> None:
    """The parametrized ids are exactly the spec's operations; the paginated ones (and only they) have iterate()."""
    assert sorted(spec_operations) == OPERATION_IDS
    assert len(OPERATION_IDS) == EXPECTED_OPERATIONS
    assert len(LIST_OPERATION_IDS) == EXPECTED_LIST_OPERATIONS
    assert _SURFACE["paginated"] == LIST_OPERATION_IDS
    with_body = {
        op for op, operation in spec_operations.items() if "body" in typing.get_type_hints(operation.module.sync)
    }
    assert with_body == set(BODY_OPERATION_IDS)


@pytest.mark.parametrize("operation_id", OPERATION_IDS)
def test_operation_is_accepted_and_parsed(
    operation_id: str,
    static: Session,
    normalized_spec: dict[str, Any],
    spec_operations: dict[str, Operation],
    body_samples: dict[str, list[BodySample]],
) -> None:
    """Valid path/query arguments and a typed body: Prism answers 2xx and the SDK parses the declared type."""
    operation = _operation(spec_operations, operation_id)
    kwargs, by_name = _path_values(normalized_spec, operation)
    kwargs |= query_arguments(normalized_spec, operation)
    sample = richest(body_samples[operation_id]) if operation_id in body_samples else None
    if sample is not None:
        kwargs["body"] = typed_body(operation.module, *sample)
    response, request = _call(static, operation, kwargs)
    assert request.method == operation.method.upper()
    assert request.url.path == operation.path.format(**by_name), f"{operation}: sent {request.url}"
    if sample is not None:
        _assert_sent_body(operation, request, *sample)
    _assert_accepted_and_parsed(operation, response, request)


@pytest.mark.parametrize("operation_id", BODY_OPERATION_IDS)
def test_every_sample_body_is_accepted(
    operation_id: str,
    static: Session,
    normalized_spec: dict[str, Any],
    spec_operations: dict[str, Operation],
    body_samples: dict[str, list[BodySample]],
) -> None:
    """Every sampled body (all union branches, optionals, enum values), sent as typed models, is accepted."""
    operation = _operation(spec_operations, operation_id)
    samples = body_samples.get(operation_id, [])
    assert samples, f"{operation}: the surface has a body but the raw spec gave no sample"
    path_kwargs, _ = _path_values(normalized_spec, operation)
    failures: list[str] = []
    for index, (content_type, payload) in enumerate(samples):
        response, request = _call(
            static, operation, path_kwargs | {"body": typed_body(operation.module, content_type, payload)}
        )
        _assert_sent_body(operation, request, content_type, payload)
        try:
            _assert_accepted_and_parsed(operation, response, request)
        except AssertionError as exc:
            failures.append(f"sample {index}: {json.dumps(payload)[:300]}\n{exc}")
    assert not failures, f"{len(failures)} of {len(samples)} samples failed:\n" + "\n\n".join(failures)


@pytest.mark.parametrize("operation_id", QUERY_OPERATION_IDS)
def test_optional_query_parameters_are_accepted(
    operation_id: str,
    static: Session,
    normalized_spec: dict[str, Any],
    spec_operations: dict[str, Operation],
    body_samples: dict[str, list[BodySample]],
) -> None:
    """Every query parameter filled with a valid value (enums, booleans, arrays, unions) is sent and accepted."""
    operation = _operation(spec_operations, operation_id)
    assert has_query_parameters(operation)
    kwargs, _ = _path_values(normalized_spec, operation)
    kwargs |= query_arguments(normalized_spec, operation, optional=True)
    if operation_id in body_samples:
        kwargs["body"] = typed_body(operation.module, *richest(body_samples[operation_id]))
    response, request = _call(static, operation, kwargs)
    sent = set(request.url.params.keys())
    declared = {p["name"] for p in operation.parameters if p["in"] == "query"}
    assert sent == declared, f"{operation}: sent query {sorted(sent)}, declared {sorted(declared)}"
    _assert_accepted_and_parsed(operation, response, request)


@pytest.mark.parametrize("operation_id", LIST_OPERATION_IDS)
def test_iterate_yields_typed_entries(
    operation_id: str, static: Session, normalized_spec: dict[str, Any], spec_operations: dict[str, Operation]
) -> None:
    """``iterate()`` turns the first page Prism serves into entries of the declared entry type."""
    operation = _operation(spec_operations, operation_id)
    path_kwargs, _ = _path_values(normalized_spec, operation)
    (entry_type,) = typing.get_args(typing.get_type_hints(operation.module.iterate)["return"])
    first = next(iter(operation.module.iterate(client=static.client, **path_kwargs)), None)
    assert first is not None, f"{operation}: the first page Prism served had no entries"
    assert conforms(first, entry_type), f"{operation}: iterate yielded {type(first).__name__}, declares {entry_type}"


@pytest.mark.parametrize("operation_id", LIST_OPERATION_IDS)
def test_list_operation_parses_dynamic_pages(
    operation_id: str,
    dynamic: Session,
    normalized_spec: dict[str, Any],
    spec_operations: dict[str, Operation],
    dynamic_tally: DynamicTally,
) -> None:
    """Three random, spec-valid pages from ``prism -d`` each parse through ``sync`` into the declared type."""
    operation = _operation(spec_operations, operation_id)
    path_kwargs, _ = _path_values(normalized_spec, operation)
    declared = success_type(operation.module)
    for _ in range(DYNAMIC_CALLS):
        dynamic.recorder.clear()
        try:
            parsed = operation.module.sync(client=dynamic.client, **path_kwargs)
        except SigmaAPIError as exc:
            request = dynamic.recorder.requests[-1] if dynamic.recorder.requests else None
            detail = _describe(exc.response, request) if exc.response is not None else str(exc)
            pytest.fail(f"{operation}: {exc.status_code} from dynamic Prism\n{detail}")
        body = dynamic.recorder.responses[-1].content
        assert conforms(parsed, declared), f"{operation}: parsed {type(parsed).__name__} from {body[:300]!r}"
        dynamic_tally.parsed += 1
        dynamic_tally.payloads.add(body)
        dynamic_tally.operations.add(operation_id)


def test_client_gets_its_token_from_prism(prism_url: str) -> None:
    """A Client on Prism fetches its bearer token from the mocked POST /v2/auth/token, then calls the API with it."""
    with _session(prism_url) as session:
        me = who_am_i.sync(client=session.client)
        token_request, api_request = session.recorder.requests
        assert api_request.url.path == "/v2/whoami"
        assert (token_request.method, token_request.url.path) == ("POST", TOKEN_PATH)
        assert token_request.headers["authorization"].startswith("Basic ")
        assert dict(parse_qsl(token_request.content.decode())) == {"grant_type": "client_credentials"}
        token = session.recorder.responses[0].json()["access_token"]
        assert api_request.headers["authorization"] == f"Bearer {token}"
        assert me.user_id
