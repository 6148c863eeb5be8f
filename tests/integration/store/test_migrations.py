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


def test_the_partitioning_migration_keeps_recipients_both_ways(pg_server_url: str) -> None:
    """0013 turns an existing recipient table into a partition without copying it, and
    its downgrade gives a plain table back, rows, replies and all."""
    from sqlalchemy import text

    from dispatcher.dev import services
    from dispatcher.store import partitions
    from dispatcher.store.db import make_engine
    from dispatcher.store.migrate import downgrade, upgrade

    url = services.create_database(pg_server_url, "pregonero_partitioning_check")
    engine = make_engine(url, pool_size=1)
    try:
        upgrade(url, "0012")
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO tenant (name, callback_secret) VALUES ('t', 's')"))
            conn.execute(
                text("INSERT INTO provider_account (name, methods) VALUES ('default', '{1via}')")
            )
            conn.execute(
                text(
                    "INSERT INTO campaign (id, tenant_id, account, name, message, method, purpose, "
                    "status, request_hash, encoding, segments) VALUES (300, 1, 'default', 'c', "
                    "'m', '1via', 'commercial', 'running', 'h', 'GSM-7', 1)"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO recipient (campaign_id, n, msisdn, status) VALUES "
                    "(300, 1, '573100000001', 'accepted'), (300, 2, '573100000002', 'pending')"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO inbound_message (msisdn, text, campaign_id, recipient_n) "
                    "VALUES ('573100000001', 'hola', 300, 1)"
                )
            )
        upgrade(url)
        with engine.connect() as conn:
            found = partitions.listed(conn)
            assert [(p.name, p.hi) for p in found] == [("recipient_legacy", 500)]
            assert conn.execute(text("SELECT count(*) FROM recipient")).scalar() == 2
        downgrade(url, "0012")
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT n, status FROM recipient ORDER BY n")).all()
            assert [tuple(r) for r in rows] == [(1, "accepted"), (2, "pending")]
            assert conn.execute(text("SELECT recipient_n FROM inbound_message")).scalar() == 1
        upgrade(url)
    finally:
        engine.dispose()
        services.drop_database(pg_server_url, "pregonero_partitioning_check")
