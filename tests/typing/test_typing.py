"""The SDK's types as a user's type checker sees them (issue 6, part 2), in mypy and in pyright/Pylance.

One in-process ``mypy --strict`` run (the project's ``[tool.mypy]`` config, a fresh cache under the
pytest tmp dir) checks ``good_usage.py`` and ``bad_usage.py`` together; the output is split per file.
``good_usage.py`` must be clean. In ``bad_usage.py`` each line ending in ``# E: <code>[, <code>]``
must get exactly those error codes and every other line none: a mistake that goes unreported means a
type decayed to ``Any``.

One pyright run (the version pinned in ``tests/contract/package.json``, strict mode from
``pyrightconfig.json`` here, the interpreter running pytest for imports) checks the same two files:
``good_usage.py`` must be clean, each ``# E:`` line of ``bad_usage.py`` must get at least one pyright
error (pyright names its rules differently from mypy's codes, so only the line is compared) and every
other line none. By hand: ``tests/contract/node_modules/.bin/pyright -p tests/typing/pyrightconfig.json
--pythonpath .venv/bin/python tests/typing/good_usage.py tests/typing/bad_usage.py``. Without Node.js or
the installed pyright these tests skip, and fail under ``CI=true``.
"""

from __future__ import annotations

import gc
import importlib
import json
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
from mypy import api as mypy_api

from tests._support.node_tooling import NODE_TOOLING_DIR, node_bin, node_tool_problem
from tests._support.prerequisites import unavailable

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
GOOD = HERE / "good_usage.py"
BAD = HERE / "bad_usage.py"
PYRIGHT_CONFIG = HERE / "pyrightconfig.json"

_ERROR_LINE = re.compile(r"^(?P<path>.+?):(?P<line>\d+): error: (?P<message>.*?)(?:  \[(?P<code>[a-z0-9-]+)\])?$")
_MARKER = re.compile(r"#\s*E:\s*(?P<codes>[a-z0-9-]+(?:\s*,\s*[a-z0-9-]+)*)\s*$")

# The mistakes issue 6 asks for must stay planted: deleting one to make the suite pass fails here.
_REQUIRED_CODES = {"arg-type", "attr-defined", "operator", "call-arg", "assignment", "union-attr"}
_MIN_MARKERS = 30


@dataclass(frozen=True)
class Diagnostic:
    """One error (or pyright warning): ``code`` is mypy's error code or pyright's rule name."""

    path: Path
    line: int
    code: str | None
    message: str
    severity: str = "error"

    def __str__(self) -> str:
        return f"{self.path.name}:{self.line}: {self.severity} [{self.code}] {self.message}"


def _markers(path: Path) -> dict[int, set[str]]:
    """``{line number: expected codes}`` for every ``# E:`` line of ``path``."""
    expected: dict[int, set[str]] = {}
    for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        match = _MARKER.search(text)
        if match:
            expected[number] = {code.strip() for code in match["codes"].split(",")}
    return expected


def _run_mypy(cache_dir: Path) -> tuple[int, str, str]:
    # mypy retunes the garbage collector and the recursion limit for its own run; give the rest of the
    # pytest process its settings back.
    thresholds, recursion_limit = gc.get_threshold(), sys.getrecursionlimit()
    try:
        stdout, stderr, status = mypy_api.run(
            [
                "--config-file",
                str(ROOT / "pyproject.toml"),
                "--strict",
                "--cache-dir",
                str(cache_dir),
                "--show-absolute-path",
                "--show-error-codes",
                "--no-pretty",
                "--no-color-output",
                "--no-error-summary",
                "--hide-error-context",
                str(GOOD),
                str(BAD),
            ]
        )
    finally:
        gc.set_threshold(*thresholds)
        sys.setrecursionlimit(recursion_limit)
    return status, stdout, stderr


@pytest.fixture(scope="module")
def mypy_errors(tmp_path_factory: pytest.TempPathFactory) -> list[Diagnostic]:
    status, stdout, stderr = _run_mypy(tmp_path_factory.mktemp("mypy_cache"))
    assert status in (0, 1), f"mypy did not run (exit {status}):\n{stdout}\n{stderr}"
    errors: list[Diagnostic] = []
    for text in stdout.splitlines():
        match = _ERROR_LINE.match(text)
        if match:
            errors.append(
                Diagnostic(Path(match["path"]).resolve(), int(match["line"]), match["code"], match["message"])
            )
        else:
            assert ": note: " in text, f"unparsed mypy output line: {text!r}"
    return errors


def test_good_usage_passes_mypy_strict(mypy_errors: list[Diagnostic]) -> None:
    """good_usage.py (the README's usage of the SDK) has zero mypy --strict errors, nor do the modules it imports."""
    problems = [f"{error.path}: {error}" for error in mypy_errors if error.path != BAD]
    assert problems == []


