"""``pregonero campaign ...``: the operator's view of campaigns (any tenant)."""

from __future__ import annotations

import json
import time
import uuid
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table
from sqlalchemy import Engine, text

from dispatcher import campaigns, feeder, intake
from dispatcher.domain.message import Method
from dispatcher.errors import NotFound

app = typer.Typer(no_args_is_help=True, help="Submit, watch and steer campaigns.")
FINAL = ("completed", "cancelled", "failed")


def _engine() -> Engine:
    from dispatcher.cli import _engine as make

    return make()


def _owner(engine: Engine, campaign_id: int) -> int:
    with engine.connect() as conn:
        tenant = conn.execute(
            text("SELECT tenant_id FROM campaign WHERE id = :c"), {"c": campaign_id}
        ).scalar()
    if tenant is None:
        raise NotFound(
            f"campaign {campaign_id} does not exist; `pregonero campaign list` shows them"
        )
    return int(tenant)


def _tenant_id(engine: Engine, name: str) -> int:
    with engine.connect() as conn:
        found = conn.execute(text("SELECT id FROM tenant WHERE name = :n"), {"n": name}).scalar()
    if found is None:
        raise NotFound(f"no tenant {name!r}; `pregonero apikey create --tenant {name}` creates it")
    return int(found)


def watch(
    engine: Engine, campaign_id: int, interval_s: float, poll_s: float = 1.0
) -> dict[str, Any]:
    """A progress bar until the campaign is finished; returns its last detail."""
    tenant = _owner(engine, campaign_id)
    with Progress(
        TextColumn("[bold]campaign {task.fields[cid]}[/bold] {task.fields[status]}"),
        BarColumn(),
        TextColumn("{task.completed:,.0f}/{task.total:,.0f}"),
        TimeRemainingColumn(),
        TextColumn("{task.fields[waiting]}"),
    ) as progress:
        task = progress.add_task("send", total=1, cid=campaign_id, status="", waiting="")
        while True:
            info = campaigns.detail(engine, tenant, campaign_id, interval_s)
            sendable = max(info["counts"]["sendable"], 1)
            done = sendable - info["counts"]["by_status"]["pending"]
            waiting = f"waiting: {info['waiting_reason']}" if info["waiting_reason"] else ""
            if info["next_send_at"]:
                waiting += f" until {info['next_send_at']:%Y-%m-%d %H:%M %Z}"
            progress.update(
                task, total=sendable, completed=done, status=info["status"], waiting=waiting
            )
            if info["status"] in FINAL:
                return info
            time.sleep(poll_s)


@app.command("submit")
def submit(
    file: Annotated[Path, typer.Argument(help="CSV: one number per line, or a msisdn column.")],
    tenant: Annotated[str, typer.Option(help="The tenant it belongs to.")],
    name: Annotated[str, typer.Option(help="Campaign name.")],
    message: Annotated[str, typer.Option(help="The text.")],
    method: Annotated[Method, typer.Option(help="metodo_envio.")] = Method.ONE_WAY,
    purpose: Annotated[
        str, typer.Option(help="transactional, commercial or collection.")
    ] = "transactional",
    priority: Annotated[str, typer.Option(help="normal or high.")] = "normal",
    wait: Annotated[bool, typer.Option(help="Show progress until it finishes.")] = False,
) -> None:
    """Submit a campaign from a CSV file (the same rules as the API)."""
    from dispatcher.cli import out
    from dispatcher.settings import get_settings
    from dispatcher.sources import csv_numbers

    settings = get_settings()
    engine = _engine()
    tenant_id = _tenant_id(engine, tenant)
    spec = intake.CampaignSpec(
        name=name, message=message, method=method, purpose=purpose, priority=priority
    )
    with file.open("rb") as handle:
        result = intake.submit(
            engine, settings, tenant_id, spec, csv_numbers(handle), request_hash=uuid.uuid4().hex
        )
    c = result.counts
    out.print(
        f"campaign {result.campaign_id}: {c.sendable:,} to send in {result.chunks} blocks "
        f"({c.invalid:,} invalid, {c.duplicate:,} duplicate, {c.suppressed:,} suppressed); "
        f"about {result.chunks * settings.block_interval_s:,.0f} s at the account's pace",
        highlight=False,
    )
    for sample in result.invalid_sample[:5]:
        out.print(
            f"  line {sample['line']}: {sample['value']!r} {sample['detail']}", highlight=False
        )
    if wait:
        watch(engine, result.campaign_id, settings.block_interval_s)


