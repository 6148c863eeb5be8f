"""The account's balance and pauses (DESIGN §5.4-5.5): poll, pause below MIN_BALANCE,
resume a balance pause when the balance is back, probe after maintenance."""

from __future__ import annotations

import logging
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from sqlalchemy import Engine, text

from dispatcher.chunks import pause_account
from dispatcher.errors import ProviderAnswerError, ProviderError
from dispatcher.provider.client import ProviderClient
from dispatcher.settings import Settings

log = logging.getLogger(__name__)


def resume_account(engine: Engine, account: str, only_reason: str | None = None) -> bool:
    with engine.begin() as conn:
        done = conn.execute(
            text(
                "UPDATE provider_account SET paused = false, pause_reason = NULL, "
                "paused_at = NULL, updated_at = now() WHERE name = :a AND paused "
                "AND (CAST(:r AS text) IS NULL OR pause_reason = :r)"
            ),
            {"a": account, "r": only_reason},
        ).rowcount
        if done:
            conn.execute(
                text(
                    "UPDATE campaign SET waiting_reason = NULL WHERE account = :a "
                    "AND waiting_reason IN ('balance', 'maintenance', 'auth', 'operator') "
                    "AND status IN ('scheduled', 'running')"
                ),
                {"a": account},
            )
    return bool(done)


def pause(engine: Engine, account: str, reason: str) -> None:
    with engine.begin() as conn:
        pause_account(conn, account, reason)


def poll_balance(
    engine: Engine, settings: Settings, client_for: Callable[[str], ProviderClient]
) -> dict[str, Any]:
    out: dict[str, Any] = {}
    with engine.connect() as conn:
        accounts = conn.execute(
            text("SELECT name, paused, pause_reason FROM provider_account")
        ).all()
    for name, paused, reason in accounts:
        try:
            balance = client_for(name).balance()
        except ProviderAnswerError as exc:
            log.error("balance query for %s refused: %s", name, exc)
            out[name] = "refused"
            continue
        except ProviderError as exc:
            log.warning("balance query for %s failed: %s", name, exc)
            out[name] = "unreachable"
            continue
        with engine.begin() as conn:
            conn.execute(
                text(
                    "UPDATE provider_account SET last_balance = :b, checked_at = now() "
                    "WHERE name = :a"
                ),
                {"a": name, "b": balance},
            )
        out[name] = str(balance)
        low = balance <= Decimal(settings.min_balance)
        if paused and reason == "balance" and not low:
            resume_account(engine, name, "balance")
            log.warning("balance of %s is back (%s): sending resumes", name, balance)
        elif not paused and low:
            pause(engine, name, "balance")
            log.warning(
                "balance of %s is %s (minimum %s): sending paused",
                name,
                balance,
                settings.min_balance,
            )
    return out


def probe_maintenance(engine: Engine, settings: Settings) -> int:
    """After MAINTENANCE_PROBE_S, let the next block try: a -6 pauses again.  (The pause
    time is the database's, like ``paused_at``.)"""
    with engine.begin() as conn:
        names = (
            conn.execute(
                text(
                    "SELECT name FROM provider_account WHERE paused "
                    "AND pause_reason = 'maintenance' "
                    "AND paused_at <= now() - make_interval(secs => :s)"
                ),
                {"s": settings.maintenance_probe_s},
            )
            .scalars()
            .all()
        )
    return sum(resume_account(engine, str(n), "maintenance") for n in names)
