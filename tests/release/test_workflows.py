"""The GitHub Actions workflows: they lint clean (actionlint with shellcheck, zizmor offline) and do what
README.md says: CI runs ./scripts/test on Python 3.11-3.13, the weekly job turns a new Sigma release
into a pull request whose body is the change report."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

from tests._support.prerequisites import unavailable
from tests._support.spec import ROOT

WORKFLOWS = ROOT / ".github" / "workflows"
CI = WORKFLOWS / "ci.yml"
WATCH = WORKFLOWS / "sigma-release.yml"


def _tool(name: str) -> str:
    """A linter installed with the dev extra (beside this Python), else on PATH."""
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.is_file() else shutil.which(name)
    if found is None:
        unavailable(f"{name} is not installed: pip install -e '.[dev]' installs it")
    return found


def test_workflows_pass_actionlint_with_shellcheck() -> None:
    """actionlint (and shellcheck on every run: script) reports nothing on .github/workflows."""
    command = [_tool("actionlint"), "-shellcheck", _tool("shellcheck"), *map(str, sorted(WORKFLOWS.glob("*.yml")))]
    result = subprocess.run(command, capture_output=True, text=True, check=False, cwd=ROOT)  # noqa: S603
    assert (result.returncode, result.stdout + result.stderr) == (0, "")


def test_workflows_pass_zizmor_offline() -> None:
    """zizmor's pedantic persona, offline, finds nothing (pinned actions, least permissions, no injection)."""
    command = [_tool("zizmor"), "--offline", "--persona=pedantic", "--no-progress", str(WORKFLOWS)]
    result = subprocess.run(command, capture_output=True, text=True, check=False, cwd=ROOT)  # noqa: S603
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No findings to report" in result.stdout


def test_every_action_is_pinned_by_commit_sha() -> None:
    """Each `uses:` names a full 40-hex commit, with the tag it stands for in a comment."""
    uses = [line.strip() for path in WORKFLOWS.glob("*.yml") for line in path.read_text().splitlines()
            if line.strip().startswith(("uses:", "- uses:"))]  # fmt: skip
    assert uses
    assert [line for line in uses if not re.search(r"@[0-9a-f]{40} # v\d", line)] == []


def test_ci_runs_the_readme_test_command_on_three_pythons() -> None:
    """ci.yml: ./scripts/test on 3.11, 3.12 and 3.13, with Node for the contract suite, read-only token."""
    text = CI.read_text(encoding="utf-8")
    assert 'python-version: ["3.11", "3.12", "3.13"]' in text
    assert "run: ./scripts/test" in text
    assert "actions/setup-node@" in text
    assert "permissions:\n  contents: read\n" in text
    assert "./scripts/test" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_the_weekly_job_turns_exit_3_into_a_pull_request() -> None:
    """sigma-release.yml: weekly dry run; exit 3 regenerates, tests and opens a PR with the report as body."""
    text = WATCH.read_text(encoding="utf-8")
    assert re.search(r"schedule:\n\s+- cron: \"\d+ \d+ \* \* \d\"", text)
    assert 'scripts/regenerate.py --dry-run > "$RUNNER_TEMP/report.txt"' in text
    assert '3) echo "new-release=true"' in text
    assert "run: .venv/bin/python scripts/regenerate.py\n" in text
    assert "bash scripts/test -q" in text
    assert 'cat "$RUNNER_TEMP/report.txt"' in text.split("Open the pull request", 1)[1]
    assert "gh pr create" in text
    assert '--body-file "$RUNNER_TEMP/body.md"' in text
    assert "permissions: {}" in text  # the workflow grants nothing; the one job asks for what it needs
