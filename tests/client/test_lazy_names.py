"""Lazy loading keeps every public name: importable at run time and visible to mypy."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import mypy.api
import pytest

import sigma_sdk
import sigma_sdk.api
import sigma_sdk.errors
import sigma_sdk.models
from tests._support.spec import ROOT


def _lazy_packages() -> list[str]:
    return ["sigma_sdk.models", "sigma_sdk.api", *(f"sigma_sdk.api.{tag}" for tag in sigma_sdk.api.__all__)]


def test_every_listed_name_imports() -> None:
    """Each name in `__all__` of the package, models, errors, api and every tag package resolves."""
    for module_name in ["sigma_sdk", "sigma_sdk.errors", *_lazy_packages()]:
        module = importlib.import_module(module_name)
        missing = [name for name in module.__all__ if getattr(module, name, None) is None]
        assert missing == [], module_name
    assert len(sigma_sdk.models.__all__) > 400
    assert sorted(dir(sigma_sdk.models)) == sorted(sigma_sdk.models.__all__)


def test_unknown_names_raise_attribute_error() -> None:
    """A name that is not listed is an AttributeError naming it, not a silent None."""
    for module_name in _lazy_packages():
        module = importlib.import_module(module_name)
        with pytest.raises(AttributeError, match="no_such_name"):
            module.no_such_name  # noqa: B018 - the attribute access is the behaviour under test


def test_importing_one_model_loads_only_what_it_needs() -> None:
    """`from sigma_sdk.models import X` imports X's module and its references, not all model modules."""
    code = (
        "import sys; from sigma_sdk import Client; from sigma_sdk.models import CreateConnectionRequest; "
        "print(sum(m.startswith('sigma_sdk.models.') for m in sys.modules), "
        "sum(m.startswith('sigma_sdk.api.') for m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)  # noqa: S603
    models_loaded, endpoints_loaded = map(int, out.stdout.split())
    assert 1 <= models_loaded < 10
    assert endpoints_loaded == 0


def test_mypy_sees_every_lazy_name(tmp_path: Path) -> None:
    """mypy --strict resolves every name the lazy packages list, through their TYPE_CHECKING imports."""
    lines = ["from __future__ import annotations", "import sigma_sdk.api", "import sigma_sdk.models", ""]
    for name in sigma_sdk.models.__all__:
        lines.append(f"print(sigma_sdk.models.{name})")
    for tag in sigma_sdk.api.__all__:
        tag_module = importlib.import_module(f"sigma_sdk.api.{tag}")
        lines += [f"print(sigma_sdk.api.{tag}.{module}.sync_detailed)" for module in tag_module.__all__]
    program = tmp_path / "every_name.py"
    program.write_text("\n".join(lines) + "\n", encoding="utf-8")
    stdout, stderr, status = mypy.api.run(
        [
            "--strict",
            "--config-file",
            str(ROOT / "pyproject.toml"),
            "--cache-dir",
            str(ROOT / ".mypy_cache"),
            str(program),
        ]
    )
    assert status == 0, stdout[-3000:] + stderr


# What `from sigma_sdk import Client` and a model import must leave unloaded (each costs import time):
# File and Response are attrs classes only endpoint modules use; response checks and pagination
# are runtime names only endpoint modules use; RetryPolicy, an attrs class, is built on first use.
_DEFERRED_MODULES = (
    "sigma_sdk_auth._endpoint_types",
    "sigma_sdk_auth._validation",
    "sigma_sdk_auth._pagination",
    "sigma_sdk_auth._retry_policy",
)


def test_importing_the_client_and_a_model_defers_endpoint_only_modules() -> None:
    """`from sigma_sdk import Client` plus a model import loads none of the modules only endpoints need."""
    code = (
        "import sys; from sigma_sdk import Client; from sigma_sdk.models import CreateConnectionRequest; "
        f"print([m for m in {_DEFERRED_MODULES!r} if m in sys.modules])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)  # noqa: S603
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize("module_name", ["sigma_sdk.types", "sigma_sdk_auth.types", "sigma_sdk_auth.runtime"])
def test_deferred_names_resolve_to_one_object(module_name: str) -> None:
    """Each deferred name of types and runtime loads on first use, is in dir(), and is one object every time."""
    code = (
        "import importlib, sys\n"
        f"module = importlib.import_module({module_name!r})\n"
        "deferred = [n for n in module.__all__ if n not in vars(module)]\n"
        "first = {n: getattr(module, n) for n in deferred}\n"
        "assert all(getattr(module, n) is first[n] for n in deferred)\n"
        "assert set(module.__all__) <= set(dir(module))\n"
        "print(sorted(deferred))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)  # noqa: S603
    expected = {
        "sigma_sdk.types": ["File", "FileTypes", "RequestFiles", "Response"],
        "sigma_sdk_auth.types": ["File", "FileTypes", "RequestFiles", "Response"],
        "sigma_sdk_auth.runtime": [
            "Operation",
            "aiterate_pages",
            "iterate_pages",
            "next_cursor",
            "parse_body",
            "parse_detailed",
        ],
    }[module_name]
    assert out.stdout.strip() == repr(expected)


def test_deferred_types_are_the_runtime_classes_under_their_public_name() -> None:
    """sigma_sdk.types.File/Response are sigma_sdk_auth's classes, named and pickled as `sigma_sdk.types.*`."""
    import pickle

    import sigma_sdk.types
    import sigma_sdk_auth.types

    assert sigma_sdk.types.File is sigma_sdk_auth.types.File
    assert sigma_sdk.types.Response is sigma_sdk_auth.types.Response
    assert repr(sigma_sdk.types.Response) == "<class 'sigma_sdk.types.Response'>"
    response = sigma_sdk.types.Response(status_code=200, content=b"{}", headers={}, parsed=None)
    assert pickle.loads(pickle.dumps(response)) == response  # noqa: S301 - our own bytes


def test_unknown_names_of_the_deferring_modules_raise_attribute_error() -> None:
    """A name the packages, types or runtime do not define is an AttributeError naming it, not a silent None."""
    import sigma_sdk.types
    import sigma_sdk_auth.runtime
    import sigma_sdk_auth.types

    for module in (sigma_sdk, sigma_sdk_auth, sigma_sdk.types, sigma_sdk_auth.types, sigma_sdk_auth.runtime):
        with pytest.raises(AttributeError, match="no_such_name"):
            module.no_such_name  # noqa: B018 - the attribute access is the behaviour under test


def test_the_models_package_leaves_its_imports_to_the_stub() -> None:
    """models/__init__.py holds no model imports (bytecode every import would load); __init__.pyi imports each one."""
    import ast

    package = ROOT / "sigma_sdk" / "models"
    runtime_imports = [
        node for node in ast.walk(ast.parse((package / "__init__.py").read_text(encoding="utf-8")))
        if isinstance(node, ast.ImportFrom) and node.level
    ]  # fmt: skip
    assert runtime_imports == []
    stub = ast.parse((package / "__init__.pyi").read_text(encoding="utf-8"))
    imports = [node for node in stub.body if isinstance(node, ast.ImportFrom)]
    assert {alias.name: f".{node.module}" for node in imports for alias in node.names} == sigma_sdk.models._MODULE_OF


def test_retry_policy_is_built_on_first_use_as_one_class() -> None:
    """A client built without a policy builds RetryPolicy; sigma_sdk and sigma_sdk_auth then export that class."""
    code = (
        "import sys, sigma_sdk, sigma_sdk_auth\n"
        "assert 'sigma_sdk_auth._retry_policy' not in sys.modules\n"
        "client = sigma_sdk.Client('https://api.sigmacomputing.com', 'id', 'secret')\n"
        "assert type(client.retry_policy) is sigma_sdk.RetryPolicy is sigma_sdk_auth.RetryPolicy\n"
        "print(repr(sigma_sdk.RetryPolicy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT)  # noqa: S603
    assert out.stdout.strip() == "<class 'sigma_sdk.RetryPolicy'>"
