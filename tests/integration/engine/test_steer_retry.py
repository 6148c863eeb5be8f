"""A person's action chosen as a deadlock's victim is run again, not answered with a 500."""

from __future__ import annotations

import pytest
from psycopg.errors import DeadlockDetected
from sqlalchemy.exc import OperationalError

from dispatcher.engine import steer
from dispatcher.store import steering
from tests.integration.engine.harness import EngineHarness

pytestmark = pytest.mark.integration


def test_a_cancel_that_lost_a_deadlock_is_tried_again(
    h: EngineHarness, monkeypatch: pytest.MonkeyPatch
) -> None:
    cid = h.submit(h.numbers(3))
    real, calls = steering.cancel, []

    def once_a_victim(conn, campaign_id, scope):  # type: ignore[no-untyped-def]
        calls.append(campaign_id)
        if len(calls) == 1:
            raise OperationalError("UPDATE chunk ...", {}, DeadlockDetected("deadlock detected"))
        return real(conn, campaign_id, scope)

    monkeypatch.setattr(steering, "cancel", once_a_victim)
    done = steer.cancel_campaign(h.engine, cid, None)
    assert done.status == "cancelled" and calls == [cid, cid]
    assert h.statuses(cid) == {"cancelled": 3}
