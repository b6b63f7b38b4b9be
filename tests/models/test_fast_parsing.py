"""The `fast` extra (sigma_sdk_auth/_fast.py) against the generated `from_dict` path, payload by payload.

Every response body the suite knows is parsed twice through the real seam (``parse_detailed``), once
with the fast path forced off and once forced on, and the two outcomes must be the same: objects of the
same types, equal, with equal ``to_dict()``, UNSET where the other has UNSET, ``UnknownValue`` and
``UnknownVariant`` where the other has them; or errors of the same type, message and JSON path.

Families (each test prints its payload count):
- spec samples: every 2xx JSON response sample of every operation (scripts/_samples/);
- next release: the same samples mutated as a newer Sigma answers (tests/models/test_next_release.py: new enum
  values and fields, new union variants, new fixed values);
- recorded corpus: the shapes public integrations recorded (tests/_corpus.py);
- malformed bodies: every kind tests/models/test_response_validation.py sends each operation;
- edge cases: every sample with odd timestamps, big and negative integers, floats and ints swapped,
  nulls, extra fields, and bodies only the decoders may disagree on (NaN, duplicate keys, a BOM,
  lone surrogates, UTF-16, very deep nesting).
"""

from __future__ import annotations

import copy
import datetime
import json
import subprocess
import sys
import typing
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import attrs
import httpx
import pytest
from _samples import SAMPLE_DATETIME

from sigma_sdk.errors import ResponseValidationError
from sigma_sdk.types import Unset
from sigma_sdk_auth import _fast
from sigma_sdk_auth._validation import parse_body, parse_detailed
from tests._support.spec import corrected_payloads
from tests.models._corpus import CORPUS
from tests.models.test_next_release import Reach, _module, mutate
from tests.models.test_response_validation import _malformed

pytest.importorskip("msgspec")

Parse = Callable[[httpx.Response], Any]
Body = tuple[int, bytes, str]  # status, content, content type


@pytest.fixture(autouse=True)
def _decide_anew() -> Iterator[None]:
    """Each test leaves the switch as it found it: decided from SIGMA_SDK_FAST on the next response."""
    yield
    _fast.force(None)


def _outcome(parse: Parse, operation: Any, body: Body, fast: bool) -> tuple[str, Any]:
    status, content, content_type = body
    response = httpx.Response(status, content=content, headers={"content-type": content_type})
    _fast.force(fast)
    parsed, error = parse_detailed(response, parse, operation)
    try:  # sync()'s seam: the same value, or the same error raised
        raised, returned = None, parse_body(response, parse, operation)
    except ResponseValidationError as exc:
        raised, returned = exc, None
    assert (str(raised), _dumps(returned)) == (str(error), _dumps(parsed))
    if error is not None:
        return "error", (type(error), str(error), error.json_path, error.expected, error.found, error.operation_id)
    return "parsed", parsed


def _differences(slow: Any, fast: Any, path: str = "$") -> Iterator[str]:
    """Where two parsed values differ in type, value, UNSET-ness or time zone."""
    if type(slow) is not type(fast):
        yield f"{path}: {type(slow).__name__} vs {type(fast).__name__}"
    elif attrs.has(type(slow)):
        for field in attrs.fields(type(slow)):
            yield from _differences(getattr(slow, field.name), getattr(fast, field.name), f"{path}.{field.name}")
    elif isinstance(slow, list):
        if len(slow) != len(fast):
            yield f"{path}: {len(slow)} vs {len(fast)} items"
        for index, (a, b) in enumerate(zip(slow, fast, strict=False)):
            yield from _differences(a, b, f"{path}[{index}]")
    elif isinstance(slow, dict):
        if list(slow) != list(fast):
            yield f"{path}: keys {list(slow)} vs {list(fast)}"
        for key in slow.keys() & fast.keys():
            yield from _differences(slow[key], fast[key], f"{path}.{key}")
    elif isinstance(slow, Unset):
        if slow is not fast:
            yield f"{path}: another Unset"
    elif isinstance(slow, datetime.datetime | datetime.date):
        if slow.isoformat() != fast.isoformat():
            yield f"{path}: {slow.isoformat()} vs {fast.isoformat()}"
    elif isinstance(slow, float) and slow != slow:  # NaN: equal to nothing, not even itself
        if fast == fast:
            yield f"{path}: nan vs {fast!r}"
    elif slow != fast:
        yield f"{path}: {slow!r} vs {fast!r}"


def _json_of(value: Any) -> Any:
    if isinstance(value, list):
        return [_json_of(item) for item in value]
    return value.to_dict() if hasattr(value, "to_dict") else value


def _dumps(value: Any) -> str:
    return json.dumps(_json_of(value), default=repr)


