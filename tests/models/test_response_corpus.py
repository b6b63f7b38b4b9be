"""Recorded response shapes from public integrations (models/_corpus.py), replayed through each operation's sync().

Every entry parses, or raises ResponseValidationError: never a bare KeyError, TypeError or JSON error.
With the spec corrections in place, every entry of this corpus parses.
"""

from __future__ import annotations

import datetime
from collections import Counter
from typing import Any

import httpx
import pytest

from sigma_sdk import Client
from sigma_sdk.errors import ResponseValidationError
from sigma_sdk.types import File
from tests._support.spec import load_normalized_spec, richest_request_bodies
from tests.contract._arguments import call_arguments, operations

from ._corpus import CORPUS, Recorded


def _answer(recorded: Recorded) -> httpx.Response:
    if recorded.body is None:
        return httpx.Response(recorded.status)
    if isinstance(recorded.body, bytes):
        return httpx.Response(recorded.status, content=recorded.body, headers={"content-type": "text/csv"})
    return httpx.Response(recorded.status, json=recorded.body)


def _json_of(value: Any) -> Any:
    if hasattr(value, "to_dict"):
        return value.to_dict()
    return value


def _same_instants(node: Any) -> Any:
    """Date-times compared as instants: Sigma writes `...477Z`, Python's isoformat `...477000+00:00`."""
    if isinstance(node, dict):
        return {key: _same_instants(value) for key, value in node.items()}
    if isinstance(node, list):
        return [_same_instants(value) for value in node]
    if isinstance(node, str) and len(node) >= 20 and node[4:5] == "-" and node[10:11] == "T":
        return datetime.datetime.fromisoformat(node)
    return node


@pytest.fixture(scope="module")
def replayed() -> list[tuple[Recorded, str, Any]]:
    """Each corpus entry through its operation's public sync(): (entry, outcome, parsed value or error)."""
    spec = load_normalized_spec()
    by_id = {operation.operation_id: operation for operation in operations(spec)}
    bodies = richest_request_bodies()
    results: list[tuple[Recorded, str, Any]] = []
    for recorded in CORPUS:
        operation = by_id[recorded.operation_id]
        transport = httpx.MockTransport(
            lambda request, recorded=recorded: (
                httpx.Response(200, json={"access_token": "t", "expires_in": 3600})
                if request.url.path == "/v2/auth/token"
                else _answer(recorded)
            )
        )
        with Client("https://api.sigma.test", "id", "secret", max_retries=0, transport=transport) as client:
            try:
                value = operation.module.sync(client=client, **call_arguments(spec, operation, bodies))
            except ResponseValidationError as error:
                results.append((recorded, "ResponseValidationError", error))
                continue
        results.append((recorded, "parsed", value))
    sources = Counter(recorded.provenance.split(": ")[0].split("/blob/")[0] for recorded in CORPUS)
    print(f"\ncorpus: {len(CORPUS)} entries, {len(sources)} sources, {Counter(r[1] for r in results)}")
    return results


def test_every_corpus_entry_has_a_provenance_line() -> None:
    """Each recorded shape names the public source it comes from."""
    assert len(CORPUS) >= 20
    assert all(recorded.provenance.startswith("https://") and ": " in recorded.provenance for recorded in CORPUS)


def test_every_recorded_shape_parses(replayed: list[tuple[Recorded, str, Any]]) -> None:
    """With the corrections applied, every shape Sigma was recorded sending parses (none raises)."""
    failures = [f"{r.operation_id}: {value}" for r, outcome, value in replayed if outcome != "parsed"]
    assert failures == []


def test_recorded_json_round_trips_through_the_models(replayed: list[tuple[Recorded, str, Any]]) -> None:
    """Every parsed JSON entry gives back exactly the recorded body from to_dict()."""
    for recorded, _, value in replayed:
        if isinstance(recorded.body, dict):
            assert _same_instants(_json_of(value)) == _same_instants(recorded.body), recorded.provenance


def test_the_download_entries_are_bytes_and_none(replayed: list[tuple[Recorded, str, Any]]) -> None:
    """The recorded 204 is None and the recorded CSV is a File of its bytes."""
    downloads = {recorded.status: value for recorded, _, value in replayed if recorded.operation_id == "downloadQuery"}
    assert downloads[204] is None
    assert isinstance(downloads[200], File)
    assert downloads[200].payload.read() == b"Id,Status\n1,shipped\n"
