"""The leaf measurement in ``scripts/_samples/``: which scalars of a payload a parsed model types."""

from __future__ import annotations

import datetime
import enum
import importlib
import json
import shutil
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import _samples as samples
import pytest
from attrs import define as _attrs_define
from attrs import field as _attrs_field

from tests._support.payloads import schema_payloads


def test_leaf_paths_lists_scalars_and_empty_containers() -> None:
    """leaf_paths gives every path to a scalar, empty dict or empty list."""
    payload = {"a": 1, "b": {"c": [True, None, {}], "d": []}, "e": {}}
    assert samples.leaf_paths(payload) == {("a",), ("b", "c", 0), ("b", "c", 1), ("b", "c", 2), ("b", "d"), ("e",)}
    assert samples.leaf_paths("x") == {()}


class Unset:
    def __bool__(self) -> bool:
        return False


UNSET = Unset()


Shade = Literal["light", "dark"]  # what ``literal_enums: true`` generates instead of an Enum class


class Color(str, enum.Enum):  # noqa: UP042 - the generator writes enums this way
    RED = "red"


@_attrs_define
class Child:
    """Mimics the generator: ``child_name`` is JSON ``childName``; extras untyped."""

    child_name: str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        if not isinstance(self.child_name, Unset):
            field_dict["childName"] = self.child_name
        return field_dict

    @classmethod
    def from_dict(cls, src: Mapping[str, Any]) -> Child:
        d = dict(src)
        obj = cls(child_name=d.pop("childName", UNSET))
        obj.additional_properties = d
        return obj


@_attrs_define
class Labels:
    """A typed map (``additionalProperties: {$ref: Child}``)."""

    additional_properties: dict[str, Child] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {k: v.to_dict() for k, v in self.additional_properties.items()}


@_attrs_define
class Parent:
    """Renamed keys (``class_``, ``created_at``), unions, lists, a raw ``Any`` and untyped extras."""

    thing_id: str
    class_: str | Unset = UNSET
    created_at: datetime.datetime | Unset = UNSET
    color: Color | Unset = UNSET
    shade: Shade | Unset = UNSET
    child: Child | Unset = UNSET
    children: list[Child] | Unset = UNSET
    either: Child | str | Unset = UNSET
    labels: Labels | Unset = UNSET
    maybe: float | Unset | None = UNSET
    anything: Any | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict["thingId"] = self.thing_id
        if not isinstance(self.class_, Unset):
            field_dict["class"] = self.class_
        if not isinstance(self.created_at, Unset):
            field_dict["createdAt"] = self.created_at.isoformat()
        if not isinstance(self.color, Unset):
            field_dict["color"] = self.color.value
        if not isinstance(self.shade, Unset):
            field_dict["shade"] = self.shade
        if not isinstance(self.child, Unset):
            field_dict["child"] = self.child.to_dict()
        if not isinstance(self.children, Unset):
            field_dict["children"] = [c.to_dict() for c in self.children]
        if not isinstance(self.either, Unset):
            field_dict["either"] = self.either.to_dict() if isinstance(self.either, Child) else self.either
        if not isinstance(self.labels, Unset):
            field_dict["labels"] = self.labels.to_dict()
        if not isinstance(self.maybe, Unset):
            field_dict["maybe"] = self.maybe
        if not isinstance(self.anything, Unset):
            field_dict["anything"] = self.anything
        return field_dict


def test_typed_leaf_paths_follows_typed_attributes_only() -> None:
    """Typed attributes count (under their JSON keys); extras, Any values and raw dicts do not."""
    labels = Labels()
    labels.additional_properties = {"en": Child(child_name="x")}
    extra_child = Child.from_dict({"childName": "c", "loose": 1})
    parent = Parent(
        thing_id="t",
        class_="k",
        created_at=datetime.datetime(2024, 1, 2, tzinfo=datetime.UTC),
        color=Color.RED,
        shade="dark",
        child=extra_child,
        children=[Child(), Child(child_name="y")],
        either="plain",
        labels=labels,
        maybe=1,  # from_dict leaves a JSON integer as int in a float field
        anything={"raw": [1, 2]},
    )
    parent.additional_properties = {"extra": {"deep": 1}}
    payload = parent.to_dict()
    typed = samples.typed_leaf_paths(parent)
    assert typed <= samples.leaf_paths(payload)
    assert samples.leaf_paths(payload) - typed == {
        ("extra", "deep"),
        ("child", "loose"),
        ("anything", "raw", 0),
        ("anything", "raw", 1),
    }
    assert ("children", 0) in typed  # an empty model is a typed empty object
    assert ("labels", "en", "childName") in typed
    assert ("shade",) in typed  # a Literal alias, resolved in the model's module
    assert samples.json_keys(parent)["class_"] == "class"


