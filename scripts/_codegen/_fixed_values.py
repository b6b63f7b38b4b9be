"""Fixed values in responses: single-value enums and fixed discriminators stay open to a newer Sigma.

Sigma writes a kind marker as a one-value enum (``type: enum [databricks]``, ``type: enum [string]``),
which ``enum_singletons_to_const`` turns into a ``const`` the generator checks strictly: a value Sigma
adds later (a Snowflake connection's details, a user attribute of type ``number``) then fails the
whole call. The ``open_fixed_values`` pass runs after naming (so no model name moves) and decides
per place a response can reach:

* **selects a union branch** (the object is a branch of a ``oneOf``/``anyOf``): stays ``const``;
  the union, opened by ``open_response_unions``, keeps an unknown kind as an ``UnknownVariant``;
* **a fixed discriminator outside any union**: an object-valued field whose object has a required
  ``const`` (v3alpha connection ``details``, typed Databricks-only; a user attribute's ``value``)
  becomes a one-branch union, hence a branch (above), and ``open_response_unions`` adds the
  ``UnknownVariant`` beside it;
* **any other ``const``** in a response object: back to a one-value enum, which is open
  (``Literal[value] | UnknownValue``); a required one keeps its value as default, so constructing
  the model needs no argument for it;
* **request-only**: untouched, ``const`` (a misspelt request literal stays a type error). A model
  shared by requests and responses gets the open enum, which still refuses a misspelt literal.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ._json import iter_dicts

__all__ = ["open_fixed_values"]

JSON = Any
_SCHEMA_PREFIX = "#/components/schemas/"


def _const(schema: JSON) -> bool:
    return isinstance(schema, dict) and isinstance(schema.get("const"), str)


def open_fixed_values(spec: dict[str, JSON], roots: list[JSON], reached: set[str]) -> dict[str, JSON]:
    """Open the fixed values of response objects (see the module docstring); ``roots`` are the 2xx
    response schemas and ``reached`` the component names they lead to."""
    components: dict[str, JSON] = (spec.get("components") or {}).get("schemas") or {}

    def resolve(node: JSON) -> JSON:
        ref = node.get("$ref") if isinstance(node, dict) else None
        if isinstance(ref, str) and ref.startswith(_SCHEMA_PREFIX):
            return components.get(ref[len(_SCHEMA_PREFIX) :])
        return node

    def variant(node: JSON) -> bool:
        """An object with a required one-value kind: one variant of a set Sigma may extend."""
        target = resolve(node)
        if not isinstance(target, dict) or not isinstance(target.get("properties"), dict):
            return False
        required = set(target.get("required") or ())
        return any(_const(schema) and name in required for name, schema in target["properties"].items())

    def response_nodes() -> Iterator[dict[str, JSON]]:
        for root in (*roots, *(components[name] for name in sorted(reached) if name in components)):
            yield from iter_dicts(root)

    for node in list(response_nodes()):  # fixed discriminators outside unions become one-branch unions
        properties = node.get("properties")
        if isinstance(properties, dict):
            for name, schema in list(properties.items()):
                if isinstance(schema, dict) and "anyOf" not in schema and "oneOf" not in schema and variant(schema):
                    properties[name] = {"anyOf": [schema]}

    branches: set[int] = set()
    for node in iter_dicts([spec.get("paths"), components]):
        for keyword in ("anyOf", "oneOf"):
            for branch in node.get(keyword) or ():
                branches.add(id(branch))
                target = resolve(branch)
                if isinstance(target, dict):
                    branches.add(id(target))

    for node in response_nodes():
        properties = node.get("properties")
        if not isinstance(properties, dict) or id(node) in branches:
            continue
        for schema in properties.values():
            if _const(schema):
                value = schema.pop("const")
                schema.pop("title", None)  # the generator names the enum after its model and field
                schema["type"] = "string"
                schema["enum"] = [value]
    return spec
