"""A tenant's own suppression, added after intake, stops that tenant's send of the number
and nobody else's."""

from __future__ import annotations

import pytest

from dispatcher.domain.status import SuppressionSource
from dispatcher.store import suppressions
from tests.builders import a_campaign, a_tenant
from tests.integration.engine.harness import EngineHarness

pytestmark = pytest.mark.integration


def test_a_tenants_suppression_after_intake_holds_for_its_campaigns_only(
    h: EngineHarness,
) -> None:
    shared = h.numbers(1)
    acme, globex = a_tenant(h.engine), a_tenant(h.engine)
    mine = a_campaign(h.engine, h.settings, acme.id, shared + h.numbers(1))
    theirs = a_campaign(h.engine, h.settings, globex.id, shared + h.numbers(1))
    with h.engine.begin() as conn:
        suppressions.add(
            conn, ["default"], shared, reason="customer_request",
            source=SuppressionSource.TENANT, by="key x", tenant_id=globex.id,
        )  # fmt: skip
    h.run()
    assert h.statuses(mine) == {"accepted": 2}
    assert h.statuses(theirs) == {"accepted": 1, "suppressed": 1}
    h.never_twice()