@app.command("status")
def status(
    campaign_id: int,
    wait: Annotated[bool, typer.Option(help="Show progress until it finishes.")] = False,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Counts, progress, waiting reason and ETA of one campaign."""
    from dispatcher.cli import out
    from dispatcher.settings import get_settings

    engine = _engine()
    interval = get_settings().block_interval_s
    info = (
        watch(engine, campaign_id, interval)
        if wait
        else campaigns.detail(engine, _owner(engine, campaign_id), campaign_id, interval)
    )
    if as_json:
        print(json.dumps(info, default=str, indent=2))
        return
    table = Table("field", "value", show_header=False)
    for key in (
        "id",
        "name",
        "status",
        "waiting_reason",
        "next_send_at",
        "purpose",
        "method",
        "progress",
        "rate_per_s",
        "eta_s",
        "started_at",
        "finished_at",
        "failure_reason",
    ):
        table.add_row(key, "" if info[key] is None else str(info[key]))
    for key, value in info["counts"]["by_status"].items():
        if value:
            table.add_row(f"recipients {key}", f"{value:,}")
    out.print(table)


@app.command("list")
def list_(
    tenant: Annotated[str | None, typer.Option(help="Only this tenant's.")] = None,
    status_: Annotated[str | None, typer.Option("--status", help="Only this status.")] = None,
    limit: int = 20,
) -> None:
    """The newest campaigns."""
    from dispatcher.cli import out

    engine = _engine()
    clauses: list[str] = []
    params: dict[str, Any] = {"limit": limit}
    if tenant:
        clauses.append("t.name = :tenant")
        params["tenant"] = tenant
    if status_:
        clauses.append("k.status = :status")
        params["status"] = status_
    where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
    with engine.connect() as conn:
        sql = (
            "SELECT k.id, t.name AS tenant, k.name, k.status, k.waiting_reason, k.sendable, "
            "k.created_at FROM campaign k JOIN tenant t ON t.id = k.tenant_id "
            + where  # built above from fixed clauses; the values are bound parameters
            + " ORDER BY k.id DESC LIMIT :limit"
        )
        rows = conn.execute(
            text(sql),
            params,
        ).all()
    table = Table("id", "tenant", "name", "status", "waiting", "numbers", "created")
    for r in rows:
        table.add_row(
            str(r.id),
            r.tenant,
            r.name,
            r.status,
            r.waiting_reason or "",
            f"{r.sendable:,}",
            f"{r.created_at:%Y-%m-%d %H:%M}",
        )
    out.print(table)


def _act(action: str, campaign_id: int) -> None:
    from dispatcher.cli import out

    engine = _engine()
    tenant = _owner(engine, campaign_id)
    result = getattr(campaigns, action)(engine, tenant, campaign_id)
    out.print(json.dumps(result), highlight=False)


@app.command("pause")
def pause(campaign_id: int) -> None:
    """Pause: no block of it starts after this."""
    _act("pause", campaign_id)


@app.command("resume")
def resume(campaign_id: int) -> None:
    _act("resume", campaign_id)


@app.command("cancel")
def cancel(campaign_id: int) -> None:
    """Cancel what is not sent yet; a block at the provider finishes."""
    _act("cancel", campaign_id)


@app.command("requeue-uncertain")
def requeue_uncertain(campaign_id: int) -> None:
    """Send the uncertain numbers again: only when you know they did not go out."""
    from dispatcher.cli import out

    engine = _engine()
    moved = feeder.requeue_uncertain(engine, campaign_id)
    out.print(f"{moved:,} uncertain numbers of campaign {campaign_id} will be sent again")
