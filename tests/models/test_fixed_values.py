"""Single-value enums and fixed discriminators in responses: open to a newer Sigma; requests stay strict."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest
import respx
from _codegen._fixed_values import open_fixed_values

from sigma_sdk import Client
from sigma_sdk.api.connections import v_3_alpha_get_connection
from sigma_sdk.api.teams import get_team_user_attribute_assignments
from sigma_sdk.models import ConnectionDetails, DefaultValue, UnknownVariant
from tests._support.payloads import json_of
from tests.conftest import BASE_URL, CLIENT_ID, CLIENT_SECRET, FakeSigma


@pytest.fixture
def router(fake_sigma: FakeSigma) -> Iterator[respx.MockRouter]:
    with respx.mock(base_url=BASE_URL, assert_all_called=False) as router:
        yield router


def test_v3alpha_connection_accepts_non_databricks_details(router: respx.MockRouter, fake_sigma: FakeSigma) -> None:
    """GET /v3alpha/connections/{id} of a Snowflake connection parses: its details are an UnknownVariant."""
    snowflake = {
        "connectionId": "c-1",
        "name": "Warehouse",
        "details": {"type": "snowflake", "account": "acme", "warehouse": "WH", "authType": "key-pair"},
    }
    router.get("/v3alpha/connections/c-1").respond(200, json=snowflake)
    router.route().mock(side_effect=fake_sigma.handle)
    with Client(BASE_URL, CLIENT_ID, CLIENT_SECRET) as client:
        connection = v_3_alpha_get_connection.sync("c-1", client=client)
    assert isinstance(connection.details, UnknownVariant)
    assert connection.details["account"] == "acme"
    assert json_of(connection) == snowflake


def test_v3alpha_databricks_details_stay_typed(router: respx.MockRouter, fake_sigma: FakeSigma) -> None:
    """A Databricks connection still parses into the typed ConnectionDetails."""
    databricks = {
        "connectionId": "c-2",
        "name": "Lakehouse",
        "details": {
            "type": "databricks",
            "serverHostname": "dbc.example.com",
            "httpPath": "/sql/1.0/warehouses/abc",
            "authentication": {"type": "service-account", "serviceAccount": {"type": "access-token"}},
        },
    }
    router.get("/v3alpha/connections/c-2").respond(200, json=databricks)
    router.route().mock(side_effect=fake_sigma.handle)
    with Client(BASE_URL, CLIENT_ID, CLIENT_SECRET) as client:
        connection = v_3_alpha_get_connection.sync("c-2", client=client)
    assert isinstance(connection.details, ConnectionDetails)
    assert connection.details.server_hostname == "dbc.example.com"


def test_user_attribute_of_a_new_type_parses(router: respx.MockRouter, fake_sigma: FakeSigma) -> None:
    """A user attribute value of a type the spec does not list ({"type": "number"}) parses and round-trips."""
    page = {
        "entries": [
            {"userAttributeId": "ua-1", "userAttributeName": "region", "value": {"type": "string", "val": "EU"}},
            {"userAttributeId": "ua-2", "userAttributeName": "quota", "value": {"type": "number", "val": 5}},
        ],
        "nextPage": None,
    }
    router.get("/v2/teams/t-1/user-attributes").respond(200, json=page)
    router.route().mock(side_effect=fake_sigma.handle)
    with Client(BASE_URL, CLIENT_ID, CLIENT_SECRET) as client:
        parsed = get_team_user_attribute_assignments.sync("t-1", client=client)
    known, new = (entry.value for entry in parsed.entries)
    assert isinstance(known, DefaultValue)
    assert known.val == "EU"
    assert isinstance(new, UnknownVariant)
    assert new["val"] == 5
    assert json_of(parsed) == page


# -- the pass, on a synthetic spec ----------------------------------------------------------------

_KIND = {"type": "object", "required": ["type"], "properties": {"type": {"type": "string", "const": "a"}}}


def _spec() -> dict[str, Any]:
    ref = "#/components/schemas/"
    return {
        "paths": {},
        "components": {
            "schemas": {
                "Variant": copy.deepcopy(_KIND),
                "BranchA": copy.deepcopy(_KIND),
                "BranchB": {"type": "object", "properties": {"type": {"type": "string", "const": "b"}}},
                "Holder": {
                    "type": "object",
                    "properties": {
                        "details": {"$ref": ref + "Variant"},
                        "either": {"anyOf": [{"$ref": ref + "BranchA"}, {"$ref": ref + "BranchB"}]},
                        "mode": {"type": "string", "const": "fixed"},
                    },
                    "required": ["mode"],
                },
                "RequestOnly": {"type": "object", "properties": {"kind": {"type": "string", "const": "x"}}},
            }
        },
    }


def test_the_pass_opens_each_kind_of_fixed_value_and_leaves_requests_alone() -> None:
    """Branch consts stay; a fixed discriminator becomes a one-branch union; other consts become open enums."""
    spec = _spec()
    schemas = spec["components"]["schemas"]
    open_fixed_values(spec, [{"$ref": "#/components/schemas/Holder"}], {"Holder", "Variant", "BranchA", "BranchB"})
    holder = schemas["Holder"]["properties"]
    assert holder["details"] == {"anyOf": [{"$ref": "#/components/schemas/Variant"}]}
    assert schemas["Variant"]["properties"]["type"] == {"type": "string", "const": "a"}  # now a branch: const
    assert schemas["BranchA"]["properties"]["type"]["const"] == "a"
    assert schemas["BranchB"]["properties"]["type"]["const"] == "b"
    assert holder["mode"] == {"type": "string", "enum": ["fixed"]}
    assert schemas["RequestOnly"]["properties"]["kind"] == {"type": "string", "const": "x"}
