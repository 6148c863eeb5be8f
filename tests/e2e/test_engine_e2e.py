"""The dispatch engine end to end: real Postgres, Redis, Celery worker processes and beat,
the simulator on loopback.  Short intervals; nothing depends on the hour."""

from __future__ import annotations

import contextlib
import os
import subprocess
import time
from collections.abc import Iterator
from itertools import pairwise

import pytest
from sqlalchemy.exc import OperationalError

from dispatcher.dev.services import wait_until
from dispatcher.dev.stack import BIN, Stack
from dispatcher.domain.status import CampaignStatus
from tests.builders import Numbers

pytestmark = pytest.mark.e2e
INTERVAL = 0.2
SPACING_FLOOR = INTERVAL  # the slot margin comes on top: starts never come closer


@pytest.fixture
def stack(pg_server_url: str) -> Iterator[Stack]:
    s = Stack(pg_server_url, block_interval_s=INTERVAL)
    yield s
    s.stop()


def assert_spacing(stack: Stack) -> None:
    starts = stack.request_starts()
    gaps = [b - a for a, b in pairwise(starts)]
    assert min(gaps) >= SPACING_FLOOR, f"closest request starts {min(gaps):.3f} s apart"


def assert_never_twice(stack: Stack) -> None:
    assert stack.sim.sim.duplicates() == {}


def test_20000_numbers_across_two_worker_processes(stack: Stack) -> None:
    stack.start_worker("w1")
    stack.start_worker("w2")
    stack.start_beat()
    cid = stack.submit(Numbers()(20_000))
    stack.wait_completed(cid, timeout_s=120)
    assert stack.statuses(cid) == {"accepted": 20_000}
    assert_never_twice(stack)
    assert_spacing(stack)
    sent = {m: refs[0] for m, refs in stack.sim.sim.accepted.items()}
    stored = dict(
        stack.q("SELECT msisdn, provider_ref FROM recipient WHERE campaign_id = :c", c=cid)
    )
    assert stored == {m: str(ref) for m, ref in sent.items()}
    by_worker = stack.q(
        "SELECT count(DISTINCT split_part(claimed_by, ':', 2)) FROM chunk WHERE campaign_id = :c",
        c=cid,
    )
    assert by_worker[0][0] == 2  # both worker processes sent blocks


def test_balance_runs_out_then_comes_back(stack: Stack) -> None:
    stack.sim.sim.configure({"balance": 5_500})
    stack.start_worker("w1")
    stack.start_beat()
    cid = stack.submit(Numbers()(10_000))
    wait_until(
        lambda: bool(
            stack.q("SELECT 1 FROM provider_account WHERE paused AND pause_reason = 'balance'")
        ),
        60,
        "the balance pause",
    )
    requests_while_paused = len(stack.sim.sim.records)
    stack.wait_for_chore("feed", more=3)  # the feeder had its chances to send
    assert len(stack.sim.sim.records) == requests_while_paused  # paused: nothing goes out
    assert stack.statuses(cid) == {"accepted": 5_500, "pending": 4_500}
    stack.sim.sim.configure({"balance": 100_000})  # beat polls the balance and resumes
    stack.wait_completed(cid, timeout_s=90)
    assert stack.statuses(cid) == {"accepted": 10_000}
    assert_never_twice(stack)
    assert_spacing(stack)


def test_faults_leave_chunks_uncertain_and_never_resent(stack: Stack) -> None:
    stack.sim.sim.add_faults(
        [{"kind": "http_500"}, {"kind": "slow", "delay_s": 3.5}, {"kind": "drop"}]
    )
    stack.start_worker("w1")
    stack.start_beat()
    cid = stack.submit(Numbers()(8_000))
    stack.wait_completed(cid, timeout_s=90)
    stack.wait_for_chore("sweep", more=1)  # the sweeper and the reaper had their turn:
    stack.wait_for_chore("reap", more=1)  # still nothing is sent again
    assert stack.statuses(cid) == {"accepted": 5_000, "uncertain": 3_000}
    chunks = dict(
        stack.q("SELECT status, count(*) FROM chunk WHERE campaign_id = :c GROUP BY 1", c=cid)
    )
    assert chunks == {"done": 5, "uncertain": 3}
    assert len(stack.sim.sim.records) == 8
    assert_never_twice(stack)


