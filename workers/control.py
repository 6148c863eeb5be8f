"""Operator steering: ``celery -A workers sms status|pause|resume|requeue-uncertain`` and
the remote-control commands that make workers stop or start consuming sends."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

import click
from celery.worker.control import control_command
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from dispatcher.accounts import configured_accounts
from dispatcher.domain.describe import account_state
from dispatcher.domain.status import PauseReason
from dispatcher.engine import balance, recover
from dispatcher.errors import PregoneroError
from dispatcher.redact import redact
from dispatcher.settings import get_settings
from dispatcher.store import accounts, reads
from dispatcher.store.db import engine_for
from dispatcher.store.migrate import explain
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


class _OneLine(click.Group):
    """Our errors, and a database or broker out of reach, as one line that says what to
    do: never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except PregoneroError as exc:
            raise click.ClickException(str(exc)) from None
        except DBAPIError as exc:
            error = explain(get_settings().database_url, exc)
            if error is None:
                raise
            raise click.ClickException(str(error)) from None


@click.group(name="sms", cls=_OneLine, help="Pregonero: see and steer SMS sending.")
def sms() -> None:
    pass


@sms.command()
@click.option("--json", "as_json", is_flag=True, help="For machines: one JSON object.")
def status(as_json: bool) -> None:
    """Accounts (sending? paused, why, since when? balance), campaigns by status and those
    that need an operator, chunks waiting."""
    settings = get_settings()
    now = datetime.now(UTC)
    with _engine() as engine:
        with engine.connect() as conn:
            states = accounts.states(conn)
        summary = reads.system_status(engine)
    if as_json:
        out = {"accounts": [asdict(a) for a in states], **summary}
        click.echo(json.dumps(out, indent=2, default=str))
        return
    window = settings.window
    click.echo("Accounts")
    for state in states:
        words = account_state(
            paused=state.paused,
            reason=state.pause_reason,
            paused_at=state.paused_at,
            window_open=window.is_open(now),
            next_open=window.next_open(now),
            probe_every_s=settings.maintenance_probe_s,
            now=now,
            tz=window.tz,
        )
        balance = (
            f"balance {state.last_balance} (read {state.checked_at:%Y-%m-%d %H:%M} UTC)"
            if state.last_balance is not None and state.checked_at is not None
            else "balance not read yet"
        )
        click.echo(f"  {state.name}: {words}; {balance}")
    click.echo("Campaigns: " + _counts(summary["campaigns"]))
    for campaign_id, uncertain in summary["attention"]:
        click.echo(
            f"  campaign {campaign_id} needs an operator: {uncertain:,} uncertain recipients "
            "(check the provider's report, then requeue-uncertain or close-uncertain)"
        )
    click.echo("Chunks: " + _counts(summary["chunks"]))


def _counts(by_status: dict[str, int]) -> str:
    return ", ".join(f"{status} {n:,}" for status, n in sorted(by_status.items())) or "none"


def _accounts(account: str | None) -> list[str]:
    names = [a.name for a in configured_accounts(get_settings())]
    if account is None:
        return names
    if account not in names:
        raise click.UsageError(
            f"there is no provider account {account!r}: --account one of {', '.join(names)}"
        )
    return [account]


def _tell_workers(ctx: click.Context, command: str, **arguments: str) -> str:
    """Broadcast a remote-control command; say how many workers answered, or that the
    broker could not be reached (what is recorded in Postgres holds anyway)."""
    try:
        replies = ctx.obj.app.control.broadcast(
            command, arguments=arguments or None, reply=True, timeout=2
        )
    except Exception as exc:  # the broker is down: the claim still refuses paused work
        return (
            f"telling the workers failed ({type(exc).__name__}: {redact(str(exc))}); the "
            "pause is recorded in the database and no block of it starts"
        )
    return f"{len(replies or [])} workers told"


@sms.command()
@click.option("--account", default=None, help="One account (default: every account).")
@click.option(
    "--reason",
    type=click.Choice([r.value for r in PauseReason]),
    default=PauseReason.OPERATOR.value,
    show_default=True,
)
@click.pass_context
def pause(ctx: click.Context, account: str | None, reason: str) -> None:
    """Pause sending: no block of the account (of every account) starts after this."""
    names = _accounts(account)
    with _engine() as engine:
        with engine.begin() as conn:  # the account rows may not exist yet if nothing ran
            accounts.sync(conn, configured_accounts(get_settings()))
        for name in names:
            balance.pause(engine, name, PauseReason(reason))
    # Every account paused: workers also stop taking sends.  One account: the others go on.
    told = _tell_workers(ctx, "sms_pause", reason=reason) if account is None else ""
    click.echo(f"paused ({reason}): {', '.join(names)}" + (f"; {told}" if told else ""))


@sms.command()
@click.option("--account", default=None, help="One account (default: every account).")
@click.pass_context
def resume(ctx: click.Context, account: str | None) -> None:
    """Resume sending, whatever paused it."""
    names = _accounts(account)
    with _engine() as engine:
        resumed = [name for name in names if balance.resume(engine, name)]
    told = _tell_workers(ctx, "sms_resume")
    state = f"resumed: {', '.join(resumed)}" if resumed else "nothing was paused"
    click.echo(f"{state}; {told}")


@sms.command("requeue-uncertain")
@click.argument("campaign_id", type=int)
def requeue_uncertain(campaign_id: int) -> None:
    """Send a campaign's uncertain numbers again (the operator decided they did not go)."""
    with _engine() as engine:
        moved = recover.requeue_uncertain(engine, campaign_id)
    click.echo(f"{moved} uncertain numbers of campaign {campaign_id} queued again")
