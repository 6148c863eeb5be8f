"""Of two beats, one holds the lease; when its connection goes, the other takes it."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from dispatcher.store.lease import BeatLease

pytestmark = [pytest.mark.integration, pytest.mark.xdist_group("beat-lease")]


def test_one_lease_and_a_takeover(engine: Engine) -> None:
    first, second = BeatLease(engine), BeatLease(engine)
    try:
        assert first.held() is True
        assert first.held() is True  # kept
        assert second.held() is False  # on standby
        first.release()  # the first beat's connection is gone (it died)
        assert second.held() is True
        assert first.held() is False
    finally:
        first.release()
        second.release()
