from __future__ import annotations

import pytest

from dispatcher.errors import ConfigError
from dispatcher.settings import Settings, load_settings, redact_url


def test_defaults_follow_the_design(monkeypatch: pytest.MonkeyPatch) -> None:
    for key in list(__import__("os").environ):
        if key.startswith("PREGONERO_"):
            monkeypatch.delenv(key)
    s = load_settings()
    assert s.database_url == "postgresql+psycopg://postgres@127.0.0.1:5432/pregonero"
    assert s.redis_url == "redis://127.0.0.1:6379/0"
    assert s.effective_broker_url == s.redis_url
    assert s.provider_http_method == "POST"
    assert s.block_interval_s == 2.0
    assert s.slot_margin_s == 0.05
    assert s.max_in_flight == 1
    assert s.chunk_size == 1000
    assert s.timezone == "America/Bogota"
    assert s.send_window == "08:00-21:00"
    assert s.balance_poll_s == 60
    assert s.default_region == "CO"
    assert s.max_recipients == 5_000_000
    assert "salir" in s.opt_out_word_list and "exit" in s.opt_out_word_list
    assert not s.window.always


@pytest.mark.parametrize(
    ("env", "value", "message"),
    [
        ("PREGONERO_CHUNK_SIZE", "6000", "PREGONERO_CHUNK_SIZE=6000: must be at most 5000"),
        ("PREGONERO_CHUNK_SIZE", "0", "PREGONERO_CHUNK_SIZE=0: must be at least 1"),
        (
            "PREGONERO_CHUNK_SIZE",
            "mil",
            "PREGONERO_CHUNK_SIZE=mil: Input should be a valid integer",
        ),
        ("PREGONERO_SEND_WINDOW", "8-21", "PREGONERO_SEND_WINDOW=8-21: '8-21' is not HH:MM-HH:MM"),
        ("PREGONERO_SEND_WINDOW", "21:00-08:00", "must end after it starts"),
        ("PREGONERO_TIMEZONE", "Bogota", "PREGONERO_TIMEZONE=Bogota: must be an IANA time zone"),
        (
            "PREGONERO_BLOCK_INTERVAL_S",
            "-1",
            "PREGONERO_BLOCK_INTERVAL_S=-1: Input should be greater than or equal to 0",
        ),
        ("PREGONERO_MAX_IN_FLIGHT", "0", "PREGONERO_MAX_IN_FLIGHT=0"),
        (
            "PREGONERO_PROVIDER_HTTP_METHOD",
            "PUT",
            "PREGONERO_PROVIDER_HTTP_METHOD=PUT: Input should be 'POST' or 'GET'",
        ),
        (
            "PREGONERO_DATABASE_URL",
            "mysql://x",
            "PREGONERO_DATABASE_URL=mysql://x: must be a PostgreSQL URL",
        ),
        ("PREGONERO_REDIS_URL", "localhost:6379", "must be a Redis URL"),
        (
            "PREGONERO_DEFAULT_REGION",
            "XX",
            "PREGONERO_DEFAULT_REGION=XX: must be a two-letter region",
        ),
        ("PREGONERO_PROVIDER_METHODS", "1via,sms", "must be a comma-separated list"),
        ("PREGONERO_BROKER_URL", "kafka://x", "PREGONERO_BROKER_URL must be redis://"),
        (
            "PREGONERO_PROVIDER_SEND_URL",
            "contacto-masivo.com",
            "must be an http:// or https:// URL",
        ),
    ],
)
def test_bad_values_fail_naming_the_variable_and_the_rule(
    monkeypatch: pytest.MonkeyPatch, env: str, value: str, message: str
) -> None:
    monkeypatch.setenv(env, value)
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert message in str(info.value)


def test_chunk_size_error_explains_the_provider_rule(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PREGONERO_CHUNK_SIZE", "6000")
    with pytest.raises(ConfigError, match="rejects more numbers per request with -7"):
        load_settings()


def test_secrets_are_never_printed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PREGONERO_PROVIDER_TOKEN", "s3cr3t-token")
    monkeypatch.setenv("PREGONERO_PROVIDER_PASSWORD", "s3cr3t-pass")
    monkeypatch.setenv("PREGONERO_DATABASE_URL", "postgresql+psycopg://u:dbpass@h/db")
    s = load_settings()
    assert s.provider_token.get_secret_value() == "s3cr3t-token"
    for text in (repr(s), str(s)):
        assert "s3cr3t" not in text


def test_secret_values_are_not_echoed_in_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(inbound_secret=12345, provider_token=["not", "a", "string"])
    assert "PREGONERO_PROVIDER_TOKEN" in str(info.value)
    assert "not" not in str(info.value).split("PREGONERO_PROVIDER_TOKEN")[1][:20]


def test_redact_url() -> None:
    assert redact_url("redis://:pw@h:6379/0") == "redis://***@h:6379/0"
    assert redact_url("postgresql://u:pw@h/db") == "postgresql://u:***@h/db"
    assert redact_url("redis://h:6379/0") == "redis://h:6379/0"


def test_window_setting_builds_the_domain_window() -> None:
    s = Settings(send_window="00:00-24:00")
    assert s.window.always
