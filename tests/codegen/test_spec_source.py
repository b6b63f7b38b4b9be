"""Where the spec comes from (scripts/_codegen/spec_source.py): search order, download, lock check, skips."""

from __future__ import annotations

import hashlib
import http.server
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import regenerate
from _codegen import spec_source

SPEC_BYTES = b'{"openapi": "3.1.0", "info": {"version": "9.9.9"}, "paths": {}}'


@pytest.fixture(autouse=True)
def isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No env spec, no ../shared spec, an empty cache folder, and CI unset."""
    monkeypatch.delenv("SIGMA_OPENAPI_SPEC", raising=False)
    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setenv("SIGMA_SDK_CACHE_DIR", str(tmp_path / "cache"))
    monkeypatch.setattr(spec_source, "SHARED_SPEC", tmp_path / "shared" / "spec.json")


def _lock(monkeypatch: pytest.MonkeyPatch, url: str, sha256: str) -> None:
    lock: dict[str, Any] = {"source": url, "sha256": sha256, "version": "9.9.9"}
    monkeypatch.setattr(spec_source, "read_lock", lambda: lock)
    monkeypatch.setattr(spec_source, "SPEC_URLS", ())


@pytest.fixture
def spec_url() -> Iterator[str]:
    """A loopback server answering SPEC_BYTES at /spec.json."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Length", str(len(SPEC_BYTES)))
            self.end_headers()
            self.wfile.write(SPEC_BYTES)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/spec.json"
    finally:
        server.shutdown()
        server.server_close()


def test_search_order_env_then_shared_then_cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """$SIGMA_OPENAPI_SPEC wins over ../shared/openapi/, which wins over the cache."""
    _lock(monkeypatch, "http://unused.invalid/", "ab" * 32)
    cached = spec_source.cache_path("ab" * 32)
    cached.parent.mkdir(parents=True)
    cached.write_bytes(SPEC_BYTES)
    assert spec_source.find_spec() == cached
    spec_source.SHARED_SPEC.parent.mkdir(parents=True)
    spec_source.SHARED_SPEC.write_bytes(SPEC_BYTES)
    assert spec_source.find_spec() == spec_source.SHARED_SPEC
    explicit = tmp_path / "mine.json"
    explicit.write_bytes(SPEC_BYTES)
    monkeypatch.setenv("SIGMA_OPENAPI_SPEC", str(explicit))
    assert spec_source.find_spec() == explicit


def test_missing_spec_says_how_to_provide_it_in_one_line(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Without any spec the error is one line naming the places searched and the two ways to provide one."""
    with pytest.raises(spec_source.SpecNotFound) as caught:
        spec_source.find_spec()
    message = str(caught.value)
    assert "\n" not in message
    assert "find_spec.py --download" in message
    assert "SIGMA_OPENAPI_SPEC" in message
    monkeypatch.setenv("SIGMA_OPENAPI_SPEC", str(tmp_path / "missing.json"))
    with pytest.raises(spec_source.SpecNotFound, match=r"missing\.json, which is not a file"):
        spec_source.find_spec()


def test_download_checks_the_lock_and_caches(monkeypatch: pytest.MonkeyPatch, spec_url: str) -> None:
    """The locked bytes are downloaded once into the cache; find_spec then finds them offline."""
    _lock(monkeypatch, spec_url, hashlib.sha256(SPEC_BYTES).hexdigest())
    path = spec_source.download_locked()
    assert path.read_bytes() == SPEC_BYTES
    assert spec_source.find_spec() == path
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temporary file left behind


def test_download_of_a_new_release_is_refused_with_how_to_regenerate(
    monkeypatch: pytest.MonkeyPatch, spec_url: str
) -> None:
    """Bytes with another sha256 mean Sigma published a new release: nothing is cached, regeneration is named."""
    _lock(monkeypatch, spec_url, "00" * 32)
    with pytest.raises(spec_source.SpecNotFound) as caught:
        spec_source.download_locked()
    assert "Sigma published a new release" in str(caught.value)
    assert "scripts/regenerate.py" in str(caught.value)
    assert not spec_source.cache_path("00" * 32).exists()


def test_regenerate_check_skips_without_a_spec_and_fails_under_ci(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """regenerate --check with no spec prints one skip line and exits 0; under CI=true it exits 2."""
    assert regenerate.main(["--check"]) == 0
    assert capsys.readouterr().out.startswith("regenerate --check skipped: Sigma's spec not found")
    monkeypatch.setenv("CI", "true")
    assert regenerate.main(["--check"]) == 2