def test_kill_9_workers_mid_campaign(stack: Stack) -> None:
    stack.sim.sim.configure({"latency_s": 0.3})  # blocks are in flight when the kill comes
    stack.start_worker("w0")
    stack.start_worker("w1")
    stack.start_beat()
    cid = stack.submit(Numbers()(30_000))
    kills = 0
    for round_ in range(3):
        target = 5 * (round_ + 1)
        wait_until(lambda t=target: len(stack.sim.sim.records) >= t, 60, "blocks to go out")
        stack.kill_worker(next(iter(stack.workers)))  # the oldest one alive
        kills += 1
        stack.start_worker(f"w{round_ + 2}")
    stack.wait_completed(cid, timeout_s=180)
    assert_never_twice(stack)
    statuses = stack.statuses(cid)
    assert set(statuses) <= {"accepted", "uncertain"}
    uncertain_chunks = stack.q(
        "SELECT count(*) FROM chunk WHERE campaign_id = :c AND status = 'uncertain'", c=cid
    )[0][0]
    assert uncertain_chunks <= kills * stack.settings.max_in_flight
    assert statuses.get("uncertain", 0) == 1000 * uncertain_chunks
    accepted = set(stack.sim.sim.accepted)
    stored = {
        m
        for (m,) in stack.q(
            "SELECT msisdn FROM recipient WHERE campaign_id = :c AND status = 'accepted'", c=cid
        )
    }
    assert stored <= accepted  # never a guessed "accepted"
    assert_spacing(stack)


def request_out(stack: Stack) -> bool:
    """A chunk is claimed: its request is at the provider (or about to be)."""
    return bool(stack.q("SELECT 1 FROM chunk WHERE status = 'sending'"))


def assert_every_answer_recorded_as_given(stack: Stack, cid: int) -> None:
    """What the simulator accepted is stored as accepted, with its reference: no answer
    the provider gave was lost or turned uncertain."""
    given = {m: str(refs[0]) for m, refs in stack.sim.sim.accepted.items()}
    stored = dict(
        stack.q(
            "SELECT msisdn, provider_ref FROM recipient WHERE campaign_id = :c "
            "AND status = 'accepted'",
            c=cid,
        )
    )
    assert stored == given


def test_redis_killed_while_blocks_are_at_the_provider(stack: Stack) -> None:
    """Broker and limiter die (a Redis that keeps nothing) while requests are out, three
    times: every answer is still recorded as given, none twice, the pace holds."""
    stack.sim.sim.configure({"latency_s": 0.4})
    stack.start_worker("w1")
    stack.start_worker("w2")
    stack.start_beat()
    cid = stack.submit(Numbers()(25_000))
    for round_ in range(3):
        target = 4 * (round_ + 1)
        wait_until(lambda t=target: len(stack.sim.sim.records) >= t, 60, "blocks to go out")
        wait_until(lambda: request_out(stack), 30, "a request to be out")
        stack.redis.stop()
        time.sleep(1)
        stack.redis.start()
    stack.wait_completed(cid, timeout_s=180)
    assert_never_twice(stack)
    assert_spacing(stack)
    assert stack.statuses(cid) == {"accepted": 25_000}
    assert_every_answer_recorded_as_given(stack, cid)


def test_workers_live_through_redis_restarts_and_sending_resumes_at_once(
    pg_server_url: str,
) -> None:
    """Redis (broker and limiter, keeping nothing) killed three times mid-campaign, with
    the shipped sweep delay: every worker process is still alive, sending resumes within
    15 s each time without anyone, and nothing is lost or sent twice."""
    s = Stack(pg_server_url, block_interval_s=0.2, extra_env={"PREGONERO_SWEEP_AFTER_S": "60"})
    try:
        s.start_worker("w1")
        s.start_worker("w2")
        s.start_beat()
        cid = s.submit(Numbers()(20_000))
        gaps = []
        for round_ in range(3):
            wait_until(lambda t=4 * (round_ + 1): len(s.sim.sim.records) >= t, 60, "blocks")
            s.redis.stop()
            time.sleep(2)
            s.redis.start()
            back, sent = time.time(), len(s.sim.sim.records)
            wait_until(lambda n=sent: len(s.sim.sim.records) > n, 15, "sending to resume")
            gaps.append(s.sim.sim.records[sent].started_at - back)
        s.wait_completed(cid, timeout_s=120)
        print(f"longest gap after Redis came back: {max(gaps):.1f} s ({gaps})")
        assert s.exited() == []  # every worker and beat process lived through it
        assert_never_twice(s)
        assert s.statuses(cid) == {"accepted": 20_000}
    finally:
        s.stop()


