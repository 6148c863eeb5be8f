"""The vocabularies' groups say what the engine relies on."""

from __future__ import annotations

from dispatcher.domain.status import (
    ACCOUNT_WAITS,
    CAMPAIGN_ACTIVE,
    CAMPAIGN_FINAL,
    CAMPAIGN_OPEN,
    CHUNK_FINAL,
    CHUNK_OPEN,
    CHUNK_UNSENT,
    CampaignStatus,
    ChunkStatus,
    PauseReason,
    WaitingReason,
)


def test_every_campaign_status_is_open_or_final_never_both() -> None:
    assert set(CAMPAIGN_OPEN) | set(CAMPAIGN_FINAL) == set(CampaignStatus)
    assert not set(CAMPAIGN_OPEN) & set(CAMPAIGN_FINAL)
    assert set(CAMPAIGN_ACTIVE) < set(CAMPAIGN_OPEN)


def test_every_chunk_status_is_open_or_final_and_sending_is_never_cancellable() -> None:
    assert set(CHUNK_OPEN) | set(CHUNK_FINAL) == set(ChunkStatus)
    assert not set(CHUNK_OPEN) & set(CHUNK_FINAL)
    assert ChunkStatus.SENDING in CHUNK_OPEN and ChunkStatus.SENDING not in CHUNK_UNSENT


def test_every_pause_reason_is_a_waiting_reason() -> None:
    assert {r.waiting for r in PauseReason} == set(ACCOUNT_WAITS)
    assert set(ACCOUNT_WAITS) < set(WaitingReason)
