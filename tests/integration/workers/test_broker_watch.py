"""Beat's housekeeper notices a Redis broker that came back empty (a restart of a Redis
that keeps nothing) at its next look, once."""

from __future__ import annotations

import pytest
import redis

from workers.housekeeper import BrokerWatch

pytestmark = pytest.mark.integration


def test_an_emptied_broker_is_reported_once(redis_url: str) -> None:
    client = redis.Redis.from_url(redis_url)
    client.delete(BrokerWatch.MARKER)
    watch = BrokerWatch(redis_url)
    assert watch() is False  # the first look sets the marker: nothing was lost
    assert watch() is False
    client.delete(BrokerWatch.MARKER)  # what a restart of an empty Redis does
    assert watch() is True
    assert watch() is False
    assert BrokerWatch("amqp://guest:guest@127.0.0.1:5672//")() is False