def test_database_connections_cut_while_blocks_are_at_the_provider(stack: Stack) -> None:
    """pg_terminate_backend on the workers' connections while their requests are out:
    the answers are recorded on new connections; none lost, none twice."""
    import threading

    stack.sim.sim.configure({"latency_s": 0.5})
    stack.start_worker("w1")
    stack.start_worker("w2")
    stack.start_beat()
    cid = stack.submit(Numbers()(12_000))
    cut = 0
    stop = threading.Event()

    def cutter() -> None:
        nonlocal cut
        while not stop.is_set():
            with contextlib.suppress(OperationalError):  # its own connection, cut before
                cut += cut_idle_when_out()
            stop.wait(0.05)

    def cut_idle_when_out() -> int:
        if not request_out(stack):
            return 0
        killed = int(
            stack.q(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid() "
                "AND application_name = 'pregonero' AND state = 'idle'"
            )[0][0]
        )
        stop.wait(1.5)
        return killed

    def completed() -> bool:
        try:
            return stack.campaign_status(cid) is CampaignStatus.COMPLETED
        except OperationalError:  # the cutter may cut this test's own idle connection too
            return False

    thread = threading.Thread(target=cutter, daemon=True)
    thread.start()
    try:
        wait_until(completed, 180, f"campaign {cid} to complete")
    finally:
        stop.set()
        thread.join(5)
    assert cut > 0
    assert_never_twice(stack)
    assert stack.statuses(cid) == {"accepted": 12_000}
    assert_every_answer_recorded_as_given(stack, cid)


