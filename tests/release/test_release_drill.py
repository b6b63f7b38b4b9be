"""The release drill: synthetic Sigma releases made from today's spec, run through the real pipeline.

Each release (tests/_support/releases.py) is written to a temp dir and given to ``regenerate.py --dry-run
--spec`` in-process: the exit code (0 same release, 3 new release, 2 unusable spec, 1 anything
else), the change report's lines and its verdict are pinned, and the repository is left as it was.
One full generation (the additive release) measures how many files under sigma_sdk/ a release
touches.
"""

from __future__ import annotations

import copy
import json
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import regenerate
from _codegen._surface import current_version, next_version
from _codegen.normalize import normalize

from tests._support import releases as _releases
from tests._support.spec import ROOT, load_spec, spec_path

JSON = Any


@pytest.fixture(scope="module")
def sigma_spec() -> dict[str, JSON]:
    """Today's spec, as Sigma publishes it (the locked release)."""
    return load_spec()


def _git_status() -> str:
    return subprocess.run(
        ["git", "status", "--porcelain", "--untracked-files=all"],  # noqa: S607 - git from PATH
        cwd=ROOT, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip


@pytest.fixture
def unchanged_repository() -> Iterator[None]:
    """The test must leave ``git status`` exactly as it found it."""
    before = _git_status()
    yield
    assert _git_status() == before


def _dry_run(
    spec: dict[str, JSON] | bytes, tmp_path: Path, capsys: pytest.CaptureFixture[str], *extra: str
) -> tuple[int, str, str]:
    path = tmp_path / "sigma-computing-public-rest-api.json"
    path.write_bytes(spec if isinstance(spec, bytes) else json.dumps(spec).encode())
    code = regenerate.main([*(extra or ("--dry-run",)), "--spec", str(path)])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _changes(report: str) -> list[str]:
    """The report's change lines (``+``, ``-``, ``~``), without indentation."""
    return [line.strip() for line in report.splitlines() if line.startswith(("  +", "  -", "  ~"))]


def test_next_version_rule() -> None:
    """Before 1.0 breaking bumps the minor and additive the patch; from 1.0 major and minor; no change keeps it."""
    assert next_version("0.1.0", "additive") == "0.1.1"
    assert next_version("0.3.2", "breaking") == "0.4.0"
    assert next_version("0.3.2", "no change") == "0.3.2"
    assert next_version("1.2.3", "breaking") == "2.0.0"
    assert next_version("1.2.3", "additive") == "1.3.0"
    with pytest.raises(ValueError, match=r"not x\.y\.z"):
        next_version("1.2", "additive")


@pytest.mark.usefixtures("unchanged_repository")
def test_dry_run_of_the_locked_release_is_exit_0(capsys: pytest.CaptureFixture[str]) -> None:
    """--dry-run with the spec the lock names says "same release" and exits 0, writing nothing."""
    code = regenerate.main(["--dry-run", "--spec", str(spec_path())])
    out = capsys.readouterr().out
    lock = json.loads((ROOT / "openapi" / "spec.lock.json").read_text(encoding="utf-8"))
    assert code == regenerate.EXIT_SAME == 0
    assert f"Same release as openapi/spec.lock.json: spec {lock['version']}, sha256 {lock['sha256']}" in out


@pytest.mark.usefixtures("unchanged_repository")
def test_an_additive_release_is_reported_as_additive(
    sigma_spec: dict[str, JSON], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """3 operations in a new tag, an optional field, an enum value, a region: exit 3, each listed, verdict additive."""
    noun = _releases.fresh_noun(sigma_spec)
    title = noun.capitalize()
    code, out, err = _dry_run(_releases.additive_release(sigma_spec, noun), tmp_path, capsys)
    assert (code, err) == (regenerate.EXIT_NEW_RELEASE, "")
    assert "New Sigma spec release: version 2.1.0" in out
    assert "(local file: sigma-computing-public-rest-api.json)" in out
    changes = _changes(out)
    assert [line for line in changes if "[breaking]" in line] == []
    for expected in [
        f"+ operation create{title} (POST /v2/{noun}s)",
        f"+ operation get{title} (GET /v2/{noun}s/{{{noun}Id}})",
        f"+ operation list{title}s (GET /v2/{noun}s)",
        f"+ model {title}",
        f"+ InodeConnectionPath: field {noun}Color (string?)",
        f"+ LookupConnectionKind: enum value '{noun}Kind'",
        f"+ server {_releases.new_region(noun)}",
        f"+ tag {noun}s",
        f"+ subpackage sigma_sdk.api.{noun}s",
    ]:
        assert expected in changes
    assert (
        out.rstrip().splitlines()[-1]
        == f"Verdict: additive; next version {next_version(current_version(), 'additive')}"
    )


@pytest.mark.usefixtures("unchanged_repository")
def test_a_breaking_release_lists_every_break(
    sigma_spec: dict[str, JSON], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Removed operation, path parameter renamed (said so), removed field, optional -> required, retype: breaking."""
    code, out, _ = _dry_run(_releases.breaking_release(sigma_spec), tmp_path, capsys)
    assert code == regenerate.EXIT_NEW_RELEASE
    changes = _changes(out)
    for expected in [
        "- operation whoAmI removed (GET /v2/whoami)  [breaking]",
        "~ copyTaggedWorkbook: path parameter versionTag renamed -> tag (keyword argument version_tag -> tag; "
        "/v2/workbooks/{workbookId}/tag/{tag}/copy)  [breaking]",
        "- TestConnectionResponse: field write removed (was string|enum | string|enum | string|enum)  [breaking]",
        "~ Team: field isArchived optional -> required (boolean)  [breaking]",
        "~ InodeConnectionPath: field connectionId retyped string -> integer  [breaking]",
        "- model WhoAmIResponse removed  [breaking]",
        # the generator's inline classes are public names too: their removal is reported
        "- class TestConnectionResponseWriteType0 removed (generated from an inline schema)  [breaking]",
        "- subpackage sigma_sdk.api.whoami removed  [breaking]",
    ]:
        assert expected in changes
    assert not any("copyTaggedWorkbook moved" in line or "parameter path:" in line for line in changes)
    assert all(line.endswith("[breaking]") for line in changes)
    assert (
        out.rstrip().splitlines()[-1]
        == f"Verdict: breaking; next version {next_version(current_version(), 'breaking')}"
    )


@pytest.mark.usefixtures("unchanged_repository")
def test_a_correction_the_spec_now_carries_says_remove_it(
    sigma_spec: dict[str, JSON], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Sigma documents two corrected facts in its own words: "the spec now agrees: remove it", and its text is kept."""
    release, sigmas_words = _releases.redundant_correction_release(sigma_spec)
    code, out, _ = _dry_run(release, tmp_path, capsys)
    assert code == regenerate.EXIT_NEW_RELEASE
    for name in ("download-query-binary", "files-type-filter-data-model"):
        assert f"spec correction {name}: the spec now agrees: remove it from openapi/corrections.toml" in out
    assert out.rstrip().splitlines()[-1].startswith("Verdict: no change;")
    _, _, download = _releases.operation(normalize(copy.deepcopy(release)), "downloadQuery")
    assert download["responses"]["200"]["description"] == sigmas_words


@pytest.mark.usefixtures("unchanged_repository")
def test_a_correction_whose_target_moved_names_the_json_path(
    sigma_spec: dict[str, JSON], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A correction that matches nothing: exit 2, one message naming the entry and the JSON path, no traceback."""
    code, out, err = _dry_run(_releases.moved_correction_release(sigma_spec), tmp_path, capsys)
    assert code == regenerate.EXIT_UNUSABLE == 2
    assert out == ""
    assert "'element-columns-formula-optional'" in err
    assert "$.paths.*[?(@.operationId == 'getElementColumns')].responses" in err
    assert "'formula'" in err
    assert "Traceback" not in err


@pytest.mark.usefixtures("unchanged_repository")
def test_a_spec_that_is_not_json_is_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Bytes that are not JSON: exit 2 with the reason."""
    code, _, err = _dry_run(b"<html>maintenance</html>", tmp_path, capsys)
    assert code == regenerate.EXIT_UNUSABLE
    assert "the spec is not valid JSON" in err


def test_dry_run_that_cannot_download_is_exit_1(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without --spec the dry run fetches the lock's upstream URL; when nothing answers: exit 1 (not a spec verdict)."""
    monkeypatch.setenv("SIGMA_OPENAPI_SPEC", str(spec_path()))  # ignored by --dry-run: it asks Sigma
    monkeypatch.setattr(regenerate, "read_lock", lambda: {"upstream": "http://127.0.0.1:9/spec.json"})
    monkeypatch.setattr(regenerate, "SPEC_URLS", ())
    assert regenerate.main(["--dry-run"]) == regenerate.EXIT_OTHER == 1
    assert "http://127.0.0.1:9/spec.json" in capsys.readouterr().err


@pytest.mark.usefixtures("unchanged_repository")
def test_check_with_another_release_names_the_locked_one(
    sigma_spec: dict[str, JSON], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--check with a spec that is not the locked release: exit 2, the locked version, sha256 and how to get it."""
    release = _releases.additive_release(sigma_spec, _releases.fresh_noun(sigma_spec))
    code, out, err = _dry_run(release, tmp_path, capsys, "--check")
    lock = json.loads((ROOT / "openapi" / "spec.lock.json").read_text(encoding="utf-8"))
    assert code == regenerate.EXIT_UNUSABLE
    assert out == ""
    assert f"version {lock['version']}, sha256 {lock['sha256']}" in err
    assert "python scripts/find_spec.py --download" in err
    assert "difference" not in err


def _without_banner(path: Path) -> list[str]:
    lines = path.read_text(encoding="utf-8").splitlines()
    return [line for line in lines if not re.match(r"# Generated by scripts/regenerate.py from", line)]


def test_an_additive_release_changes_few_files(sigma_spec: dict[str, JSON], tmp_path: Path) -> None:
    """Generating the additive release changes at most 25 files under sigma_sdk/ beyond the banner line."""
    noun = _releases.fresh_noun(sigma_spec)
    package = regenerate.generate(normalize(_releases.additive_release(sigma_spec, noun)), tmp_path)
    committed = ROOT / "sigma_sdk"
    lines = regenerate.tree_differences(package, committed)
    paths = [line.split(": ", 1)[1].split("\n", 1)[0] for line in lines]
    changed = [path for line, path in zip(lines, paths, strict=True) if line.startswith("changed: ")]
    real = [path for path in changed if _without_banner(package / path) != _without_banner(committed / path)]
    added = [path for line, path in zip(lines, paths, strict=True) if line.startswith("missing from sigma_sdk/")]
    removed = [path for line, path in zip(lines, paths, strict=True) if line.startswith("not produced")]
    print(f"\nadditive release: {len(lines)} files differ; {len(added)} new, {len(removed)} removed, "
          f"{len(changed)} changed ({len(changed) - len(real)} only in the banner): {sorted(real)}")  # fmt: skip
    assert removed == []
    assert f"api/{noun}s/list_{noun}s.py" in added
    assert len(added) + len(real) <= 25
