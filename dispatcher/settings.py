"""Every setting, from the environment (prefix ``PREGONERO_``).

A wrong value fails at start with a message that names the variable and the rule.
Secrets are ``SecretStr``: they print as ``**********``.  Nothing here opens a
connection; engines and clients are made at start-up by whoever needs them.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from functools import lru_cache
from typing import Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import phonenumbers
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic_settings import BaseSettings, SettingsConfigDict

from dispatcher.domain.contact import ContactLimit, parse_limit
from dispatcher.domain.message import Method
from dispatcher.domain.status import LEY_2300, Purpose
from dispatcher.domain.window import SendWindow, ley_2300_window, parse_hours
from dispatcher.errors import ConfigError
from dispatcher.redact import redact_url

ENV_PREFIX = "PREGONERO_"
PROVIDER_MAX_NUMBERS = 5000


ACCOUNT_NAME = r"^[a-z0-9][a-z0-9_-]{0,63}$"


class AccountSettings(BaseModel):
    """One provider account of ``PREGONERO_ACCOUNTS``; what it leaves out comes from the
    plain ``PROVIDER_*`` settings."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=ACCOUNT_NAME)
    user: str = Field(min_length=1)
    token: SecretStr
    password: SecretStr | None = None
    methods: list[str] | None = None
    links_allowed: bool | None = None
    send_url: str | None = None
    balance_url: str | None = None
    block_interval_s: float | None = Field(None, ge=0)
    # What a segment costs on this account, for the plan's cost (none: no cost shown).
    price_per_segment: Decimal | None = Field(None, ge=0, max_digits=12, decimal_places=4)
    currency: str = Field("COP", pattern=r"^[A-Z]{3}$")
    # The provider's -9 list for this account (words it refuses), from its sales contact.
    reserved_words: list[str] = Field(default_factory=list, max_length=500)

    @field_validator("token")
    @classmethod
    def _token(cls, value: SecretStr) -> SecretStr:
        if not value.get_secret_value():
            raise ValueError("the sending token is required")
        return value

    @field_validator("methods")
    @classmethod
    def _methods(cls, value: list[str] | None) -> list[str] | None:
        if value is None:
            return None
        known = {m.value for m in Method}
        for method in value:
            if method not in known:
                raise ValueError(f"{method!r} is not a method (1via, 2via, flash)")
        if not value:
            raise ValueError("name at least one method (1via, 2via, flash)")
        return value

    @field_validator("send_url", "balance_url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return value


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, env_file=None, extra="ignore", validate_default=True
    )

    database_url: str = "postgresql+psycopg://postgres@127.0.0.1:5432/pregonero"
    redis_url: str = "redis://127.0.0.1:6379/0"
    broker_url: str | None = None

    provider_send_url: str = "https://contacto-masivo.com/sms/back_sms/public/api/sendsms"
    provider_balance_url: str = "https://sistemasmasivos.com/itcloud/api/sendsms/query.php"
    provider_user: str = ""
    provider_token: SecretStr = SecretStr("")
    provider_password: SecretStr = SecretStr("")
    provider_http_method: Literal["POST", "GET"] = "POST"
    provider_method_quote: Literal["none", "single"] = "none"
    provider_methods: str = "1via,2via,flash"
    provider_links_allowed: bool = False
    provider_connect_timeout_s: float = Field(5.0, gt=0)
    provider_read_timeout_s: float = Field(30.0, gt=0)

    accounts: list[AccountSettings] | None = None
    block_interval_s: float = Field(2.0, ge=0)
    slot_margin_s: float = Field(0.05, ge=0)
    max_in_flight: int = Field(1, ge=1)
    chunk_size: int = 1000
    timezone: str = "America/Bogota"
    send_window: str = "08:00-21:00"
    balance_poll_s: float = Field(60.0, gt=0)
    min_balance: int = Field(0, ge=0)
    maintenance_probe_s: float = Field(300.0, gt=0)
    default_region: str = "CO"
    max_recipients: int = Field(5_000_000, ge=1)
    inbound_secret: SecretStr | None = None
    opt_out_words: str = "salir,exit,remove,stop,baja,cancelar,no mas"
    reply_attribution_days: int = Field(3, ge=0)
    max_upload_bytes: int = Field(256 * 1024 * 1024, ge=1024)
    feed_depth: int = Field(3, ge=1, le=100)
    callback_allow_private: bool = False  # callbacks to http:// and private addresses too
    metrics_token: SecretStr | None = None  # /metrics needs "Authorization: Bearer <it>"
    # A worker serves its sending figures (all its pool processes) on this port; unset: off.
    # 0: a free port the system picks (the worker logs it); one worker a port otherwise
    worker_metrics_port: int | None = Field(None, ge=0, le=65535)
    worker_metrics_host: str = "127.0.0.1"  # 0.0.0.0 for a scraper on another host
    log_format: Literal["text", "json"] = "text"  # json: one object a line
    sweep_after_s: float = Field(60.0, gt=0)
    # How often beat's feeder runs; each finished send also feeds at once, so this bounds
    # only how long a campaign waits to start (and how often a task shows in Flower).
    feed_every_s: float = Field(0.5, gt=0, le=60)
    clock_offset_s: float = 0.0  # this process's clock runs this far ahead (drills, tests)
    # Ley 2300's contact limit per purpose ({"commercial": "1/week"}): 1/day, 1/week or
    # none; a purpose left out has none.  Counts a tenant's campaigns of the purpose.
    contact_limits: dict[str, str] = Field(
        default_factory=lambda: {"commercial": "1/day", "collection": "1/day"}
    )
    # Exclusion lists: the most days a commercial campaign may rely on a list's content
    # before the plan warns that it is stale.
    exclusion_max_age_days: int = Field(30, ge=1)
    # Finished campaigns keep their recipients and replies this many days (a tenant's own
    # with `pregonero tenant retention`); then `pregonero retention run` deletes them.
    retention_days: int = Field(365, ge=1)
    # The key of the hash that replaces an erased number (`pregonero privacy erase`):
    # the same on every host, kept like a password; erasure refuses to run without it.
    privacy_key: SecretStr | None = None

    @field_validator("contact_limits")
    @classmethod
    def _contact_limits(cls, value: dict[str, str]) -> dict[str, str]:
        purposes = {p.value for p in Purpose}
        for purpose, limit in value.items():
            if purpose not in purposes:
                raise ValueError(f"{purpose!r} is not a purpose ({', '.join(sorted(purposes))})")
            parse_limit(limit)
        return {p: v.strip().lower() for p, v in value.items()}

    @field_validator("chunk_size")
    @classmethod
    def _chunk_size(cls, value: int) -> int:
        if value < 1:
            raise ValueError("must be at least 1")
        if value > PROVIDER_MAX_NUMBERS:
            raise ValueError(
                f"must be at most {PROVIDER_MAX_NUMBERS}: the provider rejects more numbers "
                "per request with -7 (1000 is what it recommends)"
            )
        return value

    @field_validator("timezone")
    @classmethod
    def _timezone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("must be an IANA time zone such as America/Bogota") from None
        return value

    @field_validator("send_window")
    @classmethod
    def _send_window(cls, value: str) -> str:
        parse_hours(value)
        return value

    @field_validator("default_region")
    @classmethod
    def _region(cls, value: str) -> str:
        value = value.upper()
        if value not in phonenumbers.SUPPORTED_REGIONS:
            raise ValueError("must be a two-letter region code such as CO")
        return value

    @field_validator("provider_methods")
    @classmethod
    def _methods(cls, value: str) -> str:
        names = [m.strip() for m in value.split(",") if m.strip()]
        bad = [m for m in names if m not in {x.value for x in Method}]
        if bad or not names:
            raise ValueError("must be a comma-separated list of 1via, 2via, flash")
        return ",".join(names)

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        if not value.startswith("postgresql"):
            raise ValueError("must be a PostgreSQL URL: postgresql+psycopg://user@host:5432/db")
        return value

    @field_validator("redis_url")
    @classmethod
    def _redis_url(cls, value: str) -> str:
        if not value.startswith(("redis://", "rediss://", "unix://")):
            raise ValueError("must be a Redis URL: redis://host:6379/0")
        return value

    @field_validator("provider_send_url", "provider_balance_url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return value

    @model_validator(mode="after")
    def _sweep_after(self) -> Settings:
        queue_wait_s = self.feed_depth * (self.block_interval_s + self.slot_margin_s)
        if self.sweep_after_s < 2 * queue_wait_s:
            raise ValueError(
                f"PREGONERO_SWEEP_AFTER_S={self.sweep_after_s:g} must be at least "
                f"{2 * queue_wait_s:g} (twice FEED_DEPTH x BLOCK_INTERVAL_S): a chunk waits that "
                "long in the broker normally, and re-publishing it sooner wastes send slots"
            )
        return self

    @field_validator("accounts")
    @classmethod
    def _unique_accounts(cls, value: list[AccountSettings] | None) -> list[AccountSettings] | None:
        if value is None:
            return None
        if not value:
            raise ValueError("name at least one account, or leave it unset for 'default'")
        names = [a.name for a in value]
        if len(set(names)) != len(names):
            twice = sorted({n for n in names if names.count(n) > 1})
            raise ValueError(f"account names must differ: {', '.join(twice)} given twice")
        return value

    @model_validator(mode="after")
    def _broker(self) -> Settings:
        if self.broker_url is not None and not self.broker_url.startswith(
            ("redis://", "rediss://", "amqp://", "amqps://", "pyamqp://")
        ):
            raise ValueError("PREGONERO_BROKER_URL must be redis://... or amqp://...")
        return self

    # -- derived ----------------------------------------------------------------------
    @property
    def effective_broker_url(self) -> str:
        return self.broker_url or self.redis_url

    @property
    def window(self) -> SendWindow:
        return SendWindow.daily(self.send_window, self.timezone)

    def window_for(self, purpose: Purpose) -> SendWindow:
        """The provider's hours, and for commercial or collection messages also the
        hours of Ley 2300 de 2023."""
        return _window(self.send_window, self.timezone, purpose in LEY_2300)

    def now(self) -> datetime:
        """This process's time: the system clock, CLOCK_OFFSET_S ahead (the engine's
        clock, intake's, the reads' and the commands' alike)."""
        return datetime.now(UTC) + timedelta(seconds=self.clock_offset_s)

    def contact_limit(self, purpose: Purpose | str) -> ContactLimit | None:
        """The purpose's limit (CONTACT_LIMITS); None: no limit."""
        return parse_limit(self.contact_limits.get(str(purpose), "none"))

    @property
    def request_lease_s(self) -> float:
        """Longest a request can take; a chunk ``sending`` for longer lost its worker."""
        return self.provider_connect_timeout_s + 2 * self.provider_read_timeout_s + 5

    @property
    def opt_out_word_list(self) -> tuple[str, ...]:
        return tuple(w.strip().lower() for w in self.opt_out_words.split(",") if w.strip())

    @property
    def provider_method_list(self) -> tuple[Method, ...]:
        return tuple(Method(m) for m in self.provider_methods.split(","))


@lru_cache(maxsize=16)
def _window(hours: str, tz: str, ley_2300: bool) -> SendWindow:
    window = SendWindow.daily(hours, tz)
    return window.intersect(ley_2300_window(tz)) if ley_2300 else window


def _json_problem(value: object) -> str | None:
    """Where a text that should be JSON stops being JSON (never its content: tokens)."""
    if not isinstance(value, str):
        return None
    if not value.strip():
        return "it is empty"
    try:
        json.loads(value)
    except json.JSONDecodeError as exc:
        return f"{exc.msg} at character {exc.pos + 1}"
    return None


def _describe(error: dict[str, Any], secret_fields: set[str]) -> str:
    """``PREGONERO_CHUNK_SIZE=6000: must be at most 5000`` or, inside ACCOUNTS,
    ``PREGONERO_ACCOUNTS[1].methods: '3via' is not a method``; never a secret's value."""
    loc = [str(part) for part in error["loc"]]
    field = loc[0] if loc else "settings"
    variable = ENV_PREFIX + field.upper() if loc else "settings"
    for part in loc[1:]:
        variable += f"[{part}]" if part.isdigit() else f".{part}"
    message = str(error["msg"]).removeprefix("Value error, ")
    if loc == ["accounts"] and error.get("type") in ("list_type", "json_invalid"):
        where = _json_problem(error.get("input"))
        message = (
            (f"is not JSON ({where}); it " if where else "")
            + 'must be a JSON list: [{"name": "oneway", "user": "...", "token": "..."}, ...] '
            "(methods, links_allowed, password, send_url, balance_url, block_interval_s "
            "optional); in a .env file or a shell, put it in single quotes: "
            "PREGONERO_ACCOUNTS='[...]'"
        )
    value = error.get("input")
    hidden = field in secret_fields or (len(loc) > 1 and loc[-1] in {"token", "password"})
    if hidden or isinstance(value, dict | list) or value is None or len(loc) > 1:
        return f"{variable}: {message}"
    return f"{variable}={redact_url(str(value))}: {message}"


def load_settings(**overrides: Any) -> Settings:
    """Read the environment; raise ``ConfigError`` naming each wrong variable."""
    try:
        return Settings(**overrides)
    except ValidationError as exc:
        # ACCOUNTS holds tokens: its value is never printed, even when it is not JSON.
        secret = {
            "provider_token",
            "provider_password",
            "inbound_secret",
            "accounts",
            "metrics_token",
            "privacy_key",
        }
        lines = [_describe(dict(e), secret) for e in exc.errors()]
        raise ConfigError("invalid settings:\n  " + "\n  ".join(lines)) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()


def reset_settings_cache() -> None:
    get_settings.cache_clear()
