from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

from dispatcher.domain.describe import account_state, campaign_state
from dispatcher.domain.status import CampaignStatus, PauseReason, WaitingReason

BOGOTA = ZoneInfo("America/Bogota")
NOW = datetime(2026, 11, 28, 10, 30, tzinfo=BOGOTA)


@pytest.mark.parametrize(
    ("paused", "reason", "paused_at", "window_open", "expected"),
    [
        (False, None, None, True, "sending"),
        (False, None, None, False, "waiting for the window until tomorrow 08:00"),
        (
            True,
            PauseReason.BALANCE,
            datetime(2026, 11, 28, 10, 2, tzinfo=BOGOTA),
            True,
            "paused for balance since 10:02 (resumes by itself when the balance is back)",
        ),
        (
            True,
            PauseReason.MAINTENANCE,
            datetime(2026, 11, 27, 22, 0, tzinfo=BOGOTA),
            True,
            "paused for the provider's maintenance since 2026-11-27 22:00 (probing every 5 min)",
        ),
        (True, PauseReason.OPERATOR, None, False, "paused by an operator"),
    ],
)
def test_account_states_in_words(
    paused: bool,
    reason: PauseReason | None,
    paused_at: datetime | None,
    window_open: bool,
    expected: str,
) -> None:
    text = account_state(
        paused=paused,
        reason=reason,
        paused_at=paused_at,
        window_open=window_open,
        next_open=datetime(2026, 11, 29, 8, 0, tzinfo=BOGOTA),
        probe_every_s=300,
        now=datetime(2026, 11, 28, 23, 0, tzinfo=BOGOTA) if not window_open else NOW,
        tz=BOGOTA,
    )
    assert text == expected


TOMORROW_8 = datetime(2026, 11, 29, 8, 0, tzinfo=BOGOTA)


@pytest.mark.parametrize(
    ("status", "waiting", "next_send_at", "failure", "expected"),
    [
        (CampaignStatus.RUNNING, None, None, None, "sending"),
        (CampaignStatus.SCHEDULED, None, None, None, "queued to send"),
        (
            CampaignStatus.RUNNING,
            WaitingReason.WINDOW,
            TOMORROW_8,
            None,
            "waiting for the window until tomorrow 08:00",
        ),
        (
            CampaignStatus.SCHEDULED,
            WaitingReason.START_AT,
            datetime(2026, 11, 28, 14, 0, tzinfo=BOGOTA),
            None,
            "starts at 14:00",
        ),
        (
            CampaignStatus.RUNNING,
            WaitingReason.BALANCE,
            None,
            None,
            "waiting: its account is paused for balance",
        ),
        (
            CampaignStatus.SCHEDULED,
            WaitingReason.OPERATOR,
            None,
            None,
            "waiting: its account was paused by an operator",
        ),
        (CampaignStatus.PAUSED, WaitingReason.OPERATOR, None, None, "paused"),
        (CampaignStatus.COMPLETED, None, None, None, "completed"),
        (CampaignStatus.FAILED, None, None, "content refused (-5)", "failed: content refused (-5)"),
    ],
)
def test_campaign_states_in_words(
    status: CampaignStatus,
    waiting: WaitingReason | None,
    next_send_at: datetime | None,
    failure: str | None,
    expected: str,
) -> None:
    text = campaign_state(
        status=status,
        waiting_reason=waiting,
        next_send_at=next_send_at,
        failure_reason=failure,
        now=NOW,
        tz=BOGOTA,
    )
    assert text == expected
