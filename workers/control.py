"""Operator steering: ``celery -A workers sms status|pause|resume|requeue-uncertain`` and
the remote-control commands that make workers stop or start consuming sends."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from typing import Any

import click
from celery.worker.control import control_command
from sqlalchemy import Engine

from dispatcher.accounts import DEFAULT_ACCOUNT, configured_accounts
from dispatcher.domain.status import PauseReason
from dispatcher.engine import balance, recover
from dispatcher.settings import get_settings
from dispatcher.store import accounts, reads
from dispatcher.store.db import engine_for
from workers.constants import SEND_QUEUE


@control_command(args=[("reason", str)], signature="[reason]")
def sms_pause(state: Any, reason: str = PauseReason.OPERATOR.value) -> dict[str, str]:
    """Stop consuming sends on this worker (the claim already refuses paused work)."""
    state.consumer.cancel_task_queue(SEND_QUEUE)
    return {"ok": f"stopped consuming {SEND_QUEUE} ({reason})"}


@control_command()
def sms_resume(state: Any) -> dict[str, str]:
    state.consumer.add_task_queue(SEND_QUEUE)
    return {"ok": f"consuming {SEND_QUEUE}"}


@contextmanager
def _engine() -> Iterator[Engine]:
    engine = engine_for(get_settings(), pool_size=1)
    try:
        yield engine
    finally:
        engine.dispose()


@click.group(name="sms", help="Pregonero: see and steer SMS sending.")
def sms() -> None:
    pass


@sms.command()
def status() -> None:
    """Accounts (paused? balance?), campaigns by status, chunks waiting."""
    with _engine() as engine:
        with engine.connect() as conn:
            states = accounts.states(conn)
        summary = reads.system_status(engine)
    out = {"accounts": [asdict(a) for a in states], **summary}
    click.echo(json.dumps(out, indent=2, default=str))


@sms.command()
@click.option("--account", default=DEFAULT_ACCOUNT, show_default=True)
@click.option(
    "--reason",
    type=click.Choice([r.value for r in PauseReason]),
    default=PauseReason.OPERATOR.value,
    show_default=True,
)
@click.pass_context
def pause(ctx: click.Context, account: str, reason: str) -> None:
    """Pause an account: no block starts after this; workers stop consuming sends."""
    with _engine() as engine:
        with engine.begin() as conn:  # the account row may not exist yet if nothing ran
            accounts.sync(conn, configured_accounts(get_settings()))
        balance.pause(engine, account, PauseReason(reason))
    replies = ctx.obj.app.control.broadcast("sms_pause", arguments={"reason": reason}, reply=True)
    click.echo(f"account {account} paused ({reason}); {len(replies or [])} workers told")


@sms.command()
@click.option("--account", default=DEFAULT_ACCOUNT, show_default=True)
@click.pass_context
def resume(ctx: click.Context, account: str) -> None:
    """Resume an account, whatever paused it."""
    with _engine() as engine:
        resumed = balance.resume(engine, account)
    replies = ctx.obj.app.control.broadcast("sms_resume", reply=True)
    state = "resumed" if resumed else "was not paused"
    click.echo(f"account {account} {state}; {len(replies or [])} workers told")


@sms.command("requeue-uncertain")
@click.argument("campaign_id", type=int)
def requeue_uncertain(campaign_id: int) -> None:
    """Send a campaign's uncertain numbers again (the operator decided they did not go)."""
    with _engine() as engine:
        moved = recover.requeue_uncertain(engine, campaign_id)
    click.echo(f"{moved} uncertain numbers of campaign {campaign_id} queued again")
