"""A 2xx body the declared type cannot hold: sync() raises ResponseValidationError, sync_detailed() never raises.

Every operation of the surface (the spec's and the additions of openapi/corrections.toml) gets each kind of
malformed body over ``httpx.MockTransport``; the outcome must be a parsed value or a ``ResponseValidationError``,
nothing else.
"""

from __future__ import annotations

import copy
import json
import logging
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from _samples import SAMPLE_DATETIME

from sigma_sdk import Client
from sigma_sdk.api.connections import list_connections
from sigma_sdk.api.files import files_list
from sigma_sdk.api.query import download_query
from sigma_sdk.api.workbooks import get_element_columns, list_workbooks
from sigma_sdk.errors import ResponseValidationError, SigmaError
from sigma_sdk.models import Inode, UnknownVariant
from sigma_sdk.types import UnknownValue
from tests._support.payloads import connection_payload
from tests._support.spec import committed_surface, corrected_payloads, load_normalized_spec, richest_request_bodies
from tests.contract._arguments import Operation, call_arguments, operations

Body = tuple[bytes, str]  # (content, content type)


def _client(answer: Callable[[httpx.Request], httpx.Response]) -> Client:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v2/auth/token":
            return httpx.Response(200, json={"access_token": "tok", "token_type": "bearer", "expires_in": 3600})
        return answer(request)

    mock = httpx.MockTransport(handler)  # serves the sync and the async pool alike
    return Client("https://api.sigma.test", "id", "secret", max_retries=0, transport=mock, async_transport=mock)


def _answering(status: int, content: bytes, content_type: str = "application/json", **headers: str) -> Client:
    return _client(lambda _: httpx.Response(status, content=content, headers={"content-type": content_type, **headers}))


def _page(*entries: dict[str, Any], **extra: Any) -> bytes:
    return json.dumps({"entries": list(entries), "nextPage": None, **extra}).encode()


def test_a_missing_required_field_names_the_operation_the_json_path_and_keeps_the_body() -> None:
    """The error says operationId, method, path, status, request id and `entries[1].connectionId`; body is kept."""
    broken = connection_payload(name="b")
    del broken["connectionId"]
    content = _page(connection_payload(name="a"), broken)
    client = _answering(200, content, **{"x-request-id": "req-42"})
    with client, pytest.raises(ResponseValidationError) as caught:
        list_connections.sync(client=client)
    error = caught.value
    assert (error.operation_id, error.method, error.path) == ("listConnections", "GET", "/v2/connections")
    assert (error.status_code, error.request_id, error.json_path) == (200, "req-42", "entries[1].connectionId")
    assert error.expected == "a required field"
    assert error.body == json.loads(content)
    assert error.response.content == content
    assert "listConnections (GET /v2/connections)" in str(error)
    assert "entries[1].connectionId" in str(error)
    assert isinstance(error, SigmaError)


@pytest.mark.parametrize(
    ("value", "found"),
    [(None, "null"), ("yesterday", "the string 'yesterday'"), (17, "the number 17")],
)
def test_a_bad_date_time_is_located_with_what_was_found(value: object, found: str) -> None:
    """null, a non-ISO string or a number in a date-time field: path, expected and found are named."""
    entry = connection_payload(name="a")
    entry["createdAt"] = value
    with _answering(200, _page(entry)) as client, pytest.raises(ResponseValidationError) as caught:
        list_connections.sync(client=client)
    assert caught.value.json_path == "entries[0].createdAt"
    assert caught.value.expected == "an ISO 8601 date-time string"
    assert caught.value.found == found


def test_a_list_where_an_object_belongs_is_named_at_the_top() -> None:
    """A bare array for an object response: the path is the body itself and the body is kept."""
    with _answering(200, b"[1, 2]") as client, pytest.raises(ResponseValidationError) as caught:
        list_connections.sync(client=client)
    assert (caught.value.json_path, caught.value.body) == ("", [1, 2])
    assert "ListConnectionsResponse" in caught.value.expected


def test_html_and_empty_bodies_keep_their_text() -> None:
    """A proxy's HTML login page or an empty 200: the text is kept in `.body`, the content type is named."""
    html = b"<html><body>Please sign in</body></html>"
    with _answering(200, html, "text/html") as client, pytest.raises(ResponseValidationError) as caught:
        list_connections.sync(client=client)
    assert caught.value.body == html.decode()
    assert "text/html that is not JSON" in caught.value.found
    with _answering(200, b"") as client, pytest.raises(ResponseValidationError) as caught:
        list_connections.sync(client=client)
    assert caught.value.found == "an empty body"


