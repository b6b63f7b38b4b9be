"""README.md: every ```python block runs as written, top to bottom in one interpreter, against the fake.

The fake is started as the README says (``python -m sigma_sdk.testing``) and the blocks see exactly
the ``SIGMA_*`` settings it prints. A block's names are visible to the blocks after it, as when
pasting them into one ``python`` session. Tracebacks point at README.md's own line numbers.
"""

from __future__ import annotations

import re
import subprocess
import sys
import traceback
from collections.abc import Iterator
from pathlib import Path

import pytest

from sigma_sdk_auth import SigmaClient

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
_FENCE = re.compile(r"^```python[ \t]*\n(?P<code>.*?)^```[ \t]*$", re.S | re.M)
_PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy")


def python_blocks(text: str) -> list[tuple[int, str]]:
    """Each ```python block of ``text`` as (line number of its first code line, code)."""
    return [(text.count("\n", 0, match.start("code")) + 1, match["code"]) for match in _FENCE.finditer(text)]


@pytest.fixture
def fake_sigma_settings() -> Iterator[dict[str, str]]:
    """Start `python -m sigma_sdk.testing` as the README does; yield the SIGMA_* lines it prints."""
    process = subprocess.Popen(
        [sys.executable, "-m", "sigma_sdk.testing", "--export-polls", "1", "--lifetime", "300"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        cwd=ROOT,
    )
    settings: dict[str, str] = {}
    try:
        assert process.stdout is not None
        for line in process.stdout:
            if line.startswith("SIGMA_"):
                key, _, value = line.rstrip("\n").partition("=")
                settings[key] = value
            if line.startswith("# Ctrl-C"):
                break
        yield settings
    finally:
        process.kill()
        process.communicate(timeout=10)


def test_python_blocks_are_found() -> None:
    """The block finder sees each ```python fence with its README line, and no other language's."""
    text = "intro\n```python\na = 1\n```\n```bash\nls\n```\n```python\nb = a\n```\n"
    assert python_blocks(text) == [(3, "a = 1\n"), (9, "b = a\n")]


def test_every_python_block_runs_against_the_fake(
    fake_sigma_settings: dict[str, str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """All of README.md's python blocks run in order in one namespace: 0 fail."""
    for name in ("SIGMA_REGION", "SIGMA_LOG", *_PROXY_VARIABLES):
        monkeypatch.delenv(name, raising=False)
    for name, value in fake_sigma_settings.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")  # what the fake's last line advises
    monkeypatch.chdir(tmp_path)  # the blocks write their exports to the current directory
    text = README.read_text(encoding="utf-8")
    blocks = python_blocks(text)
    assert len(blocks) == text.count("```python") >= 12  # every fence found, none silently skipped
    namespace: dict[str, object] = {"__name__": "__readme__"}
    failures = []
    try:
        for line, code in blocks:
            compiled = compile("\n" * (line - 1) + code, str(README), "exec")
            try:
                exec(compiled, namespace)  # noqa: S102 - the README's own code, the point of the test
            except Exception as exc:  # report every failing block, then fail
                failures.append(f"README.md line {line}:\n{''.join(traceback.format_exception(exc)[-3:])}")
    finally:
        for value in namespace.values():
            if isinstance(value, SigmaClient):
                value.close()
    assert failures == [], f"{len(failures)} of {len(blocks)} README python blocks failed:\n" + "\n".join(failures)
