"""``/v1/accounts``: the provider accounts' pause, pace and sending window, and for
operators their balance; ``/v1/account`` is the account ``default``.

An account is shared by every tenant bound to it: pausing or resuming it acts on all of
them, so only an operator may."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field
from sqlalchemy import Engine

from dispatcher.accounts import DEFAULT_ACCOUNT, Account, configured_accounts
from dispatcher.api.campaigns import PROBLEMS
from dispatcher.api.deps import CallerDep, EngineDep, OperatorDep, SettingsDep
from dispatcher.domain.describe import account_state
from dispatcher.domain.status import PauseReason
from dispatcher.engine import steer
from dispatcher.errors import NotFound
from dispatcher.settings import ACCOUNT_NAME, Settings
from dispatcher.store import accounts, processes
from dispatcher.store.apikeys import Caller

router = APIRouter(prefix="/v1", tags=["accounts"])
AccountName = Annotated[str, Path(pattern=ACCOUNT_NAME, description="The account's name")]


class WindowOut(BaseModel):
    hours: str
    timezone: str
    open_now: bool
    next_open: datetime | None
    closes_at: datetime | None
    opens_again_at: datetime | None = Field(
        description="The next opening after now: after closes_at when it is open (null when "
        "it never closes)"
    )


class AccountOut(BaseModel):
    name: str
    configured: bool = Field(
        description="In PREGONERO_ACCOUNTS here and in every API, worker and beat process that "
        "runs.  False for an account that open campaigns name but that is not configured (they "
        "wait, waiting_reason account_not_configured), or that a process lacks"
    )
    missing_from: list[str] = Field(
        description="Operators only: the running processes (role host:pid) whose "
        "PREGONERO_ACCOUNTS lacks it"
    )
    open_campaigns: int = Field(description="Campaigns on it that have not finished")
    state: str = Field(description="In words: sending, paused for balance since 10:02, ...")
    methods: list[str]
    links_allowed: bool
    paused: bool
    pause_reason: PauseReason | None
    paused_at: datetime | None
    block_interval_s: float = Field(description="Seconds between blocks: the account's pace")
    last_balance: str | None = Field(description="Operators only: as last polled")
    checked_at: datetime | None = Field(description="Operators only: when it was polled")
    window: WindowOut


def view(account: Account | str, who: Caller, engine: Engine, settings: Settings) -> dict[str, Any]:
    """An account configured here, or one only named (by open campaigns, another host)."""
    name = account if isinstance(account, str) else account.name
    here = [a.name for a in configured_accounts(settings)]
    with engine.connect() as conn:
        found = accounts.states(conn, [name])
        where = next(p for p in processes.presence(conn, here) if p.name == name)
    state = found[0] if found else None
    now = datetime.now(UTC)
    window = settings.window
    closes = window.closes_at(now)
    paused = bool(state and state.paused)
    words = account_state(
        paused=paused,
        reason=state.pause_reason if state else None,
        paused_at=state.paused_at if state else None,
        window_open=window.is_open(now),
        next_open=window.next_open(now),
        probe_every_s=settings.maintenance_probe_s,
        now=now,
        tz=window.tz,
    )
    if not where.configured_here:
        words = (
            "not configured here (PREGONERO_ACCOUNTS): "
            f"{where.open_campaigns:,} open campaigns on it wait"
        )
    elif where.missing_from:
        words += f"; not configured in {len(where.missing_from)} running process(es)"
    if isinstance(account, str):  # what its row remembers; the pace is the default
        methods = list(state.methods) if state else []
        links, interval = bool(state and state.links_allowed), settings.block_interval_s
    else:
        methods = [m.value for m in account.methods]
        links, interval = account.links_allowed, account.block_interval_s
    return {
        "name": name,
        "configured": where.configured,
        "configured_here": where.configured_here,  # the page's steering (not in the API)
        "missing_from": list(where.missing_from) if who.is_operator else [],
        "open_campaigns": where.open_campaigns,
        "state": words,
        "methods": methods,
        "links_allowed": links,
        "paused": paused,
        "pause_reason": state.pause_reason if state else None,
        "paused_at": state.paused_at if state else None,
        "block_interval_s": interval,
        # The balance is the operators' business: tenants share the account.
        "last_balance": (
            str(state.last_balance)
            if who.is_operator and state and state.last_balance is not None
            else None
        ),
        "checked_at": state.checked_at if who.is_operator and state else None,
        "window": {
            "hours": settings.send_window,
            "timezone": settings.timezone,
            "open_now": window.is_open(now),
            # in UTC, like every time the API writes (``Z``)
            "next_open": _utc(window.next_open(now)),
            "closes_at": _utc(closes),
            "opens_again_at": _utc(window.next_open(closes) if closes else window.next_open(now)),
        },
    }


def _utc(at: datetime | None) -> datetime | None:
    return at.astimezone(UTC) if at else None


def visible(who: Caller, settings: Settings) -> list[Account]:
    return [
        a
        for a in configured_accounts(settings)
        if who.is_operator or who.accounts is None or a.name in who.accounts
    ]


def _default(settings: Settings) -> str:
    """``default``, or the first configured account when PREGONERO_ACCOUNTS has none."""
    names = [a.name for a in configured_accounts(settings)]
    return DEFAULT_ACCOUNT if DEFAULT_ACCOUNT in names else names[0]


def one(name: str, who: Caller, settings: Settings) -> Account:
    found = next((a for a in visible(who, settings) if a.name == name), None)
    if found is None:
        raise NotFound(f"there is no provider account {name!r} for this key; GET /v1/accounts")
    return found


def _elsewhere(who: Caller, engine: Engine, settings: Settings) -> list[str]:
    """Accounts named by open campaigns or account rows but not configured here: an
    operator sees them all, a tenant those its key may use."""
    here = [a.name for a in configured_accounts(settings)]
    with engine.connect() as conn:
        named = [p.name for p in processes.presence(conn, here) if not p.configured_here]
    return [n for n in named if who.is_operator or who.accounts is None or n in who.accounts]


def listed(who: Caller, engine: Engine, settings: Settings) -> list[dict[str, Any]]:
    """The accounts a caller sees, configured here first, then those only named."""
    names: list[Account | str] = [*visible(who, settings), *_elsewhere(who, engine, settings)]
    return [view(a, who, engine, settings) for a in names]


@router.get("/accounts", response_model=list[AccountOut], responses=PROBLEMS)
async def list_accounts(who: CallerDep, engine: EngineDep, settings: SettingsDep) -> Any:
    """The accounts this key may send through: pause and why, pace, the window; and those
    that open campaigns name but that are not configured here (``configured: false``)."""
    return await run_in_threadpool(listed, who, engine, settings)


@router.get("/accounts/{name}", response_model=AccountOut, responses=PROBLEMS)
async def get_account(
    name: AccountName, who: CallerDep, engine: EngineDep, settings: SettingsDep
) -> Any:
    return await run_in_threadpool(view, one(name, who, settings), who, engine, settings)


async def _pause(name: str, who: Caller, engine: Engine, settings: Settings) -> Any:
    account = one(name, who, settings)
    await run_in_threadpool(steer.pause_account, engine, settings, account.name)
    return await run_in_threadpool(view, account, who, engine, settings)


async def _resume(name: str, who: Caller, engine: Engine, settings: Settings) -> Any:
    account = one(name, who, settings)
    await run_in_threadpool(steer.resume_account, engine, account.name)
    return await run_in_threadpool(view, account, who, engine, settings)


@router.post("/accounts/{name}/pause", response_model=AccountOut, responses=PROBLEMS)
async def pause_account(
    name: AccountName, who: OperatorDep, engine: EngineDep, settings: SettingsDep
) -> Any:
    """Stop every campaign on the account before its next block (reason: operator)."""
    return await _pause(name, who, engine, settings)


@router.post("/accounts/{name}/resume", response_model=AccountOut, responses=PROBLEMS)
async def resume_account(
    name: AccountName, who: OperatorDep, engine: EngineDep, settings: SettingsDep
) -> Any:
    """Resume the account, whatever paused it (balance, maintenance, auth, operator)."""
    return await _resume(name, who, engine, settings)


@router.get("/account", response_model=AccountOut, responses=PROBLEMS)
async def get_default_account(who: CallerDep, engine: EngineDep, settings: SettingsDep) -> Any:
    """The account ``default`` (or the first configured): pause state, pace and window
    (operators: the balance)."""
    return await run_in_threadpool(
        view, one(_default(settings), who, settings), who, engine, settings
    )


@router.post("/account/pause", response_model=AccountOut, responses=PROBLEMS)
async def pause_default_account(who: OperatorDep, engine: EngineDep, settings: SettingsDep) -> Any:
    return await _pause(_default(settings), who, engine, settings)


@router.post("/account/resume", response_model=AccountOut, responses=PROBLEMS)
async def resume_default_account(who: OperatorDep, engine: EngineDep, settings: SettingsDep) -> Any:
    return await _resume(_default(settings), who, engine, settings)
