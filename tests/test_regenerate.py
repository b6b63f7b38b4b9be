"""The regeneration pipeline: determinism, --check, the change report, and the generated package's shape."""

from __future__ import annotations

import copy
import importlib
import inspect
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import regenerate
from _codegen._surface import change_report, surface
from _codegen.normalize import iter_operations, normalize

from ._spec import ROOT, load_spec, spec_path

API = ROOT / "sigma_sdk" / "api"
SURFACE = ROOT / "openapi" / "api-surface.json"


def _endpoint_modules() -> dict[str, Any]:
    modules = {}
    for path in sorted(API.glob("*/*.py")):
        if path.name != "__init__.py":
            name = f"sigma_sdk.api.{path.parent.name}.{path.stem}"
            modules[name] = importlib.import_module(name)
    return modules


def test_every_operation_has_four_entry_points() -> None:
    """Each operation (the spec's and the additions) has sync, sync_detailed, asyncio and asyncio_detailed."""
    from openapi_python_client.strings import snake_case

    surface_ids = json.loads(SURFACE.read_text(encoding="utf-8"))["operations"]
    spec_ids = [op["operationId"] for op in iter_operations(load_spec())]
    assert set(spec_ids) <= set(surface_ids)  # the additions of openapi/corrections.toml come on top
    modules = _endpoint_modules()
    by_stem = {name.rsplit(".", 1)[1]: module for name, module in modules.items()}
    missing = [op for op in surface_ids if snake_case(op) not in by_stem]
    assert missing == []
    assert len(modules) == len(surface_ids)
    for module in modules.values():
        assert inspect.isfunction(module.sync)
        assert inspect.isfunction(module.sync_detailed)
        assert inspect.iscoroutinefunction(module.asyncio)
        assert inspect.iscoroutinefunction(module.asyncio_detailed)


def test_generated_files_carry_the_banner() -> None:
    """Every generated Python file starts with the do-not-edit banner; each copied one says where to edit it."""
    files = sorted((ROOT / "sigma_sdk").rglob("*.py"))
    handwritten = {ROOT / "sigma_sdk" / p.name for p in (ROOT / "templates" / "handwritten").glob("*.py")}
    assert files
    assert handwritten
    firsts = {f: f.read_text(encoding="utf-8").splitlines()[0] for f in files}
    assert [f for f in files if f not in handwritten and "do not edit by hand" not in firsts[f]] == []
    assert [f for f in handwritten if "edit it there" not in firsts[f]] == []


@pytest.mark.skipif(
    os.environ.get("SIGMA_SDK_REGENERATE_CHECKED") == "1",
    reason="scripts/test ran `regenerate.py --check` on this tree just before pytest, and it passed",
)
def test_check_passes_on_the_committed_tree() -> None:
    """`regenerate.py --check` exits 0: the committed sigma_sdk/ and api.md are what the spec produces.

    The committed tree came from another process, so this also shows regeneration is deterministic.
    """
    result = subprocess.run(  # noqa: S603 - fixed arguments, no shell
        [sys.executable, str(ROOT / "scripts" / "regenerate.py"), "--check", "--spec", str(spec_path())],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "matches a fresh regeneration" in result.stdout


def test_tree_differences_reports_edits(tmp_path: Path) -> None:
    """A hand edit, an extra file and a missing file are each reported, so --check fails on them."""
    expected, actual = tmp_path / "expected", tmp_path / "actual"
    for root in (expected, actual):
        (root / "api").mkdir(parents=True)
        (root / "api" / "a.py").write_text("x = 1\n")
    (expected / "gone.py").write_text("")
    (actual / "api" / "a.py").write_text("x = 2\n")
    (actual / "extra.py").write_text("")
    report = "\n".join(regenerate.tree_differences(expected, actual))
    assert "missing from sigma_sdk/: gone.py" in report
    assert "not produced by regeneration: extra.py" in report
    assert "changed: api/a.py" in report
    assert "+x = 1" in report


def test_read_spec_names_a_missing_file(tmp_path: Path) -> None:
    """A --spec path that does not exist is a clear error naming it, not a download attempt."""
    with pytest.raises(regenerate.RegenerationError, match="not a file"):
        regenerate.read_spec(str(tmp_path / "nope.json"))


def test_change_report_lists_what_a_new_release_changes() -> None:
    """Operations, parameters, fields and enum values added, removed or retyped are each reported."""
    old_spec = load_spec()
    new_spec = copy.deepcopy(old_spec)
    old_version = old_spec["info"]["version"]
    new_spec["info"]["version"] = "99.1.0"
    new_spec["paths"]["/v2/brand-new"] = {"get": {"operationId": "getBrandNew", "responses": {}}}
    del new_spec["paths"]["/v2/whoami"]
    connections = new_spec["paths"]["/v2/connections"]["get"]
    connections["parameters"].append({"name": "owner", "in": "query", "schema": {"type": "string"}})
    search = next(p for p in connections["parameters"] if p["name"] == "search")
    search["schema"] = {"type": "integer"}
    old, new = surface(normalize(old_spec)), surface(normalize(new_spec))
    model = next(name for name, entry in new["schemas"].items() if "accountId" not in entry.get("fields", {}) and
                 len(entry.get("fields", {})) > 2)  # fmt: skip
    field = sorted(new["schemas"][model]["fields"])[0]
    del new["schemas"][model]["fields"][field]
    enum_model = next(name for name, entry in new["schemas"].items() if "enum" in entry)
    new["schemas"][enum_model]["enum"] = [*new["schemas"][enum_model]["enum"], "brand-new-value"]
    report = change_report(old, new, "0.1.0")
    assert f"Spec version {old_version} -> 99.1.0" in report
    assert "+ operation getBrandNew (GET /v2/brand-new)" in report
    assert "- operation whoAmI removed (GET /v2/whoami)  [breaking]" in report
    assert "+ listConnections: parameter query:owner (string?)" in report
    assert "~ listConnections: parameter query:search retyped string? -> integer?  [breaking]" in report
    assert f"- {model}: field {field} removed" in report
    assert f"+ {enum_model}: enum value 'brand-new-value'" in report
    assert report.splitlines()[-1] == "Verdict: breaking; next version 0.2.0"
    assert change_report(old, old, "0.1.0") == "No API changes.\nVerdict: no change; next version 0.1.0"


def test_a_new_spec_release_is_recorded_in_the_changelog(tmp_path: Path) -> None:
    """A changed spec sha256 adds its version and change report under Unreleased; the same spec adds nothing."""
    changelog = tmp_path / "CHANGELOG.md"
    changelog.write_text("# Changelog\n\n## [Unreleased]\n\n## [0.1.0]\n", encoding="utf-8")
    old = {"version": "2.0.0", "sha256": "a" * 64, "date": "2026-11-01"}
    new = {"version": "2.1.0", "sha256": "b" * 64, "date": "2026-11-28"}
    report = "1 change(s), 1 possibly breaking:\n  - operation whoAmI removed (GET /v2/whoami)  [breaking]"
    assert regenerate.record_spec_release(changelog, new, old, report)
    text = changelog.read_text(encoding="utf-8")
    assert text.index("## [Unreleased]") < text.index("spec 2.1.0") < text.index("## [0.1.0]")
    assert "- operation whoAmI removed (GET /v2/whoami)  [breaking]" in text
    assert not regenerate.record_spec_release(changelog, new, new, report)
    assert changelog.read_text(encoding="utf-8") == text
