"""Where credentials come from: environment variables, ``.env`` files, Postman environments.

Everything here returns plain :class:`Settings`; the client turns them into connections.  Error
messages name variables, keys, files and line numbers, never values (a value may be a secret).
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Final

import attrs

from ._auth import TOKEN_PATH
from ._errors import ConfigurationError

__all__ = [
    "ENV_BASE_URL",
    "ENV_CLIENT_ID",
    "ENV_CLIENT_SECRET",
    "ENV_REFRESH_TOKEN",
    "ENV_REGION",
    "Settings",
    "parse_dotenv",
    "settings_from_env",
    "settings_from_postman_environment",
]

ENV_BASE_URL: Final = "SIGMA_BASE_URL"
ENV_REGION: Final = "SIGMA_REGION"
ENV_CLIENT_ID: Final = "SIGMA_CLIENT_ID"
ENV_CLIENT_SECRET: Final = "SIGMA_CLIENT_SECRET"
# Optional: a refresh token to start from (as Airbyte's Sigma connector does); see SigmaAuth.
ENV_REFRESH_TOKEN: Final = "SIGMA_REFRESH_TOKEN"

# The QuickStart's variable names (see Sigma's Postman collection).
_POSTMAN_BASE_URL: Final = "baseUrl"
_POSTMAN_TOKEN_URL: Final = "tokenBaseURL"
_POSTMAN_CLIENT_ID: Final = "clientID"
_POSTMAN_SECRET: Final = "secret"

_DOTENV_KEY: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_.]*")
_POSTMAN_VARIABLE: Final = re.compile(r"\{\{\s*([^{}]+?)\s*\}\}")
_DOUBLE_QUOTED_ESCAPES: Final = {"n": "\n", "r": "\r", "t": "\t", '"': '"', "\\": "\\", "$": "$"}


@attrs.frozen
class Settings:
    """Where to connect and with which credential.  ``base_url`` may still be a region name."""

    base_url: str
    client_id: str
    client_secret: str = attrs.field(repr=False)
    token_url: str | None = None
    refresh_token: str | None = attrs.field(default=None, repr=False)


# -- environment and .env ---------------------------------------------------------------------


def _unquote_double(value: str, *, path: Path, line_number: int) -> tuple[str, str]:
    """Parse a double-quoted value starting after the opening quote; return (value, rest of line)."""
    out: list[str] = []
    i = 0
    while i < len(value):
        char = value[i]
        if char == "\\" and i + 1 < len(value):
            nxt = value[i + 1]
            out.append(_DOUBLE_QUOTED_ESCAPES.get(nxt, "\\" + nxt))
            i += 2
            continue
        if char == '"':
            return "".join(out), value[i + 1 :]
        out.append(char)
        i += 1
    raise ConfigurationError(f"{path}, line {line_number}: unterminated double-quoted value")


def _read_text(file: Path, missing: str, unreadable: str) -> str:
    """``file``'s text (a BOM dropped); a missing or unreadable file is a ConfigurationError naming it."""
    try:
        return file.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ConfigurationError(f"{missing} not found: {file}") from None
    except (OSError, UnicodeDecodeError) as exc:
        # The exception's type only: its text could quote the file.
        raise ConfigurationError(f"cannot read {unreadable} {file}: {type(exc).__name__}") from None


def parse_dotenv(path: str | os.PathLike[str]) -> dict[str, str]:
    """Parse a simple ``.env`` file: ``KEY=VALUE`` lines, ``#`` comments, optional ``export``.

    Values may be bare (an inline comment must follow whitespace: ``A=b # note``), single-quoted
    (literal) or double-quoted (``\\n``, ``\\t``, ``\\"`` and ``\\\\`` escapes).  No interpolation and
    no multi-line values: this is a deliberately small subset, and anything outside it is an error
    naming the line rather than a silent guess.
    """
    file = Path(path)
    text = _read_text(file, "env file", "env file")

    values: dict[str, str] = {}
    for line_number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("export ") or line.startswith("export\t"):
            line = line[len("export") :].lstrip()
        key, sep, rest = line.partition("=")
        key = key.strip()
        if not sep or not _DOTENV_KEY.fullmatch(key):
            raise ConfigurationError(f"{file}, line {line_number}: expected KEY=VALUE")
        rest = rest.strip()
        if rest.startswith('"'):
            value, tail = _unquote_double(rest[1:], path=file, line_number=line_number)
        elif rest.startswith("'"):
            end = rest.find("'", 1)
            if end < 0:
                raise ConfigurationError(f"{file}, line {line_number}: unterminated single-quoted value")
            value, tail = rest[1:end], rest[end + 1 :]
        else:
            value, tail = re.split(r"\s+#", rest, maxsplit=1)[0].rstrip(), ""
        tail = tail.strip()
        if tail and not tail.startswith("#"):
            raise ConfigurationError(f"{file}, line {line_number}: unexpected text after the closing quote")
        values[key] = value
    return values


