"""What operators and tenants do to campaigns and accounts: one function per action, each
one transaction through the store.  The API, the CLI, the page and ``celery -A workers
sms`` all call these, and nothing else changes a campaign's or an account's state on a
person's behalf.

``scope`` is the caller's tenant id (a tenant's key sees only its own campaigns) or
None for an operator.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import TypeVar

from psycopg.errors import DeadlockDetected, SerializationFailure
from sqlalchemy import Connection, Engine
from sqlalchemy.exc import OperationalError

from dispatcher.accounts import configured_accounts
from dispatcher.domain.status import PauseReason, RecipientStatus
from dispatcher.settings import Settings
from dispatcher.store import accounts, feeding, steering
from dispatcher.store.steering import Steered

T = TypeVar("T")
_ATTEMPTS = 3


def _once(engine: Engine, change: Callable[[Connection], T]) -> T:
    """``change`` in one transaction; run again when Postgres chose it as a deadlock's
    victim (a person's action meeting the engine's locks in the other order, say a cancel
    while a block of the campaign is being claimed): it then sees what the other did."""
    for attempt in range(1, _ATTEMPTS + 1):
        try:
            with engine.begin() as conn:
                return change(conn)
        except OperationalError as exc:
            retry = isinstance(exc.orig, DeadlockDetected | SerializationFailure)
            if not retry or attempt == _ATTEMPTS:
                raise
    raise AssertionError("unreachable")


def pause_campaign(engine: Engine, campaign_id: int, scope: int | None) -> Steered:
    """No block of it starts after this commits; what is at the provider finishes."""
    return _once(engine, lambda conn: steering.pause(conn, campaign_id, scope))


def resume_campaign(engine: Engine, campaign_id: int, scope: int | None) -> Steered:
    def change(conn: Connection) -> Steered:
        feeding.announce_ready(conn)
        return steering.resume(conn, campaign_id, scope, datetime.now(UTC))

    return _once(engine, change)


def cancel_campaign(engine: Engine, campaign_id: int, scope: int | None) -> Steered:
    """Unsent numbers become cancelled; a block already at the provider finishes."""
    return _once(engine, lambda conn: steering.cancel(conn, campaign_id, scope))


def requeue_uncertain(engine: Engine, campaign_id: int, scope: int | None) -> int:
    """The operator's decision (the provider's report shows they did not go out): send
    a campaign's uncertain numbers again; how many will be."""

    def change(conn: Connection) -> int:
        feeding.announce_ready(conn)
        return steering.requeue_uncertain(conn, campaign_id, scope)

    return _once(engine, change)


def close_uncertain(
    engine: Engine, campaign_id: int, scope: int | None, outcome: RecipientStatus
) -> int:
    """Record what the provider's report says of the uncertain numbers (accepted or
    rejected); how many were closed."""
    return _once(engine, lambda conn: steering.close_uncertain(conn, campaign_id, scope, outcome))


def pause_account(
    engine: Engine, settings: Settings, name: str, reason: PauseReason = PauseReason.OPERATOR
) -> bool:
    """No block of the account starts after this commits; False when it was paused
    already (it keeps its first reason)."""
    with engine.begin() as conn:
        accounts.sync(conn, configured_accounts(settings))  # no row yet if nothing ran
        return accounts.pause(conn, name, reason)


def resume_account(engine: Engine, name: str) -> bool:
    """Lift the account's pause, whatever caused it; False when it was not paused."""
    with engine.begin() as conn:
        feeding.announce_ready(conn)
        return accounts.resume(conn, name)
