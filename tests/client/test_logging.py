"""Tests for sigma_sdk_auth._logging: SIGMA_LOG, the redacting filter and redact()."""

from __future__ import annotations

import io
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from sigma_sdk_auth import _logging
from sigma_sdk_auth._logging import REDACTED, configure_from_env, logger, redact

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def restore_logger() -> Iterator[None]:
    """Undo handler and level changes a test makes to the shared 'sigma_sdk' logger."""
    handlers = list(logger.handlers)
    level = logger.level
    yield
    for handler in list(logger.handlers):
        if handler not in handlers:
            logger.removeHandler(handler)
    logger.setLevel(level)


def sigma_handlers() -> list[logging.Handler]:
    return [h for h in logger.handlers if isinstance(h, _logging._SigmaLogHandler)]


# --- SIGMA_LOG -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "level"), [("debug", logging.DEBUG), ("DEBUG", logging.DEBUG), (" Info ", logging.INFO)]
)
def test_sigma_log_levels(value: str, level: int) -> None:
    """SIGMA_LOG=debug|info (any case, surrounding spaces ignored) attaches a handler at that level."""
    stream = io.StringIO()
    handler = configure_from_env({"SIGMA_LOG": value}, stream=stream)
    assert handler is not None
    assert handler.level == level
    assert logger.level == level
    assert sigma_handlers() == [handler]


def test_sigma_log_info_hides_debug() -> None:
    """At info, INFO records are written and DEBUG records are not."""
    stream = io.StringIO()
    configure_from_env({"SIGMA_LOG": "info"}, stream=stream)
    logger.debug("debug-line")
    logger.info("info-line")
    output = stream.getvalue()
    assert "info-line" in output
    assert "debug-line" not in output
    assert "INFO sigma_sdk: info-line" in output


def test_sigma_log_debug_shows_debug() -> None:
    """At debug, DEBUG records are written too."""
    stream = io.StringIO()
    configure_from_env({"SIGMA_LOG": "debug"}, stream=stream)
    logger.debug("debug-line")
    assert "DEBUG sigma_sdk: debug-line" in stream.getvalue()


@pytest.mark.parametrize("env", [{}, {"SIGMA_LOG": ""}, {"SIGMA_LOG": "   "}])
def test_sigma_log_unset_does_nothing(env: dict[str, str]) -> None:
    """Unset or blank SIGMA_LOG adds no handler and leaves the level alone."""
    level = logger.level
    assert configure_from_env(env) is None
    assert sigma_handlers() == []
    assert logger.level == level


@pytest.mark.parametrize("value", ["verbose", "warning", "1", "trace"])
def test_sigma_log_invalid_value_warns(value: str) -> None:
    """An unknown SIGMA_LOG value gives a RuntimeWarning naming the variable and changes nothing."""
    with pytest.warns(RuntimeWarning, match=r"SIGMA_LOG") as record:
        assert configure_from_env({"SIGMA_LOG": value}) is None
    assert value in str(record[0].message)
    assert sigma_handlers() == []


def test_reconfiguring_replaces_the_handler() -> None:
    """Calling configure_from_env again swaps the handler instead of duplicating output."""
    first = configure_from_env({"SIGMA_LOG": "debug"}, stream=io.StringIO())
    stream = io.StringIO()
    second = configure_from_env({"SIGMA_LOG": "info"}, stream=stream)
    assert sigma_handlers() == [second]
    assert first is not second
    logger.info("once")
    assert stream.getvalue().count("once") == 1


def _run_python(code: str, sigma_log: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "SIGMA_LOG"}
    env["SIGMA_LOG"] = sigma_log
    env["PYTHONPATH"] = str(REPO)
    return subprocess.run(  # noqa: S603 - fixed interpreter and code
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60, check=False
    )


def test_sigma_log_is_read_at_import() -> None:
    """Importing the package with SIGMA_LOG=Debug logs to stderr, redacted."""
    code = (
        "import sigma_sdk_auth._logging as m\n"
        "m.logger.debug('sending Authorization: Bearer abc.def.ghi client_secret=%s', 'hunter2')\n"
    )
    result = _run_python(code, "Debug")
    assert result.returncode == 0, result.stderr
    assert "DEBUG sigma_sdk: sending Authorization: [REDACTED] client_secret=[REDACTED]" in result.stderr
    assert "abc.def.ghi" not in result.stderr
    assert "hunter2" not in result.stderr


