"""The send path on real Postgres and the simulator over HTTP, with a fake clock."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import Engine, text

from dispatcher import balance, campaigns, feeder
from dispatcher.provider.simserver import SimulatorServer
from dispatcher.settings import Settings
from tests.integration.engine_harness import EngineHarness, FakeClock, bogota, quiesce

pytestmark = pytest.mark.integration
WEDNESDAY_10 = "2026-11-25 10:00:00"


@pytest.fixture
def h(engine: Engine, settings: Settings, simulator: SimulatorServer) -> Iterator[EngineHarness]:
    quiesce(engine)
    harness = EngineHarness(engine, settings, simulator, FakeClock(bogota(WEDNESDAY_10)))
    yield harness
    harness.client.close()


def mobiles(start: int, count: int) -> list[str]:
    return [f"57310{i:07d}" for i in range(start, start + count)]


def accepted_at_sim(h: EngineHarness) -> dict[str, list[int]]:
    return dict(h.sim.sim.accepted)


def test_campaign_goes_out_once_with_outcomes_matching_the_provider(h: EngineHarness) -> None:
    numbers = mobiles(1, 2500) + ["573801234567"]  # no such range: invalid at intake
    cid = h.submit(numbers)
    h.run()
    assert h.statuses(cid) == {"accepted": 2500, "invalid": 1}
    assert h.campaign(cid)["status"] == "completed"
    sent = accepted_at_sim(h)
    assert all(len(refs) == 1 for refs in sent.values())  # never twice
    refs = dict(
        h.q(
            "SELECT msisdn, provider_ref FROM recipient WHERE campaign_id = :c AND status = 'accepted'",
            c=cid,
        )
    )
    assert refs == {m: str(r[0]) for m, r in sent.items()}
    chunks = h.q(
        "SELECT status, http_status, raw_answer IS NOT NULL FROM chunk WHERE campaign_id = :c",
        c=cid,
    )
    assert chunks == [("done", 200, True)] * 3


def test_high_priority_goes_first_and_campaigns_share_round_robin(h: EngineHarness) -> None:
    big = h.submit(mobiles(10_000, 6000))
    other = h.submit(mobiles(20_000, 3000))
    urgent = h.submit(mobiles(30_000, 1000), priority="high")
    h.tick()
    order = h.q(
        "SELECT campaign_id FROM chunk WHERE status = 'done' AND campaign_id IN (:a, :b, :c) ORDER BY finished_at",
        a=big,
        b=other,
        c=urgent,
    )
    assert order[0][0] == urgent
    assert {r[0] for r in order[1:]} == {big, other}  # the rest of the first feed is shared
    h.run()
    assert {h.campaign(c)["status"] for c in (big, other, urgent)} == {"completed"}


def test_outside_the_window_nothing_is_sent_and_it_waits_for_the_opening(h: EngineHarness) -> None:
    h.clock.now = bogota("2026-11-25 21:00:00")
    cid = h.submit(mobiles(40_000, 2500))
    h.run()
    assert h.sim.sim.records == []
    chunks = h.q("SELECT DISTINCT status, not_before FROM chunk WHERE campaign_id = :c", c=cid)
    assert chunks == [("deferred", bogota("2026-11-26 08:00:00"))]
    camp = h.campaign(cid)
    assert camp["waiting_reason"] == "window" and camp["next_send_at"] == bogota(
        "2026-11-26 08:00:00"
    )
    h.clock.now = bogota("2026-11-26 07:59:59")
    h.run()
    assert h.sim.sim.records == []
    h.clock.now = bogota("2026-11-26 08:00:00")
    h.run()
    assert h.statuses(cid) == {"accepted": 2500}
    assert h.campaign(cid)["status"] == "completed"


def test_window_closing_between_feed_and_claim_defers_at_the_claim(h: EngineHarness) -> None:
    h.clock.now = bogota("2026-11-25 20:59:59")
    cid = h.submit(mobiles(41_000, 10))
    feeder.feed(h.engine, h.settings, h.clock(), h.published.append)
    h.clock.now = bogota("2026-11-25 21:00:00")  # the slot wait crossed 21:00
    summary = h.dispatcher.send_chunk(h.published[0])
    assert summary["deferred"] == "window closed"
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
    cid = h.submit(mobiles(42_000, 5), purpose="commercial")
    h.run()
    assert h.sim.sim.records == []
    assert h.campaign(cid)["next_send_at"] == bogota(opens)
    h.clock.now = bogota(opens)
    h.run()
    assert h.statuses(cid) == {"accepted": 5}


def test_transactional_is_not_held_to_ley_2300(h: EngineHarness) -> None:
    h.clock.now = bogota("2026-11-29 10:00:00")  # Sunday, inside the provider's hours
    cid = h.submit(mobiles(43_000, 5))
    h.run()
    assert h.statuses(cid) == {"accepted": 5}


def test_one_commercial_message_per_number_per_day(h: EngineHarness) -> None:
    shared = mobiles(44_000, 3)
    first = h.submit(shared + mobiles(44_100, 2), purpose="commercial")
    h.run()
    second = h.submit(shared + mobiles(44_200, 2), purpose="collection")
    h.run()
    assert h.statuses(first) == {"accepted": 5}
    assert h.statuses(second) == {"accepted": 2, "pending": 3}  # the 3 wait for tomorrow
    waiting = h.q(
        "SELECT status, not_before, waiting_reason, size FROM chunk WHERE campaign_id = :c AND status = 'deferred'",
        c=second,
    )
    assert waiting == [("deferred", bogota("2026-11-26 08:00:00"), "daily_limit", 3)]
    assert all(len(v) == 1 for v in accepted_at_sim(h).values())
    h.clock.now = bogota("2026-11-26 08:00:00")
    h.run()
    assert h.statuses(second) == {"accepted": 5}
    assert h.campaign(second)["status"] == "completed"
    # A transactional message is not limited.
    third = h.submit(shared)
    h.run()
    assert h.statuses(third) == {"accepted": 3}


def test_balance_runs_out_mid_block_then_resumes(h: EngineHarness) -> None:
    h.sim.sim.configure({"balance": 1500})
    cid = h.submit(mobiles(45_000, 3000))
    h.run()
    assert h.statuses(cid) == {"accepted": 1500, "pending": 1500}
    acct = h.account()
    assert acct["paused"] and acct["pause_reason"] == "balance"
    assert h.campaign(cid)["waiting_reason"] == "balance"
    h.run()
    assert len(h.sim.sim.records) == 2  # paused: nothing more went out
    h.sim.sim.configure({"balance": 10_000})
    balance.poll_balance(h.engine, h.settings, lambda _a: h.client)
    assert not h.account()["paused"]
    h.run()
    assert h.statuses(cid) == {"accepted": 3000}
    assert all(len(v) == 1 for v in accepted_at_sim(h).values())
    assert h.campaign(cid)["status"] == "completed"


@pytest.mark.parametrize(
    ("config", "reason"),
    [
        ({"balance": 0}, "balance"),
        ({"maintenance": True}, "maintenance"),
        ({"token": "rotated"}, "auth"),
    ],
)
def test_whole_request_pauses_keep_the_chunk(
    h: EngineHarness, config: dict[str, Any], reason: str
) -> None:
    h.sim.sim.configure(config)
    cid = h.submit(mobiles(46_000, 10))
    h.run()
    acct = h.account()
    assert acct["paused"] and acct["pause_reason"] == reason
    assert h.q("SELECT status FROM chunk WHERE campaign_id = :c", c=cid) == [("ready",)]
    assert h.statuses(cid) == {"pending": 10}
    h.sim.sim.reset()
    balance.resume_account(h.engine, "default")
    h.run()
    assert h.statuses(cid) == {"accepted": 10}


def test_maintenance_is_probed_after_a_while(h: EngineHarness) -> None:
    h.sim.sim.configure({"maintenance": True})
    cid = h.submit(mobiles(46_500, 5))
    h.run()
    assert h.account()["pause_reason"] == "maintenance"
    h.sim.sim.configure({"maintenance": False})
    with h.engine.begin() as conn:
        conn.execute(text("UPDATE provider_account SET paused_at = now() - interval '1 hour'"))
    assert balance.probe_maintenance(h.engine, h.settings) == 1
    h.run()
    assert h.statuses(cid) == {"accepted": 5}


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
    h.settings = h.settings.model_copy(update={"provider_links_allowed": links})
    h.dispatcher.settings = h.settings
    cid = h.submit(mobiles(47_000, 2500), message=message)
    h.run()
    camp = h.campaign(cid)
    assert camp["status"] == "failed" and fragment in camp["failure_reason"]
    assert len(h.sim.sim.records) == 1
    assert h.statuses(cid) == {"failed": 1000, "cancelled": 1500}


def test_too_many_numbers_splits(h: EngineHarness) -> None:
    h.sim.sim.configure({"max_numbers": 400})
    cid = h.submit(mobiles(48_000, 1000))
    h.run()
    assert h.statuses(cid) == {"accepted": 1000}
    sizes = sorted(len(r.numbers) for r in h.sim.sim.records if r.request_code is None)
    assert sum(sizes) == 1000 and max(sizes) <= 400


def test_block_list_feeds_the_suppression_list(h: EngineHarness) -> None:
    blocked = mobiles(49_000, 1)[0]
    h.sim.sim.configure({"blocklist": [blocked]})
    cid = h.submit(mobiles(49_000, 3))
    h.run()
    assert h.statuses(cid) == {"accepted": 2, "suppressed": 1}
    assert h.q("SELECT reason, source FROM suppression WHERE msisdn = :m", m=blocked) == [
        ("provider_block_list", "provider")
    ]
    again = h.submit(mobiles(49_000, 3))
    assert h.statuses(again)["suppressed"] == 1  # the next campaign never tries it


@pytest.mark.parametrize(
    "fault",
    [{"kind": "http_500"}, {"kind": "drop"}, {"kind": "garbage"}, {"kind": "slow", "delay_s": 1.5}],
)
def test_faults_make_chunks_uncertain_and_never_resend_them(
    h: EngineHarness, fault: dict[str, Any]
) -> None:
    h.sim.sim.add_faults([fault])
    cid = h.submit(mobiles(50_000, 1500))
    h.run()
    assert h.statuses(cid) == {"uncertain": 1000, "accepted": 500}
    assert h.q("SELECT status FROM chunk WHERE campaign_id = :c ORDER BY seq", c=cid) == [
        ("uncertain",),
        ("done",),
    ]
    assert h.campaign(cid)["status"] == "completed"
    assert all(
        len(v) == 1 for v in accepted_at_sim(h).values()
    )  # the uncertain block was not re-sent
    h.run()
    assert len(h.sim.sim.records) == 2
    # The operator decides: send the uncertain ones again.
    assert feeder.requeue_uncertain(h.engine, cid) == 1000
    h.run()
    assert h.statuses(cid) == {"accepted": 1500}


def test_provider_down_is_retried_later(h: EngineHarness, settings: Settings) -> None:
    from dispatcher.provider.client import ProviderClient, ProviderConfig

    down = ProviderClient(
        ProviderConfig(
            send_url="http://127.0.0.1:9/sendsms",
            balance_url="http://127.0.0.1:9/q",
            user="u",
            token="t",
        )
    )
    good = h.client
    h.client = down
    cid = h.submit(mobiles(51_000, 5))
    summaries = h.run()
    assert summaries[0]["retry_in_s"] == 5.0
    assert h.q("SELECT status FROM chunk WHERE campaign_id = :c", c=cid) == [("deferred",)]
    h.client = good
    h.clock.advance(seconds=6)
    h.run()
    assert h.statuses(cid) == {"accepted": 5}


def test_reaper_and_sweeper(h: EngineHarness) -> None:
    cid = h.submit(mobiles(52_000, 2500))
    feeder.feed(h.engine, h.settings, h.clock(), h.published.append)
    assert len(h.published) == 3
    with h.engine.begin() as conn:  # a worker died mid-request on the first chunk
        conn.execute(
            text(
                "UPDATE chunk SET status = 'sending', claimed_at = now() - interval '1 hour' WHERE id = :id"
            ),
            {"id": h.published[0]},
        )
        conn.execute(  # and the message of the second was lost long ago
            text("UPDATE chunk SET published_at = now() - interval '1 hour' WHERE id = :id"),
            {"id": h.published[1]},
        )
    assert feeder.reap(h.engine, h.settings) == 1
    republished: list[int] = []
    assert feeder.sweep(h.engine, h.settings, republished.append) == [h.published[1]]
    for chunk_id in republished + h.published[1:]:  # the duplicate message is a no-op
        h.dispatcher.send_chunk(chunk_id)
    h.run()
    assert h.statuses(cid) == {"uncertain": 1000, "accepted": 1500}
    assert all(len(v) == 1 for v in accepted_at_sim(h).values())


def test_pause_cancel_and_expiry(h: EngineHarness) -> None:
    cid = h.submit(mobiles(53_000, 5000))
    h.tick()
    campaigns.pause(h.engine, h.tenant_id, cid)
    sent_before_pause = len(h.sim.sim.records)
    h.run()
    assert len(h.sim.sim.records) == sent_before_pause  # nothing starts while paused
    assert h.statuses(cid) == {"accepted": 3000, "pending": 2000}
    campaigns.resume(h.engine, h.tenant_id, cid)
    h.run()
    assert h.statuses(cid) == {"accepted": 5000}
    late = h.submit(mobiles(54_000, 5000), expires_at=bogota("2026-11-25 10:00:30"))
    h.tick()
    h.clock.advance(minutes=1)
    feeder.expire(h.engine, h.clock())
    h.run()
    st = h.statuses(late)
    assert st["cancelled"] > 0 and st.get("pending", 0) == 0
    assert h.q(
        "SELECT DISTINCT reason FROM recipient WHERE campaign_id = :c AND status = 'cancelled'",
        c=late,
    ) == [("expired",)]
    assert h.campaign(late)["status"] == "completed"


def test_start_at_is_respected(h: EngineHarness) -> None:
    cid = h.submit(mobiles(55_000, 5), start_at=bogota("2026-11-25 11:00:00"))
    h.run()
    assert h.sim.sim.records == []
    h.clock.now = bogota("2026-11-25 11:00:00")
    h.run()
    assert h.statuses(cid) == {"accepted": 5}


def test_callback_when_the_campaign_ends(h: EngineHarness) -> None:
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    import httpx

    from dispatcher import callbacks

    got: list[bytes] = []

    class Receiver(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            got.append(self.rfile.read(int(self.headers["Content-Length"])))
            self.send_response(204)
            self.end_headers()

        def log_message(self, *args: object) -> None:
            return

    server = HTTPServer(("127.0.0.1", 0), Receiver)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        cid = h.submit(
            mobiles(56_000, 3), callback_url=f"http://127.0.0.1:{server.server_address[1]}/done"
        )
        with httpx.Client() as client:
            assert callbacks.deliver_due(h.engine, client) == 0  # not finished yet
            h.run()
            assert callbacks.deliver_due(h.engine, client) == 1
            assert callbacks.deliver_due(h.engine, client) == 0  # once
    finally:
        server.shutdown()
    import json

    body = json.loads(got[0])
    assert (
        body["id"] == cid
        and body["status"] == "completed"
        and body["recipients"] == {"accepted": 3}
    )


@pytest.mark.parametrize("answer", ["-42", "-8"])
def test_unknown_or_ambiguous_whole_request_codes_are_uncertain(
    h: EngineHarness, answer: str
) -> None:
    import httpx

    from dispatcher.provider.client import ProviderClient, ProviderConfig

    odd = ProviderClient(
        ProviderConfig(
            send_url="http://provider.test/sendsms",
            balance_url="http://provider.test/q",
            user="u",
            token="t",
        ),
        transport=httpx.MockTransport(lambda r: httpx.Response(200, text=answer)),
    )
    h.client = odd
    cid = h.submit(mobiles(57_000, 3))
    h.run()
    rows = h.q("SELECT status, code FROM recipient WHERE campaign_id = :c", c=cid)
    assert rows == [("uncertain", int(answer))] * 3  # kept raw, never guessed
    chunk = h.q("SELECT status, raw_answer FROM chunk WHERE campaign_id = :c", c=cid)
    assert chunk == [("uncertain", answer)]


def test_a_number_that_opts_out_after_intake_is_not_sent(h: EngineHarness) -> None:
    numbers = mobiles(58_000, 3)
    cid = h.submit(numbers)
    with h.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO suppression (msisdn, reason, source) VALUES (:m, 'opt_out', 'reply')"
            ),
            {"m": numbers[1]},
        )
    h.run()
    assert h.statuses(cid) == {"accepted": 2, "suppressed": 1}
    assert numbers[1] not in h.sim.sim.accepted


def test_a_pause_during_feeding_is_not_undone(h: EngineHarness) -> None:
    """The feeder read its candidates; the operator pauses before it marks them running."""
    import threading

    cid = h.submit(mobiles(59_000, 2000))
    started = threading.Event()
    with h.engine.begin() as conn:
        conn.execute(text("SELECT 1 FROM campaign WHERE id = :c FOR UPDATE"), {"c": cid})
        result: list[list[int]] = []

        def run_feed() -> None:
            started.set()
            result.append(feeder.feed(h.engine, h.settings, h.clock(), lambda _c: None))

        thread = threading.Thread(target=run_feed)
        thread.start()
        started.wait(5)
        import time

        time.sleep(0.5)  # the feeder is now waiting on the campaign row
        conn.execute(
            text(
                "UPDATE campaign SET status = 'paused', waiting_reason = 'operator' WHERE id = :c"
            ),
            {"c": cid},
        )
    thread.join(10)
    assert result == [[]]
    assert h.campaign(cid)["status"] == "paused"
    assert h.q("SELECT DISTINCT status FROM chunk WHERE campaign_id = :c", c=cid) == [("ready",)]


def test_a_duplicate_message_for_a_chunk_sent_meanwhile_takes_no_slot(h: EngineHarness) -> None:
    cid = h.submit(mobiles(60_000, 5))
    feeder.feed(h.engine, h.settings, h.clock(), h.published.append)
    chunk_id = h.published[0]
    reserved: list[str] = []
    real_reserve = h.limiter.reserve

    def counting_reserve(account: str, spacing_s: float) -> float:
        reserved.append(account)
        return real_reserve(account, spacing_s)

    h.limiter.reserve = counting_reserve  # type: ignore[method-assign]
    real_acquire = h.limiter.acquire

    def acquire_after_the_original_went_out(
        account: str, token: str, n: int, lease_s: float
    ) -> float:
        # While the duplicate waited for its in-flight place, the original was sent.
        with h.engine.begin() as conn:
            conn.execute(text("UPDATE chunk SET status = 'done' WHERE id = :id"), {"id": chunk_id})
        return real_acquire(account, token, n, lease_s)

    h.limiter.acquire = acquire_after_the_original_went_out  # type: ignore[method-assign]
    assert h.dispatcher.send_chunk(chunk_id) == {"chunk": chunk_id, "skipped": "claimed elsewhere"}
    assert reserved == []
    assert h.sim.sim.records == []
    assert h.q("SELECT status FROM chunk WHERE campaign_id = :c", c=cid) == [("done",)]
