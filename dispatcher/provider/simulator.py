"""A strict stand-in for the IT Cloud Services SMS API, for the demo, tests and benchmarks.

It behaves as the provider's document says: per-number codes, a balance that runs
down, a block list, reserved words, links, maintenance, the 08-21 window (switchable),
the 5,000 cap.  Faults on demand (HTTP 500, slow answers, a connection dropped after
the numbers were sent), and a record of every request with its start time so tests can
check spacing and duplicates.  ``simserver`` puts it behind a real HTTP server.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from dispatcher.domain.codes import Code
from dispatcher.domain.message import MAX_TEXT_CHARS, Method, find_links
from dispatcher.domain.numbers import is_provider_msisdn
from dispatcher.domain.window import SendWindow
from dispatcher.settings import PROVIDER_MAX_NUMBERS

FAULT_KINDS = ("http_500", "slow", "drop", "garbage")
# The demo account.  Public on purpose: the simulator is a test double.
DEMO_USER = "demo"
DEMO_TOKEN = "demo-token"  # noqa: S105
DEMO_PASSWORD = "demo-password"  # noqa: S105


@dataclass
class SimConfig:
    user: str = DEMO_USER
    token: str = DEMO_TOKEN
    password: str = DEMO_PASSWORD
    balance: int = 1_000_000
    enforce_window: bool = True
    window: str = "08:00-21:00"
    timezone: str = "America/Bogota"
    fixed_now: str | None = None  # ISO time the simulator takes as "now" for the window
    maintenance: bool = False
    links_allowed: bool = False
    reserved_words: list[str] = field(default_factory=lambda: ["palabraprohibida"])
    max_numbers: int = PROVIDER_MAX_NUMBERS
    blocklist: list[str] = field(default_factory=list)
    answer_style: str = "br"  # br | newline | crlf | html
    latency_s: float = 0.0
    first_reference: int = 12_100_000
    # More provider accounts besides user/token above, each with its own credentials,
    # balance and answer latency: [{"user", "token", "password", "balance", "latency_s"}].
    accounts: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Fault:
    kind: str
    times: int = 1
    delay_s: float = 0.0
    process: bool = True  # the numbers are sent (and charged) before the fault hits

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"fault kind must be one of {', '.join(FAULT_KINDS)}")
        if self.times < 1:
            raise ValueError("fault times must be at least 1")


@dataclass
class SendRecord:
    seq: int
    started_at: float  # wall clock, seconds since the epoch
    started_mono: float
    verb: str
    numbers: list[str]
    text: str
    method: str
    answer: str = ""
    http_status: int = 200
    fault: str | None = None
    request_code: int | None = None
    user: str = ""
    accepted: dict[str, int] = field(default_factory=dict)
    finished_at: float | None = None


@dataclass
class SimAnswer:
    """What the HTTP layer must do: answer ``body`` with ``status``, or drop, after ``delay_s``."""

    status: int
    body: str
    drop: bool = False
    delay_s: float = 0.0


class ProviderSimulator:
    """Thread-safe provider state and logic.  No networking here."""

    def __init__(self, config: SimConfig | None = None):
        self._initial = config or SimConfig()
        self._lock = threading.Lock()
        self.reset()

    def reset(self, config: SimConfig | None = None) -> None:
        with self._lock:
            if config is not None:
                self._initial = config
            self.config = SimConfig(**asdict(self._initial))
            self.balances = {self.config.user: self.config.balance}
            self._load_accounts()
            self.records: list[SendRecord] = []
            self.faults: list[Fault] = []
            self.accepted: dict[str, list[int]] = {}
            self._refs = itertools.count(self.config.first_reference)
            self.balance_queries = 0

    @property
    def balance(self) -> int:
        """The first account's balance."""
        return self.balances[self.config.user]

    @balance.setter
    def balance(self, value: int) -> None:
        self.balances[self.config.user] = int(value)

    def _load_accounts(self) -> None:
        for account in self.config.accounts:
            unknown = set(account) - {"user", "token", "password", "balance", "latency_s"}
            if unknown or not account.get("user") or not account.get("token"):
                raise ValueError(
                    "each simulator account needs user and token (and may have password, "
                    f"balance, latency_s); got {sorted(account)}"
                )
            self.balances.setdefault(str(account["user"]), int(account.get("balance", 1_000_000)))

    def _account_of(self, params: dict[str, str]) -> dict[str, Any] | None:
        """The account whose user and token (or, for the balance, password) match."""
        cfg = self.config
        primary = {"user": cfg.user, "token": cfg.token, "password": cfg.password}
        for account in [primary, *cfg.accounts]:
            if params.get("user") != account["user"]:
                continue
            secrets = {account.get("token"), account.get("password")} - {None, ""}
            if params.get("token") in secrets or params.get("password") in secrets:
                return account
        return None

    def set_balance(self, user: str, balance: int) -> None:
        with self._lock:
            if user not in self.balances:
                raise ValueError(f"no simulator account {user!r}")
            self.balances[user] = int(balance)

    # -- configuration ------------------------------------------------------------------
    def configure(self, changes: dict[str, Any]) -> dict[str, Any]:
        known = set(SimConfig.__dataclass_fields__)
        unknown = set(changes) - known
        if unknown:
            raise ValueError(f"unknown simulator settings: {', '.join(sorted(unknown))}")
        with self._lock:
            for key, value in changes.items():
                setattr(self.config, key, value)
                if key == "balance":
                    self.balance = int(value)
            self._load_accounts()
            SendWindow.daily(self.config.window, self.config.timezone)  # validate
            return self.state_locked()

    def add_faults(self, faults: list[dict[str, Any]]) -> int:
        parsed = [Fault(**f) for f in faults]
        with self._lock:
            self.faults.extend(parsed)
            return len(self.faults)

    def clear_faults(self) -> None:
        with self._lock:
            self.faults.clear()

    def state(self) -> dict[str, Any]:
        with self._lock:
            return self.state_locked()

    def state_locked(self) -> dict[str, Any]:
        cfg = asdict(self.config)
        cfg.pop("token")
        cfg.pop("password")
        cfg["accounts"] = [{"user": a["user"]} for a in self.config.accounts]
        return {
            "config": cfg,
            "balance": self.balance,
            "balances": dict(self.balances),
            "requests": len(self.records),
            "accepted_numbers": len(self.accepted),
            "accepted_messages": sum(len(v) for v in self.accepted.values()),
            "pending_faults": [asdict(f) for f in self.faults],
            "balance_queries": self.balance_queries,
        }

    def duplicates(self) -> dict[str, int]:
        with self._lock:
            return {m: len(refs) for m, refs in self.accepted.items() if len(refs) > 1}

    def record_dicts(self, since: int = 0, with_numbers: bool = True) -> list[dict[str, Any]]:
        with self._lock:
            out = []
            for rec in self.records[since:]:
                item = asdict(rec)
                if not with_numbers:
                    item.pop("numbers")
                    item.pop("accepted")
                    item["count"] = len(rec.numbers)
                out.append(item)
            return out

    # -- the provider's behaviour ---------------------------------------------------------
    def _now(self) -> datetime:
        tz = ZoneInfo(self.config.timezone)
        if self.config.fixed_now:
            return datetime.fromisoformat(self.config.fixed_now).astimezone(tz)
        return datetime.now(tz)

    def _request_error(self, params: dict[str, str], numbers: list[str]) -> int | None:
        cfg = self.config
        account = self._account_of(
            {"user": params.get("user", ""), "token": params.get("token", "")}
        )
        if account is None or params.get("token") != account["token"]:
            return Code.AUTH_FAILED
        if cfg.maintenance:
            return Code.MAINTENANCE
        method = params.get("metodo_envio", "1via").strip().strip("'\"")
        if method not in {m.value for m in Method}:
            return Code.BAD_METHOD
        if len(numbers) > cfg.max_numbers:
            return Code.TOO_MANY_NUMBERS
        text = params.get("SMSText", "")
        if not text.strip() or len(text) > MAX_TEXT_CHARS:
            return Code.BAD_TEXT
        window = SendWindow.daily(cfg.window, cfg.timezone)
        if cfg.enforce_window and not window.is_open(self._now()):
            return Code.OUTSIDE_HOURS
        lowered = text.lower()
        if any(w.lower() in lowered for w in cfg.reserved_words if w):
            return Code.RESERVED_WORDS
        if not cfg.links_allowed and find_links(text):
            return Code.LINK_NOT_ALLOWED
        if self.balances[account["user"]] <= 0:
            return Code.NO_BALANCE
        return None

    def _number_code(self, msisdn: str, blocked: set[str], user: str) -> int:
        if not is_provider_msisdn(msisdn):
            return Code.BAD_NUMBER
        if msisdn.startswith(("380", "57380")):
            return Code.OPERATOR_NOT_FOUND
        if msisdn in blocked:
            return Code.BLOCKED_NUMBER
        if self.balances[user] <= 0:
            return Code.NO_BALANCE
        self.balances[user] -= 1
        ref = next(self._refs)
        self.accepted.setdefault(msisdn, []).append(ref)
        return ref

    def _format(self, lines: list[str]) -> str:
        style = self.config.answer_style
        if style == "newline":
            return "\n".join(lines) + "\n"
        if style == "crlf":
            return "\r\n".join(lines) + "\r\n"
        if style == "html":
            return "<html><body>\n" + "".join(f" {ln}<br>\n" for ln in lines) + "</body></html>"
        return "".join(f"{ln}<br>" for ln in lines)

    def handle_send(
        self, params: dict[str, str], verb: str, arrived: tuple[float, float] | None = None
    ) -> SimAnswer:
        """``arrived``: (wall, monotonic) when the request began to arrive (now if None)."""
        started_at, started_mono = arrived or (time.time(), time.monotonic())
        raw_numbers = params.get("GSM", "")
        numbers = [n.strip() for n in raw_numbers.split(",")] if raw_numbers.strip() else []
        with self._lock:
            fault = self.faults[0] if self.faults else None
            if fault is not None:
                fault.times -= 1
                if fault.times <= 0:
                    self.faults.pop(0)
            record = SendRecord(
                seq=len(self.records),
                started_at=started_at,
                started_mono=started_mono,
                verb=verb,
                numbers=numbers,
                text=params.get("SMSText", ""),
                method=params.get("metodo_envio", ""),
                fault=fault.kind if fault else None,
                user=params.get("user", ""),
            )
            self.records.append(record)
            if fault is None or fault.process:
                record.answer, record.request_code = self._process(params, numbers, record)
            record.finished_at = time.time()
            latency = self._latency_of(record.user)
        return self._apply_fault(fault, record, latency)

    def _process(
        self, params: dict[str, str], numbers: list[str], record: SendRecord
    ) -> tuple[str, int | None]:
        if not numbers:
            return self._format([str(int(Code.BAD_NUMBER))]), int(Code.BAD_NUMBER)
        error = self._request_error(params, numbers)
        if error is not None:
            return self._format([str(int(error))]), int(error)
        blocked = set(self.config.blocklist)
        lines = []
        for msisdn in numbers:
            code = self._number_code(msisdn, blocked, record.user)
            if code > 0:
                record.accepted[msisdn] = code
            lines.append(f"{msisdn},{int(code)}")
        return self._format(lines), None

    def _latency_of(self, user: str) -> float:
        for account in self.config.accounts:
            if account["user"] == user and "latency_s" in account:
                return float(account["latency_s"])
        return self.config.latency_s

    @staticmethod
    def _apply_fault(fault: Fault | None, record: SendRecord, latency_s: float) -> SimAnswer:
        if fault is None:
            return SimAnswer(200, record.answer, delay_s=latency_s)
        if fault.kind == "http_500":
            record.http_status = 500
            return SimAnswer(500, "<h1>500 Internal Server Error</h1>", delay_s=latency_s)
        if fault.kind == "drop":
            return SimAnswer(200, "", drop=True, delay_s=latency_s)
        if fault.kind == "garbage":
            return SimAnswer(200, "<html><body>Error de base de datos</body></html>")
        return SimAnswer(200, record.answer, delay_s=fault.delay_s or latency_s)

    def handle_balance(self, params: dict[str, str]) -> SimAnswer:
        with self._lock:
            self.balance_queries += 1
            account = self._account_of(params)
            if account is None:
                return SimAnswer(200, str(int(Code.AUTH_FAILED)))
            return SimAnswer(200, str(self.balances[account["user"]]))

    def accepted_counts(self) -> Counter[str]:
        with self._lock:
            return Counter({m: len(v) for m, v in self.accepted.items()})
