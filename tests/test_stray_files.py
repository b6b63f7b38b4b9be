"""A test run leaves nothing behind: files that appear in the checkout during a run are named (tests/conftest.py)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests._support.stray_files import stray_files, untracked_files


def test_files_that_appeared_during_the_run_are_the_strays() -> None:
    """Only names new since the start count, sorted; files that were already there are not the run's doing."""
    before = frozenset({"notes.txt"})
    assert stray_files(before, frozenset({"notes.txt", ".x", "b/out.csv"})) == [".x", "b/out.csv"]
    assert stray_files(before, before) == []


def test_no_listing_means_no_verdict(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Outside a git checkout (an sdist) nothing is listed, so nothing is called a stray."""
    monkeypatch.setenv("GIT_CEILING_DIRECTORIES", str(tmp_path.parent))
    assert untracked_files(tmp_path) is None
    assert stray_files(None, frozenset({".x"})) == []
    assert stray_files(frozenset(), None) == []


def test_untracked_files_skip_what_git_ignores(tmp_path: Path) -> None:
    """A new file is listed, an ignored one (a cache) is not, a tracked one is not."""
    if shutil.which("git") is None:
        pytest.skip("git not found")
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)  # noqa: S603, S607 - fixed arguments
    (tmp_path / ".gitignore").write_text(".pytest_cache/\n", encoding="utf-8")
    (tmp_path / ".pytest_cache").mkdir()
    (tmp_path / ".pytest_cache" / "v").write_text("", encoding="utf-8")
    (tmp_path / ".x").write_text("", encoding="utf-8")
    assert untracked_files(tmp_path) == frozenset({".gitignore", ".x"})