def test_operator_commands_pause_resume_and_requeue(stack: Stack) -> None:
    def sms(*args: str) -> str:
        result = subprocess.run(
            [str(BIN / "celery"), "-A", "workers", "sms", *args],
            env=stack.env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout

    # The first block's request fails with HTTP 500 before the provider sends anything:
    # it is uncertain, and the operator who checked the provider's report requeues it.
    stack.sim.sim.add_faults([{"kind": "http_500", "process": False}])
    stack.start_worker("w1")
    stack.start_beat()
    wait_until(lambda: "1 workers told" in sms("pause"), 30, "the worker to answer remote control")
    cid = stack.submit(Numbers()(3_000))
    stack.wait_for_chore("feed", more=3)  # the feeder had its chances to send
    assert stack.sim.sim.records == []  # paused: nothing goes out
    assert "default: paused by an operator" in sms("status")
    assert "resumed" in sms("resume")
    stack.wait_completed(cid, timeout_s=60)
    assert stack.statuses(cid) == {"accepted": 2_000, "uncertain": 1_000}
    assert "1000 uncertain numbers" in sms("requeue-uncertain", str(cid))
    stack.wait_completed(cid, timeout_s=60)
    assert stack.statuses(cid) == {"accepted": 3_000}
    assert_never_twice(stack)


@pytest.mark.skipif(
    not __import__("dispatcher.dev.services", fromlist=["port_open"]).port_open("127.0.0.1", 5672),
    reason="needs RabbitMQ on 127.0.0.1:5672 (CI has it)",
)
def test_rabbitmq_as_the_broker(pg_server_url: str) -> None:
    s = Stack(
        pg_server_url,
        block_interval_s=INTERVAL,
        extra_env={"PREGONERO_BROKER_URL": "amqp://guest:guest@127.0.0.1:5672//"},
    )
    try:
        # The shared RabbitMQ keeps queues between runs: start from empty ones.
        subprocess.run(
            [str(BIN / "celery"), "-A", "workers", "purge", "-f"],
            env=s.env,
            check=True,
            capture_output=True,
            timeout=60,
        )
        s.start_worker("w1")
        s.start_beat()
        cid = s.submit(Numbers()(4_000))
        s.wait_completed(cid, timeout_s=90)
        assert s.statuses(cid) == {"accepted": 4_000}
        assert_never_twice(s)
        assert_spacing(s)
    finally:
        s.stop()


def test_window_closed_then_open_with_an_injected_clock(pg_server_url: str) -> None:
    """Workers whose clock says 03:00 in Bogota send nothing and defer to 08:00; the same
    workers restarted with the clock at 08:00:30 send everything."""
    from datetime import datetime, timedelta
    from zoneinfo import ZoneInfo

    bogota = ZoneInfo("America/Bogota")
    real = datetime.now(bogota)
    night = datetime.combine(
        real.date() + timedelta(days=1), datetime.min.time(), bogota
    ) + timedelta(hours=3)
    offset = (night - real).total_seconds()
    env = {"PREGONERO_SEND_WINDOW": "08:00-21:00", "PREGONERO_CLOCK_OFFSET_S": str(offset)}
    s = Stack(pg_server_url, block_interval_s=INTERVAL, extra_env=env)
    try:
        s.start_worker("w1")
        s.start_beat()
        cid = s.submit(Numbers()(3_000))
        wait_until(
            lambda: (
                s.q(
                    "SELECT count(*) FROM chunk WHERE campaign_id = :c AND status = 'deferred'",
                    c=cid,
                )[0][0]
                == 3
            ),
            30,
            "deferral",
        )
        opens = datetime.combine(night.date(), datetime.min.time(), bogota) + timedelta(hours=8)
        assert s.q("SELECT DISTINCT not_before FROM chunk WHERE campaign_id = :c", c=cid) == [
            (opens,)
        ]
        assert s.q("SELECT waiting_reason, next_send_at FROM campaign WHERE id = :c", c=cid) == [
            ("window", opens)
        ]
        assert s.sim.sim.records == []
        for name in list(s.workers):
            s.kill_worker(name)
        assert s.beat is not None
        s.beat.kill()
        s.beat.wait(10)
        later = (opens + timedelta(seconds=30) - datetime.now(bogota)).total_seconds()
        s.env["PREGONERO_CLOCK_OFFSET_S"] = str(later)
        s.start_worker("w2")
        s.start_beat()
        s.wait_completed(cid, timeout_s=60)
        assert s.statuses(cid) == {"accepted": 3_000}
        assert_never_twice(s)
    finally:
        s.stop()


def test_a_process_that_dies_is_named_with_the_end_of_its_log(pg_server_url: str) -> None:
    s = Stack(pg_server_url, block_interval_s=INTERVAL)
    try:
        s.env["PREGONERO_CHUNK_SIZE"] = "6000"  # only this worker's settings are wrong
        s.start_worker("w1")
        wait_until(lambda: bool(s.exited()), 60, "the misconfigured worker to exit")
        [dead] = s.exited()
        assert dead.name == "w1" and dead.returncode != 0
        assert dead.log == s.logs / "w1.log"
        assert "PREGONERO_CHUNK_SIZE=6000: must be at most 5000" in str(dead)
    finally:
        s.stop()


def test_in_flight_places_are_kept_by_a_heartbeat_and_freed_soon_after_a_kill(
    pg_server_url: str,
) -> None:
    """The request lease is 70 s here (30 s read timeout).  A request out longer than an
    in-flight place's lease keeps its place (heartbeat); a killed worker's place frees
    about PLACE_LEASE_S after the kill, not after the request lease."""
    from dispatcher.engine.ports import PLACE_LEASE_S

    s = Stack(
        pg_server_url,
        block_interval_s=INTERVAL,
        extra_env={"PREGONERO_PROVIDER_READ_TIMEOUT_S": "30"},
    )
    try:
        assert s.settings.request_lease_s >= 60
        slow_s = PLACE_LEASE_S + 4
        s.sim.sim.configure({"latency_s": slow_s})
        s.start_worker("w1")
        s.start_worker("w2")
        s.start_beat()
        s.submit(Numbers()(5_000))
        wait_until(lambda: len(s.sim.sim.records) == 1, 60, "the first request")
        s.sim.sim.configure({"latency_s": 0})
        wait_until(lambda: len(s.sim.sim.records) == 2, 60, "the second request")
        first, second = s.sim.sim.records[:2]
        assert second.started_at >= first.started_at + slow_s - 0.5  # MAX_IN_FLIGHT held
        s.sim.sim.configure({"latency_s": 25})  # the next request hangs...
        wait_until(lambda: len(s.sim.sim.records) == 3, 60, "a hanging request")
        s.sim.sim.configure({"latency_s": 0})
        for name in list(s.workers):  # ...and its worker dies
            s.kill_worker(name)
        killed = time.time()
        s.start_worker("w3")
        wait_until(lambda: len(s.sim.sim.records) >= 4, 60, "the next request")
        freed_after_s = s.sim.sim.records[3].started_at - killed
        assert freed_after_s < PLACE_LEASE_S + 5, freed_after_s
    finally:
        s.stop()


def test_a_standby_beat_takes_over_within_30_s_of_the_first_dying(pg_server_url: str) -> None:
    """Two beats: the one holding the lease schedules and feeds, the other waits; kill -9
    the first and the standby feeds the next campaign within 30 s."""
    import signal

    s = Stack(pg_server_url, block_interval_s=0.2)
    try:
        s.start_worker("w1")
        s.start_beat()
        first = s.submit(Numbers()(2_000))
        s.wait_completed(first, timeout_s=60)  # the first beat holds the lease and feeds
        standby = s.start_standby_beat()
        log = s.logs / "beat2.log"
        wait_until(lambda: "on standby" in log.read_text(errors="replace"), 30, "standby")
        assert s.beat is not None
        os.killpg(s.beat.pid, signal.SIGKILL)
        s.beat.wait(10)
        killed_at = time.time()
        later = s.submit(Numbers(first=50_000)(2_000))
        s.wait_completed(later, timeout_s=30)
        sent = [r.started_at for r in s.sim.sim.records if r.started_at > killed_at]
        print(f"the standby's first block went out {min(sent) - killed_at:.1f} s after the kill")
        assert min(sent) - killed_at < 30
        assert "holding the lease" in log.read_text(errors="replace")
        assert standby.poll() is None
        assert s.statuses(later) == {"accepted": 2_000}
        assert_never_twice(s)
    finally:
        s.stop()
