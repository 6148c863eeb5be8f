"""What an operator's Prometheus reads at scrape time: the state of campaigns, chunks and
accounts, from counters and small indexed sets (never a scan of recipients)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, func, select

from dispatcher.domain.status import CAMPAIGN_OPEN, CHUNK_UNSENT, ChunkStatus
from dispatcher.store import accounts
from dispatcher.store.accounts import AccountState
from dispatcher.store.tables import Campaign, Chunk


@dataclass(frozen=True)
class State:
    now: datetime
    # (status, waiting reason or "") -> campaigns not finished
    campaigns: dict[tuple[str, str], int]
    uncertain_recipients: int
    campaigns_uncertain: int
    # (account, chunk status) -> chunks not sent yet
    chunks: dict[tuple[str, str], int]
    oldest_ready_s: dict[str, float]  # account -> age of its oldest ready, due chunk
    accounts: list[AccountState]


_CAMPAIGNS = (
    select(Campaign.status, func.coalesce(Campaign.waiting_reason, ""), func.count())
    .where(Campaign.status.in_(CAMPAIGN_OPEN))
    .group_by(Campaign.status, Campaign.waiting_reason)
)
_UNCERTAIN = select(func.count(), func.coalesce(func.sum(Campaign.n_uncertain), 0)).where(
    Campaign.n_uncertain > 0
)
# A ready chunk is due from when it was cut or released, or from its not_before.
_SINCE = func.greatest(Chunk.created_at, func.coalesce(Chunk.not_before, Chunk.created_at))
_DUE = (Chunk.status == ChunkStatus.READY) & (
    Chunk.not_before.is_(None) | (Chunk.not_before <= func.now())
)
_CHUNKS = (
    select(
        Campaign.account,
        Chunk.status,
        func.count(),
        func.max(func.extract("epoch", func.now() - _SINCE)).filter(_DUE),
    )
    .join(Campaign, Campaign.id == Chunk.campaign_id)
    .where(Chunk.status.in_(CHUNK_UNSENT))
    .group_by(Campaign.account, Chunk.status)
)


def state(conn: Connection) -> State:
    now = conn.execute(select(func.now())).scalar_one()
    campaigns = {(str(s), str(r)): int(n) for s, r, n in conn.execute(_CAMPAIGNS)}
    n_campaigns, uncertain = conn.execute(_UNCERTAIN).one()
    chunks: dict[tuple[str, str], int] = {}
    oldest: dict[str, float] = {}
    for account, status, n, age in conn.execute(_CHUNKS):
        chunks[(str(account), str(status))] = int(n)
        if age is not None:
            oldest[str(account)] = float(age)
    accounts_now = accounts.states(conn)
    return State(now, campaigns, int(uncertain), int(n_campaigns), chunks, oldest, accounts_now)
