"""Operator steering: ``celery -A workers sms status|pause|resume|requeue-uncertain`` and
the remote-control commands that make workers stop or start consuming sends."""

from __future__ import annotations

import json
from typing import Any

import click
from celery.worker.control import control_command
from sqlalchemy import text

from dispatcher import balance, feeder
from dispatcher.accounts import DEFAULT_ACCOUNT, sync_accounts
from dispatcher.db.engine import make_engine
from dispatcher.settings import get_settings

SEND_QUEUE = "pregonero.send"


@control_command(args=[("reason", str)], signature="[reason]")
def sms_pause(state: Any, reason: str = "operator") -> dict[str, str]:
    """Stop consuming sends on this worker (the claim already refuses paused work)."""
    state.consumer.cancel_task_queue(SEND_QUEUE)
    return {"ok": f"stopped consuming {SEND_QUEUE} ({reason})"}


@control_command()
def sms_resume(state: Any) -> dict[str, str]:
    state.consumer.add_task_queue(SEND_QUEUE)
    return {"ok": f"consuming {SEND_QUEUE}"}


def _engine() -> Any:
    return make_engine(get_settings().database_url, pool_size=1)


@click.group(name="sms", help="Pregonero: see and steer SMS sending.")
def sms() -> None:
    pass


@sms.command()
def status() -> None:
    """Accounts (paused? balance?), campaigns by status, chunks waiting."""
    engine = _engine()
    with engine.connect() as conn:
        accounts = (
            conn.execute(
                text(
                    "SELECT name, paused, pause_reason, last_balance, checked_at "
                    "FROM provider_account ORDER BY name"
                )
            )
            .mappings()
            .all()
        )
        campaigns = dict(
            conn.execute(text("SELECT status, count(*) FROM campaign GROUP BY status")).all()
        )
        chunks = dict(
            conn.execute(text("SELECT status, count(*) FROM chunk GROUP BY status")).all()
        )
    engine.dispose()
    out = {
        "accounts": [
            {k: (str(v) if v is not None else None) for k, v in a.items()} for a in accounts
        ],
        "campaigns": campaigns,
        "chunks": chunks,
    }
    click.echo(json.dumps(out, indent=2, default=str))


@sms.command()
@click.option("--account", default=DEFAULT_ACCOUNT, show_default=True)
@click.option("--reason", default="operator", show_default=True)
@click.pass_context
def pause(ctx: click.Context, account: str, reason: str) -> None:
    """Pause an account: no block starts after this; workers stop consuming sends."""
    engine = _engine()
    with engine.begin() as conn:  # the account row may not exist yet if nothing ran
        sync_accounts(conn, get_settings())
    balance.pause(engine, account, reason)
    engine.dispose()
    replies = ctx.obj.app.control.broadcast("sms_pause", arguments={"reason": reason}, reply=True)
    click.echo(f"account {account} paused ({reason}); {len(replies or [])} workers told")


@sms.command()
@click.option("--account", default=DEFAULT_ACCOUNT, show_default=True)
@click.pass_context
def resume(ctx: click.Context, account: str) -> None:
    """Resume an account, whatever paused it."""
    engine = _engine()
    resumed = balance.resume_account(engine, account)
    engine.dispose()
    replies = ctx.obj.app.control.broadcast("sms_resume", reply=True)
    state = "resumed" if resumed else "was not paused"
    click.echo(f"account {account} {state}; {len(replies or [])} workers told")


@sms.command("requeue-uncertain")
@click.argument("campaign_id", type=int)
def requeue_uncertain(campaign_id: int) -> None:
    """Send a campaign's uncertain numbers again (the operator decided they did not go)."""
    engine = _engine()
    moved = feeder.requeue_uncertain(engine, campaign_id)
    engine.dispose()
    click.echo(f"{moved} uncertain numbers of campaign {campaign_id} queued again")
