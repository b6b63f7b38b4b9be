"""Deterministic sample payloads for an OpenAPI 3.1 spec, and leaf-field measurement.

Three tools for the tests that check the generated SDK against Sigma's spec (test tooling: it lives
in scripts/ so that ``mypy --strict`` checks it and tests/ holds tests; nothing the SDK ships imports it):

* ``sample_payloads(spec, schema)`` walks a JSON Schema and returns a small list of spec-valid
  instances that together use every ``oneOf``/``anyOf`` branch, every optional property, every enum
  value and every ``null`` of a nullable type. No randomness: the same spec gives the same list.
  ``iter_operation_payloads(spec)`` does it for every request body and every 2xx response.
* ``validate(spec, schema, payload)`` checks an instance with ``jsonschema`` (Draft 2020-12), the
  spec's ``$ref``s resolved (leniently: ``#components/...`` is read as ``#/components/...``).
* ``leaf_paths(payload)`` and ``typed_leaf_paths(model)`` measure how many of a payload's leaf fields
  a parsed model holds in typed attributes rather than in ``additional_properties`` or raw dicts.

How the walker keeps the set small: every place where an instance has a choice (a union branch, an
enum value, ``null`` or not, ``true``/``false``, an optional property, an extra key) is a *target*,
keyed by the schema node that offers it. Instance 0 is minimal (required properties only). Every
later instance fills all optional properties and, at each choice, takes the first option that is
itself unused, else the first that leads to an unused target, else option ``index % n``. Arrays and
maps get more items while that keeps covering something new. An instance that covers nothing new
gives up on what it aimed at; generation ends when nothing is left. Independent choices therefore
cost about as many instances as the widest of them, not their product; unions nested under one
branch add up (``createConnection``: 5 connection types with their own auth unions -> 12).

Choices are kept valid: ``allOf`` parts (with the ``oneOf`` inside them decided) are merged before
anything is generated; a dead end (contradictory parts) rolls the coverage back and bans the last
branch taken; a dead optional property, array item or extra key is left out and named in the
``SampleReport``. Under ``oneOf``, enum values that a sibling branch also accepts are avoided when
the branch has others. A ``$ref`` nested inside itself ``RECURSION_LIMIT`` deep is closed with a
branch that does not lead back to it (``ConstValCodec``'s records and arrays of records).

Sigma's spec has two defects no reading can make valid: ``type: "null"`` beside an ``allOf``/``oneOf``
of objects (19 places: no instance exists), and ``oneOf``s whose branches overlap (an instance of
one fits another too). ``lenient_spec`` reads the first as "null or the composition";
``validator(..., one_of_as_any_of=True)`` accepts the second the way the generated SDK parses
unions (first fitting branch wins). Both are opt-in and named; nothing else is relaxed.

Unsupported (absent from Sigma's spec, so not worth the code): ``not``, ``if``/``then``/``else``,
``prefixItems``, ``patternProperties``, ``dependentSchemas``, ``uniqueItems``, regex generation for
``pattern`` (a few fixed candidates are tried, else ``ValueError``), and OpenAPI 3.0's
``nullable`` keyword (3.1 spells it ``type: [..., "null"]``).

Modules, one concern each: ``_schema`` (types, constants, ``$ref`` resolution, the static graph of
targets), ``_flat`` (merging a node's ``allOf``/chosen branches into one view, scalar values),
``_walker`` (the walker and the payload API), ``_validation`` (``validate``, ``lenient_spec``) and
``_leaves`` (leaf measurement). Import from the package: ``from _samples import sample_payloads``.
"""

from __future__ import annotations

from ._flat import SchemaError
from ._leaves import json_keys, leaf_paths, typed_leaf_paths
from ._schema import (
    EXTRA_KEY,
    MAX_DEPTH,
    MAX_INSTANCES,
    MAX_REPEAT,
    MAX_RETRIES,
    RECURSION_LIMIT,
    SAMPLE_BYTE,
    SAMPLE_DATE,
    SAMPLE_DATETIME,
    SAMPLE_EMAIL,
    SAMPLE_TIME,
    SAMPLE_URI,
    SAMPLE_UUID,
    JSONPath,
    Target,
    deref,
    resolve_ref,
)
from ._validation import FORMAT_CHECKER, REPAIR_MARK, SPEC_URI, lenient_spec, validate, validator
from ._walker import (
    SampleReport,
    describe_target,
    iter_operation_payloads,
    iter_operation_schemas,
    node_index,
    sample_payloads,
    schema_targets,
)

__all__ = [
    "EXTRA_KEY",
    "FORMAT_CHECKER",
    "MAX_DEPTH",
    "MAX_INSTANCES",
    "MAX_REPEAT",
    "MAX_RETRIES",
    "RECURSION_LIMIT",
    "REPAIR_MARK",
    "SAMPLE_BYTE",
    "SAMPLE_DATE",
    "SAMPLE_DATETIME",
    "SAMPLE_EMAIL",
    "SAMPLE_TIME",
    "SAMPLE_URI",
    "SAMPLE_UUID",
    "SPEC_URI",
    "JSONPath",
    "SampleReport",
    "SchemaError",
    "Target",
    "deref",
    "describe_target",
    "iter_operation_payloads",
    "iter_operation_schemas",
    "json_keys",
    "leaf_paths",
    "lenient_spec",
    "node_index",
    "resolve_ref",
    "sample_payloads",
    "schema_targets",
    "typed_leaf_paths",
    "validate",
    "validator",
]
