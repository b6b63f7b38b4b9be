"""Docstrings that point at the SDK, and api.md: the documentation pass (scripts/_codegen/_docs.py)."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest
from _codegen._api_index import generated_operations
from _codegen._docs import document_operations, operation_guides, reflow, rewrite_links

from tests._support.spec import committed_surface

ROOT = Path(__file__).resolve().parents[2]
API = ROOT / "sigma_sdk" / "api"
API_INDEX = ROOT / "api.md"
_SITE_RELATIVE_LINK = re.compile(r"\[[^\]\n]*\]\((?![a-z]+://)[^)\s]*\)")

MODULES = {
    "listTeams": ("sigma_sdk.api.teams.list_teams", "GET", "/v2/teams"),
    "exportWorkbook": ("sigma_sdk.api.workbooks.export_workbook", "POST", "/v2/workbooks/{workbookId}/export"),
}


def _spec(**operations: dict[str, object]) -> dict[str, object]:
    return {"paths": {f"/{name}": {"get": {"operationId": name, **body}} for name, body in operations.items()}}


def test_a_link_to_an_operation_becomes_its_sdk_module() -> None:
    """`[/v2/teams](listteams)` names the module that calls it, with method and path; a titled link keeps its title."""
    assert rewrite_links("see [/v2/teams](listteams).", MODULES) == (
        "see `sigma_sdk.api.teams.list_teams` (GET /v2/teams)."
    )
    assert rewrite_links("See [Export data](https://help.sigmacomputing.com/reference/exportworkbook).", MODULES) == (
        "See Export data (`sigma_sdk.api.workbooks.export_workbook`)."
    )


def test_other_relative_links_become_absolute_urls() -> None:
    """`doc:` links and reference pages of no operation point at help.sigmacomputing.com; absolute ones stay."""
    assert rewrite_links("[Manage](doc:manage-workspaces#roles)", MODULES) == (
        "[Manage](https://help.sigmacomputing.com/docs/manage-workspaces#roles)"
    )
    assert rewrite_links("[tags](listVersionTags)", MODULES) == (
        "[tags](https://help.sigmacomputing.com/reference/listVersionTags)"
    )
    assert rewrite_links("[x](https://example.com/a)", MODULES) == "[x](https://example.com/a)"


def test_reflow_evens_out_sigmas_markdown() -> None:
    """Indentation goes, paragraphs wrap at 88, headings end in a colon, list items hang, code stays verbatim."""
    text = (
        "First line.\n  \n  ### Usage notes\n  - **Bold** item " + "word " * 30 + "\n  - second\n"
        ' ```json\n  {\n    "a": 1\n  }\n  ```\n  after'
    )
    lines = reflow(text).split("\n")
    assert lines[:3] == ["First line.", "", "Usage notes:"]
    assert lines[3].startswith("- Bold item word")
    assert lines[4].startswith("  word")
    assert all(len(line) <= 88 for line in lines)
    assert "    {" in lines
    assert '      "a": 1' in lines
    assert "after" in lines


def test_operation_notes_name_iterate_the_job_helper_and_the_twin_to_prefer() -> None:
    """A paginated operation's docstring mentions iterate(), an export its jobs helper, a v2 list its v2_1 twin."""
    spec = _spec(
        listTeams={
            "tags": ["teams"],
            "x-sigma-pagination": {},
            "description": "To request additional pages, include the `nextPage` value.\nAgain.",
        },
        v2_1_listTeams={"tags": ["teams"]},
        downloadQuery={"tags": ["query"], "description": "Returns an error while processing."},
        v3alpha_getThing={"tags": ["things"]},
        getThing={"tags": ["things"]},
    )
    _, docs = document_operations(spec)
    assert "`iterate(client=client, ...)`" in docs["listTeams"]["function"]
    assert "nextPage" not in docs["listTeams"]["function"]
    assert "Prefer `sigma_sdk.api.teams.v_2_1_list_teams`" in docs["listTeams"]["function"].replace("\n", " ")
    download = docs["downloadQuery"]["function"].replace("\n", " ")
    assert "`sigma_sdk.jobs.download_export`" in download
    assert "returns `None`" in download
    assert "Prefer `sigma_sdk.api.things.get_thing`" in docs["v3alpha_getThing"]["module"].replace("\n", " ")
    assert operation_guides(spec)["v2_1_listTeams"].prefer is None


def test_generated_docstrings_hold_no_site_relative_link() -> None:
    """No endpoint or model module of the committed tree keeps a link to nowhere (was 1,080 in 144 modules)."""
    offenders = [
        str(path.relative_to(ROOT))
        for path in sorted((ROOT / "sigma_sdk").rglob("*.py"))
        if _SITE_RELATIVE_LINK.search(path.read_text(encoding="utf-8"))
    ]
    assert offenders == []


def test_every_endpoint_module_has_a_module_docstring() -> None:
    """Each endpoint module says what it calls (method and path) and which functions it has."""
    for path in sorted(API.glob("*/*.py")):
        if path.name == "__init__.py":
            continue
        module = importlib.import_module(f"sigma_sdk.api.{path.parent.name}.{path.stem}")
        operation = module._OPERATION
        doc = module.__doc__ or ""
        assert f"{operation.method} {operation.path}" in doc, path
        assert "`sync()`" in doc


def test_api_index_lists_every_operation_with_an_importable_module() -> None:
    """api.md has one row per generated operation: its method and path, and a module path that imports."""
    text = API_INDEX.read_text(encoding="utf-8")
    operations = generated_operations(ROOT / "sigma_sdk")
    assert len(operations) == len(committed_surface()["operations"])  # the spec's and the additions
    rows = [line for line in text.splitlines() if line.startswith("| `") and "`sigma_sdk.api." in line]
    assert len(rows) == len(operations)
    for operation_id, generated in operations.items():
        module = importlib.import_module(generated.module)
        operation = module._OPERATION
        assert operation.operation_id == operation_id
        row = f"| `{operation.method} {operation.path}` |"
        assert any(line.startswith(row) and f"`{generated.module}`" in line for line in rows), operation_id
    assert "`sigma_sdk.jobs.export_workbook`" in text


def test_the_readme_links_the_index() -> None:
    """The README points newcomers at api.md."""
    assert "(api.md)" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_check_fails_when_api_md_is_stale(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`regenerate.py --check` reports api.md out of date when it differs from what regeneration writes."""
    import regenerate

    from tests._support.spec import spec_path

    committed = tmp_path / "committed"
    (committed / "sigma_sdk").mkdir(parents=True)
    (committed / "sigma_sdk" / "x.py").write_text("x = 1\n", encoding="utf-8")
    (committed / "api.md").write_text("# old index\n", encoding="utf-8")

    def fake_generate(normalized: dict[str, object], out_dir: Path) -> Path:
        (out_dir / "sigma_sdk").mkdir()
        (out_dir / "sigma_sdk" / "x.py").write_text("x = 1\n", encoding="utf-8")
        (out_dir / "api.md").write_text("# new index\n", encoding="utf-8")
        return out_dir / "sigma_sdk"

    monkeypatch.setattr(regenerate, "generate", fake_generate)
    monkeypatch.setattr(regenerate, "PACKAGE", committed / "sigma_sdk")
    monkeypatch.setattr(regenerate, "API_INDEX", committed / "api.md")
    assert regenerate.main(["--check", "--spec", str(spec_path())]) == 1
    assert "api.md is out of date" in capsys.readouterr().out
    (committed / "api.md").write_text("# new index\n", encoding="utf-8")
    assert regenerate.main(["--check", "--spec", str(spec_path())]) == 0
