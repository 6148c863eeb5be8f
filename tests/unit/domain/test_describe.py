from __future__ import annotations

from datetime import datetime, timedelta
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
            "paused for the provider's maintenance since yesterday 22:00 (probing every 5 min)",
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


@pytest.mark.parametrize(
    ("status", "sent", "expected"),
    [
        (CampaignStatus.CANCELLED, 31_000, "cancelled after 31,000 of 150,000 were sent"),
        (CampaignStatus.CANCELLED, 0, "cancelled before any number was sent"),
        (CampaignStatus.FAILED, 2_000, "failed: content refused (2,000 of 150,000 were sent)"),
    ],
)
def test_a_stopped_campaign_says_how_much_went_out(
    status: CampaignStatus, sent: int, expected: str
) -> None:
    text = campaign_state(
        status=status,
        waiting_reason=None,
        next_send_at=None,
        failure_reason="content refused",
        now=NOW,
        tz=BOGOTA,
        sent=sent,
        sendable=150_000,
    )
    assert text == expected


def test_waiting_for_ley_2300s_next_day_and_a_moved_start() -> None:
    tomorrow_7 = NOW.astimezone(BOGOTA).replace(hour=7, minute=0) + timedelta(days=1)
    daily = campaign_state(
        status=CampaignStatus.RUNNING,
        waiting_reason=WaitingReason.CONTACT_LIMIT,
        next_send_at=tomorrow_7,
        failure_reason=None,
        now=NOW,
        tz=BOGOTA,
    )
    assert daily == (
        "waiting until tomorrow 07:00: the numbers left were reached in this period by another "
        "campaign of the same purpose (Ley 2300's contact limit)"
    )
    moved = campaign_state(
        status=CampaignStatus.SCHEDULED,
        waiting_reason=WaitingReason.START_AT,
        next_send_at=tomorrow_7 + timedelta(days=2),
        failure_reason=None,
        now=NOW,
        tz=BOGOTA,
        because="Ley 2300 allows no commercial messages on Sundays",
    )
    assert moved.endswith(" 07:00: Ley 2300 allows no commercial messages on Sundays")
    assert moved.startswith("starts at ") and moved[10:13] in (
        "Mon",
        "Tue",
        "Wed",
        "Thu",
        "Fri",
        "Sat",
        "Sun",
    )


def test_a_time_yesterday_says_yesterday() -> None:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    from dispatcher.domain.describe import _when

    tz = ZoneInfo("America/Bogota")
    now = datetime(2026, 12, 5, 0, 1, tzinfo=tz)
    assert _when(datetime(2026, 12, 4, 23, 57, tzinfo=tz), now, tz) == "yesterday 23:57"
