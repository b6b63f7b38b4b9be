#!/usr/bin/env python3
"""Install the tests' Node tooling (Prism, pyright) from tests/contract/package-lock.json.

Runs ``npm ci`` in tests/contract when node_modules is missing or was installed from another lock
file; does nothing when it is current. Exit codes: 0 installed or current, 1 npm failed, 2 Node.js or
npm missing (0 with ``--optional``, which only prints how to install them).

Note: @stoplight/prism-cli 5.16.0 declares ``engines: node >=24.18.0``, yet runs on Node 20 (the
project's contract tests pass on 20.20.2), so npm's EBADENGINE warnings during install are expected.
The folder is tests/contract because Prism came first; pyright (tests/typing) shares its lock file.
"""

from __future__ import annotations

import argparse
import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
CONTRACT_DIR = REPO_ROOT / "tests" / "contract"
LOCK_FILE = CONTRACT_DIR / "package-lock.json"
NODE_MODULES = CONTRACT_DIR / "node_modules"
# One executable per pinned package: all of them must be there for node_modules to count as current.
BINS = (NODE_MODULES / ".bin" / "prism", NODE_MODULES / ".bin" / "pyright")
STAMP = NODE_MODULES / ".sigma-sdk-lock.sha256"  # npm ci deletes node_modules, and this with it

NODE_HELP = (
    "Node.js 20 or newer and npm are needed for the Prism contract tests and the pyright typing tests\n"
    "(tested on Node 20.20.2; Prism 5.16.0 declares node >=24.18 but runs there). Install them, e.g.\n"
    "  Debian/Ubuntu: apt-get install nodejs npm   (check `node --version` is 20 or newer)\n"
    "  macOS:         brew install node\n"
    "then rerun: python scripts/install_node_deps.py   (or: npm ci --ignore-scripts --prefix tests/contract)"
)

# --ignore-scripts: nothing Prism or pyright needs has an install script; the one that does (@scarf/scarf)
# only sends analytics. tests/typing/test_typing.py checks the lock file still says so.
# --include=dev: prism-cli is a devDependency, and NODE_ENV=production would otherwise skip it.
NPM_CI_ARGS = ("ci", "--ignore-scripts", "--include=dev", "--no-audit", "--no-fund")


def lock_digest() -> str:
    """SHA-256 of package.json and package-lock.json together."""
    digest = hashlib.sha256()
    for path in (CONTRACT_DIR / "package.json", LOCK_FILE):
        digest.update(path.read_bytes())
    return digest.hexdigest()


def is_current() -> bool:
    """node_modules exists, has Prism and pyright, and was installed from the current lock file."""
    try:
        return all(path.exists() for path in BINS) and STAMP.read_text(encoding="utf-8").strip() == lock_digest()
    except OSError:
        return False


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--optional", action="store_true", help="exit 0 when Node.js or npm is missing")
    parser.add_argument("--force", action="store_true", help="reinstall even when node_modules is current")
    args = parser.parse_args(argv)

    if not args.force and is_current():
        print(f"tests/contract/node_modules (Prism, pyright) is current with {LOCK_FILE.name}")
        return 0
    npm = shutil.which("npm")
    if shutil.which("node") is None or npm is None:
        missing = "Node.js" if shutil.which("node") is None else "npm"
        print(f"{missing} not found. {NODE_HELP}", file=sys.stderr)
        return 0 if args.optional else 2
    print(f"$ npm {' '.join(NPM_CI_ARGS)}   (in {CONTRACT_DIR.relative_to(REPO_ROOT)})", flush=True)
    # S603: a fixed argv list and no shell.
    result = subprocess.run([npm, *NPM_CI_ARGS], cwd=CONTRACT_DIR, check=False)  # noqa: S603
    if result.returncode != 0:
        print(f"npm ci failed with exit code {result.returncode}", file=sys.stderr)
        return 1
    STAMP.write_text(lock_digest() + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
