#!/usr/bin/env python3
"""Rebuild ``sigma_sdk/``'s generated parts from Sigma's OpenAPI spec: the command to run on a new Sigma release.

    python scripts/regenerate.py                # download the spec, regenerate, report what changed
    python scripts/regenerate.py --spec FILE    # use a local copy (also: env SIGMA_OPENAPI_SPEC)
    python scripts/regenerate.py --check        # CI: fail if sigma_sdk/'s generated parts differ from a fresh one
    python scripts/regenerate.py --dry-run      # is there a new Sigma release? write nothing, print its report

``--dry-run [--spec FILE]`` compares that spec (default: the one Sigma publishes now, at the lock's
``upstream`` URL; ``SIGMA_OPENAPI_SPEC`` is not used) with openapi/spec.lock.json and prints the
change report against the committed openapi/api-surface.json, ending in ``Verdict: ...``. Exit codes
of ``--dry-run`` (and of the other modes where they apply):

    0  the same release as the lock (nothing to do); --check: the tree matches
    3  a new release: its change report was printed (--dry-run only)
    2  a spec that cannot be used: not JSON, a stale spec correction, or (--check) not the locked release
    1  anything else: download failed, --check found differences, an unexpected error

Steps: read the spec, run the normalization passes (scripts/_codegen/normalize.py), run
openapi-python-client with generator-config.yml and templates/, keep its generated parts (``api/``,
``models/``, ``py.typed``; _postprocess.GENERATED_PARTS), add the regions module, the models stub
(``models/__init__.pyi``) and banners, format with ruff, then swap those parts into sigma_sdk/,
write api.md (the operations index) and update openapi/spec.lock.json and openapi/api-surface.json.
The hand-written modules of sigma_sdk/ (client, errors, jobs, testing, ...) are never touched. The
spec itself is never written into the repository.
"""

from __future__ import annotations

import argparse
import datetime as dt
import difflib
import filecmp
import hashlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _codegen._additions import additions_summary
from _codegen._api_index import ApiIndexError, api_index
from _codegen._corrections import CorrectionError
from _codegen._docs import DOCS_TEMPLATE, document_operations, operation_docs_template
from _codegen._naming import naming_collisions
from _codegen._pagination import PLANS_TEMPLATE, pagination_plans_template
from _codegen._postprocess import (
    BANNER,
    GENERATED_PARTS,
    add_banners,
    format_tree,
    keep_generated_parts,
    resolve_model_references_once,
    stamp_operation_ids,
    write_models_stub,
    write_regions,
)
from _codegen._problems import SpecProblems
from _codegen._secrets import SECRETS_TEMPLATE, secret_properties_template
from _codegen._surface import change_report, surface
from _codegen.normalize import iter_operations, normalize
from _codegen.spec_source import SPEC_URLS, SpecNotFound, find_spec

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "sigma_sdk"
LOCK = ROOT / "openapi" / "spec.lock.json"
SURFACE = ROOT / "openapi" / "api-surface.json"
CHANGELOG = ROOT / "CHANGELOG.md"
API_INDEX = ROOT / "api.md"  # written beside sigma_sdk/ by generate(), compared by --check
TEMPLATES = ROOT / "templates"


class RegenerationError(Exception):
    """A failure the user can act on; printed without a traceback."""


class SpecUnavailable(RegenerationError):
    """``--check`` found no spec offline (outside CI this skips the check)."""


class DownloadFailed(RegenerationError):
    """Sigma's URLs did not answer (exit 1: not a verdict on the spec)."""


class UnusableSpec(RegenerationError):
    """A spec this SDK cannot be generated or checked from (exit 2): the message says why and what to do."""


EXIT_SAME, EXIT_OTHER, EXIT_UNUSABLE, EXIT_NEW_RELEASE = 0, 1, 2, 3


def local_source(path: Path) -> str:
    """How the lock records a spec read from a file: its name, never a URL it did not come from."""
    return f"local file: {path.name}"


def read_lock() -> dict[str, Any]:
    return json.loads(LOCK.read_text(encoding="utf-8")) if LOCK.exists() else {}


