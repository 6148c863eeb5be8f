"""Thin tasks: decode the id, call one engine service, return a small summary that reads
well in Flower.  Arguments are ids only: never numbers or text.  Four tasks: a block's
send, a callback run (asked for by beat's housekeeper when one is due), and beat's
periodic ones: the balance poll and the daily retention run; the rest of the
housekeeping is workers/housekeeper.py."""

from __future__ import annotations

from typing import Any

from dispatcher.engine import balance, callbacks, feed
from dispatcher.engine.send import SendResult
from dispatcher.store import retention
from dispatcher.store.rows import QueuedChunk
from workers.app import app
from workers.constants import SEND_QUEUE, Task
from workers.runtime import runtime


def publish(chunk: QueuedChunk) -> None:
    # The message carries the id; Flower shows the campaign and block from the moment it
    # is queued (argsrepr), never numbers or text.
    send_chunk.apply_async((chunk.id,), queue=SEND_QUEUE, argsrepr=f"({chunk.describe()})")


@app.task(name=Task.SEND_CHUNK)
def send_chunk(chunk_id: int) -> SendResult:
    rt = runtime()
    result = rt.sender.send_chunk(int(chunk_id))
    # Each finished chunk nudges the feeder, so the next block is ready in time.
    feed.feed(rt.engine, rt.settings, rt.clock(), publish)
    return result


@app.task(name=Task.POLL_BALANCE)
def poll_balance() -> dict[str, str]:
    rt = runtime()
    return balance.poll_balance(rt.engine, rt.settings, rt.client_for)


@app.task(name=Task.CALLBACKS)
def deliver_callbacks() -> dict[str, Any]:
    rt = runtime()
    return {"delivered": callbacks.deliver_due(rt.engine, rt.settings)}


@app.task(name=Task.RETENTION, time_limit=6 * 3600, soft_time_limit=6 * 3600 - 60)
def run_retention() -> dict[str, object]:
    """Beat's daily retention run (`pregonero retention run` does the same by hand)."""
    rt = runtime()
    return retention.run(rt.engine, rt.clock(), rt.settings.retention_days).as_dict()