def test_bad_usage_marked_lines_get_exactly_their_codes(mypy_errors: list[Diagnostic]) -> None:
    """Every `# E: <code>` line of bad_usage.py gets exactly the mypy error codes its marker names."""
    reported: dict[int, set[str | None]] = {}
    for error in mypy_errors:
        if error.path == BAD:
            reported.setdefault(error.line, set()).add(error.code)
    lines = BAD.read_text(encoding="utf-8").splitlines()
    mismatches = [
        f"line {number}: expected {sorted(codes)}, mypy reported {sorted(map(str, reported.get(number, set())))}"
        f"\n    {lines[number - 1].strip()}"
        for number, codes in sorted(_markers(BAD).items())
        if reported.get(number, set()) != codes
    ]
    assert mismatches == [], "\n".join(mismatches)


def test_bad_usage_unmarked_lines_have_no_errors(mypy_errors: list[Diagnostic]) -> None:
    """No line of bad_usage.py without an `# E:` marker gets a mypy error (correct code around the mistakes checks)."""
    marked = _markers(BAD)
    unexpected = [str(error) for error in mypy_errors if error.path == BAD and error.line not in marked]
    assert unexpected == []


def test_bad_usage_keeps_the_planted_mistakes() -> None:
    """bad_usage.py still plants at least 30 mistakes, covering every error kind issue 6 lists."""
    markers = _markers(BAD)
    codes = set().union(*markers.values())
    assert len(markers) >= _MIN_MARKERS
    assert codes >= _REQUIRED_CODES


def test_good_usage_imports_at_runtime() -> None:
    """Every name good_usage.py imports exists at runtime too (not only under TYPE_CHECKING)."""
    module = importlib.import_module("tests.typing.good_usage")
    assert callable(module.main)


@pytest.fixture(scope="module")
def pyright_diagnostics() -> list[Diagnostic]:
    """pyright's errors and warnings on good_usage.py and bad_usage.py, from one ``--outputjson`` run."""
    problem = node_tool_problem("pyright", "pyright", "the pyright typing tests")
    if problem is not None:
        unavailable(problem)
    command = [
        str(node_bin("pyright")),
        "--project",
        str(PYRIGHT_CONFIG),
        "--pythonpath",
        sys.executable,
        "--outputjson",
        str(GOOD),
        str(BAD),
    ]
    # S603: an argv list and no shell. pyright exits 1 when it reports errors, 2+ when it could not check.
    result = subprocess.run(command, capture_output=True, text=True, timeout=300, check=False)  # noqa: S603
    assert result.returncode in (0, 1), (
        f"pyright did not run (exit {result.returncode}):\n{result.stdout}\n{result.stderr}"
    )
    report = json.loads(result.stdout)
    assert report["summary"]["filesAnalyzed"] == 2, report["summary"]
    return [
        Diagnostic(
            Path(item["file"]).resolve(),
            item["range"]["start"]["line"] + 1,  # pyright counts lines from 0
            item.get("rule"),
            item["message"],
            item["severity"],
        )
        for item in report["generalDiagnostics"]
        if item["severity"] in {"error", "warning"}
    ]


def test_good_usage_passes_pyright_strict(pyright_diagnostics: list[Diagnostic]) -> None:
    """good_usage.py has zero pyright errors or warnings in strict mode (what Pylance users see)."""
    assert [str(diagnostic) for diagnostic in pyright_diagnostics if diagnostic.path != BAD] == []


def test_bad_usage_marked_lines_get_a_pyright_error(pyright_diagnostics: list[Diagnostic]) -> None:
    """Every `# E:` line of bad_usage.py gets at least one pyright error on that line."""
    flagged = {d.line for d in pyright_diagnostics if d.path == BAD and d.severity == "error"}
    lines = BAD.read_text(encoding="utf-8").splitlines()
    missed = [
        f"line {number}: {lines[number - 1].strip()}" for number in sorted(_markers(BAD)) if number not in flagged
    ]
    assert missed == [], "pyright accepts these planted mistakes:\n" + "\n".join(missed)


def test_bad_usage_unmarked_lines_have_no_pyright_errors(pyright_diagnostics: list[Diagnostic]) -> None:
    """No line of bad_usage.py without an `# E:` marker gets a pyright error or warning."""
    marked = _markers(BAD)
    assert [str(d) for d in pyright_diagnostics if d.path == BAD and d.line not in marked] == []


def _locked_dependencies(lock: dict[str, dict[str, object]], package: str) -> set[str]:
    """``package``'s lock-file key and those of everything it depends on, optional dependencies included."""
    found: set[str] = set()
    pending = [f"node_modules/{package}"]
    while pending:
        key = pending.pop()
        if key in found:
            continue
        found.add(key)
        entry = lock[key]
        for field in ("dependencies", "optionalDependencies"):
            names = entry.get(field, {})
            assert isinstance(names, dict)
            for name in names:
                # npm's lookup: a copy nested under the dependent first, else the one at the top.
                nested = f"{key}/node_modules/{name}"
                pending.append(nested if nested in lock else f"node_modules/{name}")
    return found


def test_pyright_installs_without_install_scripts() -> None:
    """pyright and all it depends on have no install script, so `npm ci --ignore-scripts` installs a working pyright."""
    lock = json.loads((NODE_TOOLING_DIR / "package-lock.json").read_text(encoding="utf-8"))["packages"]
    keys = _locked_dependencies(lock, "pyright")
    assert "node_modules/pyright" in keys
    assert sorted(key for key in keys if lock[key].get("hasInstallScript")) == []
