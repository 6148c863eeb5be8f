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
from workers.leader import is_leader

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
        BrokerWatch(rt.settings.effective_broker_url),
        leader=is_leader,
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


class BrokerWatch:
    """Whether a Redis broker lost its queues since the last look: a marker key this
    process set is gone (Redis keeps nothing on disk here, so a restart empties it).
    Another broker (RabbitMQ keeps its queues) is never reported lost."""

    MARKER = "pregonero:broker-marker"

    def __init__(self, url: str):
        self._client = redis.Redis.from_url(url) if url.startswith(("redis", "unix")) else None
        self._set = False

    def __call__(self) -> bool:
        if self._client is None:
            return False
        try:
            missing = bool(self._client.set(self.MARKER, "1", nx=True))
        except redis.RedisError:  # down: nothing to say until it is back
            return False
        lost, self._set = missing and self._set, True
        if lost:
            log.warning("the broker came back empty: publishing every queued chunk again")
        return lost


def stop() -> None:
    _stop.set()
