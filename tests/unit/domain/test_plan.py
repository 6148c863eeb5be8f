"""What a block's fate means: pure decisions, tested with tables."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from dispatcher.domain.answer import BlockAnswer, NumberResult
from dispatcher.domain.codes import Outcome
from dispatcher.domain.plan import (
    Block,
    Gate,
    Settle,
    Verdict,
    decide_answer,
    decide_failure,
    gate,
)
from dispatcher.domain.status import CampaignStatus, ChunkStatus, PauseReason, RecipientStatus
from dispatcher.domain.window import SendWindow
from dispatcher.errors import MaybeSent, NeverSent, ProviderRefused, UnparseableAnswer

BOGOTA = ZoneInfo("America/Bogota")
NOON = datetime(2026, 11, 25, 12, 0, tzinfo=BOGOTA)
NIGHT = datetime(2026, 11, 25, 22, 0, tzinfo=BOGOTA)
WINDOW = SendWindow.daily("08:00-21:00")
BLOCK = Block(((1, "573100000001"), (2, "573100000002"), (3, "573100000003"), (4, "573100000004")))

Q, R = ChunkStatus.QUEUED, CampaignStatus.RUNNING


@pytest.mark.parametrize(
    ("chunk", "campaign", "paused", "window_open", "expected"),
    [
        (Q, R, False, True, Gate.GO),
        (ChunkStatus.SENDING, R, False, True, Gate.GONE),  # another message of it went first
        (ChunkStatus.DEFERRED, R, False, True, Gate.GONE),
        (ChunkStatus.CANCELLED, R, False, True, Gate.GONE),
        (Q, CampaignStatus.PAUSED, False, True, Gate.HOLD),
        (Q, CampaignStatus.CANCELLED, False, True, Gate.HOLD),
        (Q, R, True, True, Gate.HOLD),
        (Q, R, False, False, Gate.WINDOW),
        (Q, CampaignStatus.PAUSED, False, False, Gate.HOLD),  # a pause outranks the window
    ],
)
def test_gate(
    chunk: ChunkStatus, campaign: CampaignStatus, paused: bool, window_open: bool, expected: Gate
) -> None:
    assert gate(chunk, campaign, paused, window_open) is expected


def answer(*codes: int | None) -> BlockAnswer:
    results = []
    for (_n, msisdn), code in zip(BLOCK.numbers, codes, strict=True):
        if code is None:
            results.append(NumberResult(msisdn, Outcome.UNCERTAIN, None))
        else:
            from dispatcher.domain.codes import outcome_of

            outcome = outcome_of(code)
            ref = str(code) if outcome is Outcome.ACCEPTED else None
            results.append(NumberResult(msisdn, outcome, code, ref))
    return BlockAnswer(raw="raw", results=tuple(results))


def test_per_number_outcomes() -> None:
    plan = decide_answer(BLOCK, answer(12100000, 0, -4, None), WINDOW, NOON)
    assert plan.verdict is Verdict.DONE and plan.pause is None
    assert plan.settle == (
        Settle(1, RecipientStatus.ACCEPTED, None, 12100000, "12100000"),
        Settle(2, RecipientStatus.REJECTED, "operator_not_found", 0),
        Settle(3, RecipientStatus.INVALID, "bad_number", -4),
        Settle(4, RecipientStatus.UNCERTAIN, "not_in_answer", None),  # never guessed
    )
    assert plan.counts() == {"accepted": 1, "rejected": 1, "invalid": 1, "uncertain": 1}
    assert plan.raw == "raw" and plan.http_status == 200


def test_per_number_no_balance_waits_apart_and_pauses_the_account() -> None:
    plan = decide_answer(BLOCK, answer(12100000, 12100001, -3, -3), WINDOW, NOON)
    assert plan.verdict is Verdict.DONE
    assert plan.wait_for_balance == (3, 4)
    assert plan.pause is PauseReason.BALANCE
    assert [s.n for s in plan.settle] == [1, 2]
    assert plan.counts() == {"accepted": 2, "no_balance": 2}


def test_block_list_numbers_are_suppressed_and_listed() -> None:
    plan = decide_answer(BLOCK, answer(12100000, -8, -8, 12100001), WINDOW, NOON)
    assert plan.suppress == ("573100000002", "573100000003")
    assert [s.status for s in plan.settle].count(RecipientStatus.SUPPRESSED) == 2


def test_an_unknown_per_number_code_is_kept_raw_and_uncertain() -> None:
    plan = decide_answer(BLOCK, answer(-42, -42, -42, -42), WINDOW, NOON)
    assert {(s.status, s.reason, s.code) for s in plan.settle} == {
        (RecipientStatus.UNCERTAIN, "code_-42", -42)
    }


def whole(code: int) -> BlockAnswer:
    return BlockAnswer(raw=str(code), request_code=code)


@pytest.mark.parametrize(
    ("code", "verdict", "pause"),
    [
        (-1, Verdict.PAUSE, PauseReason.AUTH),
        (-3, Verdict.PAUSE, PauseReason.BALANCE),
        (-6, Verdict.PAUSE, PauseReason.MAINTENANCE),
        (-5, Verdict.FAIL, None),
        (-9, Verdict.FAIL, None),
        (-10, Verdict.FAIL, None),
        (-11, Verdict.FAIL, None),
        (-7, Verdict.SPLIT, None),
        (-4, Verdict.UNCERTAIN, None),
        (-8, Verdict.UNCERTAIN, None),
        (0, Verdict.UNCERTAIN, None),
        (-42, Verdict.UNCERTAIN, None),
    ],
)
def test_whole_request_codes(code: int, verdict: Verdict, pause: PauseReason | None) -> None:
    plan = decide_answer(BLOCK, whole(code), WINDOW, NOON)
    assert plan.verdict is verdict
    assert plan.pause is pause
    assert plan.raw == str(code)
    if verdict is Verdict.PAUSE:
        assert plan.settle == ()  # nothing was sent: the block goes back, unsent
    if verdict in (Verdict.FAIL, Verdict.UNCERTAIN):
        status = RecipientStatus.FAILED if verdict is Verdict.FAIL else RecipientStatus.UNCERTAIN
        assert {(s.status, s.code) for s in plan.settle} == {(status, code)}
        assert [s.n for s in plan.settle] == [1, 2, 3, 4]


def test_a_refused_text_is_named_in_the_failure() -> None:
    """-9 (reserved words): the campaign's failure says which of its texts it was."""
    block = Block(BLOCK.numbers, 1, "Hola Ana, préstamo ya")
    plan = decide_answer(block, whole(-9), WINDOW, NOON)
    assert plan.verdict is Verdict.FAIL
    assert plan.error is not None and plan.error.endswith("; the text: 'Hola Ana, préstamo ya'")