class Differential:
    """Parses bodies both ways and tallies what happened; ``failures`` lists every disagreement."""

    def __init__(self) -> None:
        self.tally: Counter[str] = Counter()
        self.failures: list[str] = []

    def check(self, operation_id: str, label: str, body: Body) -> None:
        module = _module(operation_id)
        parse, operation = module._parse_response, module._OPERATION
        slow_kind, slow = _outcome(parse, operation, body, fast=False)
        fast_kind, fast = _outcome(parse, operation, body, fast=True)
        response = httpx.Response(body[0], content=body[1])
        took_fast_path = _fast.parse_fast(response, parse) is not _fast.MISS
        self.tally["payloads"] += 1
        self.tally[f"{slow_kind}, {'fast path' if took_fast_path else 'fell back'}"] += 1
        where = f"{operation_id} {label}"
        if slow_kind != fast_kind:
            self.failures.append(f"{where}: {slow_kind} by from_dict, {fast_kind} by the fast path")
        elif slow_kind == "error":
            if slow != fast:
                self.failures.append(f"{where}: errors differ: {slow} vs {fast}")
        else:
            problems = list(_differences(slow, fast))
            text = _dumps(slow)
            if problems or text != _dumps(fast) or (slow != fast and "NaN" not in text):  # NaN equals nothing
                self.failures.append(f"{where}: {problems[:3] or 'not equal'}")
        if took_fast_path and slow_kind == "error":
            self.failures.append(f"{where}: the fast path parsed a body from_dict refuses")

    def report(self, family: str) -> None:
        print(f"\n{family}: {dict(self.tally)}")


def _json(payload: Any, status: int = 200) -> Body:
    return status, json.dumps(payload).encode(), "application/json"


def _response_samples() -> Iterator[tuple[str, int, Any]]:
    for operation_id, where, content_type, payload in corrected_payloads():
        if where.startswith("response:2") and where != "response:204" and content_type == "application/json":
            yield operation_id, int(where.split(":")[1]), payload


def _rewritten(node: Any, change: Callable[[Any], Any]) -> Any:
    """``node`` with ``change`` applied to every scalar (a change returning the value keeps it)."""
    if isinstance(node, dict):
        return {key: _rewritten(value, change) for key, value in node.items()}
    if isinstance(node, list):
        return [_rewritten(value, change) for value in node]
    return change(node)


def _with_extra_fields(node: Any) -> Any:
    if isinstance(node, dict):
        return {**{key: _with_extra_fields(value) for key, value in node.items()}, "sigmaNextField": [1, None]}
    if isinstance(node, list):
        return [_with_extra_fields(value) for value in node]
    return node


ODD_TIMESTAMPS = (
    "2024-01-02T03:04:05Z",
    "2024-01-02T03:04:05.123Z",
    "2024-01-02T03:04:05.1234567Z",  # a seventh digit: fromisoformat truncates, RFC 3339 parsers may round
    "2024-01-02T03:04:05.9999999+05:30",
    "2024-01-02t03:04:05z",  # lowercase: RFC 3339 allows it, fromisoformat (3.11) does not
    "2024-01-02 03:04:05+00:00",
    "2024-01-02T03:04:05",  # no offset: a naive datetime
    "2024-01-02T03:04:05-00:00",
    "2024-01-02T03:04:60Z",  # a leap second
    "2024-01-02",
    "20240102T030405Z",
    "2024-02-30T03:04:05Z",
)


def _scalar_mutations() -> dict[str, Callable[[Any], Any]]:
    def ints(replacement: Callable[[int], Any]) -> Callable[[Any], Any]:
        return lambda v: replacement(v) if isinstance(v, int) and not isinstance(v, bool) else v

    mutations: dict[str, Callable[[Any], Any]] = {
        f"timestamp {stamp!r}": (lambda v, new=stamp: new if v == SAMPLE_DATETIME else v) for stamp in ODD_TIMESTAMPS
    }
    mutations.update(
        {
            "integers past 64 bits": ints(lambda v: 2**64 + v),
            "integers below -2**63": ints(lambda v: -(2**63) - 1 - v),
            "integers as floats": ints(float),
            "floats as integers": lambda v: int(v) if isinstance(v, float) else v,
            "booleans as integers": lambda v: int(v) if isinstance(v, bool) else v,
            "strings as numbers": lambda v: 7 if isinstance(v, str) else v,
            "every value null": lambda v: None,
        }
    )
    return mutations


def test_spec_samples_parse_the_same_both_ways() -> None:
    """Every 2xx response sample of every operation: the same objects (or errors) with and without msgspec."""
    differential = Differential()
    for operation_id, status, payload in _response_samples():
        differential.check(operation_id, "sample", _json(payload, status))
    differential.report("spec samples")
    assert differential.failures == []
    assert differential.tally["payloads"] > 500
    # The fast path must actually carry the samples, not fall back on all of them.
    assert differential.tally["parsed, fast path"] > differential.tally["payloads"] // 2


