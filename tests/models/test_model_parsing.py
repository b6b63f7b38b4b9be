"""The lean `from_dict` of templates/model.py.jinja: positional construction, unknown keys, bad input."""

from __future__ import annotations

import ast
import datetime
import importlib
import types

import attrs
import pytest

from sigma_sdk.models import Connection, ListConnectionsResponse
from sigma_sdk.types import UNSET
from tests._support.payloads import connection_payload
from tests._support.spec import ROOT, committed_surface

MODELS = ROOT / "sigma_sdk" / "models"


def _json_key_of_each_field(module: ast.Module) -> dict[str, str]:
    """Field name -> JSON key, read from `to_dict`, which writes each field under its key."""
    keys: dict[str, str] = {}
    for node in ast.walk(module):
        if isinstance(node, ast.Dict):  # field_dict.update({"key": field, ...})
            for key, value in zip(node.keys, node.values, strict=True):
                if isinstance(key, ast.Constant) and isinstance(value, ast.Name):
                    keys[value.id] = key.value
        elif (  # field_dict["key"] = field
            isinstance(node, ast.Assign)
            and isinstance(node.targets[0], ast.Subscript)
            and isinstance(node.targets[0].slice, ast.Constant)
            and isinstance(node.value, ast.Name)
        ):
            keys[node.value.id] = node.targets[0].slice.value
    return keys


def _json_key_read_by(argument: ast.expr) -> str | None:
    """The JSON key an argument of `cls(...)` reads from `src_dict`, or None if it passes a local."""
    for node in ast.walk(argument):
        if isinstance(node, ast.Subscript) and getattr(node.value, "id", None) == "src_dict":
            return str(ast.literal_eval(node.slice))
        if isinstance(node, ast.Call) and ast.unparse(node.func) == "src_dict.get":
            return str(ast.literal_eval(node.args[0]))
    return None


def _constructor_call(module: ast.Module) -> ast.Call:
    from_dict = next(n for n in ast.walk(module) if isinstance(n, ast.FunctionDef) and n.name == "from_dict")
    return next(
        n
        for n in ast.walk(from_dict)
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Name) and n.func.id == "cls"
    )


def test_every_positional_argument_lands_in_its_own_field() -> None:
    """In every model, argument i of `cls(...)` reads the JSON key of attrs field i (or the local of that name)."""
    checked, models = 0, 0
    for path in sorted(MODELS.glob("*.py")):
        module = ast.parse(path.read_text(encoding="utf-8"))
        classes = [n for n in module.body if isinstance(n, ast.ClassDef) and "from_dict" in ast.unparse(n)]
        if not classes:
            continue  # an enum or union alias module
        cls = getattr(importlib.import_module(f"sigma_sdk.models.{path.stem}"), classes[0].name)
        init_fields = [field.name for field in attrs.fields(cls) if field.init]
        call = _constructor_call(module)
        models += 1
        assert call.keywords == [], f"{path.name}: keyword arguments came back"
        assert len(call.args) == len(init_fields), path.name
        json_keys = _json_key_of_each_field(module)
        for field_name, argument in zip(init_fields, call.args, strict=True):
            read = _json_key_read_by(argument)
            if read is None:
                assert isinstance(argument, ast.Name), (path.name, field_name)
                assert argument.id == field_name, (path.name, field_name)
            else:
                assert read == json_keys[field_name], (path.name, field_name, read)
            checked += 1
    # Every model and every field, not a handful (415 models, 1,400+ fields in spec 2.0.0): as many
    # as the committed surface lists for the generated classes.
    classes = committed_surface()["classes"].values()
    assert models == sum("fields" in entry for entry in classes)
    assert checked >= sum(len(entry["fields"]) for entry in classes if "fields" in entry) > 0


def test_a_payload_of_required_keys_parses_into_typed_fields() -> None:
    """Required keys land in their fields, datetimes are parsed, absent optional fields stay UNSET."""
    connection = Connection.from_dict(connection_payload(name="Warehouse"))
    assert (connection.connection_id, connection.name, connection.type_) == ("c-1", "Warehouse", "snowflake")
    assert connection.created_at == datetime.datetime(2024, 1, 2, 3, 4, 5, tzinfo=datetime.UTC)
    assert connection.warehouse is UNSET
    assert connection.additional_properties == {}


def test_unknown_keys_are_kept_as_additional_properties_and_written_back() -> None:
    """A key the spec does not know is kept, next to present optional fields, and round-trips."""
    payload = connection_payload(warehouse="WH", newSigmaField={"nested": [1, 2]})
    connection = Connection.from_dict(payload)
    assert connection.warehouse == "WH"
    assert connection.additional_properties == {"newSigmaField": {"nested": [1, 2]}}
    assert connection.to_dict() == payload


def test_parsed_models_do_not_share_their_additional_properties() -> None:
    """Two models parsed without unknown keys get separate dicts: writing to one leaves the other alone."""
    first, second = (Connection.from_dict(connection_payload()) for _ in range(2))
    first["note"] = "mine"
    assert "note" not in second


def test_a_missing_required_key_raises_key_error_naming_it() -> None:
    """Bad input is not silently filled in: the missing key is named."""
    payload = connection_payload()
    del payload["connectionId"]
    with pytest.raises(KeyError, match="connectionId"):
        Connection.from_dict(payload)


def test_any_mapping_is_accepted_and_left_unchanged() -> None:
    """`from_dict` reads a read-only Mapping and never mutates the caller's payload."""
    payload = connection_payload(extra=1)
    snapshot = dict(payload)
    connection = Connection.from_dict(types.MappingProxyType(payload))
    assert connection.additional_properties == {"extra": 1}
    assert payload == snapshot


def test_nested_lists_are_parsed_per_item() -> None:
    """A page's `entries` become one typed model per item, in order."""
    page = ListConnectionsResponse.from_dict({"entries": [connection_payload(i) for i in range(3)], "nextPage": None})
    assert [entry.connection_id for entry in page.entries] == ["c-0", "c-1", "c-2"]
    assert all(isinstance(entry, Connection) for entry in page.entries)


@pytest.mark.parametrize("payload", [["connectionId", "c-1"], "c-1", 42, None])
def test_a_payload_that_is_not_an_object_is_a_type_error_naming_the_model(payload: object) -> None:
    """A list, string, number or null where a JSON object belongs is rejected with the model's name."""
    with pytest.raises(TypeError, match=r"Connection\.from_dict\(\) takes a JSON object .*not "):
        Connection.from_dict(payload)  # type: ignore[arg-type]