def test_split_keeps_the_first_half_in_the_chunk() -> None:
    plan = decide_answer(BLOCK, whole(-7), WINDOW, NOON)
    assert plan.split_after == 2
    one = Block(((7, "573100000007"),))
    assert decide_answer(one, whole(-7), WINDOW, NOON).verdict is Verdict.UNCERTAIN


def test_outside_hours_when_our_window_is_closed_defers_the_campaign() -> None:
    plan = decide_answer(BLOCK, whole(-2), WINDOW, NIGHT)
    assert plan.verdict is Verdict.DEFER and plan.whole_campaign and not plan.clocks_disagree
    assert plan.not_before == datetime(2026, 11, 26, 8, 0, tzinfo=BOGOTA)


def test_outside_hours_when_our_window_is_open_means_the_clocks_disagree() -> None:
    plan = decide_answer(BLOCK, whole(-2), WINDOW, NOON)
    assert plan.verdict is Verdict.DEFER and plan.clocks_disagree and not plan.whole_campaign
    assert plan.not_before == NOON + timedelta(minutes=5)


@pytest.mark.parametrize(("attempts", "delay_s"), [(1, 5), (2, 10), (3, 20), (7, 300), (30, 300)])
def test_never_sent_is_retried_later_with_backoff(attempts: int, delay_s: int) -> None:
    block = Block(BLOCK.numbers, attempts)
    plan = decide_failure(block, NeverSent("connection refused"), NOON)
    assert plan.verdict is Verdict.RETRY and plan.settle == ()
    assert plan.not_before == NOON + timedelta(seconds=delay_s)


@pytest.mark.parametrize(
    "error",
    [
        MaybeSent("read timeout"),
        MaybeSent("HTTP 502", raw="bad gateway", http_status=502),
        UnparseableAnswer("what is this", raw="<html>"),
    ],
)
def test_maybe_sent_is_uncertain_never_retried(error: MaybeSent) -> None:
    plan = decide_failure(BLOCK, error, NOON)
    assert plan.verdict is Verdict.UNCERTAIN and plan.not_before is None
    assert {(s.status, s.reason) for s in plan.settle} == {
        (RecipientStatus.UNCERTAIN, "maybe_sent")
    }
    assert plan.raw == error.raw and plan.http_status == error.http_status


def test_a_refused_request_pauses_for_a_person() -> None:
    plan = decide_failure(BLOCK, ProviderRefused("HTTP 404", http_status=404), NOON)
    assert plan.verdict is Verdict.PAUSE and plan.pause is PauseReason.OPERATOR
    assert plan.settle == ()