def test_next_release_mutations_parse_the_same_both_ways() -> None:
    """New enum values, fields, union variants and fixed values: from_dict's objects, whichever path ran."""
    differential = Differential()
    touched = Reach()
    for operation_id, status, payload in _response_samples():
        declared = _module(operation_id)._parse_response.__annotations__["return"]
        for mode in ("values", "outer variants", "inner variants", "fixed values"):
            mutated = mutate(declared, copy.deepcopy(payload), f"{operation_id}.<body>", mode, touched)
            if mutated != payload or mode != "fixed values":
                differential.check(operation_id, mode, _json(mutated, status))
    differential.report("next-release mutations")
    assert differential.failures == []
    assert differential.tally["payloads"] > 600


def test_the_recorded_corpus_parses_the_same_both_ways() -> None:
    """Every recorded shape from public integrations: the same objects with and without msgspec."""
    differential = Differential()
    for recorded in CORPUS:
        if isinstance(recorded.body, dict | list):
            differential.check(recorded.operation_id, recorded.provenance, _json(recorded.body, recorded.status))
    differential.report("recorded corpus")
    assert differential.failures == []
    assert differential.tally["payloads"] >= 15  # the JSON ones; the CSV and the 204 are not parsed


def test_malformed_bodies_raise_the_same_errors_both_ways() -> None:
    """HTML, empty, truncated, wrong shape, missing field, null or bad date: the same error, message and path."""
    differential = Differential()
    first: dict[str, Any] = {}
    for operation_id, _, payload in _response_samples():
        first.setdefault(operation_id, payload)
    for operation_id, sample in first.items():
        for kind, (content, content_type) in _malformed(sample).items():
            differential.check(operation_id, kind, (200, content, content_type))
    differential.report("malformed bodies")
    assert differential.failures == []
    assert differential.tally["error, fell back"] > 500


def test_edge_case_values_parse_the_same_both_ways() -> None:
    """Odd timestamps, big ints, swapped numbers, nulls and extra fields in every sample: identical outcomes."""
    differential = Differential()
    samples = list(_response_samples())
    for label, change in _scalar_mutations().items():
        for operation_id, status, payload in samples:
            mutated = _rewritten(payload, change)
            if mutated != payload or type(mutated) is not type(payload):
                differential.check(operation_id, label, _json(mutated, status))
    for operation_id, status, payload in samples:
        differential.check(operation_id, "extra fields", _json(_with_extra_fields(payload), status))
    differential.report("edge-case values")
    assert differential.failures == []
    assert differential.tally["payloads"] > 2000


PAGE = {"entries": [], "nextPage": None}
RAW_BODIES = {
    "NaN": b'{"entries": [], "total": NaN}',
    "Infinity": b'{"entries": [], "total": Infinity}',
    "1e400": b'{"entries": [], "total": 1e400}',
    "4301-digit integer": b'{"entries": [], "total": ' + b"7" * 4301 + b"}",
    "duplicate keys": b'{"entries": [], "total": 1, "total": 2}',
    "duplicate keys, the first wrong": b'{"entries": [], "total": "one", "total": 2}',
    "a BOM": b'\xef\xbb\xbf{"entries": []}',
    "a lone surrogate": b'{"entries": [], "nextPage": "\\ud800"}',
    "UTF-16": json.dumps(PAGE).encode("utf-16"),
    "a control character": b'{"entries": [], "nextPage": "a\x01b"}',
    "trailing garbage": b'{"entries": []} []',
    "whitespace around": b' \n{"entries": []}\n ',
    "escaped keys": b'{"\\u0065ntries": [], "nextPage": null}',
    "deep nesting": b'{"entries": [], "sigmaNextField": ' + b"[" * 5000 + b"]" * 5000 + b"}",
    "escaped timestamp": json.dumps(
        {"entries": [{"organizationId": "o", "connectionId": "c", "isSample": False, "isAuditLog": False,
                      "lastActiveAt": "2024-01-02\\u005403:04:05Z", "name": "n", "type": "t", "useOauth": False,
                      "createdBy": "u", "updatedBy": "u", "createdAt": SAMPLE_DATETIME, "updatedAt": SAMPLE_DATETIME}]}
    ).encode().replace(b"\\\\u0054", b"\\u0054"),
}  # fmt: skip


@pytest.mark.parametrize("kind", sorted(RAW_BODIES))
def test_bodies_only_the_decoders_could_disagree_on_parse_the_same(kind: str) -> None:
    """Bodies json.loads and msgspec read differently (or not at all): the outcome is from_dict's."""
    differential = Differential()
    differential.check("listConnections", kind, (200, RAW_BODIES[kind], "application/json"))
    assert differential.failures == []