def test_sync_detailed_never_raises_and_carries_the_error() -> None:
    """`sync_detailed()` returns parsed=None with `Response.error` set; a good body has error None."""
    with _answering(200, b'{"entries": [{"oops": 1}], "nextPage": null}') as client:
        detailed = list_connections.sync_detailed(client=client)
    assert detailed.parsed is None
    assert isinstance(detailed.error, ResponseValidationError)
    assert detailed.error.json_path.startswith("entries[0].")  # the first required field it lacks
    assert detailed.error.expected == "a required field"
    with _answering(200, _page(connection_payload(name="a"))) as client:
        good = list_connections.sync_detailed(client=client)
    assert good.error is None
    assert good.parsed is not None


ECHOED_TOKEN = "tok-" + "Z" * 40 + "-end"


def _echoing(answer: Callable[[httpx.Request], httpx.Response]) -> Client:
    """A client whose token is ECHOED_TOKEN, answered by ``answer`` (which sees the bearer header)."""

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/v2/auth/token":
            return httpx.Response(200, json={"access_token": ECHOED_TOKEN, "expires_in": 3600})
        return answer(request)

    return Client("https://api.sigma.test", "id", "secret", max_retries=0, transport=httpx.MockTransport(handler))


def test_a_proxy_page_echoing_the_bearer_token_is_scrubbed_from_the_error() -> None:
    """A 200 text page quoting `Authorization: Bearer <token>` shows `***` in sync()'s and sync_detailed()'s error."""

    def echo(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, text=f"Authorization: {request.headers['authorization']}\nHost: x")

    with _echoing(echo) as client, pytest.raises(ResponseValidationError) as caught:
        list_connections.sync(client=client)
    assert ECHOED_TOKEN[:8] not in str(caught.value)
    assert "'Authorization: Bearer *** Host: x'" in caught.value.found
    with _echoing(echo) as client:
        detailed = list_connections.sync_detailed(client=client)
    assert detailed.error is not None
    assert ECHOED_TOKEN[:8] not in str(detailed.error)


def test_a_json_value_quoting_the_token_is_scrubbed_before_it_is_cut() -> None:
    """A bad field whose string holds the token past the 80-character cut is described with `***`, no piece of it."""

    def echo(request: httpx.Request) -> httpx.Response:
        entry = connection_payload(name="a")
        entry["createdAt"] = "x" * 60 + request.headers["authorization"]  # the token straddles the cut
        return httpx.Response(200, content=_page(entry))

    with _echoing(echo) as client, pytest.raises(ResponseValidationError) as caught:
        list_connections.sync(client=client)
    assert caught.value.json_path == "entries[0].createdAt"
    assert ECHOED_TOKEN[:8] not in str(caught.value)
    assert caught.value.found == "the string " + repr("x" * 60 + "Bearer ***")


def test_a_body_nested_too_deeply_for_python_is_a_response_validation_error() -> None:
    """`[` x 100000: sync() raises ResponseValidationError and sync_detailed() returns it, never RecursionError."""
    deep = b"[" * 100_000 + b"]" * 100_000
    with _answering(200, deep) as client, pytest.raises(ResponseValidationError) as caught:
        list_connections.sync(client=client)
    assert caught.value.found.startswith("JSON nested too deeply to decode: '[[[")
    with _answering(200, deep) as client:
        detailed = list_connections.sync_detailed(client=client)
    assert isinstance(detailed.error, ResponseValidationError)
    assert detailed.parsed is None


def test_iterate_treats_a_page_without_next_page_as_the_last() -> None:
    """A page that leaves `nextPage` out ends the iteration (no KeyError, no further request)."""
    calls: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        calls.append(str(request.url))
        return httpx.Response(200, json={"entries": [connection_payload(name="only")]})

    with _client(answer) as client:
        names = [connection.name for connection in list_connections.iterate(client=client)]
    assert (names, len(calls)) == (["only"], 1)


def test_element_columns_without_formula_parse() -> None:
    """Element columns as Sigma sends them, `{columnId, label}`, parse (spec correction)."""
    body = _page({"columnId": "inode-x/Order Id", "label": "Order Id"}, total=1, hasMore=False)
    with _answering(200, body) as client:
        page = get_element_columns.sync("wb", "el", client=client)
    assert page.entries[0].label == "Order Id"
    assert page.to_dict() == json.loads(body)


@pytest.mark.parametrize(
    ("content", "content_type"),
    [(b"id,name\n1,a\n", "text/csv"), (b"%PDF-1.7\n\x00\xff binary", "application/pdf")],
)
def test_download_returns_the_files_bytes_without_decoding(content: bytes, content_type: str) -> None:
    """A 200 CSV or PDF comes back as a File holding exactly the bytes and the content type."""
    with _answering(200, content, content_type) as client:
        file = download_query.sync("q-1", client=client)
    assert file is not None
    assert (file.payload.read(), file.mime_type) == (content, content_type)


