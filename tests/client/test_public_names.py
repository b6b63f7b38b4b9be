"""Public faces: the names users pass or catch import from sigma_sdk and report public module names."""

from __future__ import annotations

import traceback
import typing

import pytest
from _codegen._pagination import integer_totals

import sigma_sdk
import sigma_sdk.errors
import sigma_sdk.jobs
import sigma_sdk.testing
import sigma_sdk.types
from sigma_sdk.models import WorkbooksPage
from sigma_sdk.types import Unset

PUBLIC_MODULES = (sigma_sdk, sigma_sdk.errors, sigma_sdk.jobs, sigma_sdk.testing, sigma_sdk.types)


def test_retry_policy_imports_from_the_package() -> None:
    """`from sigma_sdk import RetryPolicy` works, as the README's retry section uses it."""
    from sigma_sdk import RetryPolicy
    from sigma_sdk_auth import RetryPolicy as RuntimeRetryPolicy

    assert RetryPolicy is RuntimeRetryPolicy
    assert "RetryPolicy" in sigma_sdk.__all__


@pytest.mark.parametrize("module", PUBLIC_MODULES, ids=lambda module: module.__name__)
def test_every_public_class_names_a_public_module(module: object) -> None:
    """Each class a public module exports says it lives in a module without an underscore-private part."""
    private = {}
    for name in module.__all__:  # type: ignore[attr-defined]
        value = getattr(module, name)
        if isinstance(value, type) and any(part.startswith("_") for part in value.__module__.split(".")):
            private[name] = value.__module__
    assert private == {}


def test_errors_and_unknown_values_report_where_users_import_them() -> None:
    """ConfigurationError is `sigma_sdk.errors.ConfigurationError` and UnknownValue `sigma_sdk.types.UnknownValue`."""
    assert sigma_sdk.errors.ConfigurationError.__module__ == "sigma_sdk.errors"
    assert sigma_sdk.types.UnknownValue.__module__ == "sigma_sdk.types"
    assert sigma_sdk.jobs.ExportResult.__module__ == "sigma_sdk.jobs"
    assert sigma_sdk.RetryPolicy.__module__ == "sigma_sdk"


def test_a_traceback_names_the_public_module() -> None:
    """An uncaught ConfigurationError prints as `sigma_sdk.errors.ConfigurationError`, not the private module."""
    with pytest.raises(sigma_sdk.errors.ConfigurationError) as caught:
        sigma_sdk.Client("aws-us-east", "id", "secret", max_retries=-1)
    printed = traceback.format_exception_only(caught.value)[-1]
    assert printed.startswith("sigma_sdk.errors.ConfigurationError: max_retries")


def test_a_page_total_is_an_int() -> None:
    """A page's `total` is typed `int` (a count), and parses Sigma's `"total": 104` as one."""
    assert WorkbooksPage.__annotations__["total"] in ("int | Unset", int | Unset)
    assert WorkbooksPage.from_dict({"entries": [], "total": 104}).total == 104


def test_integer_totals_retypes_only_page_totals() -> None:
    """`total: number` beside an `entries` array becomes integer; a `total` elsewhere is left alone."""
    page = {"properties": {"entries": {"type": "array"}, "total": {"type": "number"}}}
    sum_ = {"properties": {"total": {"type": "number"}}}
    spec = integer_totals({"components": {"schemas": {"Page": page, "Sum": sum_}}})
    assert spec["components"]["schemas"]["Page"]["properties"]["total"] == {"type": "integer"}
    assert spec["components"]["schemas"]["Sum"]["properties"]["total"] == {"type": "number"}


@pytest.mark.parametrize("module", PUBLIC_MODULES, ids=lambda module: module.__name__)
def test_type_hints_of_public_classes_still_resolve(module: object) -> None:
    """typing.get_type_hints works on every public class although its __module__ now names the public module."""
    unresolved = {}
    for name in module.__all__:  # type: ignore[attr-defined]
        value = getattr(module, name)
        if isinstance(value, type):
            try:
                typing.get_type_hints(value)
            except NameError as exc:
                unresolved[name] = str(exc)
    assert unresolved == {}
