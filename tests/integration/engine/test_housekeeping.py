"""Beat's housekeeper: chores on their schedule, the feeder woken by intake's NOTIFY,
a database out of reach logged once per try, and callback runs asked for only when due."""

from __future__ import annotations

import logging
import threading
import time

import pytest
from sqlalchemy import Engine

from dispatcher.engine.housekeeping import Housekeeper
from dispatcher.store.db import make_engine
from dispatcher.store.feeding import ReadyListener
from dispatcher.store.rows import QueuedChunk
from tests.integration.engine.harness import EngineHarness

pytestmark = pytest.mark.integration


class Ticks:
    """A monotonic clock the test moves."""

    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def keeper(
    h: EngineHarness, ticks: Ticks | None = None, engine: Engine | None = None
) -> Housekeeper:
    published: list[QueuedChunk] = []
    k = Housekeeper(
        engine or h.engine,
        h.settings,
        h.clock,
        published.append,
        lambda: h.callback_runs.append(1),  # type: ignore[attr-defined]
        monotonic=ticks or time.monotonic,
    )
    k.published = published  # type: ignore[attr-defined]
    return k


def test_chores_run_when_due_and_only_then(h: EngineHarness) -> None:
    h.callback_runs = []  # type: ignore[attr-defined]
    ticks = Ticks()
    k = keeper(h, ticks)
    k.run_due()
    chores = ["release_due", "feed", "sweep", "reap", "finish", "settle"]
    chores += ["expire", "probe_maintenance", "callbacks", "broker", "partitions"]
    assert {c.name: c.runs for c in k.chores} == dict.fromkeys(chores, 1)
    ticks.t += h.settings.feed_every_s
    assert k.run_due() <= h.settings.feed_every_s
    runs = {c.name: c.runs for c in k.chores}
    assert runs["feed"] == 2 and runs["expire"] == 1
    ticks.t += 30
    k.run_due()
    assert {c.name: c.runs for c in k.chores}["expire"] == 2
    assert h.callback_runs == []  # nothing was due: no task asked for


def test_a_broker_that_came_back_empty_gets_every_queued_chunk_again(h: EngineHarness) -> None:
    h.callback_runs = []  # type: ignore[attr-defined]
    k = keeper(h)
    cid = h.submit(h.numbers(3_000))
    k.run_due(only="feed")
    queued = h.q("SELECT count(*) FROM chunk WHERE campaign_id = :c AND status = 'queued'", c=cid)
    fed = len(k.published)  # type: ignore[attr-defined]
    assert fed == queued[0][0] > 0
    k.run_due(only="broker")  # the broker is fine: nothing again
    assert len(k.published) == fed  # type: ignore[attr-defined]
    k.broker_lost = lambda: True  # it restarted empty
    k.run_due(only="broker")
    assert len(k.published) == 2 * fed  # type: ignore[attr-defined]


def test_a_beat_on_standby_runs_no_chore(h: EngineHarness) -> None:
    h.callback_runs = []  # type: ignore[attr-defined]
    k = keeper(h)
    k.leader = lambda: False
    h.submit(h.numbers(10))
    stop = threading.Event()
    thread = threading.Thread(target=k.run_forever, args=(stop, ReadyListener(h.engine)))
    thread.start()
    time.sleep(1.5)
    stop.set()
    thread.join(5)
    assert all(c.runs == 0 for c in k.chores) and k.published == []  # type: ignore[attr-defined]


def test_intake_wakes_the_feeder_at_once(h: EngineHarness) -> None:
    h.callback_runs = []  # type: ignore[attr-defined]
    h.use_settings(feed_every_s=30.0)  # only the announcement can wake it in time
    k = keeper(h)
    stop = threading.Event()
    k.run_due()  # every chore once: the next is 30 s away
    thread = threading.Thread(target=k.run_forever, args=(stop, ReadyListener(h.engine)))
    thread.start()
    try:
        time.sleep(0.3)  # it listens
        started = time.monotonic()
        h.submit(h.numbers(3))
        from dispatcher.dev.services import wait_until

        wait_until(lambda: len(k.published) == 1, 5, "the chunk published", every_s=0.01)  # type: ignore[attr-defined]
        assert time.monotonic() - started < 2.0  # not the 30 s tick
    finally:
        stop.set()
        thread.join(10)
    assert not thread.is_alive()


def test_a_database_out_of_reach_is_one_line_per_try(
    h: EngineHarness, caplog: pytest.LogCaptureFixture
) -> None:
    h.callback_runs = []  # type: ignore[attr-defined]
    gone = make_engine("postgresql+psycopg://postgres@127.0.0.1:1/nothing", pool_size=1)
    k = keeper(h, engine=gone)
    stop = threading.Event()
    caplog.set_level(logging.ERROR, logger="dispatcher.engine.housekeeping")
    thread = threading.Thread(target=k.run_forever, args=(stop, ReadyListener(gone)))
    thread.start()
    time.sleep(2.5)  # tries at 0, 1 and 3 s: two or three lines
    stop.set()
    thread.join(10)
    lines = [r for r in caplog.records if r.name == "dispatcher.engine.housekeeping"]
    assert 1 <= len(lines) <= 3
    assert all(r.exc_info is None and "\n" not in r.getMessage() for r in lines)
    assert "trying again in 1 s" in lines[0].getMessage()


def test_a_callback_run_is_asked_for_only_when_one_is_due(h: EngineHarness) -> None:
    h.callback_runs = []  # type: ignore[attr-defined]
    h.use_settings(callback_allow_private=True)
    cid = h.submit(h.numbers(2), callback_url="http://127.0.0.1:9/hook")
    k = keeper(h)
    k.run_due(only="callbacks")
    assert h.callback_runs == []  # not finished: nothing to tell
    h.run()
    assert h.campaign(cid)["status"] == "completed"
    k.run_due(only="callbacks")
    assert h.callback_runs == [1]