@_attrs_define
class Guarded:
    """A union of list types: the template checks ``isinstance(..., list)`` with no ``else``."""

    table_path: list[str]
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        if isinstance(self.table_path, list):
            table_path = self.table_path
        return {**self.additional_properties, "path": table_path}


def test_typed_leaf_paths_falls_back_to_value_matching() -> None:
    """When tracers cannot pass a template's isinstance guard, keys are matched by value."""
    model = Guarded(table_path=["db", "schema"])
    assert samples.json_keys(model) == {"table_path": "path"}
    assert samples.typed_leaf_paths(model) == {("path", 0), ("path", 1)}


def test_typed_leaf_paths_of_lists_and_scalars_at_the_root() -> None:
    """A list of models or a bare scalar at the root is typed; a raw dict at the root is not."""
    assert samples.typed_leaf_paths([Child(child_name="a")]) == {(0, "childName")}
    assert samples.typed_leaf_paths("text") == {()}
    assert samples.typed_leaf_paths({"a": 1}) == set()


def test_typed_leaf_paths_on_real_generated_models(tmp_path: Path) -> None:
    """Against openapi-python-client 0.29.1 output: round trip holds and only free-form leaves are untyped."""
    cli = shutil.which("openapi-python-client", path=str(Path(sys.executable).parent)) or shutil.which(
        "openapi-python-client"
    )
    if cli is None:
        pytest.skip("openapi-python-client is not installed")
    spec: dict[str, Any] = {
        "openapi": "3.1.0",
        "info": {"title": "probe", "version": "1"},
        "paths": {
            "/x": {
                "post": {
                    "operationId": "postX",
                    "requestBody": {
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}}
                    },
                    "responses": {"200": {"description": "ok"}},
                }
            }
        },
        "components": {
            "schemas": {
                "Thing": {
                    "type": "object",
                    "required": ["thingId"],
                    "properties": {
                        "thingId": {"type": "string"},
                        "class": {"type": "string"},
                        "2nd": {"type": "integer"},
                        "createdAt": {"type": "string", "format": "date-time"},
                        "kind": {"type": "string", "enum": ["a", "b"]},
                        "child": {"$ref": "#/components/schemas/Child"},
                        "children": {"type": "array", "items": {"$ref": "#/components/schemas/Child"}},
                        "either": {"oneOf": [{"$ref": "#/components/schemas/Child"}, {"type": "string"}]},
                        "free": {"type": "object", "additionalProperties": {}},
                        "labels": {"type": "object", "additionalProperties": {"type": "string"}},
                        "maybe": {"type": ["number", "null"]},
                    },
                },
                "Child": {"type": "object", "properties": {"childName": {"type": "string"}}},
            }
        },
    }
    (tmp_path / "spec.json").write_text(json.dumps(spec))
    package = "samples_probe_client"
    subprocess.run(  # noqa: S603 - fixed arguments, our own venv's generator
        [cli, "generate", "--path", "spec.json", "--meta", "none", "--output-path", package],
        cwd=tmp_path,
        check=True,
        capture_output=True,
    )
    sys.path.insert(0, str(tmp_path))
    try:
        thing_cls = importlib.import_module(f"{package}.models.thing").Thing
        untyped: set[tuple[str | int, ...]] = set()
        for payload in schema_payloads(spec["components"]["schemas"]["Thing"], spec):
            model = thing_cls.from_dict(payload)
            assert model.to_dict() == payload
            untyped |= samples.leaf_paths(payload) - samples.typed_leaf_paths(model)
        assert untyped == {("free", samples.EXTRA_KEY)}
    finally:
        sys.path.remove(str(tmp_path))
        for name in [m for m in sys.modules if m == package or m.startswith(package + ".")]:
            del sys.modules[name]
