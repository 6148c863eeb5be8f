"""Beat's housekeeper: a thread in beat's process that runs the chores of
``dispatcher.engine.housekeeping`` (feed, release, sweep, reap, finish, expire, probe,
callbacks) without a Celery task per tick.  Started when beat starts."""

from __future__ import annotations

import logging
import threading
import time

import redis

from dispatcher.engine.housekeeping import HOUSEKEEPING_KEY, Housekeeper
from dispatcher.store.feeding import ReadyListener

log = logging.getLogger(__name__)

_stop = threading.Event()


def start() -> threading.Thread:
    from workers.runtime import runtime
    from workers.tasks import deliver_callbacks, publish

    rt = runtime()
    client = redis.Redis.from_url(rt.settings.redis_url)

    def record(chore: str, did: int) -> None:
        try:
            client.hset(HOUSEKEEPING_KEY, mapping={f"{chore}:at": time.time(), f"{chore}:did": did})
            client.hincrby(HOUSEKEEPING_KEY, chore, 1)
        except redis.RedisError as exc:  # a count lost is not worth a chore
            log.debug("housekeeping count not recorded: %s", exc)

    keeper = Housekeeper(
        rt.engine,
        rt.settings,
        rt.clock,
        publish,
        lambda: deliver_callbacks.apply_async(),
        record,
    )
    thread = threading.Thread(
        target=keeper.run_forever,
        args=(_stop, ReadyListener(rt.engine)),
        name="pregonero-housekeeper",
        daemon=True,
    )
    thread.start()
    log.info(
        "housekeeper started: feeding every %g s and when work is announced",
        rt.settings.feed_every_s,
    )
    return thread


def stop() -> None:
    _stop.set()