def read_spec(spec_arg: str | None, *, check: bool = False, upstream: bool = False) -> tuple[bytes, str]:
    """The spec's bytes and where they came from: ``--spec``, then ``SIGMA_OPENAPI_SPEC``, then Sigma's URLs.

    ``check``: compare against the locked release found offline (``../shared/openapi/``, the cache)
    instead of downloading whatever Sigma publishes today. ``upstream`` (``--dry-run``): ``--spec`` or
    else what Sigma publishes now, first at the lock's ``upstream`` URL.
    """
    local = spec_arg if upstream else spec_arg or os.environ.get("SIGMA_OPENAPI_SPEC")
    if not local and check:
        try:
            local = str(find_spec())
        except SpecNotFound as exc:
            raise SpecUnavailable(str(exc)) from None
    if local:
        path = Path(local)
        if not path.is_file():
            origin = "--spec" if spec_arg else "SIGMA_OPENAPI_SPEC"
            raise RegenerationError(f"{origin} points at {path}, which is not a file")
        return path.read_bytes(), local_source(path)
    failures = []
    first = read_lock().get("upstream") or SPEC_URLS[0]
    for url in [first, *(url for url in SPEC_URLS if url != first)]:
        try:
            with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310 (fixed https URLs)
                return response.read(), url
        except OSError as exc:
            failures.append(f"{url}: {exc}")
    raise DownloadFailed(
        "could not download the spec (use --spec FILE or SIGMA_OPENAPI_SPEC offline):\n  " + "\n  ".join(failures)
    )


