"""The store's transitions each do their whole change: recipients, sizes, counters."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine, select, text

from dispatcher.domain.plan import Settle
from dispatcher.domain.status import ChunkStatus, ChunkWait, Reason, RecipientStatus
from dispatcher.settings import Settings
from dispatcher.store import chunks, recipients, steering
from dispatcher.store.tables import COUNTERS, Campaign
from tests.builders import Numbers, Tenant, a_campaign, a_suppression

pytestmark = pytest.mark.integration


def q(engine: Engine, sql: str, **params: Any) -> list[Any]:
    with engine.connect() as conn:
        return list(conn.execute(text(sql), params).all())


def counters(engine: Engine, campaign_id: int) -> dict[str, int]:
    with engine.connect() as conn:
        row = conn.execute(select(*COUNTERS.values()).where(Campaign.id == campaign_id)).one()
    return {s.value: n for s, n in zip(COUNTERS, row, strict=True) if n}


def rows(engine: Engine, campaign_id: int) -> dict[str, int]:
    return dict(
        q(
            engine,
            "SELECT status, count(*) FROM recipient WHERE campaign_id = :c GROUP BY 1",
            c=campaign_id,
        )
    )


def first_chunk(engine: Engine, campaign_id: int) -> Any:
    with engine.connect() as conn:
        chunk_id = conn.execute(
            text("SELECT id FROM chunk WHERE campaign_id = :c AND seq = 0"), {"c": campaign_id}
        ).scalar_one()
        return chunks.ref(conn, chunk_id)


def test_intake_starts_the_counters(engine: Engine, settings: Settings, tenant: Tenant) -> None:
    numbers = Numbers()(5)
    a_suppression(engine, numbers[0])
    cid = a_campaign(engine, settings, tenant.id, [*numbers, "nope", numbers[1]])
    assert (
        counters(engine, cid)
        == rows(engine, cid)
        == {
            "pending": 4,
            "invalid": 1,
            "suppressed": 1,
        }
    )


def test_settle_changes_only_pending_recipients(
    engine: Engine, settings: Settings, tenant: Tenant
) -> None:
    cid = a_campaign(engine, settings, tenant.id, Numbers()(3))
    with engine.begin() as conn:
        recipients.settle(conn, cid, [Settle(1, RecipientStatus.ACCEPTED, None, 9, "9")])
        # A second answer for the same number (a duplicate message) changes nothing.
        recipients.settle(
            conn,
            cid,
            [
                Settle(1, RecipientStatus.REJECTED, "x", 0),
                Settle(2, RecipientStatus.INVALID, "y", -4),
            ],
        )
    assert counters(engine, cid) == rows(engine, cid) == {"accepted": 1, "invalid": 1, "pending": 1}


def test_moving_numbers_resizes_the_source(
    engine: Engine, settings: Settings, tenant: Tenant
) -> None:
    cid = a_campaign(engine, settings, tenant.id, Numbers()(10))
    source = first_chunk(engine, cid)
    with engine.begin() as conn:
        seq = chunks.move_numbers(conn, source, [3, 7], ChunkStatus.READY, None, ChunkWait.BALANCE)
    sizes = dict(q(engine, "SELECT seq, size FROM chunk WHERE campaign_id = :c", c=cid))
    assert sizes == {0: 8, seq: 2}
    per_chunk = dict(
        q(
            engine,
            "SELECT chunk_seq, count(*) FROM recipient WHERE campaign_id = :c GROUP BY 1",
            c=cid,
        )
    )
    assert per_chunk == sizes  # every recipient in exactly one chunk


def test_cancel_and_requeue_move_the_counters(
    engine: Engine, settings: Settings, tenant: Tenant
) -> None:
    cid = a_campaign(engine, settings, tenant.id, Numbers()(1500))
    first = first_chunk(engine, cid)
    with engine.begin() as conn:
        conn.execute(text("UPDATE chunk SET status = 'sending' WHERE id = :i"), {"i": first.id})
        assert chunks.cancel_unsent(conn, cid, Reason.CANCELLED) == 500
        outcomes = [Settle(n, RecipientStatus.UNCERTAIN, "maybe_sent", -42) for n in range(1, 1001)]
        chunks.close(conn, first, ChunkStatus.UNCERTAIN, outcomes, raw="-42", http_status=200)
    assert counters(engine, cid) == rows(engine, cid) == {"uncertain": 1000, "cancelled": 500}
    assert q(engine, "SELECT status FROM campaign WHERE id = :c", c=cid) == [("scheduled",)]
    with engine.begin() as conn:
        assert steering.requeue_uncertain(conn, cid, tenant.id) == 1000
    assert counters(engine, cid) == rows(engine, cid) == {"pending": 1000, "cancelled": 500}
    assert q(
        engine,
        "SELECT DISTINCT reason, code FROM recipient WHERE campaign_id = :c AND status = 'pending'",
        c=cid,
    ) == [(None, None)]


def test_uncertain_numbers_of_a_cancelled_campaign_are_not_queued_again(
    engine: Engine, settings: Settings, tenant: Tenant
) -> None:
    """Queued again, they would wait for sends a cancelled campaign never gets."""
    from dispatcher.errors import Conflict

    cid = a_campaign(engine, settings, tenant.id, Numbers()(1500))
    first = first_chunk(engine, cid)
    with engine.begin() as conn:
        conn.execute(text("UPDATE chunk SET status = 'sending' WHERE id = :i"), {"i": first.id})
        chunks.cancel_unsent(conn, cid, Reason.CANCELLED)
        outcomes = [Settle(n, RecipientStatus.UNCERTAIN, "maybe_sent", -42) for n in range(1, 1001)]
        chunks.close(conn, first, ChunkStatus.UNCERTAIN, outcomes, raw="-42", http_status=200)
        steering.cancel(conn, cid, tenant.id)
    with pytest.raises(Conflict, match=r"is cancelled.*close-uncertain"), engine.begin() as conn:
        steering.requeue_uncertain(conn, cid, tenant.id)
    assert counters(engine, cid) == rows(engine, cid) == {"uncertain": 1000, "cancelled": 500}
