"""A test run leaves nothing behind: a file that appears in the checkout during a run, outside
``.gitignore``, is a stray (tests write in ``tmp_path``). ``tests/conftest.py`` fails the run naming it."""

from __future__ import annotations

import subprocess
from pathlib import Path

__all__ = ["stray_files", "untracked_files"]


def untracked_files(root: Path) -> frozenset[str] | None:
    """Files under ``root`` that git neither tracks nor ignores; None outside a git checkout (an sdist)."""
    try:
        result = subprocess.run(
            ["git", "ls-files", "--others", "--exclude-standard", "-z"],  # noqa: S607 - git from PATH
            cwd=root,
            capture_output=True,
            check=True,
            timeout=60,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return frozenset(name for name in result.stdout.decode("utf-8", "replace").split("\0") if name)


def stray_files(before: frozenset[str] | None, after: frozenset[str] | None) -> list[str]:
    """The files that appeared between the two listings, sorted; none when either listing is unknown."""
    if before is None or after is None:
        return []
    return sorted(after - before)
