"""Where Sigma's spec comes from: one search order for regenerate.py, the tests and ``scripts/find_spec.py``.

Offline, in order: ``$SIGMA_OPENAPI_SPEC``; ``../shared/openapi/sigma-computing-public-rest-api.json``
beside the clone; the cache, ``$XDG_CACHE_HOME/sigma-sdk/<sha256>.json`` (``~/.cache`` by default;
``$SIGMA_SDK_CACHE_DIR`` overrides the folder), keyed by the sha256 in ``openapi/spec.lock.json``.
Online, :func:`download_locked` fills the cache from the lock's URL and accepts only the locked
bytes, so a test run always sees the release the package was generated from.  The spec is data we
download; it is never committed.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import urllib.request
from pathlib import Path
from typing import Any, Final

__all__ = [
    "HOW_TO_PROVIDE",
    "LOCK",
    "SPEC_ENV",
    "SPEC_URLS",
    "SpecNotFound",
    "cache_path",
    "download_locked",
    "find_spec",
    "read_lock",
]

ROOT: Final = Path(__file__).resolve().parents[2]
LOCK: Final = ROOT / "openapi" / "spec.lock.json"
SPEC_ENV: Final = "SIGMA_OPENAPI_SPEC"
SHARED_SPEC: Final = ROOT.parent / "shared" / "openapi" / "sigma-computing-public-rest-api.json"
SPEC_URLS: Final = (
    "https://help.sigmacomputing.com/openapi/sigma-computing-public-rest-api.json",
    "https://assets.sigmacomputing.com/openapi/public-rest-api/sigma-computing-public-rest-api.json",
)
HOW_TO_PROVIDE: Final = (
    "run `python scripts/find_spec.py --download` once online (caches the locked release), "
    f"or set {SPEC_ENV} to a copy of sigma-computing-public-rest-api.json"
)


class SpecNotFound(Exception):
    """No usable spec: the message says what was tried and how to provide one."""


def read_lock() -> dict[str, Any]:
    lock: dict[str, Any] = json.loads(LOCK.read_text(encoding="utf-8"))
    return lock


def cache_path(sha256: str) -> Path:
    """Where the spec with this digest is cached."""
    folder = os.environ.get("SIGMA_SDK_CACHE_DIR")
    if folder:
        return Path(folder).expanduser() / f"{sha256}.json"
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base).expanduser() / "sigma-sdk" / f"{sha256}.json"


def find_spec() -> Path:
    """The spec to use, without touching the network; :class:`SpecNotFound` says how to provide one.

    An explicitly set ``$SIGMA_OPENAPI_SPEC`` that is not a file is an error, not a reason to look
    elsewhere: the caller asked for that file.
    """
    configured = os.environ.get(SPEC_ENV)
    if configured:
        path = Path(configured).expanduser()
        if not path.is_file():
            raise SpecNotFound(f"{SPEC_ENV} points at {path}, which is not a file: {HOW_TO_PROVIDE}")
        return path
    cached = cache_path(read_lock()["sha256"])
    for candidate in (SHARED_SPEC, cached):
        if candidate.is_file():
            return candidate
    raise SpecNotFound(f"Sigma's spec not found (not in {SPEC_ENV}, ../shared/openapi/ or {cached}): {HOW_TO_PROVIDE}")


def download_locked(timeout: float = 60.0) -> Path:
    """Download the locked spec release into the cache (atomically) and return its path.

    Raises :class:`SpecNotFound` when every URL fails (offline) or when Sigma now publishes other
    bytes than the lock names: a new release, which calls for regeneration, not for testing this
    package against a spec it was not generated from.
    """
    lock = read_lock()
    target = cache_path(lock["sha256"])
    if target.is_file():
        return target
    # "upstream": where Sigma publishes the spec; "source" may be "local file: NAME" (regenerated with --spec).
    first = lock.get("upstream") or lock["source"]
    urls = [url for url in (first, *SPEC_URLS) if "://" in url]
    urls = list(dict.fromkeys(urls))
    failures = []
    for url in urls:
        try:
            with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (fixed https URLs)
                raw = response.read()
        except OSError as exc:
            failures.append(f"{url}: {exc}")
            continue
        digest = hashlib.sha256(raw).hexdigest()
        if digest != lock["sha256"]:
            raise SpecNotFound(
                f"{url} now serves a spec with sha256 {digest}, not the locked {lock['sha256']} "
                f"(version {lock.get('version')}): Sigma published a new release. See what it changes with "
                "`python scripts/regenerate.py --dry-run`, regenerate from it with "
                "`python scripts/regenerate.py` (it updates openapi/spec.lock.json and CHANGELOG.md), "
                f"or test this version with {SPEC_ENV} pointing at a copy of release {lock.get('version')}."
            )
        target.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=target.parent, prefix=".download-", delete=False) as tmp:
            tmp.write(raw)
        os.replace(tmp.name, target)
        return target
    raise SpecNotFound("could not download Sigma's spec:\n  " + "\n  ".join(failures) + f"\n{HOW_TO_PROVIDE}")