def test_download_204_while_the_export_runs_is_none() -> None:
    """A bodiless 204 is None from sync() and sync_detailed(), with no error."""
    with _client(lambda _: httpx.Response(204)) as client:
        assert download_query.sync("q-1", client=client) is None
        detailed = download_query.sync_detailed("q-1", client=client)
    assert (detailed.status_code, detailed.parsed, detailed.error) == (204, None, None)


def _file_entry(name: str, **changes: Any) -> dict[str, Any]:
    entry = {"id": f"id-{name}", "urlId": f"u-{name}", "name": name, "type": "workbook", "parentId": "p",
             "parentUrlId": "pu", "permission": "view", "path": "Team", "badge": None, "isArchived": False,
             "createdBy": "m", "updatedBy": "m",
             "createdAt": SAMPLE_DATETIME, "updatedAt": SAMPLE_DATETIME}  # fmt: skip
    return {**entry, **changes}


def test_unknown_enum_values_are_kept_round_trip_and_are_logged_once(caplog: pytest.LogCaptureFixture) -> None:
    """A new inode `type` and a new `permission` parse as UnknownValue, round-trip, one DEBUG line per field."""
    body = _page(_file_entry("a", type="semantic-layer", permission="own"), _file_entry("b", type="semantic-layer"))
    with caplog.at_level(logging.DEBUG, logger="sigma_sdk"), _answering(200, body) as client:
        page = files_list.sync(client=client)
    first, second = page.entries
    assert isinstance(first, Inode)
    assert isinstance(second, Inode)
    assert isinstance(first.type_, UnknownValue)
    assert first.type_ == second.type_ == "semantic-layer"
    assert isinstance(first.permission, UnknownValue)
    assert first.permission == "own"
    assert second.permission == "view"
    assert not isinstance(second.permission, UnknownValue)
    assert page.to_dict() == json.loads(body)
    logged = [r.getMessage() for r in caplog.records if r.name == "sigma_sdk"]
    assert len([line for line in logged if "'semantic-layer'" in line]) == 1
    assert len([line for line in logged if "'own'" in line]) == 1


def test_data_model_is_a_known_inode_type() -> None:
    """`data-model` (spec correction) is a known value, not an UnknownValue."""
    with _answering(200, _page(_file_entry("dm", type="data-model"))) as client:
        (entry,) = files_list.sync(client=client).entries
    assert isinstance(entry, Inode)
    assert entry.type_ == "data-model"
    assert not isinstance(entry.type_, UnknownValue)


def test_an_entry_matching_no_branch_is_an_unknown_variant_not_the_error_model() -> None:
    """A files entry of an unforeseen shape becomes UnknownVariant with all keys, never the per-item error."""
    novel = {"id": "x", "kind": "hologram"}
    with _answering(200, _page(novel)) as client:
        (entry,) = files_list.sync(client=client).entries
    assert isinstance(entry, UnknownVariant)
    assert entry.to_dict() == novel


def test_an_object_matching_no_union_branch_is_kept_whole() -> None:
    """A workbook schedule target of a kind Sigma adds later parses as UnknownVariant with every key."""
    from sigma_sdk.models import ScheduleConfigV2NotificationAttachment

    novel = {"kind": "hologram", "resolution": 8}
    attachment = ScheduleConfigV2NotificationAttachment.from_dict({"formatOptions": novel})
    assert isinstance(attachment.format_options, UnknownVariant)
    assert attachment.format_options.additional_properties == novel
    assert attachment.to_dict() == {"formatOptions": novel}


def test_workbook_entries_carry_workspace_id_typed() -> None:
    """`workspaceId` on workbook entries lands in a typed attribute (spec correction), `total` on the page."""
    entry = {"workbookId": "w1", "workbookUrlId": "u1", "name": "Sales", "url": "https://x/w", "path": "Team",
             "latestVersion": 3, "ownerId": "o", "createdBy": "o", "updatedBy": "o", "workspaceId": "ws-1",
             "createdAt": SAMPLE_DATETIME, "updatedAt": SAMPLE_DATETIME}  # fmt: skip
    with _answering(200, _page(entry, total=1)) as client:
        page = list_workbooks.sync(client=client)
    assert (page.entries[0].workspace_id, page.total) == ("ws-1", 1)


# --- every operation, every kind of malformed body --------------------------------------------


