"""``/v1/account``: the provider account's balance, pause and sending window.

The account is shared by every tenant bound to it: pausing it stops all their sending
before the next block."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel
from sqlalchemy import Engine

from dispatcher.accounts import DEFAULT_ACCOUNT, configured_accounts
from dispatcher.api.campaigns import PROBLEMS
from dispatcher.api.deps import EngineDep, SettingsDep, TenantDep
from dispatcher.domain.status import PauseReason
from dispatcher.engine import balance
from dispatcher.settings import Settings
from dispatcher.store import accounts

router = APIRouter(prefix="/v1", tags=["account"])


class WindowOut(BaseModel):
    hours: str
    timezone: str
    open_now: bool
    next_open: datetime | None
    closes_at: datetime | None


class AccountOut(BaseModel):
    name: str
    methods: list[str]
    links_allowed: bool
    paused: bool
    pause_reason: PauseReason | None
    paused_at: datetime | None
    last_balance: str | None
    checked_at: datetime | None
    window: WindowOut


def _account(engine: Engine, settings: Settings) -> dict[str, Any]:
    with engine.connect() as conn:
        found = accounts.states(conn, [DEFAULT_ACCOUNT])
    if found:
        data = asdict(found[0])
    else:  # nothing has touched the account yet
        account = configured_accounts(settings)[0]
        data = {
            "name": account.name,
            "methods": [m.value for m in account.methods],
            "links_allowed": account.links_allowed,
            "paused": False,
            "pause_reason": None,
            "paused_at": None,
            "last_balance": None,
            "checked_at": None,
        }
    data["last_balance"] = None if data["last_balance"] is None else str(data["last_balance"])
    now = datetime.now(UTC)
    window = settings.window
    data["window"] = {
        "hours": settings.send_window,
        "timezone": settings.timezone,
        "open_now": window.is_open(now),
        "next_open": window.next_open(now),
        "closes_at": window.closes_at(now),
    }
    return data


@router.get("/account", response_model=AccountOut, responses=PROBLEMS)
async def get_account(_: TenantDep, engine: EngineDep, settings: SettingsDep) -> Any:
    """Balance (as last polled), pause state and the provider's sending window."""
    return await run_in_threadpool(_account, engine, settings)


@router.post("/account/pause", response_model=AccountOut, responses=PROBLEMS)
async def pause_account(_: TenantDep, engine: EngineDep, settings: SettingsDep) -> Any:
    """Stop every campaign on the account before its next block (reason: operator)."""
    await run_in_threadpool(balance.pause, engine, DEFAULT_ACCOUNT, PauseReason.OPERATOR)
    return await run_in_threadpool(_account, engine, settings)


@router.post("/account/resume", response_model=AccountOut, responses=PROBLEMS)
async def resume_account(_: TenantDep, engine: EngineDep, settings: SettingsDep) -> Any:
    """Resume the account, whatever paused it (balance, maintenance, auth, operator)."""
    await run_in_threadpool(balance.resume, engine, DEFAULT_ACCOUNT)
    return await run_in_threadpool(_account, engine, settings)
