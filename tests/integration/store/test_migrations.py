"""The migrations build exactly the schema the models describe."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Engine

from dispatcher.store.tables import Base

pytestmark = pytest.mark.integration


def _not_a_partition(name: str | None, type_: str, _parent: object) -> bool:
    """The recipient table's partitions are made by the code (store.partitions)."""
    return not (type_ == "table" and (name or "").startswith(("recipient_p", "recipient_legacy")))


def test_models_and_migrations_agree(engine: Engine) -> None:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_name": _not_a_partition})
        diff = compare_metadata(context, Base.metadata)
    assert diff == []


def test_the_counters_migration_counts_existing_campaigns(pg_server_url: str) -> None:
    """A database with campaigns from before the counters gets them counted."""
    from sqlalchemy import text

    from dispatcher.dev import services
    from dispatcher.store.db import make_engine
    from dispatcher.store.migrate import upgrade

    url = services.create_database(pg_server_url, "pregonero_counters_check")
    engine = make_engine(url, pool_size=1)
    try:
        upgrade(url, "0002")
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO tenant (name) VALUES ('t')"))
            conn.execute(
                text("INSERT INTO provider_account (name, methods) VALUES ('default', '{1via}')")
            )
            conn.execute(
                text(
                    "INSERT INTO campaign (id, tenant_id, account, name, message, method, purpose, "
                    "status, request_hash, encoding, segments) VALUES (7, 1, 'default', 'c', 'm', "
                    "'1via', 'transactional', 'running', 'h', 'GSM-7', 1)"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO recipient (campaign_id, n, msisdn, status) VALUES "
                    "(7, 1, 'a', 'accepted'), (7, 2, 'b', 'accepted'), (7, 3, 'c', 'pending'), "
                    "(7, 4, 'd', 'uncertain')"
                )
            )
        upgrade(url)
        with engine.connect() as conn:
            row = conn.execute(
                text(
                    "SELECT n_accepted, n_pending, n_uncertain, n_failed FROM campaign WHERE id = 7"
                )
            ).one()
        assert tuple(row) == (2, 1, 1, 0)
    finally:
        engine.dispose()
        services.drop_database(pg_server_url, "pregonero_counters_check")