def test_sigma_log_invalid_at_import_warns_but_imports() -> None:
    """An invalid SIGMA_LOG at import prints a warning naming SIGMA_LOG and the import still succeeds."""
    result = _run_python("import sigma_sdk_auth._logging\nprint('imported')", "loud")
    assert result.returncode == 0, result.stderr
    assert "imported" in result.stdout
    assert "SIGMA_LOG" in result.stderr
    assert "RuntimeWarning" in result.stderr


# --- the filter ----------------------------------------------------------------------------------


def test_filter_redacts_for_handlers_outside_the_sdk(caplog: pytest.LogCaptureFixture) -> None:
    """Records on 'sigma_sdk' are redacted before any handler (here pytest's, on the root) sees them."""
    caplog.set_level(logging.INFO, logger="sigma_sdk")
    logger.info("token response %s", {"access_token": "AT-1", "refresh_token": "RT-1", "expires_in": 3600})
    message = caplog.records[-1].getMessage()
    assert "AT-1" not in message
    assert "RT-1" not in message
    assert "3600" in message
    assert "AT-1" not in caplog.text


def test_filter_on_handler_covers_child_loggers() -> None:
    """The SIGMA_LOG handler redacts records from child loggers such as 'sigma_sdk.http' too."""
    stream = io.StringIO()
    configure_from_env({"SIGMA_LOG": "debug"}, stream=stream)
    logging.getLogger("sigma_sdk.http").debug("form body: grant_type=refresh_token&refresh_token=RT-2")
    output = stream.getvalue()
    assert "RT-2" not in output
    assert "grant_type=refresh_token&refresh_token=[REDACTED]" in output


@pytest.mark.parametrize("name", ["sigma_sdk.auth", "sigma_sdk.some.new.child"])
def test_records_from_every_sigma_sdk_logger_are_redacted_for_outside_handlers(
    caplog: pytest.LogCaptureFixture, name: str
) -> None:
    """A record created on any sigma_sdk.* logger reaches root handlers (here caplog's) already redacted."""
    caplog.set_level(logging.DEBUG)
    logging.getLogger(name).info("form: grant_type=refresh_token&refresh_token=RT-9 with Authorization: Bearer AT-9")
    record = caplog.records[-1]
    assert record.name == name
    assert "RT-9" not in record.getMessage()
    assert "AT-9" not in caplog.text
    assert "grant_type=refresh_token&refresh_token=[REDACTED]" in record.getMessage()


def test_handler_on_an_sdk_logger_itself_sees_redacted_records() -> None:
    """A handler the application puts on sigma_sdk.auth itself (runs before any parent) gets redacted text."""
    stream = io.StringIO()
    auth_logger = _logging.get_logger("sigma_sdk.auth")
    handler = logging.StreamHandler(stream)
    auth_logger.addHandler(handler)
    try:
        auth_logger.warning("client_secret=CS-9")
    finally:
        auth_logger.removeHandler(handler)
    assert "CS-9" not in stream.getvalue()
    assert "client_secret=[REDACTED]" in stream.getvalue()


def test_get_logger_only_names_sdk_loggers() -> None:
    """get_logger refuses a name outside sigma_sdk, where the redaction would not follow."""
    with pytest.raises(ValueError, match="sigma_sdk"):
        _logging.get_logger("sigma_sdk_other")


def test_filter_redacts_tracebacks() -> None:
    """Exception text attached with logger.exception is redacted as well."""
    stream = io.StringIO()
    configure_from_env({"SIGMA_LOG": "debug"}, stream=stream)
    try:
        raise RuntimeError("failed with Authorization: Bearer tb-secret")
    except RuntimeError:
        logger.exception("request failed")
    output = stream.getvalue()
    assert "Traceback" in output
    assert "tb-secret" not in output