def settings_from_env(
    environ: Mapping[str, str] | None = None, *, env_file: str | os.PathLike[str] | None = None
) -> Settings:
    """Read ``SIGMA_BASE_URL`` (or ``SIGMA_REGION``), ``SIGMA_CLIENT_ID`` and ``SIGMA_CLIENT_SECRET``,
    and the optional ``SIGMA_REFRESH_TOKEN`` (a refresh token to start from).

    ``env_file`` values fill in what the real environment does not set (the environment wins, as
    with python-dotenv's default).  ``SIGMA_BASE_URL`` wins over ``SIGMA_REGION`` when both are set.
    Empty values count as missing.
    """
    env: dict[str, str] = {}
    if env_file is not None:
        env.update(parse_dotenv(env_file))
    env.update({k: v for k, v in (os.environ if environ is None else environ).items() if v.strip()})

    def get(name: str) -> str | None:
        value = env.get(name, "").strip()
        return value or None

    base_url = get(ENV_BASE_URL) or get(ENV_REGION)
    client_id = get(ENV_CLIENT_ID)
    client_secret = get(ENV_CLIENT_SECRET)
    if base_url is None or client_id is None or client_secret is None:
        missing = [f"{ENV_BASE_URL} (or {ENV_REGION})"] if base_url is None else []
        missing += [
            name for name, value in ((ENV_CLIENT_ID, client_id), (ENV_CLIENT_SECRET, client_secret)) if not value
        ]
        where = f" (also looked in {env_file})" if env_file is not None else ""
        raise ConfigurationError(f"missing environment variable(s): {', '.join(missing)}{where}")
    return Settings(
        base_url=base_url, client_id=client_id, client_secret=client_secret, refresh_token=get(ENV_REFRESH_TOKEN)
    )


# -- Postman ----------------------------------------------------------------------------------


def _postman_values(path: Path, document: Any) -> dict[str, str]:
    if not isinstance(document, dict):
        raise ConfigurationError(f"{path}: expected a Postman environment (a JSON object with a 'values' list)")
    entries = document.get("values")
    if not isinstance(entries, list):
        hint = " (this looks like a Postman collection, not an environment)" if "item" in document else ""
        raise ConfigurationError(f"{path}: expected a 'values' list in the Postman environment{hint}")
    values: dict[str, str] = {}
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict) or not isinstance(entry.get("key"), str):
            raise ConfigurationError(f"{path}: values[{index}] is not an object with a string 'key'")
        if entry.get("enabled", True) is False:
            continue  # Postman ignores disabled variables; so do we
        value = entry.get("value", "")
        if value is None:
            value = ""
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            raise ConfigurationError(f"{path}: the value of {entry['key']!r} is not a string")
        values[entry["key"]] = str(value).strip()
    return values


def _resolve_postman_variables(path: Path, key: str, value: str, values: Mapping[str, str]) -> str:
    # The QuickStart sets tokenBaseURL to "{{baseUrl}}/v2/auth/token"; resolve such references the
    # way Postman would (a few levels deep is plenty; cycles are an error).
    for _ in range(10):
        names = _POSTMAN_VARIABLE.findall(value)
        if not names:
            return value
        for name in names:
            if not values.get(name):
                raise ConfigurationError(f"{path}: {key!r} refers to {{{{{name}}}}}, which is not set")
        value = _POSTMAN_VARIABLE.sub(lambda m: values[m.group(1)], value)
    raise ConfigurationError(f"{path}: {key!r} has variable references that never resolve")


def _token_url_from_postman(value: str) -> str:
    # tokenBaseURL is normally the full token URL; accept the bare API URL as well.
    stripped = value.rstrip("/")
    if stripped.endswith("/auth/token"):
        return stripped
    return stripped + TOKEN_PATH


def settings_from_postman_environment(path: str | os.PathLike[str]) -> Settings:
    """Read an exported Postman environment with the QuickStart's variables.

    Uses ``baseUrl``, ``clientID``, ``secret`` and, when set, ``tokenBaseURL``.  Disabled variables
    are ignored; ``{{var}}`` references are resolved.
    """
    file = Path(path)
    text = _read_text(file, "Postman environment file", "Postman environment")
    try:
        document = json.loads(text)
    except json.JSONDecodeError as exc:
        # exc.msg/lineno/colno only: str(exc) is fine too, but never echo the document.
        raise ConfigurationError(
            f"{file} is not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})"
        ) from None
    values = _postman_values(file, document)

    required = (_POSTMAN_BASE_URL, _POSTMAN_CLIENT_ID, _POSTMAN_SECRET)
    missing = [key for key in required if not values.get(key)]
    if missing:
        hint = ""
        if _POSTMAN_SECRET in missing and _POSTMAN_SECRET in values:
            hint = " (Postman does not export the current value of secret variables; fill it in)"
        raise ConfigurationError(
            f"{file}: missing or empty Postman variable(s) {', '.join(repr(k) for k in missing)}{hint}; "
            f"enabled variables found: {', '.join(repr(k) for k in sorted(values)) or 'none'}"
        )

    def resolved(key: str) -> str:
        return _resolve_postman_variables(file, key, values[key], values)

    token_url = _token_url_from_postman(resolved(_POSTMAN_TOKEN_URL)) if values.get(_POSTMAN_TOKEN_URL) else None
    return Settings(
        base_url=resolved(_POSTMAN_BASE_URL),
        client_id=resolved(_POSTMAN_CLIENT_ID),
        client_secret=resolved(_POSTMAN_SECRET),
        token_url=token_url,
    )
