from __future__ import annotations

import pytest

from dispatcher.errors import ConfigError
from dispatcher.redact import redact_url
from dispatcher.settings import Settings, load_settings


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


def test_accounts_come_from_a_json_list(monkeypatch: pytest.MonkeyPatch) -> None:
    from dispatcher.accounts import configured_accounts

    monkeypatch.setenv(
        "PREGONERO_ACCOUNTS",
        '[{"name": "oneway", "user": "u1", "token": "t1"},'
        ' {"name": "twoway", "user": "u2", "token": "t2", "methods": ["2via"],'
        ' "block_interval_s": 3, "send_url": "http://sim/sendsms"}]',
    )
    monkeypatch.setenv("PREGONERO_PROVIDER_METHODS", "1via,flash")
    accounts = configured_accounts(load_settings())
    assert [(a.name, a.user, a.token, [m.value for m in a.methods]) for a in accounts] == [
        ("oneway", "u1", "t1", ["1via", "flash"]),  # methods default to PROVIDER_METHODS
        ("twoway", "u2", "t2", ["2via"]),
    ]
    assert accounts[1].block_interval_s == 3 and accounts[1].send_url == "http://sim/sendsms"
    assert accounts[0].block_interval_s == 2.0
    assert "t1" not in repr(accounts[0])  # tokens are secrets everywhere


@pytest.mark.parametrize(
    ("accounts", "message"),
    [
        (
            '[{"name": "a", "user": "u", "token": "t"}, {"name": "b", "user": "u", "token": "t", "methods": ["3via"]}]',
            "PREGONERO_ACCOUNTS[1].methods: '3via' is not a method",
        ),
        ('[{"name": "a", "user": "u"}]', "PREGONERO_ACCOUNTS[0].token: Field required"),
        (
            '[{"name": "a", "user": "u", "token": "t"}, {"name": "a", "user": "v", "token": "s"}]',
            "account names must differ: a given twice",
        ),
        ('[{"name": "Bad Name", "user": "u", "token": "t"}]', "PREGONERO_ACCOUNTS[0].name"),
        ("not json", "PREGONERO_ACCOUNTS"),
    ],
)
def test_a_wrong_account_names_the_account_and_the_field(
    monkeypatch: pytest.MonkeyPatch, accounts: str, message: str
) -> None:
    monkeypatch.setenv("PREGONERO_ACCOUNTS", accounts)
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert message in str(caught.value)
    assert '"t"' not in str(caught.value) and "'t'" not in str(caught.value)


def test_no_credentials_refuses_to_start_naming_the_settings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from dispatcher.accounts import require_credentials

    monkeypatch.delenv("PREGONERO_PROVIDER_USER", raising=False)
    monkeypatch.delenv("PREGONERO_PROVIDER_TOKEN", raising=False)
    with pytest.raises(ConfigError, match="PREGONERO_PROVIDER_USER and PREGONERO_PROVIDER_TOKEN"):
        require_credentials(load_settings())


@pytest.mark.parametrize(
    ("variable", "value", "secret"),
    [
        ("PREGONERO_DATABASE_URL", "postgres://app:S3cretPW@db/x", "S3cretPW"),
        ("PREGONERO_REDIS_URL", "http://:S3cretPW@cache:6379/0", "S3cretPW"),
        ("PREGONERO_PROVIDER_SEND_URL", "ftp://p/sendsms?user=u&token=S3cretPW", "S3cretPW"),
        ("PREGONERO_BROKER_URL", "sqs://key:S3cretPW@queue", "S3cretPW"),
        ("PREGONERO_METRICS_TOKEN", "", "never"),
    ],
)
def test_a_wrong_setting_never_prints_a_secret(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, secret: str
) -> None:
    monkeypatch.setenv(variable, value)
    if variable == "PREGONERO_METRICS_TOKEN":
        monkeypatch.setenv("PREGONERO_CHUNK_SIZE", "0")  # some other error to print
    with pytest.raises(ConfigError) as caught:
        load_settings()
    assert secret not in str(caught.value)


def test_accounts_that_are_not_json_say_where_and_how_to_quote(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from dispatcher.errors import ConfigError
    from dispatcher.settings import load_settings

    # what `set -a; . ./.env` leaves of an unquoted JSON value: the shell ate the quotes
    monkeypatch.setenv("PREGONERO_ACCOUNTS", "[{name:oneway,user:u,token:secret-t}]")
    with pytest.raises(ConfigError) as caught:
        load_settings()
    said = str(caught.value)
    assert "PREGONERO_ACCOUNTS: is not JSON (Expecting property name" in said
    assert "at character 3" in said and "single quotes" in said
    assert "secret-t" not in said  # its tokens are never printed
