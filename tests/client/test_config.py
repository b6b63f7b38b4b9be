"""Settings from environment variables, .env files and exported Postman environments, good and bad."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from sigma_sdk_auth import ConfigurationError
from sigma_sdk_auth._config import parse_dotenv, settings_from_env, settings_from_postman_environment

SECRET = "p0stman-secret-value"


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


# -- .env --------------------------------------------------------------------------------------


def test_dotenv_syntax(tmp_path: Path) -> None:
    """Comments, blank lines, export, bare/single/double-quoted values and inline comments parse as expected."""
    path = write(
        tmp_path,
        ".env",
        "# a comment\n"
        "\n"
        "export SIGMA_CLIENT_ID=abc\n"
        "PLAIN = value with spaces   # trailing comment\n"
        "HASH=a#b\n"
        "SINGLE='lit\\eral # not a comment'\n"
        'DOUBLE="line\\nbreak \\"quoted\\" # kept" # comment\n'
        "EMPTY=\n",
    )
    assert parse_dotenv(path) == {
        "SIGMA_CLIENT_ID": "abc",
        "PLAIN": "value with spaces",
        "HASH": "a#b",
        "SINGLE": "lit\\eral # not a comment",
        "DOUBLE": 'line\nbreak "quoted" # kept',
        "EMPTY": "",
    }


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("JUST_A_WORD\n", "line 1: expected KEY=VALUE"),
        ("OK=1\n1BAD=x\n", "line 2: expected KEY=VALUE"),
        (f'SIGMA_CLIENT_SECRET="{SECRET}\n', "line 1: unterminated double-quoted value"),
        (f"SIGMA_CLIENT_SECRET='{SECRET}\n", "line 1: unterminated single-quoted value"),
        (f'SIGMA_CLIENT_SECRET="{SECRET}" trailing\n', "line 1: unexpected text after the closing quote"),
    ],
)
def test_dotenv_errors_name_the_line_not_the_value(tmp_path: Path, text: str, problem: str) -> None:
    """Malformed lines raise ConfigurationError with the line number and without the value."""
    path = write(tmp_path, ".env", text)
    with pytest.raises(ConfigurationError, match=problem) as info:
        parse_dotenv(path)
    assert SECRET not in str(info.value)


def test_dotenv_missing_file(tmp_path: Path) -> None:
    """A missing .env file is a ConfigurationError naming the path."""
    with pytest.raises(ConfigurationError, match="env file not found"):
        parse_dotenv(tmp_path / "nope.env")


# -- environment -------------------------------------------------------------------------------

FULL_ENV = {"SIGMA_BASE_URL": "https://api.sigma.test", "SIGMA_CLIENT_ID": "cid", "SIGMA_CLIENT_SECRET": SECRET}


def test_settings_from_env() -> None:
    """The three variables become settings; the secret is not in their repr."""
    settings = settings_from_env(FULL_ENV)
    assert (settings.base_url, settings.client_id, settings.client_secret) == ("https://api.sigma.test", "cid", SECRET)
    assert SECRET not in repr(settings)


def test_region_variable_and_precedence() -> None:
    """SIGMA_REGION works instead of SIGMA_BASE_URL; when both are set SIGMA_BASE_URL wins."""
    env = {"SIGMA_REGION": "aws-us-east", "SIGMA_CLIENT_ID": "cid", "SIGMA_CLIENT_SECRET": SECRET}
    assert settings_from_env(env).base_url == "aws-us-east"
    assert settings_from_env({**env, "SIGMA_BASE_URL": "https://x.test"}).base_url == "https://x.test"


@pytest.mark.parametrize(
    ("drop", "named"),
    [
        ("SIGMA_BASE_URL", "SIGMA_BASE_URL (or SIGMA_REGION)"),
        ("SIGMA_CLIENT_ID", "SIGMA_CLIENT_ID"),
        ("SIGMA_CLIENT_SECRET", "SIGMA_CLIENT_SECRET"),
    ],
)
@pytest.mark.parametrize("how", ["unset", "empty"])
def test_missing_variable_is_named(drop: str, named: str, how: str) -> None:
    """A missing or empty variable raises ConfigurationError naming exactly that variable."""
    env = dict(FULL_ENV)
    if how == "unset":
        del env[drop]
    else:
        env[drop] = "  "
    with pytest.raises(ConfigurationError) as info:
        settings_from_env(env)
    message = str(info.value)
    assert named in message
    assert [v for v in FULL_ENV if v in message] == [drop]
    assert SECRET not in message


def test_env_file_fills_gaps_and_environment_wins(tmp_path: Path) -> None:
    """Values from env_file are used when the environment lacks them; real environment variables win."""
    path = write(
        tmp_path,
        ".env",
        f"SIGMA_BASE_URL=https://from-file.test\nSIGMA_CLIENT_ID=file-id\nSIGMA_CLIENT_SECRET='{SECRET}'\n",
    )
    settings = settings_from_env({"SIGMA_CLIENT_ID": "env-id", "SIGMA_CLIENT_SECRET": ""}, env_file=path)
    assert (settings.base_url, settings.client_id, settings.client_secret) == (
        "https://from-file.test",
        "env-id",
        SECRET,
    )


def test_env_file_missing_variable_mentions_file(tmp_path: Path) -> None:
    """When env_file was given, the missing-variable error says that file was consulted too."""
    path = write(tmp_path, "creds.env", "SIGMA_CLIENT_ID=x\n")
    with pytest.raises(ConfigurationError, match=r"SIGMA_CLIENT_SECRET.*creds\.env"):
        settings_from_env({"SIGMA_REGION": "gcp-us"}, env_file=path)


# -- Postman -----------------------------------------------------------------------------------


def postman(tmp_path: Path, values: list[dict[str, Any]] | Any, **extra: Any) -> Path:
    document = {"id": "e1", "name": "Sigma QuickStart", "values": values, **extra}
    return write(tmp_path, "sigma.postman_environment.json", json.dumps(document))


def var(key: str, value: str, *, enabled: bool = True, kind: str = "default") -> dict[str, Any]:
    return {"key": key, "value": value, "enabled": enabled, "type": kind}


QUICKSTART = [
    var("baseUrl", "https://aws-api.sigmacomputing.com"),
    var("tokenBaseURL", "https://aws-api.sigmacomputing.com/v2/auth/token"),
    var("clientID", "postman-client"),
    var("secret", SECRET, kind="secret"),
    var("access_token", ""),
    var("refresh_token", ""),
]


def test_postman_quickstart_environment(tmp_path: Path) -> None:
    """The QuickStart variables (baseUrl, tokenBaseURL, clientID, secret) become settings."""
    settings = settings_from_postman_environment(postman(tmp_path, QUICKSTART))
    assert settings.base_url == "https://aws-api.sigmacomputing.com"
    assert settings.token_url == "https://aws-api.sigmacomputing.com/v2/auth/token"
    assert (settings.client_id, settings.client_secret) == ("postman-client", SECRET)


@pytest.mark.parametrize(
    ("token_base", "expected"),
    [
        ("{{baseUrl}}/v2/auth/token", "https://api.sigma.test/v2/auth/token"),
        ("{{ baseUrl }}", "https://api.sigma.test/v2/auth/token"),
        ("https://auth.sigma.test/", "https://auth.sigma.test/v2/auth/token"),
    ],
)
def test_postman_token_url_derivation(tmp_path: Path, token_base: str, expected: str) -> None:
    """tokenBaseURL may reference {{baseUrl}} or be a bare base URL; the token URL is derived from it."""
    values = [
        var("baseUrl", "https://api.sigma.test"),
        var("tokenBaseURL", token_base),
        var("clientID", "c"),
        var("secret", SECRET),
    ]
    assert settings_from_postman_environment(postman(tmp_path, values)).token_url == expected


def test_postman_without_token_url(tmp_path: Path) -> None:
    """Without tokenBaseURL the client derives the token URL from baseUrl itself (token_url stays None)."""
    values = [var("baseUrl", "https://api.sigma.test"), var("clientID", "c"), var("secret", SECRET)]
    assert settings_from_postman_environment(postman(tmp_path, values)).token_url is None


def test_postman_disabled_values_are_ignored(tmp_path: Path) -> None:
    """A disabled variable counts as absent, and a later enabled duplicate is used."""
    values = [
        var("baseUrl", "https://disabled.test", enabled=False),
        var("baseUrl", "https://enabled.test"),
        var("clientID", "c"),
        var("secret", SECRET, enabled=False),
    ]
    with pytest.raises(ConfigurationError, match="'secret'") as info:
        settings_from_postman_environment(postman(tmp_path, values))
    assert SECRET not in str(info.value)
    values[-1]["enabled"] = True
    assert settings_from_postman_environment(postman(tmp_path, values)).base_url == "https://enabled.test"


def test_postman_missing_keys_are_listed(tmp_path: Path) -> None:
    """Missing keys are all named, with the keys that were found, and never a value."""
    with pytest.raises(ConfigurationError) as info:
        settings_from_postman_environment(
            postman(tmp_path, [var("baseUrl", "https://api.sigma.test"), var("other", SECRET)])
        )
    message = str(info.value)
    assert "'clientID'" in message
    assert "'secret'" in message
    assert "'other'" in message
    assert SECRET not in message


def test_postman_empty_secret_hint(tmp_path: Path) -> None:
    """An exported secret with an empty value explains that Postman does not export secret values."""
    values = [var("baseUrl", "https://a.test"), var("clientID", "c"), var("secret", "", kind="secret")]
    with pytest.raises(ConfigurationError, match="does not export"):
        settings_from_postman_environment(postman(tmp_path, values))


def test_postman_unresolvable_reference(tmp_path: Path) -> None:
    """A {{variable}} that is not set is an error naming it."""
    values = [var("baseUrl", "{{host}}"), var("clientID", "c"), var("secret", SECRET)]
    with pytest.raises(ConfigurationError, match="host"):
        settings_from_postman_environment(postman(tmp_path, values))


def test_postman_bad_json(tmp_path: Path) -> None:
    """Invalid JSON is reported with line and column, without echoing the file."""
    path = write(tmp_path, "env.json", '{"values": [\n {"key": "secret", "value": "' + SECRET + '",}\n]}')
    with pytest.raises(ConfigurationError, match=r"not valid JSON \(line 2") as info:
        settings_from_postman_environment(path)
    assert SECRET not in str(info.value)


@pytest.mark.parametrize(
    ("document", "problem"),
    [
        ([1, 2], "expected a Postman environment"),
        ({"name": "x"}, "expected a 'values' list"),
        ({"info": {}, "item": []}, "looks like a Postman collection"),
        ({"values": {"baseUrl": "x"}}, "expected a 'values' list"),
        ({"values": ["baseUrl"]}, r"values\[0\] is not an object"),
        ({"values": [{"value": "x"}]}, r"values\[0\] is not an object with a string 'key'"),
        ({"values": [{"key": "secret", "value": {"nested": True}}]}, "'secret' is not a string"),
    ],
)
def test_postman_wrong_shape(tmp_path: Path, document: Any, problem: str) -> None:
    """Documents that are not Postman environments fail with a message saying what is wrong."""
    path = write(tmp_path, "env.json", json.dumps(document))
    with pytest.raises(ConfigurationError, match=problem):
        settings_from_postman_environment(path)


def test_postman_missing_file(tmp_path: Path) -> None:
    """A missing file is a ConfigurationError naming the path."""
    with pytest.raises(ConfigurationError, match="not found"):
        settings_from_postman_environment(tmp_path / "missing.json")
