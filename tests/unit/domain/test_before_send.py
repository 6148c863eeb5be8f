"""What happens to a queued chunk before its request: the gate's outcome as a value
(``NotSent``) and what of it goes out (``Sendable``); and the one backoff."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from dispatcher.domain.backoff import backoff_s
from dispatcher.domain.contact import parse_limit
from dispatcher.domain.plan import (
    Gate,
    GateFacts,
    NotSent,
    Sendable,
    before_send,
    sendable,
    unclaimed,
)
from dispatcher.domain.status import CampaignStatus, ChunkStatus
from dispatcher.domain.window import SendWindow

BOGOTA = ZoneInfo("America/Bogota")
NOON = datetime(2026, 11, 25, 12, 0, tzinfo=BOGOTA)  # a Wednesday
NIGHT = datetime(2026, 11, 25, 22, 0, tzinfo=BOGOTA)
WINDOW = SendWindow.daily("08:00-21:00")
OPENS = datetime(2026, 11, 26, 8, 0, tzinfo=BOGOTA)
Q, R = ChunkStatus.QUEUED, CampaignStatus.RUNNING
GO = GateFacts(Q, R, account_paused=False)


@pytest.mark.parametrize(
    ("facts", "now", "expected"),
    [
        (GO, NOON, None),
        (GO, NIGHT, NotSent(Gate.WINDOW, f"window closed until {OPENS}", OPENS)),
        (
            GateFacts(Q, CampaignStatus.PAUSED, False),
            NOON,
            NotSent(Gate.HOLD, "campaign or account not sending"),
        ),
        (GateFacts(Q, R, True), NOON, NotSent(Gate.HOLD, "campaign or account not sending")),
        (GateFacts(ChunkStatus.SENDING, R, False), NOON, NotSent(Gate.GONE, "chunk is sending")),
        (
            GateFacts(Q, R, False, account_configured=False),
            NOON,
            NotSent(Gate.HOLD, "its account is not configured"),
        ),
        # The window is asked first: an unconfigured account's campaign still sleeps at night.
        (
            GateFacts(Q, R, False, account_configured=False),
            NIGHT,
            NotSent(Gate.WINDOW, f"window closed until {OPENS}", OPENS),
        ),
    ],
)
def test_before_send(facts: GateFacts, now: datetime, expected: NotSent | None) -> None:
    assert before_send(facts, WINDOW, now) == expected


def test_a_chunk_the_gate_would_let_go_but_the_claim_refused_has_expired_and_is_held() -> None:
    assert unclaimed(GO, WINDOW, NOON, window_open=True).gate is Gate.HOLD


def test_the_claim_is_not_tried_when_the_window_shut_between_prepare_and_claim() -> None:
    stop = unclaimed(GO, WINDOW, NIGHT, window_open=False)
    assert (stop.gate, stop.opens) == (Gate.WINDOW, OPENS)


PENDING = [(1, "573100000001", False), (2, "573100000002", True), (3, "573100000003", False)]


def test_numbers_on_the_suppression_list_now_are_left_out_and_counted() -> None:
    plan = sendable(PENDING, None, WINDOW, NOON)
    assert plan == Sendable(((1, "573100000001"), (3, "573100000003")), 1)


def test_one_a_day_reserves_today_and_knows_when_the_next_day_opens() -> None:
    plan = sendable(PENDING, parse_limit("1/day"), WINDOW, NOON)
    assert plan.contact_period == date(2026, 11, 25)
    assert plan.next_period_opens == OPENS


def test_once_a_week_reserves_the_week_from_its_monday_and_waits_for_the_next_one() -> None:
    plan = sendable(PENDING, parse_limit("1/week"), WINDOW, NOON)  # Wednesday the 25th
    assert plan.contact_period == date(2026, 11, 23)
    assert plan.next_period_opens == datetime(2026, 11, 30, 8, 0, tzinfo=BOGOTA)


@pytest.mark.parametrize("text", ["2/day", "1/month", "", "daily"])
def test_a_limit_it_cannot_read_is_refused_with_the_forms_it_can(text: str) -> None:
    with pytest.raises(ValueError, match=r"1/day .* 1/week .* none"):
        parse_limit(text)


def test_nothing_left_to_send_reserves_nothing() -> None:
    plan = sendable([(1, "573100000001", True)], parse_limit("1/day"), WINDOW, NOON)
    assert plan == Sendable((), 1)


@pytest.mark.parametrize(
    ("attempt", "expected"),
    [(0, 5.0), (1, 5.0), (2, 10.0), (3, 20.0), (7, 300.0), (10_000, 300.0)],
)
def test_backoff_doubles_up_to_its_cap(attempt: int, expected: float) -> None:
    assert backoff_s(attempt, 5.0, 300.0) == expected
