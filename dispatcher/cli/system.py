"""The system at a glance and the accounts' pause: what ``pregonero account ...`` and
``celery -A workers sms ...`` print and do.  One implementation for both command lines;
the Celery one adds only the remote-control broadcast to workers."""

from __future__ import annotations

import json
from dataclasses import asdict
from datetime import UTC, datetime

from sqlalchemy import Engine

from dispatcher.accounts import configured_accounts
from dispatcher.domain.describe import account_state
from dispatcher.domain.status import PauseReason
from dispatcher.domain.times import human, iso
from dispatcher.engine import steer
from dispatcher.errors import NotFound
from dispatcher.settings import Settings
from dispatcher.store import accounts, processes, reads


def account_names(settings: Settings, account: str | None) -> list[str]:
    """The account asked for (every configured one when None); NotFound naming the
    configured ones when it is not one of them."""
    names = [a.name for a in configured_accounts(settings)]
    if account is None:
        return names
    if account not in names:
        raise NotFound(
            f"there is no provider account {account!r}: --account one of {', '.join(names)}"
        )
    return [account]


def pause_accounts(
    engine: Engine, settings: Settings, account: str | None, reason: PauseReason
) -> str:
    names = account_names(settings, account)
    for name in names:
        steer.pause_account(engine, settings, name, reason)
    return f"paused ({reason}): {', '.join(names)}"


def resume_accounts(engine: Engine, settings: Settings, account: str | None) -> str:
    names = account_names(settings, account)
    resumed = [name for name in names if steer.resume_account(engine, name)]
    return f"resumed: {', '.join(resumed)}" if resumed else "nothing was paused"


def status_lines(engine: Engine, settings: Settings, as_json: bool = False) -> list[str]:
    """Accounts (sending? paused, why, since when? balance), campaigns by status and those
    that need an operator, chunks by status."""
    now = datetime.now(UTC)
    here = [a.name for a in configured_accounts(settings)]
    with engine.connect() as conn:
        states = accounts.states(conn)
        where = {p.name: p for p in processes.presence(conn, here)}
    summary = reads.system_status(engine)
    if as_json:
        out = {
            "accounts": [
                {**asdict(a), **asdict(where[a.name]), "configured": where[a.name].configured}
                for a in states
                if a.name in where
            ],
            "campaigns": summary.campaigns,
            "chunks": summary.chunks,
            "attention": [list(pair) for pair in summary.attention],
        }
        return [json.dumps(out, indent=2, default=_json)]
    window = settings.window
    lines = ["Accounts"]
    for state in states:
        if state.name not in where:  # a row left from an old configuration, nothing on it
            continue
        words = account_state(
            paused=state.paused,
            reason=state.pause_reason,
            paused_at=state.paused_at,
            window_open=window.is_open(now),
            next_open=window.next_open(now),
            probe_every_s=settings.maintenance_probe_s,
            now=now,
            tz=window.tz,
        )
        balance = (
            f"balance {state.last_balance} (read {human(state.checked_at, window.tz)})"
            if state.last_balance is not None and state.checked_at is not None
            else "balance not read yet"
        )
        present = where[state.name]
        if not present.configured_here:
            words = (
                "not configured here (PREGONERO_ACCOUNTS): "
                f"{present.open_campaigns:,} open campaigns on it wait"
            )
        lines.append(f"  {state.name}: {words}; {balance}")
        if present.missing_from:
            lacking = ", ".join(present.missing_from)
            lines.append(f"    not in PREGONERO_ACCOUNTS of: {lacking}")
    lines.append("Campaigns: " + _counts(summary.campaigns))
    for campaign_id, uncertain in summary.attention:
        lines.append(
            f"  campaign {campaign_id} needs an operator: {uncertain:,} uncertain recipients "
            "(check the provider's report, then requeue-uncertain or close-uncertain)"
        )
    lines.append("Chunks: " + _counts(summary.chunks))
    return lines


def _json(value: object) -> str:
    """Times as the API writes them (ISO 8601, UTC, ``Z``); the rest as text."""
    return iso(value) if isinstance(value, datetime) else str(value)


def _counts(by_status: dict[str, int]) -> str:
    return ", ".join(f"{status} {n:,}" for status, n in sorted(by_status.items())) or "none"
