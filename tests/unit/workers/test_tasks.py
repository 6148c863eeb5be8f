"""What operators see of a send in Flower, from the moment it is queued."""

from __future__ import annotations

from typing import Any

import pytest

from dispatcher.store.rows import QueuedChunk


def test_a_queued_send_reads_as_its_campaign_and_block(monkeypatch: pytest.MonkeyPatch) -> None:
    from workers import tasks
    from workers.constants import SEND_QUEUE

    sent: list[tuple[Any, dict[str, Any]]] = []
    monkeypatch.setattr(tasks.send_chunk, "apply_async", lambda args, **kw: sent.append((args, kw)))
    tasks.publish(QueuedChunk(id=107, campaign_id=3, seq=12, size=1000))
    [(args, kw)] = sent
    assert args == (107,)  # the message carries the id only
    assert kw == {
        "queue": SEND_QUEUE,
        "argsrepr": "(chunk 107: campaign 3, block 12, 1000 numbers)",
    }


def test_beat_runs_retention_once_a_day_on_its_own_queue_with_room_to_finish() -> None:
    from workers import tasks
    from workers.app import app
    from workers.constants import BEAT_QUEUE, Task

    entry = app.conf.beat_schedule["retention"]
    assert (entry["task"], entry["schedule"]) == (Task.RETENTION, 24 * 3600.0)
    assert app.conf.task_default_queue == BEAT_QUEUE  # never behind sends
    assert tasks.run_retention.time_limit >= 3600  # a big first run is not killed