def test_filter_survives_bad_format_args() -> None:
    """A record whose %-args don't match its message is still emitted (redacted), not an error."""
    stream = io.StringIO()
    configure_from_env({"SIGMA_LOG": "debug"}, stream=stream)
    logger.info("two placeholders %s %s", "client_secret=oops")
    output = stream.getvalue()
    assert "two placeholders" in output
    assert "oops" not in output


# --- redact() ------------------------------------------------------------------------------------

JWT = "eyJhbGciOiJIUzI1NiIsImtpZCI6ImNpZCJ9.eyJzdWIiOiJhQGIuY29tIn0.c2lnbmF0dXJl"


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("Authorization: Bearer abc123", "abc123"),
        ("authorization=Basic Y2lkOnNlY3JldA==", "Y2lkOnNlY3JldA=="),
        ("{'authorization': 'Bearer hdr-1', 'accept': 'application/json'}", "hdr-1"),
        ('{"Authorization": "Bearer hdr-2"}', "hdr-2"),
        ("[(b'authorization', b'Bearer hdr-3')]", "hdr-3"),
        ("Proxy-Authorization: Basic cHJveHk=", "cHJveHk="),
        ("retrying with bearer tok-4 now", "tok-4"),
        ("client_id=cid&client_secret=cs%2F5&grant_type=client_credentials", "cs%2F5"),
        ('{"client_secret": "cs-6"}', "cs-6"),
        ("SigmaAuth(client_secret='cs-7')", "cs-7"),
        ('{"access_token":"at-8","token_type":"Bearer"}', "at-8"),
        ("access_token=at-9&expires_in=3600", "at-9"),
        ("{'refresh_token': 'rt-10'}", "rt-10"),
        ("grant_type=refresh_token&refresh_token=rt-11", "rt-11"),
        (f"subject_token={JWT}&subject_token_type=urn:ietf:params:oauth:token-type:jwt", JWT),
        ("subject_token: st-12", "st-12"),
        ("actor_token=at-13&actor_token_type=urn:ietf:params:oauth:token-type:access_token", "at-13"),
        ('{"actor_token": "at-14"}', "at-14"),
        (f"a bare JWT {JWT} in text", JWT),
        ('{"privateKey": "pk-15", "privateKeyPassphrase": "pp-15"}', "pk-15"),
        ('{"privateKey": "pk-15", "privateKeyPassphrase": "pp-15"}', "pp-15"),
        ('{"token": "dbx-16", "host": "h"}', "dbx-16"),  # every key the shared rule names, not a fixed list
        ("SnowflakeOAuth(client_secret='cs-17')", "cs-17"),
        ("apiKey=ak-18&x=1", "ak-18"),
        ('{"sshPrivateKey": "pk-19"}', "pk-19"),
    ],
)
def test_redact_every_secret_kind(text: str, secret: str) -> None:
    """redact() removes Authorization values, Bearer tokens, OAuth secrets/tokens, JWTs and key material."""
    result = redact(text)
    assert secret not in result
    assert REDACTED in result


@pytest.mark.parametrize(
    "text",
    [
        "GET /v2/connections 200 in 0.12s",
        "subject_token_type=urn:ietf:params:oauth:token-type:jwt",
        "grant_type=client_credentials&client_id=cid",
        '{"token_type": "Bearer", "expires_in": 3600}',
        "Retrying GET /v2/files (retry 1 of 2) after HTTP 429 Too Many Requests; sleeping 0.50s",
        '{"entries": [], "nextPageToken": "cursor-1"}',  # a page cursor is named like a token, and is none
        "pageToken=cursor-2&pageSize=50",
    ],
)
def test_redact_leaves_ordinary_text_alone(text: str) -> None:
    """Text without secrets (including *_token_type values and a bare 'Bearer' type) is unchanged."""
    assert redact(text) == text


def test_redact_keeps_structure_and_is_idempotent() -> None:
    """Keys, quotes and neighbouring fields survive redaction, and redacting twice changes nothing."""
    text = "{'authorization': 'Bearer x', 'refresh_token': 'y', 'id': 'z'} client_secret=s&x=1"
    once = redact(text)
    assert (
        once == "{'authorization': '[REDACTED]', 'refresh_token': '[REDACTED]', 'id': 'z'} client_secret=[REDACTED]&x=1"
    )
    assert redact(once) == once
