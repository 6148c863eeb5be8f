"""A campaign stored while its account is being paused says it waits for the account,
whichever commits first: the race is closed where it happens (intake's last statement
reads the account FOR SHARE), not patched when the campaign is read."""

from __future__ import annotations

import threading

from sqlalchemy import Engine, select

from dispatcher.domain.message import Method
from dispatcher.domain.status import PauseReason, Purpose, WaitingReason
from dispatcher.settings import Settings
from dispatcher.store import accounts
from dispatcher.store import intake as store
from dispatcher.store.intake import Tally
from dispatcher.store.tables import Campaign
from tests.builders import a_campaign, a_tenant

TALLY = Tally(submitted=1, sendable=1, invalid=0, duplicate=0, suppressed=0)


def _fields(tenant_id: int) -> dict[str, object]:
    return {
        "tenant_id": tenant_id,
        "account": "default",
        "name": "raced",
        "message": "hola",
        "method": Method.ONE_WAY,
        "purpose": Purpose.TRANSACTIONAL,
        "priority": 0,
        "encoding": "GSM-7",
        "segments": 1,
    }


def _waiting(engine: Engine, campaign_id: int) -> str | None:
    with engine.connect() as conn:
        return conn.execute(
            select(Campaign.waiting_reason).where(Campaign.id == campaign_id)
        ).scalar_one()


def test_a_pause_that_commits_during_intake_waits_for_it_and_marks_the_campaign(
    engine: Engine, settings: Settings
) -> None:
    tenant = a_tenant(engine)
    a_campaign(engine, settings, tenant.id, ["573100000001"])  # the account's row exists
    paused = threading.Event()
    with engine.connect() as intake, intake.begin():
        campaign_id = store.create_campaign(intake, _fields(tenant.id))
        assert campaign_id is not None
        store.record_counts(intake, campaign_id, "default", TALLY, 1, "hash", {}, "GSM-7", 1)

        def pause() -> None:
            with engine.begin() as conn:
                accounts.pause(conn, "default", PauseReason.BALANCE)
            paused.set()

        pausing = threading.Thread(target=pause)
        pausing.start()
        # The pause waits for intake's commit (the account's row is held FOR SHARE).
        assert not paused.wait(0.5)
    pausing.join(10)
    assert paused.is_set()
    assert _waiting(engine, campaign_id) == WaitingReason.BALANCE


def test_a_pause_committed_before_intake_ends_is_seen_by_its_last_statement(
    engine: Engine, settings: Settings
) -> None:
    tenant = a_tenant(engine)
    a_campaign(engine, settings, tenant.id, ["573100000001"])
    with engine.connect() as intake, intake.begin():
        campaign_id = store.create_campaign(intake, _fields(tenant.id))
        assert campaign_id is not None
        with engine.begin() as other:  # commits while intake's COPY would be running
            accounts.pause(other, "default", PauseReason.MAINTENANCE)
        store.record_counts(intake, campaign_id, "default", TALLY, 1, "hash", {}, "GSM-7", 1)
    assert _waiting(engine, campaign_id) == WaitingReason.MAINTENANCE
