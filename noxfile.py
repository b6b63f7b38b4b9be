"""Developer sessions (nox on uv): ``nox -s tests``, ``typing``, ``lint``, ``regenerate``, ``bench``.

``./scripts/test`` runs the same checks in one go without nox; CI uses that.
"""

from __future__ import annotations

import os
from pathlib import Path

import nox

nox.options.default_venv_backend = "uv|virtualenv"
nox.options.sessions = ["lint", "typing", "regenerate", "tests"]

ROOT = Path(__file__).parent
SPEC = os.environ.get(
    "SIGMA_OPENAPI_SPEC", str(ROOT.parent / "shared" / "openapi" / "sigma-computing-public-rest-api.json")
)


@nox.session(python="3.11")
def tests(session: nox.Session) -> None:
    """The whole pytest suite, contract and pyright tests included (needs Node.js for Prism and pyright)."""
    session.install("-e", ".[dev]")
    session.run("python", "scripts/install_node_deps.py", external=False)
    session.run("pytest", *session.posargs, env={"SIGMA_OPENAPI_SPEC": SPEC})


@nox.session(python="3.11")
def typing(session: nox.Session) -> None:
    """mypy --strict over the hand-written code; tests/typing: README usage type-checks in mypy and pyright,
    planted mistakes are caught (pyright comes from tests/contract's lock, so this needs Node.js)."""
    session.install("-e", ".[dev]")
    session.run("python", "scripts/install_node_deps.py", external=False)
    session.run("mypy")  # [tool.mypy] in pyproject.toml: strict, sigma_sdk_auth and scripts
    session.run("pytest", "tests/typing", *session.posargs)


@nox.session(python="3.11")
def lint(session: nox.Session) -> None:
    """ruff lint and format check."""
    session.install("ruff==0.17.6")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session(python="3.11")
def regenerate(session: nox.Session) -> None:
    """Fail if sigma_sdk/ differs from a fresh regeneration of the spec."""
    session.install("-e", ".[dev]")
    session.run("python", "scripts/regenerate.py", "--check", "--spec", SPEC)


@nox.session(python="3.11")
def bench(session: nox.Session) -> None:
    """Import cost, per-call cost and regeneration time, side by side with plain httpx."""
    session.install("-e", ".[dev]")
    session.run("python", "scripts/bench.py", *session.posargs, env={"SIGMA_OPENAPI_SPEC": SPEC})
