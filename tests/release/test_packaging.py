"""The distribution: what the wheel and sdist contain and declare, built offline with hatchling."""

from __future__ import annotations

import ast
import datetime
import email.parser
import subprocess
import sys
import tarfile
import zipfile
from importlib import metadata
from pathlib import Path

import pytest

import sigma_sdk
import sigma_sdk_auth

ROOT = Path(__file__).resolve().parents[2]
DIST = "sigma-computing-sdk"
IMPORT_NAMES = {"httpx": "httpx", "attrs": "attrs"}  # distribution -> top-level module


def _build(source: Path, out: Path, *targets: str) -> list[Path]:
    args = [sys.executable, "-m", "hatchling", "build", "-d", str(out)]
    for target in targets:
        args += ["-t", target]
    subprocess.run(args, cwd=source, check=True, capture_output=True, timeout=120)  # noqa: S603 - fixed arguments
    return sorted(out.iterdir())


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[zipfile.ZipFile, tarfile.TarFile]:
    out = tmp_path_factory.mktemp("dist")
    files = _build(ROOT, out, "sdist", "wheel")
    (wheel,) = [f for f in files if f.suffix == ".whl"]
    (sdist,) = [f for f in files if f.name.endswith(".tar.gz")]
    return zipfile.ZipFile(wheel), tarfile.open(sdist)


def _wheel_metadata(wheel: zipfile.ZipFile) -> email.message.Message:
    (name,) = [n for n in wheel.namelist() if n.endswith(".dist-info/METADATA")]
    return email.parser.Parser().parsestr(wheel.read(name).decode())


def test_version_is_the_installed_one() -> None:
    """sigma_sdk.__version__ is the installed distribution's version (one source: sigma_sdk_auth/_version.py)."""
    assert sigma_sdk.__version__ == sigma_sdk_auth.__version__ == metadata.version(DIST)


def test_wheel_declares_name_license_classifiers_and_urls(built: tuple[zipfile.ZipFile, tarfile.TarFile]) -> None:
    """The wheel is sigma-computing-sdk, MIT with its LICENSE file, Typed, for Python 3.11+, with project URLs."""
    wheel, _ = built
    meta = _wheel_metadata(wheel)
    assert (meta["Name"], meta["Version"]) == (DIST, sigma_sdk.__version__)
    assert meta["License-Expression"] == "MIT"
    assert meta["Requires-Python"] == ">=3.11"
    classifiers = meta.get_all("Classifier") or []
    assert "Typing :: Typed" in classifiers
    assert {"Programming Language :: Python :: 3.11", "Programming Language :: Python :: 3.12"} <= set(classifiers)
    assert meta.get_all("Project-URL")
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in wheel.namelist())


def test_wheel_ships_the_packages_and_no_test_code(built: tuple[zipfile.ZipFile, tarfile.TarFile]) -> None:
    """Both packages with py.typed and the public testing aid; nothing from tests/ or scripts/."""
    names = set(built[0].namelist())
    assert {"sigma_sdk/py.typed", "sigma_sdk_auth/py.typed", "sigma_sdk/testing.py"} <= names
    assert "sigma_sdk_auth/testing/__init__.py" in names
    assert not [n for n in names if n.startswith(("tests/", "scripts/", "examples/"))]
    assert "sigma_sdk_auth/_standin.py" not in names  # the old private stand-in is gone


def test_every_runtime_dependency_is_imported(built: tuple[zipfile.ZipFile, tarfile.TarFile]) -> None:
    """Each Requires-Dist without an extra is imported by the shipped code (no dependency without a job)."""
    requires = [r for r in _wheel_metadata(built[0]).get_all("Requires-Dist") or [] if "extra ==" not in r]
    names = {r.split(";")[0].split("<")[0].split(">")[0].split("=")[0].strip() for r in requires}
    assert names == set(IMPORT_NAMES)
    imported: set[str] = set()
    for path in [*ROOT.joinpath("sigma_sdk").rglob("*.py"), *ROOT.joinpath("sigma_sdk_auth").rglob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported |= {a.name.split(".")[0] for a in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                imported.add(node.module.split(".")[0])
    assert {IMPORT_NAMES[n] for n in names} <= imported


def test_sdist_has_tests_license_changelog_and_rebuilds(
    built: tuple[zipfile.ZipFile, tarfile.TarFile], tmp_path: Path
) -> None:
    """The sdist carries tests, LICENSE and CHANGELOG (no node_modules, no spec) and builds the same wheel."""
    wheel, sdist = built
    top = sdist.getnames()[0].split("/")[0]
    names = {n.removeprefix(top + "/") for n in sdist.getnames()}
    assert {"LICENSE", "CHANGELOG.md", "README.md", "tests/conftest.py", "scripts/regenerate.py"} <= names
    assert {"openapi/spec.lock.json", "tests/contract/package-lock.json"} <= names
    assert not [n for n in names if "node_modules" in n or n.startswith("sigma-computing-public-rest-api")]
    sdist.extractall(tmp_path, filter="data")
    (rebuilt,) = _build(tmp_path / top, tmp_path / "out", "wheel")
    assert sorted(zipfile.ZipFile(rebuilt).namelist()) == sorted(wheel.namelist())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-05-01T12:34:56.789Z", datetime.datetime(2024, 5, 1, 12, 34, 56, 789000, tzinfo=datetime.UTC)),
        ("2024-05-01T12:34:56Z", datetime.datetime(2024, 5, 1, 12, 34, 56, tzinfo=datetime.UTC)),
        ("2024-05-01T12:34:56.123456+00:00", datetime.datetime(2024, 5, 1, 12, 34, 56, 123456, tzinfo=datetime.UTC)),
        ("2024-05-01", datetime.datetime(2024, 5, 1)),
    ],
)
def test_sigma_timestamps_parse_with_the_standard_library(text: str, expected: datetime.datetime) -> None:
    """Sigma's ISO 8601 timestamps, "Z" included, parse with datetime.fromisoformat: no dateutil needed."""
    assert datetime.datetime.fromisoformat(text) == expected
