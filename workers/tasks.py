"""Thin tasks: decode the id, call one dispatcher service, return a small summary that
reads well in Flower.  Arguments are ids only: never numbers or text."""

from __future__ import annotations

import logging
from typing import Any

import httpx

from dispatcher import balance, callbacks, feeder
from workers.app import SEND_QUEUE, app
from workers.runtime import runtime

log = logging.getLogger(__name__)


def publish(chunk_id: int) -> None:
    send_chunk.apply_async((chunk_id,), queue=SEND_QUEUE)


@app.task(name="pregonero.send_chunk")
def send_chunk(chunk_id: int) -> dict[str, Any]:
    rt = runtime()
    summary = rt.dispatcher.send_chunk(int(chunk_id))
    # Each finished chunk nudges the feeder, so the next block is ready in time.
    feeder.feed(rt.engine, rt.settings, rt.clock(), publish)
    return summary


@app.task(name="pregonero.feed")
def feed() -> dict[str, Any]:
    rt = runtime()
    return {"published": len(feeder.feed(rt.engine, rt.settings, rt.clock(), publish))}


@app.task(name="pregonero.release_due")
def release_due() -> dict[str, Any]:
    rt = runtime()
    return {"released": feeder.release_due(rt.engine, rt.clock())}


@app.task(name="pregonero.sweep")
def sweep() -> dict[str, Any]:
    rt = runtime()
    return {"republished": len(feeder.sweep(rt.engine, rt.settings, publish))}


@app.task(name="pregonero.reap")
def reap() -> dict[str, Any]:
    rt = runtime()
    return {"uncertain_chunks": feeder.reap(rt.engine, rt.settings)}


@app.task(name="pregonero.finish")
def finish() -> dict[str, Any]:
    rt = runtime()
    return {"completed": feeder.finish_all(rt.engine)}


@app.task(name="pregonero.expire")
def expire() -> dict[str, Any]:
    rt = runtime()
    return {"expired_recipients": feeder.expire(rt.engine, rt.clock())}


@app.task(name="pregonero.poll_balance")
def poll_balance() -> dict[str, Any]:
    rt = runtime()
    return balance.poll_balance(rt.engine, rt.settings, rt.client_for)


@app.task(name="pregonero.probe_maintenance")
def probe_maintenance() -> dict[str, Any]:
    rt = runtime()
    return {"resumed": balance.probe_maintenance(rt.engine, rt.settings)}


_callback_http: httpx.Client | None = None


@app.task(name="pregonero.callbacks")
def deliver_callbacks() -> dict[str, Any]:
    global _callback_http
    if _callback_http is None:
        _callback_http = httpx.Client(follow_redirects=False)
    return {"delivered": callbacks.deliver_due(runtime().engine, _callback_http)}
