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