def generate(normalized: dict[str, Any], out_dir: Path) -> Path:
    """Generate the package from a normalized spec into ``out_dir/sigma_sdk``; return that path.

    ``out_dir/api.md`` gets the operations index (scripts/_codegen/_api_index.py).
    """
    normalized, docs = document_operations(normalized)  # links to SDK names, reflowed docstrings
    spec_path = out_dir / "normalized.spec.json"
    spec_path.write_text(json.dumps(normalized, indent=1, sort_keys=False), encoding="utf-8")
    package = out_dir / "sigma_sdk"
    templates = out_dir / "templates"  # ours, plus the pagination plans the endpoint template renders
    shutil.copytree(TEMPLATES, templates)
    (templates / PLANS_TEMPLATE).write_text(pagination_plans_template(normalized), encoding="utf-8")
    (templates / SECRETS_TEMPLATE).write_text(secret_properties_template(normalized), encoding="utf-8")
    (templates / DOCS_TEMPLATE).write_text(operation_docs_template(docs), encoding="utf-8")
    result = subprocess.run(  # noqa: S603 - fixed arguments, no shell
        [
            sys.executable,
            "-m",
            "openapi_python_client",
            "generate",
            "--path",
            str(spec_path),
            "--meta",
            "none",
            "--output-path",
            str(package),
            "--config",
            str(ROOT / "generator-config.yml"),
            "--custom-template-path",
            str(templates),
            "--overwrite",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    # The generator exits 0 even when it skipped operations; any warning is a failure here.
    if result.returncode != 0 or "Warning" in result.stdout or "WARNING" in result.stdout:
        raise RegenerationError(f"openapi-python-client reported problems:\n{result.stdout}\n{result.stderr}")
    try:
        keep_generated_parts(package)
    except ValueError as exc:
        raise RegenerationError(str(exc)) from exc
    write_regions(package, normalized.get("servers") or [])
    (package / "py.typed").write_text("", encoding="utf-8")
    resolve_model_references_once(package)
    stamp_operation_ids(package, normalized)
    write_models_stub(package)
    format_tree(package)
    add_banners(package)
    try:
        (out_dir / API_INDEX.name).write_text(api_index(normalized, package), encoding="utf-8")
    except ApiIndexError as exc:
        raise RegenerationError(f"api.md: {exc}") from exc
    return package


def generated_files(package: Path) -> set[Path]:
    """The files of ``package``'s generated parts (``GENERATED_PARTS``), relative to ``package``."""
    files = set()
    for part in GENERATED_PARTS:
        path = package / part
        paths = path.rglob("*") if path.is_dir() else [path]
        files |= {p.relative_to(package) for p in paths if p.is_file() and "__pycache__" not in p.parts}
    return files


def tree_differences(expected: Path, actual: Path) -> list[str]:
    """Human-readable differences between the generated parts of two trees (added, removed, changed files).

    The hand-written modules of ``actual`` are not compared, but one that carries the generated banner
    is reported: a generated file that regeneration no longer writes, or a hand-written file claiming
    to be generated.
    """
    expected_files, actual_files = generated_files(expected), generated_files(actual)
    lines = [f"missing from sigma_sdk/: {path}" for path in sorted(expected_files - actual_files)]
    lines += [f"not produced by regeneration: {path}" for path in sorted(actual_files - expected_files)]
    lines += [
        f"not produced by regeneration (carries the generated banner): {path.name}"
        for path in sorted(actual.glob("*.py"))
        if path.name not in GENERATED_PARTS and path.read_text(encoding="utf-8").startswith(BANNER)
    ]
    for path in sorted(expected_files & actual_files):
        if not filecmp.cmp(expected / path, actual / path, shallow=False):
            diff = difflib.unified_diff(
                (actual / path).read_text(encoding="utf-8").splitlines(),
                (expected / path).read_text(encoding="utf-8").splitlines(),
                lineterm="",
                n=1,
            )
            lines.append(f"changed: {path}\n    " + "\n    ".join(list(diff)[2:12]))
    return lines


def replace_generated_parts(generated: Path, package: Path) -> None:
    """Put the generated parts of ``generated`` in place of ``package``'s; its hand-written files stay as they are.

    The new parts are first copied next to ``package`` (the same file system), then each is swapped in
    by renames, so an interrupted run leaves every part either wholly old or wholly new.
    """
    staging = package.parent / f".{package.name}.regenerating"
    if staging.exists():  # left by a run that was killed
        shutil.rmtree(staging)
    new, old = staging / "new", staging / "old"
    new.mkdir(parents=True)
    old.mkdir()
    package.mkdir(exist_ok=True)
    try:
        for part in GENERATED_PARTS:
            source = generated / part
            if source.is_dir():
                shutil.copytree(source, new / part)
            else:
                shutil.copyfile(source, new / part)
        for part in GENERATED_PARTS:
            target = package / part
            if (new / part).is_file():
                os.replace(new / part, target)  # atomic for a file
                continue
            try:
                if target.exists():
                    target.rename(old / part)
                (new / part).rename(target)
            except BaseException:
                if (old / part).exists() and not target.exists():
                    (old / part).rename(target)  # put the old part back rather than leave none
                raise
    finally:
        shutil.rmtree(staging)


def record_spec_release(changelog: Path, lock: dict[str, Any], previous_lock: dict[str, Any], report: str) -> bool:
    """Add the picked-up spec release and its change report under ``## [Unreleased]``; False if unchanged."""
    if not previous_lock or previous_lock.get("sha256") == lock["sha256"]:
        return False
    text = changelog.read_text(encoding="utf-8")
    marker = "## [Unreleased]"
    if marker not in text:
        raise RegenerationError(f"{changelog} has no '{marker}' heading to record the spec release under")
    entry = (
        f"\n\n### Changed\n\n- Regenerated from Sigma's spec {lock['version']} (sha256 `{lock['sha256']}`, "
        f"{lock['date']}; was {previous_lock.get('version')}, `{str(previous_lock.get('sha256'))[:12]}…`):\n\n"
        + "\n".join(f"  {line.strip()}" if line.startswith("  ") else f"  {line}" for line in report.splitlines())
    )
    changelog.write_text(text.replace(marker, marker + entry, 1), encoding="utf-8")
    return True


def corrections_summary(new_surface: dict[str, Any]) -> str:
    """One line on the spec corrections in force, so every regeneration shows them."""
    applied = new_surface.get("corrections", {})
    agreeing = sorted(name for name, places in applied.items() if not places)
    line = f"Spec corrections (openapi/corrections.toml): {len(applied) - len(agreeing)} applied"
    return line + (f"; the spec now agrees with {', '.join(agreeing)}: remove it" if agreeing else "")


def load_spec_bytes(raw: bytes) -> dict[str, Any]:
    """The spec as JSON, normalized; an unusable one raises :class:`UnusableSpec` with the reason."""
    try:
        spec = json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise UnusableSpec(f"the spec is not valid JSON: {exc}") from exc
    if not isinstance(spec, dict) or not isinstance(spec.get("paths"), dict):
        raise UnusableSpec("the spec is not an OpenAPI document (no 'paths' object)")
    return spec


def normalized_surface(spec: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """The normalized spec and its surface; a stale spec correction or a bad spec is an :class:`UnusableSpec`."""
    try:
        normalized = normalize(spec)
        return normalized, surface(normalized)
    except (CorrectionError, SpecProblems) as exc:
        raise UnusableSpec(str(exc)) from None


def locked_release_mismatch(sha256: str, version: object, lock: dict[str, Any]) -> str | None:
    """Why ``--check`` cannot judge the tree with this spec: it is not the release the tree was made from."""
    if not lock or lock.get("sha256") == sha256:
        return None
    return (
        f"this spec (version {version}, sha256 {sha256}) is not the release sigma_sdk/ was generated from: "
        f"version {lock.get('version')}, sha256 {lock.get('sha256')}, {lock.get('source')} on {lock.get('date')} "
        "(openapi/spec.lock.json).\n"
        "To check the tree, get that release: `python scripts/find_spec.py --download` (fetches it from "
        f"{lock.get('upstream') or SPEC_URLS[0]} into the cache, sha256-checked; it fails if Sigma now serves "
        "another release) or point --spec / SIGMA_OPENAPI_SPEC at a copy with that sha256.\n"
        "To move the SDK to this spec instead: `python scripts/regenerate.py --dry-run --spec FILE` shows what "
        "changes, `python scripts/regenerate.py --spec FILE` regenerates; review and commit."
    )


def spec_fixes_summary(normalized: dict[str, Any], new_surface: dict[str, Any]) -> str:
    """What the SDK changed in Sigma's spec: corrections, additions, and names chosen around collisions.

    Printed before the change report, so the report's verdict stays the last line.
    """
    lines = [corrections_summary(new_surface), additions_summary(normalized)]
    collisions = naming_collisions(normalized)
    if collisions:
        lines.append(f"Name collisions ({len(collisions)}), resolved as:")
        lines.extend(f"  {line}" for line in collisions)
    return "\n".join(lines)


def dry_run(raw: bytes, source: str) -> int:
    """Compare a spec with the lock and the committed surface; print the change report. Writes nothing."""
    lock = read_lock()
    sha256 = hashlib.sha256(raw).hexdigest()
    if lock.get("sha256") == sha256:
        print(f"Same release as openapi/spec.lock.json: spec {lock.get('version')}, sha256 {sha256} ({source}).")
        return EXIT_SAME
    spec = load_spec_bytes(raw)
    normalized, new_surface = normalized_surface(spec)
    old_surface = json.loads(SURFACE.read_text(encoding="utf-8")) if SURFACE.exists() else None
    version = (spec.get("info") or {}).get("version")
    print(
        f"New Sigma spec release: version {version}, sha256 {sha256} ({source}); sigma_sdk/ was generated from "
        f"version {lock.get('version')}, sha256 {lock.get('sha256')}."
    )
    print(spec_fixes_summary(normalized, new_surface))
    print(change_report(old_surface, new_surface))
    return EXIT_NEW_RELEASE


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--spec", help="path to a local copy of sigma-computing-public-rest-api.json")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--check", action="store_true", help="fail if sigma_sdk/ differs from a fresh regeneration")
    mode.add_argument("--dry-run", action="store_true", help="write nothing; print the new release's change report")
    return parser.parse_args(argv)


def _check_tree(package: Path, old_surface: Any, new_surface: Any) -> int:
    """``--check``: compare a fresh regeneration in ``package`` with the committed tree, index and surface."""
    problems = tree_differences(package, PACKAGE)
    index = package.parent / API_INDEX.name
    if not API_INDEX.is_file() or not filecmp.cmp(index, API_INDEX, shallow=False):
        problems.append(f"{API_INDEX.name} is out of date")
    if old_surface != new_surface:
        problems.append("openapi/api-surface.json is out of date")
    if problems:
        print(f"sigma_sdk/ is not what regeneration produces ({len(problems)} difference(s)):")
        print("\n".join(problems[:40]))
        print("Run `python scripts/regenerate.py` and commit the result.")
        return EXIT_OTHER
    count = sum(1 for _ in package.rglob("*.py"))
    print(f"sigma_sdk/ matches a fresh regeneration ({count} generated files).")
    return EXIT_SAME


def _new_lock(spec: dict[str, Any], raw: bytes, source: str, previous_lock: dict[str, Any]) -> dict[str, Any]:
    sha256 = hashlib.sha256(raw).hexdigest()
    return {
        # Where the bytes really came from: the URL downloaded, or "local file: NAME" for --spec.
        "source": source,
        # Where Sigma publishes the spec: what --dry-run and scripts/find_spec.py --download fetch.
        "upstream": source if source.startswith("https://") else previous_lock.get("upstream", SPEC_URLS[0]),
        "sha256": sha256,
        "version": spec.get("info", {}).get("version"),
        "openapi": spec.get("openapi"),
        # Sigma's own count; the SDK's (with the additions of corrections.toml) is api-surface.json's.
        "operations": sum(1 for _ in iter_operations(spec)),
        # Keep the date when the spec did not change, so regenerating twice changes nothing.
        "date": previous_lock.get("date") if previous_lock.get("sha256") == sha256 else dt.date.today().isoformat(),
    }


def _regenerate(raw: bytes, source: str, *, check: bool) -> int:
    """Regenerate from ``raw`` and write the tree, lock, surface and CHANGELOG record (or only compare)."""
    spec = load_spec_bytes(raw)
    previous_lock = read_lock()
    if check:
        version = (spec.get("info") or {}).get("version")
        mismatch = locked_release_mismatch(hashlib.sha256(raw).hexdigest(), version, previous_lock)
        if mismatch:
            raise UnusableSpec(mismatch)
    normalized, new_surface = normalized_surface(spec)
    old_surface = json.loads(SURFACE.read_text(encoding="utf-8")) if SURFACE.exists() else None
    with tempfile.TemporaryDirectory(prefix="sigma-sdk-") as tmp:
        package = generate(normalized, Path(tmp))
        if check:
            return _check_tree(package, old_surface, new_surface)
        replace_generated_parts(package, PACKAGE)
        shutil.copyfile(package.parent / API_INDEX.name, API_INDEX)
    lock = _new_lock(spec, raw, source, previous_lock)
    LOCK.write_text(json.dumps(lock, indent=2) + "\n", encoding="utf-8")
    SURFACE.write_text(json.dumps(new_surface, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    report = change_report(old_surface, new_surface)
    print(spec_fixes_summary(normalized, new_surface))
    print(report)
    if record_spec_release(CHANGELOG, lock, previous_lock, report):
        print(f"Recorded the new spec release in {CHANGELOG.name}.")
    return EXIT_SAME


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)
    try:
        try:
            raw, source = read_spec(args.spec, check=args.check, upstream=args.dry_run)
        except SpecUnavailable as exc:
            if os.environ.get("CI", "").strip().lower() in {"true", "1", "yes"}:
                raise
            print(f"regenerate --check skipped: {exc}")
            return 0
        return dry_run(raw, source) if args.dry_run else _regenerate(raw, source, check=args.check)
    except UnusableSpec as exc:
        print(f"regenerate: {exc}", file=sys.stderr)
        return EXIT_UNUSABLE
    except RegenerationError as exc:
        print(f"regenerate: {exc}", file=sys.stderr)
        return EXIT_OTHER if isinstance(exc, DownloadFailed) else EXIT_UNUSABLE
    except SpecProblems as exc:  # every problem of the spec at once, each with what to do
        print(f"regenerate: {exc}", file=sys.stderr)
        return EXIT_UNUSABLE


if __name__ == "__main__":
    sys.exit(main())
