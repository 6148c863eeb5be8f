"""The send path on real Postgres and the simulator over HTTP, with a fake clock."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from dispatcher.domain.plan import Gate, Verdict
from dispatcher.engine import recover, steer
from dispatcher.provider.client import ProviderClient, ProviderConfig
from tests.builders import a_suppression
from tests.integration.engine.harness import EngineHarness, bogota

pytestmark = pytest.mark.integration


def test_campaign_goes_out_once_with_outcomes_matching_the_provider(h: EngineHarness) -> None:
    numbers = h.numbers(2500) + ["573801234567"]  # no such range: invalid at intake
    cid = h.submit(numbers)
    results = h.run()
    assert [r.outcome for r in results] == [Verdict.DONE] * 3
    assert results[0].counts == {"accepted": 1000}
    assert h.statuses(cid) == {"accepted": 2500, "invalid": 1}
    assert h.campaign(cid)["status"] == "completed"
    h.never_twice()
    refs = dict(
        h.q(
            "SELECT msisdn, provider_ref FROM recipient WHERE campaign_id = :c AND status = 'accepted'",
            c=cid,
        )
    )
    assert refs == {m: str(r[0]) for m, r in h.accepted_at_sim().items()}
    chunks = h.q(
        "SELECT status, http_status, raw_answer IS NOT NULL FROM chunk WHERE campaign_id = :c",
        c=cid,
    )
    assert chunks == [("done", 200, True)] * 3


def test_outside_the_window_nothing_is_sent_and_it_waits_for_the_opening(h: EngineHarness) -> None:
    h.clock.now = bogota("2026-11-25 21:00:00")
    cid = h.submit(h.numbers(2500))
    h.run()
    assert h.sim.sim.records == []
    chunks = h.q("SELECT DISTINCT status, not_before FROM chunk WHERE campaign_id = :c", c=cid)
    assert chunks == [("deferred", bogota("2026-11-26 08:00:00"))]
    camp = h.campaign(cid)
    assert camp["waiting_reason"] == "window"
    assert camp["next_send_at"] == bogota("2026-11-26 08:00:00")
    h.clock.now = bogota("2026-11-26 07:59:59")
    h.run()
    assert h.sim.sim.records == []
    h.clock.now = bogota("2026-11-26 08:00:00")
    h.run()
    assert h.statuses(cid) == {"accepted": 2500}
    assert h.campaign(cid)["status"] == "completed"


def test_window_closing_between_feed_and_claim_defers_at_the_claim(h: EngineHarness) -> None:
    h.clock.now = bogota("2026-11-25 20:59:59")
    cid = h.submit(h.numbers(10))
    [chunk_id] = h.feed()
    h.clock.now = bogota("2026-11-25 21:00:00")  # the slot wait crossed 21:00
    result = h.sender.send_chunk(chunk_id)
    assert result.outcome is Gate.WINDOW
    assert h.sim.sim.records == []
    assert h.q("SELECT status FROM chunk WHERE campaign_id = :c", c=cid) == [("deferred",)]


@pytest.mark.parametrize(
    ("now", "opens"),
    [
        ("2026-11-29 10:00:00", "2026-11-30 08:00:00"),  # Sunday -> Monday 08:00
        ("2026-12-08 10:00:00", "2026-12-09 08:00:00"),  # a Tuesday holiday -> Wednesday
        ("2026-11-28 15:00:00", "2026-11-30 08:00:00"),  # Saturday after 15:00 -> Monday
        ("2026-11-25 19:00:00", "2026-11-26 08:00:00"),  # weekday after 19:00
    ],
)
def test_commercial_campaigns_follow_ley_2300(h: EngineHarness, now: str, opens: str) -> None:
    h.clock.now = bogota(now)
    cid = h.submit(h.numbers(5), purpose="commercial")
    h.run()
    assert h.sim.sim.records == []
    assert h.campaign(cid)["next_send_at"] == bogota(opens)
    h.clock.now = bogota(opens)
    h.run()
    assert h.statuses(cid) == {"accepted": 5}


def test_transactional_is_not_held_to_ley_2300(h: EngineHarness) -> None:
    h.clock.now = bogota("2026-11-29 10:00:00")  # Sunday, inside the provider's hours
    cid = h.submit(h.numbers(5))
    h.run()
    assert h.statuses(cid) == {"accepted": 5}


def test_one_commercial_message_per_number_per_day(h: EngineHarness) -> None:
    shared = h.numbers(3)
    first = h.submit(shared + h.numbers(2), purpose="commercial")
    h.run()
    second = h.submit(shared + h.numbers(2), purpose="commercial")
    h.run()
    assert h.statuses(first) == {"accepted": 5}
    assert h.statuses(second) == {"accepted": 2, "pending": 3}  # the 3 wait for tomorrow
    waiting = h.q(
        "SELECT status, not_before, waiting_reason, size FROM chunk WHERE campaign_id = :c AND status = 'deferred'",
        c=second,
    )
    assert waiting == [("deferred", bogota("2026-11-26 08:00:00"), "contact_limit", 3)]
    sizes = h.q("SELECT seq, size FROM chunk WHERE campaign_id = :c ORDER BY seq", c=second)
    assert sizes == [(0, 2), (1, 3)]  # the first chunk shrank by what moved out
    h.never_twice()
    h.clock.now = bogota("2026-11-26 08:00:00")
    h.run()
    assert h.statuses(second) == {"accepted": 5}
    assert h.campaign(second)["status"] == "completed"
    third = h.submit(shared)  # a transactional message is not limited
    h.run()
    assert h.statuses(third) == {"accepted": 3}


def test_once_a_week_holds_a_number_until_next_monday_and_each_purpose_counts_apart(
    h: EngineHarness,
) -> None:
    h.use_settings(contact_limits={"commercial": "1/week", "collection": "1/day"})
    shared = h.numbers(2)
    h.clock.now = bogota("2026-11-24 10:00:00")  # a Tuesday
    first = h.submit(shared, purpose="commercial")
    h.run()
    other = h.submit(shared, purpose="collection")  # another purpose: its own count
    h.run()
    assert h.statuses(first) == h.statuses(other) == {"accepted": 2}
    h.clock.now = bogota("2026-11-27 10:00:00")  # Friday of the same week
    second = h.submit(shared + h.numbers(1), purpose="commercial")
    h.run()
    assert h.statuses(second) == {"accepted": 1, "pending": 2}
    recover.settle_waiting(h.engine, h.settings, h.clock())  # the housekeeper's settle
    campaign = h.campaign(second)
    assert campaign["waiting_reason"] == "contact_limit"
    assert campaign["next_send_at"] == bogota("2026-11-30 08:00:00")  # Monday's first hour
    h.clock.now = bogota("2026-11-30 08:00:00")
    h.run()
    assert h.statuses(second) == {"accepted": 3}


@pytest.mark.parametrize(
    ("message", "links", "fragment"),
    [
        ("oferta palabraprohibida", False, "reserved words"),
        ("pague en https://pagos.example.co/x", True, "not authorised for links"),
    ],
)
def test_content_errors_fail_the_campaign_and_send_nothing_else(
    h: EngineHarness, message: str, links: bool, fragment: str
) -> None:
    # Our account settings may allow links while the provider does not: it answers -10.
    h.use_settings(provider_links_allowed=links)
    cid = h.submit(h.numbers(2500), message=message)
    results = h.run()
    assert [r.outcome for r in results] == [Verdict.FAIL, Gate.GONE, Gate.GONE]  # cancelled
    camp = h.campaign(cid)
    assert camp["status"] == "failed" and fragment in camp["failure_reason"]
    assert len(h.sim.sim.records) == 1
    assert h.statuses(cid) == {"failed": 1000, "cancelled": 1500}
    chunks = h.q("SELECT status, count(*) FROM chunk WHERE campaign_id = :c GROUP BY 1", c=cid)
    assert dict(chunks) == {"failed": 1, "cancelled": 2}


def test_too_many_numbers_splits(h: EngineHarness) -> None:
    h.sim.sim.configure({"max_numbers": 400})
    cid = h.submit(h.numbers(1000))
    results = h.run()
    assert Verdict.SPLIT in [r.outcome for r in results]
    assert h.statuses(cid) == {"accepted": 1000}
    sizes = sorted(len(r.numbers) for r in h.sim.sim.records if r.request_code is None)
    assert sum(sizes) == 1000 and max(sizes) <= 400
    chunks = h.q("SELECT size, n_hi - n_lo + 1 FROM chunk WHERE campaign_id = :c", c=cid)
    assert sum(size for size, _span in chunks) == 1000  # every split resized its source
    assert all(size == span for size, span in chunks)  # and each half spans its own numbers


def test_block_list_feeds_the_suppression_list(h: EngineHarness) -> None:
    numbers = h.numbers(3)
    h.sim.sim.configure({"blocklist": [numbers[0]]})
    cid = h.submit(numbers)
    h.run()
    assert h.statuses(cid) == {"accepted": 2, "suppressed": 1}
    assert h.q("SELECT reason, source FROM suppression WHERE msisdn = :m", m=numbers[0]) == [
        ("provider_block_list", "provider")
    ]
    again = h.submit(numbers)
    assert h.statuses(again)["suppressed"] == 1  # the next campaign never tries it


@pytest.mark.parametrize(
    "fault",
    [{"kind": "http_500"}, {"kind": "drop"}, {"kind": "garbage"}, {"kind": "slow", "delay_s": 1.5}],
)
def test_faults_make_chunks_uncertain_and_never_resend_them(
    h: EngineHarness, fault: dict[str, Any]
) -> None:
    h.sim.sim.add_faults([fault])
    cid = h.submit(h.numbers(1500))
    results = h.run()
    assert [r.outcome for r in results] == [Verdict.UNCERTAIN, Verdict.DONE]
    assert h.statuses(cid) == {"uncertain": 1000, "accepted": 500}
    assert h.q("SELECT status FROM chunk WHERE campaign_id = :c ORDER BY seq", c=cid) == [
        ("uncertain",),
        ("done",),
    ]
    assert h.campaign(cid)["status"] == "completed"
    h.never_twice()  # the uncertain block was not re-sent
    h.run()
    assert len(h.sim.sim.records) == 2
    # The operator decides: send the uncertain ones again.
    assert steer.requeue_uncertain(h.engine, cid, None) == 1000
    assert h.campaign(cid)["status"] == "running"
    h.run()
    assert h.statuses(cid) == {"accepted": 1500}
    assert h.campaign(cid)["status"] == "completed"


def test_provider_down_is_retried_later(h: EngineHarness) -> None:
    down = ProviderClient(
        ProviderConfig(
            send_url="http://127.0.0.1:9/sendsms",
            balance_url="http://127.0.0.1:9/q",
            user="u",
            token="t",
        )
    )
    good, h.client = h.client, down
    cid = h.submit(h.numbers(5))
    [result] = h.run()
    assert result.outcome is Verdict.RETRY
    assert h.q("SELECT status, not_before, attempts FROM chunk WHERE campaign_id = :c", c=cid) == [
        ("deferred", bogota("2026-11-25 10:00:05"), 1)
    ]
    h.client = good
    h.clock.advance(seconds=6)
    h.run()
    assert h.statuses(cid) == {"accepted": 5}


@pytest.mark.parametrize("answer", ["-42", "-8"])
def test_unknown_or_ambiguous_whole_request_codes_are_uncertain(
    h: EngineHarness, answer: str
) -> None:
    h.client = ProviderClient(
        ProviderConfig(
            send_url="http://provider.test/sendsms",
            balance_url="http://provider.test/q",
            user="u",
            token="t",
        ),
        transport=httpx.MockTransport(lambda r: httpx.Response(200, text=answer)),
    )
    cid = h.submit(h.numbers(3))
    h.run()
    rows = h.q("SELECT status, code FROM recipient WHERE campaign_id = :c", c=cid)
    assert rows == [("uncertain", int(answer))] * 3  # kept raw, never guessed
    chunk = h.q("SELECT status, raw_answer FROM chunk WHERE campaign_id = :c", c=cid)
    assert chunk == [("uncertain", answer)]
    h.statuses(cid)


def test_provider_says_outside_hours_while_our_window_is_open(h: EngineHarness) -> None:
    """-2 inside our window: the clocks disagree; the block waits five minutes."""
    h.sim.sim.configure({"enforce_window": True, "fixed_now": "2026-11-25T22:00:00-05:00"})
    cid = h.submit(h.numbers(5))
    [result] = h.run()
    assert result.outcome is Verdict.DEFER
    assert h.q("SELECT status, not_before FROM chunk WHERE campaign_id = :c", c=cid) == [
        ("deferred", bogota("2026-11-25 10:05:00"))
    ]
    assert h.campaign(cid)["waiting_reason"] == "window"
    h.sim.sim.configure({"enforce_window": False})
    h.clock.advance(minutes=5)
    h.run()
    assert h.statuses(cid) == {"accepted": 5}


def test_a_number_that_opts_out_after_intake_is_not_sent(h: EngineHarness) -> None:
    numbers = h.numbers(3)
    cid = h.submit(numbers)
    a_suppression(h.engine, numbers[1])
    h.run()
    assert h.statuses(cid) == {"accepted": 2, "suppressed": 1}
    assert numbers[1] not in h.sim.sim.accepted


def test_a_chunk_whose_numbers_all_opted_out_closes_without_a_request(h: EngineHarness) -> None:
    numbers = h.numbers(2)
    cid = h.submit(numbers)
    for number in numbers:
        a_suppression(h.engine, number)
    [result] = h.run()
    assert result.outcome is Gate.GONE and result.detail == "no pending numbers left"
    assert h.sim.sim.records == []
    assert h.statuses(cid) == {"suppressed": 2}
    assert h.campaign(cid)["status"] == "completed"


def test_a_duplicate_message_for_a_chunk_sent_meanwhile_takes_no_slot(h: EngineHarness) -> None:
    cid = h.submit(h.numbers(5))
    [chunk_id] = h.feed()
    reserved: list[str] = []
    real_reserve, real_acquire = h.limiter.reserve, h.limiter.acquire

    def counting_reserve(account: str, spacing_s: float) -> float:
        reserved.append(account)
        return real_reserve(account, spacing_s)

    calls: list[str] = []

    def acquire_after_the_original_went_out(
        account: str, token: str, n: int, lease_s: float
    ) -> float:
        # The duplicate waits for an in-flight place; meanwhile the original is sent.
        from tests.builders import a_chunk

        calls.append(token)
        if len(calls) == 1:
            return 0.5  # every place is taken: try again in half a second
        a_chunk(h.engine, chunk_id, status="done")
        return real_acquire(account, token, n, lease_s)

    h.limiter.reserve = counting_reserve  # type: ignore[method-assign]
    h.limiter.acquire = acquire_after_the_original_went_out  # type: ignore[method-assign]
    result = h.sender.send_chunk(chunk_id)
    assert result.outcome is Gate.GONE and result.detail == "claimed elsewhere"
    assert reserved == []
    assert h.sim.sim.records == []
    assert h.q("SELECT status FROM chunk WHERE campaign_id = :c", c=cid) == [("done",)]


def test_the_send_result_reads_well_in_flower(h: EngineHarness) -> None:
    cid = h.submit(h.numbers(3) + ["573801234567"])
    [result] = h.run()
    assert repr(result) == f"chunk {result.chunk_id}, campaign {cid}, done, accepted 3"
