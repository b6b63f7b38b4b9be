"""`python -m sigma_sdk.testing`: the fake started from a shell, seeded, printing the settings to use."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from sigma_sdk import Client
from sigma_sdk.api.workbooks import list_workbook_page_elements, list_workbook_pages, list_workbooks
from sigma_sdk.jobs import download_export

ROOT = Path(__file__).resolve().parents[2]


def _start(*options: str) -> tuple[subprocess.Popen[str], dict[str, str], list[str]]:
    """Start the CLI; return it, its SIGMA_* settings and its comment lines (read up to the last one)."""
    process = subprocess.Popen(  # noqa: S603 - fixed arguments
        [sys.executable, "-m", "sigma_sdk.testing", *options],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    settings: dict[str, str] = {}
    comments: list[str] = []
    assert process.stdout is not None
    for line in process.stdout:
        if line.startswith("SIGMA_"):
            key, _, value = line.rstrip("\n").partition("=")
            settings[key] = value
        else:
            comments.append(line.rstrip("\n"))
        if line.startswith("# Ctrl-C"):
            break
    return process, settings, comments


@pytest.fixture
def cli() -> Iterator[tuple[subprocess.Popen[str], dict[str, str], list[str]]]:
    process, settings, comments = _start(
        "--workbooks", "2", "--exports", "1", "--export-polls", "0", "--lifetime", "60"
    )
    try:
        yield process, settings, comments
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=10)


def test_it_prints_the_settings_a_client_reads_from_the_environment(
    cli: tuple[subprocess.Popen[str], dict[str, str], list[str]], tmp_path: Path
) -> None:
    """The printed SIGMA_* lines are what Client.from_env() needs; the seeded export downloads by its printed id."""
    _, settings, comments = cli
    assert set(settings) == {"SIGMA_BASE_URL", "SIGMA_CLIENT_ID", "SIGMA_CLIENT_SECRET"}
    assert settings["SIGMA_BASE_URL"].startswith("http://127.0.0.1:")
    query_id = next(line.rsplit(" ", 1)[1] for line in comments if line.startswith("# export ready"))
    with Client.from_env(environ=settings, httpx_args={"trust_env": False}) as client:
        workbooks = list(list_workbooks.iterate(client=client))
        pages = list(list_workbook_pages.iterate(workbooks[0].workbook_id, client=client))
        elements = list(list_workbook_page_elements.iterate(workbooks[0].workbook_id, pages[0].page_id, client=client))
        result = download_export(client, query_id, to=tmp_path / "seeded.csv")
    assert len(workbooks) == 2
    assert [page.name for page in pages] == ["Overview", "Details"]
    assert len(elements) == 3
    assert any(workbooks[0].workbook_id in line and "workbook" in line for line in comments)
    assert any(elements[0].element_id in line for line in comments)
    assert result.bytes_written > 0


@pytest.mark.skipif(os.name != "posix", reason="SIGINT is how Ctrl-C reaches a process on POSIX")
def test_ctrl_c_stops_it(cli: tuple[subprocess.Popen[str], dict[str, str], list[str]]) -> None:
    """Ctrl-C (SIGINT) stops the server and the process exits 0, saying it stopped."""
    process, _, _ = cli
    process.send_signal(signal.SIGINT)
    # Generous for a loaded 2-core machine: stop() itself may wait 5 s for connections and 5 s for its thread.
    _, stderr = process.communicate(timeout=30)
    assert process.returncode == 0
    assert "stopped" in stderr


def test_it_stops_by_itself_after_its_lifetime() -> None:
    """With --lifetime 0.5 the process ends on its own, well before a test would time out."""
    started = time.monotonic()
    process, settings, _ = _start("--lifetime", "0.5", "--workbooks", "1")
    process.communicate(timeout=20)
    assert process.returncode == 0
    assert settings["SIGMA_CLIENT_ID"] == "standin-client"
    assert time.monotonic() - started < 15


def test_bad_options_are_refused_with_the_reason() -> None:
    """An impossible seeding option exits 2 with a message naming it."""
    result = subprocess.run(
        [sys.executable, "-m", "sigma_sdk.testing", "--pages", "9"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert result.returncode == 2
    assert "pages must be 0-4" in result.stderr
