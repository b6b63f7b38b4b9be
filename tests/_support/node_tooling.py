"""The tests' Node tooling (Prism for tests/contract, pyright for tests/typing) and when it can't run.

Both packages are pinned in ``tests/contract/package.json`` / ``package-lock.json`` (the folder name
predates pyright; paths stay stable) and installed by the project, never assumed global:
``python scripts/install_node_deps.py`` runs ``npm ci --ignore-scripts`` there.
``node_tool_problem`` says why a tool can't run; the tests hand that to ``_prerequisites.unavailable``.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

__all__ = [
    "INSTALL_HINT",
    "NODE_TOOLING_DIR",
    "node_bin",
    "node_tool_problem",
    "pinned_version",
]

NODE_TOOLING_DIR = Path(__file__).resolve().parents[1] / "contract"
MIN_NODE_MAJOR = 20
INSTALL_HINT = "python scripts/install_node_deps.py  (or: npm ci --ignore-scripts --prefix tests/contract)"
NODE_HINT = (
    f"install Node.js {MIN_NODE_MAJOR} or newer with npm (Debian/Ubuntu: `apt-get install nodejs npm`; "
    "macOS: `brew install node`), then run: " + INSTALL_HINT
)


def node_bin(name: str) -> Path:
    """An installed package's executable in the tooling's node_modules/.bin."""
    return NODE_TOOLING_DIR / "node_modules" / ".bin" / name


def pinned_version(package: str) -> str:
    """The exact version package.json pins for ``package`` (a devDependency)."""
    manifest = json.loads((NODE_TOOLING_DIR / "package.json").read_text(encoding="utf-8"))
    version: str = manifest["devDependencies"][package]
    return version


def _node_major(node: str) -> int | None:
    try:
        # S603: an argv list and no shell; `node` is whatever PATH resolves, as for any developer tool.
        result = subprocess.run(  # noqa: S603
            [node, "--version"], capture_output=True, text=True, timeout=30, check=True
        )
    except (OSError, subprocess.SubprocessError):
        return None
    match = re.match(r"v(\d+)\.", result.stdout.strip())
    return int(match.group(1)) if match else None


def _installed_version(package: str) -> str | None:
    try:
        text = (NODE_TOOLING_DIR / "node_modules" / package / "package.json").read_text(encoding="utf-8")
    except OSError:
        return None
    match = re.search(r'"version"\s*:\s*"([^"]+)"', text)
    return match.group(1) if match else None


def node_tool_problem(package: str, bin_name: str, needed_by: str) -> str | None:
    """Why ``package``'s ``bin_name`` can't run here (with how to fix it), or None when it can.

    ``needed_by`` names the tests, as in "the Prism contract tests".
    """
    node = shutil.which("node")
    if node is None:
        return f"Node.js is not installed (`node` is not on PATH); {needed_by} need it: {NODE_HINT}"
    major = _node_major(node)
    if major is None or major < MIN_NODE_MAJOR:
        found = "an unreadable version" if major is None else f"Node.js {major}"
        return f"{needed_by} need Node.js {MIN_NODE_MAJOR}+, found {found} at {node}: {NODE_HINT}"
    modules = NODE_TOOLING_DIR / "node_modules"
    if not node_bin(bin_name).exists():
        if shutil.which("npm") is None:
            return (
                f"{package} is not installed in {modules} and `npm` is not on PATH: "
                f"install npm (Debian/Ubuntu: `apt-get install npm`), then run: {INSTALL_HINT}"
            )
        return f"{package} is not installed in {modules}: run {INSTALL_HINT}"
    installed, pinned = _installed_version(package), pinned_version(package)
    if installed != pinned:
        return f"{modules} has {package} {installed or '(unknown)'}, the lock file pins {pinned}: run {INSTALL_HINT}"
    return None
