"""The accounts' balance and pauses (docs/architecture.md, "Recovery"): poll, pause below
MIN_BALANCE, resume a balance pause when the balance is back, probe after maintenance.
A person's pause and resume are ``engine.steer``."""

from __future__ import annotations

import logging
from collections.abc import Callable
from decimal import Decimal

from sqlalchemy import Engine

from dispatcher.accounts import configured_accounts
from dispatcher.domain.status import PauseReason
from dispatcher.errors import ProviderAnswerError, ProviderError
from dispatcher.provider.client import ProviderClient
from dispatcher.settings import Settings
from dispatcher.store import accounts, campaigns

log = logging.getLogger(__name__)


def poll_balance(
    engine: Engine, settings: Settings, client_for: Callable[[str], ProviderClient]
) -> dict[str, str]:
    """Each account's balance as read now (or why it could not be read)."""
    configured = [a.name for a in configured_accounts(settings)]
    with engine.connect() as conn:
        states = accounts.states(conn, configured)
    out: dict[str, str] = {}
    for state in states:
        try:
            balance = client_for(state.name).balance()
        except ProviderAnswerError as exc:
            log.error("balance query for %s refused: %s", state.name, exc)
            out[state.name] = "refused"
            continue
        except ProviderError as exc:
            log.warning("balance query for %s failed: %s", state.name, exc)
            out[state.name] = "unreachable"
            continue
        out[state.name] = str(balance)
        low = balance <= Decimal(settings.min_balance)
        with engine.begin() as conn:
            accounts.record_balance(conn, state.name, balance)
            if state.paused and state.pause_reason is PauseReason.BALANCE and not low:
                accounts.resume(conn, state.name, PauseReason.BALANCE)
                log.warning("balance of %s is back (%s): sending resumes", state.name, balance)
            elif not state.paused and low:
                accounts.pause(conn, state.name, PauseReason.BALANCE)
                log.warning(
                    "balance of %s is %s (minimum %s): sending paused",
                    state.name,
                    balance,
                    settings.min_balance,
                )
    _mark_waiting(engine)
    return out


def _mark_waiting(engine: Engine) -> None:
    """The campaigns of an account that is still paused say so (whatever wrote their
    waiting reason last)."""
    with engine.begin() as conn:
        if marked := campaigns.mark_paused_accounts(conn):
            log.warning("%d campaigns of paused accounts did not say they wait: marked", marked)


def probe_maintenance(engine: Engine, settings: Settings) -> int:
    """After MAINTENANCE_PROBE_S, let the next block try: a -6 pauses again."""
    with engine.begin() as conn:
        due = accounts.maintenance_probe_due(conn, settings.maintenance_probe_s)
        resumed = sum(accounts.resume(conn, name, PauseReason.MAINTENANCE) for name in due)
    _mark_waiting(engine)
    return resumed
