"""The processes that run (API, workers, beat) and the provider accounts each is
configured with: each refreshes its row while it runs, so a host whose PREGONERO_ACCOUNTS
differs shows in /v1/accounts, /metrics and ``sms status``."""

from __future__ import annotations

import os
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from sqlalchemy import Connection, delete, func, select
from sqlalchemy.dialects.postgresql import insert

from dispatcher.domain.status import CAMPAIGN_OPEN
from dispatcher.store.tables import Campaign, ProcessSeen

Role = Literal["api", "worker", "beat"]
# A process not seen for this long has stopped (each refreshes every minute or so).
LIVE_FOR = timedelta(minutes=3)
FORGET_AFTER = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class Seen:
    process: str  # "worker host:pid"
    role: str
    accounts: tuple[str, ...]
    seen_at: datetime


def this_process(role: Role) -> str:
    return f"{role} {socket.gethostname()}:{os.getpid()}"


def announce(conn: Connection, role: Role, accounts: list[str]) -> None:
    """This process runs, configured with ``accounts``."""
    names = sorted(accounts)
    conn.execute(
        insert(ProcessSeen)
        .values(process=this_process(role), role=role, accounts=names)
        .on_conflict_do_update(
            index_elements=[ProcessSeen.process], set_={"accounts": names, "seen_at": func.now()}
        )
    )
    conn.execute(delete(ProcessSeen).where(ProcessSeen.seen_at < func.now() - FORGET_AFTER))


def gone(conn: Connection, role: Role) -> None:
    """This process stops."""
    conn.execute(delete(ProcessSeen).where(ProcessSeen.process == this_process(role)))


def live(conn: Connection) -> list[Seen]:
    rows = conn.execute(
        select(ProcessSeen.process, ProcessSeen.role, ProcessSeen.accounts, ProcessSeen.seen_at)
        .where(ProcessSeen.seen_at >= func.now() - LIVE_FOR)
        .order_by(ProcessSeen.process)
    )
    return [Seen(r.process, r.role, tuple(r.accounts), r.seen_at) for r in rows]


@dataclass(frozen=True, slots=True)
class Presence:
    """An account named somewhere (configured here, an account row, an open campaign)
    and where it is configured."""

    name: str
    configured_here: bool
    open_campaigns: int
    missing_from: tuple[str, ...]  # live processes whose PREGONERO_ACCOUNTS lacks it

    @property
    def configured(self) -> bool:
        """Configured here and in every process that runs."""
        return self.configured_here and not self.missing_from


def presence(conn: Connection, here: list[str]) -> list[Presence]:
    """Every account configured here, in a running process, or named by an open campaign
    (an account row alone, left from an old configuration, is not worth a line)."""
    rows = conn.execute(
        select(Campaign.account, func.count())
        .where(Campaign.status.in_(CAMPAIGN_OPEN))
        .group_by(Campaign.account)
    ).all()
    open_by_account = {str(a): int(n) for a, n in rows}
    running = live(conn)
    names = set(here) | set(open_by_account) | {a for p in running for a in p.accounts}
    return [
        Presence(
            name,
            name in here,
            open_by_account.get(name, 0),
            tuple(p.process for p in running if name not in p.accounts),
        )
        for name in sorted(names)
    ]
