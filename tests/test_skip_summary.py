"""The test command's closing summary names each group of skipped tests and why (tests/conftest.py)."""

from __future__ import annotations

import pytest

from .conftest import skipped_groups


def _report(nodeid: str, outcome: str, reason: str = "") -> pytest.TestReport:
    longrepr = ("tests/_support/spec.py", 0, f"Skipped: {reason}") if outcome == "skipped" else None
    return pytest.TestReport(nodeid, ("x", 0, "x"), {}, outcome, longrepr, "call")


def test_skips_are_grouped_by_reason_with_their_files() -> None:
    """One line per reason, biggest group first, each naming the files and how many tests each lost."""
    reports = [
        _report("tests/test_a.py::one", "skipped", "no spec: set SIGMA_OPENAPI_SPEC"),
        _report("tests/test_a.py::two", "skipped", "no spec: set SIGMA_OPENAPI_SPEC"),
        _report("tests/test_b.py::three", "skipped", "no spec: set SIGMA_OPENAPI_SPEC"),
        _report("tests/contract/test_c.py::four", "skipped", "Node.js not found: install Node 20"),
        _report("tests/test_a.py::five", "passed"),
    ]
    assert skipped_groups(reports) == [
        "3 skipped in test_a.py (2), test_b.py (1): no spec: set SIGMA_OPENAPI_SPEC",
        "1 skipped in contract/test_c.py (1): Node.js not found: install Node 20",
    ]


def test_nothing_skipped_prints_nothing() -> None:
    """A run without skips adds no section."""
    assert skipped_groups([_report("tests/test_a.py::one", "passed")]) == []