def test_an_unknown_enum_value_or_extra_field_falls_back_and_keeps_it() -> None:
    """A value the SDK does not know, or a new key, goes the from_dict way and stays in the model."""
    from sigma_sdk.api.connections import list_connections

    entry = {"organizationId": "o", "connectionId": "c", "isSample": False, "isAuditLog": False,
             "lastActiveAt": SAMPLE_DATETIME, "name": "n", "type": "t", "useOauth": False, "createdBy": "u",
             "updatedBy": "u", "createdAt": SAMPLE_DATETIME, "updatedAt": SAMPLE_DATETIME}  # fmt: skip
    known = httpx.Response(200, json={"entries": [entry]})
    extra = httpx.Response(200, json={"entries": [{**entry, "sigmaNextField": 1}]})
    _fast.force(True)
    assert _fast.parse_fast(known, list_connections._parse_response) is not _fast.MISS
    assert _fast.parse_fast(extra, list_connections._parse_response) is _fast.MISS
    parsed = parse_detailed(extra, list_connections._parse_response, list_connections._OPERATION)[0]
    assert parsed is not None
    assert parsed.entries[0].additional_properties == {"sigmaNextField": 1}


def test_every_model_response_parser_is_one_from_dict_call() -> None:
    """_fast replaces `Model.from_dict(response.json())` and its list loop only: every parser it takes is one."""
    import inspect
    import re
    from pathlib import Path

    taken = Counter[str]()
    for path in sorted(Path("sigma_sdk/api").glob("*/*.py")):
        if path.name == "__init__.py":
            continue
        module = _module_at(path)
        declared = module._parse_response.__annotations__.get("return")
        listed = typing.get_origin(declared) is list
        model = typing.get_args(declared)[0] if listed else declared
        if not _fast._is_model(model):
            continue
        taken["list" if listed else "model"] += 1
        name = model.__name__
        one = rf"response_\w+ = {name}\.from_dict\(response\.json\(\)\)"
        loop = (
            r"response_(\w+) = \[\]|_response_\w+ = response\.json\(\)|for response_\w+_item_data in _response_\w+:"
            rf"|response_\w+_item = {name}\.from_dict\(response_\w+_item_data\)"
            r"|response_\w+\.append\(response_\w+_item\)"
        )
        allowed = re.compile(
            rf"\s*(|if response\.status_code == \d+:|if \d+ <= response\.status_code <= \d+:"
            rf"|{loop if listed else one}|return response_\w+)"
        )
        body = inspect.getsource(module._parse_response).splitlines()[1:]
        assert [line for line in body if not allowed.fullmatch(line)] == [], module.__name__
    assert taken["model"] > 150
    assert taken["list"] >= 2


def _module_at(path: Any) -> Any:
    import importlib

    return importlib.import_module(f"sigma_sdk.api.{path.parent.name}.{path.stem}")


def test_switching_off_by_environment_and_without_msgspec(monkeypatch: pytest.MonkeyPatch) -> None:
    """SIGMA_SDK_FAST=0 or a missing msgspec: the fast path is off and parsing is the generated one."""
    monkeypatch.setenv("SIGMA_SDK_FAST", "0")
    _fast.reset()
    assert _fast.enabled() is False
    monkeypatch.setenv("SIGMA_SDK_FAST", "1")
    _fast.reset()
    assert _fast.enabled() is True
    monkeypatch.setitem(sys.modules, "msgspec", None)  # `import msgspec` now raises ImportError
    _fast.reset()
    assert _fast.enabled() is False
    with pytest.raises(ImportError):
        _fast.force(True)


def test_importing_the_sdk_and_parsing_nothing_does_not_import_msgspec() -> None:
    """msgspec is imported on the first response parsed, so `from sigma_sdk import Client` costs the same."""
    code = "import sys; from sigma_sdk import Client; from sigma_sdk.api.connections import list_connections; " \
           "print('msgspec' in sys.modules)"  # fmt: skip
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)  # noqa: S603
    assert out.stdout.strip() == "False"


def test_the_benchmark_measures_both_parsing_paths_against_raw_httpx() -> None:
    """scripts/bench.py part (b) times the default path, the fast path and raw httpx in one interleaved run."""
    import bench

    page = bench.bench_calls(entries=5, seconds=0.0)
    iterated = bench.bench_iterate(pages=2, per_page=5, seconds=0.0)
    for measured in (page, iterated):
        assert set(measured) == {"default", "fast", "httpx", "default_ratio", "fast_ratio"}
        assert all(value > 0 for value in measured.values())
