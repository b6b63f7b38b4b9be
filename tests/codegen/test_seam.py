"""The seam: generated code reaches the hand-written runtime only through `sigma_sdk_auth.runtime`."""

from __future__ import annotations

import ast
from pathlib import Path

import sigma_sdk_auth
import sigma_sdk_auth.errors
import sigma_sdk_auth.jobs
import sigma_sdk_auth.testing
import sigma_sdk_auth.types
from sigma_sdk_auth import runtime
from tests._support.spec import committed_surface

GENERATED = Path(__file__).resolve().parents[2] / "sigma_sdk"
PUBLIC_MODULES = {
    "sigma_sdk_auth": {
        *sigma_sdk_auth.__all__,
        "errors",
        "jobs",
        "runtime",
        "testing",
        "types",
    },  # names, public modules
    "sigma_sdk_auth.errors": set(sigma_sdk_auth.errors.__all__),
    "sigma_sdk_auth.jobs": set(sigma_sdk_auth.jobs.__all__),  # sigma_sdk.jobs re-exports it
    "sigma_sdk_auth.runtime": set(runtime.__all__),
    "sigma_sdk_auth.testing": set(sigma_sdk_auth.testing.__all__),  # sigma_sdk.testing re-exports it
    "sigma_sdk_auth.types": set(sigma_sdk_auth.types.__all__),  # sigma_sdk.types re-exports it
}


def _trees() -> list[tuple[Path, ast.Module]]:
    return [(path, ast.parse(path.read_text(encoding="utf-8"))) for path in sorted(GENERATED.rglob("*.py"))]


def test_generated_code_imports_only_public_runtime_names() -> None:
    """No generated module imports an underscore module of sigma_sdk_auth or a name the seam does not export."""
    offences: list[str] = []
    runtime_users = 0
    for path, tree in _trees():
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                offences += [f"{path}: import {a.name}" for a in node.names if a.name.startswith("sigma_sdk_auth")]
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("sigma_sdk_auth"):
                allowed = PUBLIC_MODULES.get(node.module or "")
                if allowed is None:
                    offences.append(f"{path}: from {node.module} import ...")
                    continue
                runtime_users += node.module == "sigma_sdk_auth.runtime"
                allowed = {*allowed, "*", "__all__"}  # these take exactly a public module's list
                offences += [f"{path}: {node.module}.{a.name}" for a in node.names if a.name not in allowed]
    assert offences == []
    assert runtime_users >= len(committed_surface()["operations"])  # every endpoint module goes through the seam


def test_generated_code_calls_no_private_client_method() -> None:
    """Nothing under sigma_sdk/ touches an underscore attribute of a client (client._send and the like)."""
    offences = [
        f"{path}:{node.lineno}: {node.value.id}.{node.attr}"
        for path, tree in _trees()
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute)
        and isinstance(node.value, ast.Name)
        and node.value.id in {"client", "self"}
        and node.attr.startswith("_")
        and not node.attr.startswith("__")
    ]
    assert offences == []


def test_seam_exports_exist() -> None:
    """Every name in runtime.__all__ is defined, so a template can rely on it."""
    assert all(callable(getattr(runtime, name)) for name in runtime.__all__)