def _datetime_paths(node: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if node == SAMPLE_DATETIME:
        yield path
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from _datetime_paths(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _datetime_paths(value, (*path, index))


def _replaced(payload: Any, path: tuple[Any, ...], value: Any) -> Any:
    copied = copy.deepcopy(payload)
    target = copied
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return copied


def _without_first_key(payload: Any) -> Any:
    copied = copy.deepcopy(payload)
    target = copied
    while isinstance(target, dict) and target:
        key = next(iter(target))
        if isinstance(target[key], dict | list) and target[key]:
            target = target[key] if isinstance(target[key], dict) else target[key][0]
            continue
        del target[key]
        break
    return copied


def _malformed(sample: Any) -> dict[str, Body]:
    """Each kind of malformed 2xx body, derived from one valid sample of the operation's response."""
    other_shape = {"unexpected": True} if isinstance(sample, list) else [{"unexpected": True}]
    kinds = {
        "HTML page": (b"<!doctype html><html><body>Sign in</body></html>", "text/html"),
        "empty body": (b"", "application/json"),
        "truncated JSON": (json.dumps(sample).encode()[: max(1, len(json.dumps(sample)) // 2)], "application/json"),
        "list vs object": (json.dumps(other_shape).encode(), "application/json"),
        "missing field": (json.dumps(_without_first_key(sample)).encode(), "application/json"),
    }
    dates = list(_datetime_paths(sample))
    if dates:
        kinds["null date"] = (json.dumps(_replaced(sample, dates[0], None)).encode(), "application/json")
        kinds["bad date"] = (json.dumps(_replaced(sample, dates[0], "31/12/2024")).encode(), "application/json")
    return kinds


@pytest.fixture(scope="module")
def outcomes() -> dict[str, Counter[str]]:
    """Run every malformed body through every operation's sync() and sync_detailed(); tally the outcomes."""
    spec = load_normalized_spec()
    bodies = richest_request_bodies()
    samples: dict[str, Any] = {}
    for operation_id, where, content_type, payload in corrected_payloads():
        if where.startswith("response:2") and content_type == "application/json":
            samples.setdefault(operation_id, payload)
    tally: dict[str, Counter[str]] = {}
    current: list[Body] = [(b"", "")]
    ops: list[Operation] = operations(spec)
    assert len(ops) == len(committed_surface()["operations"])
    with _client(
        lambda _: httpx.Response(200, content=current[0][0], headers={"content-type": current[0][1]})
    ) as client:
        for operation in ops:
            kwargs = call_arguments(spec, operation, bodies)
            for kind, body in _malformed(samples.get(operation.operation_id, {})).items():
                current[0] = body
                counter = tally.setdefault(kind, Counter())
                try:
                    operation.module.sync(client=client, **kwargs)
                    sync_outcome = "parsed"
                except ResponseValidationError:
                    sync_outcome = "ResponseValidationError"
                except Exception as exc:  # the failure this test exists to catch
                    sync_outcome = f"{operation.operation_id}: {exc!r}"
                detailed = operation.module.sync_detailed(client=client, **kwargs)  # must not raise
                detailed_outcome = "parsed" if detailed.error is None else "error"
                if detailed.error is not None:
                    assert detailed.parsed is None
                    assert detailed.error.operation_id == operation.operation_id
                counter[f"sync: {sync_outcome} | detailed: {detailed_outcome}"] += 1
    print(f"\nkind of malformed 2xx body -> outcomes over {len(ops)} operations")
    for kind, counter in tally.items():
        print(f"  {kind}: {dict(counter)}")
    return tally


def test_every_operation_parses_or_raises_response_validation_error(outcomes: dict[str, Counter[str]]) -> None:
    """Every operation x each malformed body: sync() parses or raises ResponseValidationError, nothing else."""
    allowed = {"sync: parsed | detailed: parsed", "sync: ResponseValidationError | detailed: error"}
    stray = {kind: [key for key in counter if key not in allowed] for kind, counter in outcomes.items()}
    assert {kind: keys for kind, keys in stray.items() if keys} == {}
    assert sum(outcomes["HTML page"].values()) == len(committed_surface()["operations"])
    # Operations with a JSON body refuse HTML, emptiness and truncation; the others (204s, the download) parse.
    assert outcomes["HTML page"]["sync: ResponseValidationError | detailed: error"] >= 150


async def test_asyncio_raises_and_asyncio_detailed_returns_the_error() -> None:
    """The async twins behave like sync(): asyncio() raises, asyncio_detailed() carries `error`."""
    async with _answering(200, b"<html>proxy</html>", "text/html") as client:
        with pytest.raises(ResponseValidationError) as caught:
            await list_connections.asyncio(client=client)
        detailed = await list_connections.asyncio_detailed(client=client)
    assert caught.value.operation_id == "listConnections"
    assert detailed.parsed is None
    assert isinstance(detailed.error, ResponseValidationError)
