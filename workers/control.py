"""``celery -A workers sms status|pause|resume|requeue-uncertain`` and the remote-control
commands that make workers stop or start consuming sends.

Only the Celery wiring lives here: what each command does and prints is
``dispatcher.cli.system`` and ``dispatcher.engine.steer``, the same as ``pregonero account
...`` and ``pregonero campaign ...``; this adds the broadcast to workers."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click
from celery.worker.control import control_command
from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError

from dispatcher.cli import system
from dispatcher.domain.status import PauseReason
from dispatcher.engine import steer
from dispatcher.errors import PregoneroError
from dispatcher.redact import redact
from dispatcher.settings import get_settings
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


class _OneLine(click.Group):
    """Our errors, and a database or broker out of reach, as one line that says what to
    do: never a traceback."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except PregoneroError as exc:
            raise click.ClickException(str(exc)) from None
        except DBAPIError as exc:
            from dispatcher.store.migrate import explain  # alembic: only when it is needed

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
    with _engine() as engine:
        lines = system.status_lines(engine, get_settings(), as_json)
    click.echo("\n".join(lines))


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
    with _engine() as engine:
        done = system.pause_accounts(engine, get_settings(), account, PauseReason(reason))
    # Every account paused: workers also stop taking sends.  One account: the others go on.
    told = _tell_workers(ctx, "sms_pause", reason=reason) if account is None else ""
    click.echo(done + (f"; {told}" if told else ""))


@sms.command()
@click.option("--account", default=None, help="One account (default: every account).")
@click.pass_context
def resume(ctx: click.Context, account: str | None) -> None:
    """Resume sending, whatever paused it."""
    with _engine() as engine:
        done = system.resume_accounts(engine, get_settings(), account)
    click.echo(f"{done}; {_tell_workers(ctx, 'sms_resume')}")


@sms.command("requeue-uncertain")
@click.argument("campaign_id", type=int)
def requeue_uncertain(campaign_id: int) -> None:
    """Send a campaign's uncertain numbers again (the operator decided they did not go)."""
    with _engine() as engine:
        moved = steer.requeue_uncertain(engine, campaign_id, None)
    click.echo(f"{moved} uncertain numbers of campaign {campaign_id} queued again")
