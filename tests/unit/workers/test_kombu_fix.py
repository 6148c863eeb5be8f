"""The guard on kombu's Redis transport: a channel whose connection is gone reports a
connection error (which kombu ignores while closing and Celery recovers from), never
the AttributeError that made a worker exit when Redis restarted."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
import redis
from kombu import Connection
from kombu.common import ignore_errors
from kombu.transport import redis as kombu_redis

from workers import kombu_fix


def test_a_closed_connection_is_a_connection_error_not_an_attribute_error() -> None:
    kombu_fix.apply()
    kombu_fix.apply()  # once is enough; twice changes nothing
    orphan = SimpleNamespace(connection=SimpleNamespace(client=None))
    with pytest.raises(redis.ConnectionError):
        kombu_redis.Channel._connparams(orphan)  # type: ignore[arg-type]
    broker = Connection("redis://127.0.0.1:1//")
    # what a consumer does while it closes its channels on a reconnect: ignored
    with ignore_errors(broker):
        kombu_redis.Channel._connparams(orphan)  # type: ignore[arg-type]
