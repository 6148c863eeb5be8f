"""``pregonero campaign ...``: the operator's view of campaigns (any tenant)."""

from __future__ import annotations

import time
import uuid
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import BarColumn, Progress, TextColumn
from rich.table import Table
from sqlalchemy import Engine

from dispatcher import intake
from dispatcher.api.schemas import CampaignDetail
from dispatcher.cli.common import engine, friendly, literal, out
from dispatcher.domain.forecast import plan_lines
from dispatcher.domain.message import Method
from dispatcher.domain.status import CAMPAIGN_FINAL, CampaignStatus, Purpose, RecipientStatus
from dispatcher.domain.times import human
from dispatcher.engine import steer
from dispatcher.intake.sources import CsvNumbers
from dispatcher.settings import get_settings
from dispatcher.store import reads
from dispatcher.store.steering import Steered

app = typer.Typer(no_args_is_help=True, help="Submit, watch and steer campaigns.")
CampaignId = Annotated[
    int, typer.Argument(help="The campaign's id (`pregonero campaign list` shows them).")
]


class CloseAs(StrEnum):
    accepted = "accepted"
    rejected = "rejected"


DETAIL_FIELDS = (
    "id",
    "name",
    "state",
    "status",
    "waiting_reason",
    "message",
    "start_at",
    "next_send_at",
    "purpose",
    "method",
    "progress",
    "sent",
    "rate_per_s",
    "eta_s",
    "started_at",
    "finished_at",
    "failure_reason",
    "attention",
)


def watch(
    engine: Engine, campaign_id: int, clock: reads.Clock, poll_s: float = 1.0
) -> CampaignDetail:
    """A progress bar until the campaign is finished; returns its last detail."""
    with Progress(
        TextColumn("[bold]campaign {task.fields[cid]}[/bold] {task.fields[status]}"),
        BarColumn(),
        TextColumn("{task.completed:,.0f}/{task.total:,.0f}"),
        TextColumn("{task.fields[eta]}"),
        TextColumn("{task.fields[waiting]}"),
    ) as progress:
        task = progress.add_task("send", total=1, cid=campaign_id, status="", eta="", waiting="")
        # (the columns show numbers and our own words only: no tenant text)
        while True:
            info = CampaignDetail.of(reads.campaign_detail(engine, None, campaign_id, clock), clock)
            sendable = max(info.sendable, 1)
            done = sendable - info.recipients[RecipientStatus.PENDING]
            waiting = f"waiting: {info.waiting_reason}" if info.waiting_reason else ""
            if info.next_send_at:
                waiting += f" until {human(info.next_send_at, clock.tz)}"
            progress.update(
                task,
                total=sendable,
                completed=done,
                status=info.status,
                eta=_eta(info.eta_s),
                waiting=waiting,
            )
            if info.status in CAMPAIGN_FINAL:
                return info
            time.sleep(poll_s)


def _eta(eta_s: float | None) -> str:
    """The API's ETA, so the two never disagree."""
    if eta_s is None:
        return "ETA: when resumed"
    minutes, seconds = divmod(int(eta_s), 60)
    hours, minutes = divmod(minutes, 60)
    return f"ETA {hours}:{minutes:02d}:{seconds:02d}"


@app.command("submit")
@friendly
def submit(
    file: Annotated[
        Path,
        typer.Argument(
            help="CSV: one number per line, or a header row naming the columns (the numbers' "
            "and the fields the message's {{placeholders}} use)."
        ),
    ],
    tenant: Annotated[str, typer.Option(help="The tenant it belongs to.")],
    name: Annotated[str, typer.Option(help="Campaign name.")],
    message: Annotated[
        str, typer.Option(help="The text; {{column}} is filled from each row's column.")
    ],
    method: Annotated[Method, typer.Option(help="metodo_envio.")] = Method.ONE_WAY,
    purpose: Annotated[
        Purpose, typer.Option(help="Ley 2300 applies to commercial and collection.")
    ] = Purpose.TRANSACTIONAL,
    priority: Annotated[str, typer.Option(help="normal or high.")] = "normal",
    account: Annotated[
        str | None, typer.Option(help="Provider account (default: the first for the method).")
    ] = None,
    reply_url: Annotated[
        str | None, typer.Option(help="2via: where each reply is POSTed (signed).")
    ] = None,
    transliterate: Annotated[
        bool, typer.Option(help="Convert the texts to GSM-7 where a character has an equivalent.")
    ] = False,
    number_column: Annotated[
        str | None, typer.Option(help="The column with the numbers (default: found by name).")
    ] = None,
    wait: Annotated[bool, typer.Option(help="Show progress until it finishes.")] = False,
) -> None:
    """Submit a campaign from a CSV file (the same rules as the API)."""
    settings = get_settings()
    spec = intake.CampaignSpec(
        name=name,
        message=message,
        method=method,
        purpose=purpose,
        priority=priority,
        account=account,
        reply_url=reply_url,
        transliterate=transliterate,
    )
    with engine() as made, file.open("rb") as handle:
        tenant_id = reads.tenant_id(made, tenant)
        result = intake.submit(
            made,
            settings,
            tenant_id,
            spec,
            CsvNumbers(handle, number_column),
            request_hash=uuid.uuid4().hex,
        )
        # First what is stored, before anything that could fail: it must not be sent twice.
        print(f"campaign {result.campaign_id} stored", flush=True)
        c = result.counts
        out.print(
            f"{c.sendable:,} to send in {result.chunks} blocks "
            f"({c.invalid:,} invalid, {c.duplicate:,} duplicate, {c.suppressed:,} suppressed); "
            f"about {result.chunks * settings.block_interval_s:,.0f} s at the account's pace",
            highlight=False,
        )
        for sample in result.invalid_sample[:5]:
            out.print(
                f"  line {sample.line}: {literal(repr(sample.value))} {sample.detail}",
                highlight=False,
            )
        for label, line in plan_lines(result.plan, settings.window.tz):
            out.print(f"{label}: {literal(line)}", highlight=False)
        if wait:
            watch(made, result.campaign_id, reads.Clock.of(settings))


@app.command("status")
@friendly
def status(
    campaign_id: CampaignId,
    wait: Annotated[bool, typer.Option(help="Show progress until it finishes.")] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the API's JSON (GET /v1/campaigns/{id}).")
    ] = False,
) -> None:
    """Counts, progress, waiting reason and ETA of one campaign."""
    settings = get_settings()
    clock = reads.Clock.of(settings)
    with engine() as made:
        info = (
            watch(made, campaign_id, clock)
            if wait
            else CampaignDetail.of(reads.campaign_detail(made, None, campaign_id, clock), clock)
        )
    if as_json:  # the API's shape: GET /v1/campaigns/{id}
        print(info.model_dump_json(indent=2))
        return
    fields = info.model_dump()
    table = Table("field", "value", show_header=False)
    for key in DETAIL_FIELDS:
        value = fields[key]
        shown = human(value, clock.tz, "") if isinstance(value, datetime) else value
        table.add_row(key, literal(shown))
    for key, value in info.recipients.items():
        if value:
            table.add_row(f"recipients {key}", f"{value:,}")
    for label, line in plan_lines(info.plan, clock.tz) if info.plan else []:
        table.add_row(label, literal(line))
    out.print(table)


@app.command("list")
@friendly
def list_(
    tenant: Annotated[str | None, typer.Option(help="Only this tenant's.")] = None,
    status_: Annotated[
        CampaignStatus | None, typer.Option("--status", help="Only this status.")
    ] = None,
    limit: Annotated[int, typer.Option(help="How many, newest first.")] = 20,
) -> None:
    """The newest campaigns."""
    with engine() as made:
        rows = reads.operator_list(made, tenant, status_, limit)
    tz = get_settings().window.tz
    table = Table("id", "tenant", "name", "status", "waiting", "numbers", "created")
    for r in rows:
        table.add_row(
            str(r.id),
            literal(r.tenant),
            literal(r.name),
            r.status,
            r.waiting_reason or "",
            f"{r.sendable:,}",
            human(r.created_at, tz),
        )
    out.print(table)


def _steered(result: Steered) -> str:
    said = f"campaign {result.id}: {result.status}"
    if result.cancelled_recipients:
        said += f" ({result.cancelled_recipients:,} unsent numbers cancelled)"
    return said


@app.command("pause")
@friendly
def pause(campaign_id: CampaignId) -> None:
    """Pause: no block of it starts after this; a block at the provider finishes."""
    with engine() as made:
        out.print(_steered(steer.pause_campaign(made, campaign_id, None)), highlight=False)


@app.command("resume")
@friendly
def resume(campaign_id: CampaignId) -> None:
    """Resume a paused campaign: sending goes on at its account's pace."""
    with engine() as made:
        out.print(_steered(steer.resume_campaign(made, campaign_id, None)), highlight=False)


@app.command("cancel")
@friendly
def cancel(campaign_id: CampaignId) -> None:
    """Cancel what is not sent yet; a block at the provider finishes."""
    with engine() as made:
        out.print(_steered(steer.cancel_campaign(made, campaign_id, None)), highlight=False)


@app.command("requeue-uncertain")
@friendly
def requeue_uncertain(campaign_id: CampaignId) -> None:
    """Send the uncertain numbers again: only when you know they did not go out."""
    with engine() as made:
        moved = steer.requeue_uncertain(made, campaign_id, None)
    out.print(f"{moved:,} uncertain numbers of campaign {campaign_id} will be sent again")


@app.command("close-uncertain")
@friendly
def close_uncertain(
    campaign_id: CampaignId,
    as_: Annotated[
        CloseAs,
        typer.Option("--as", help="What the provider's web report says happened to them."),
    ],
) -> None:
    """Record what the provider's report says about the uncertain recipients."""
    with engine() as made:
        closed = steer.close_uncertain(made, campaign_id, None, RecipientStatus(as_.value))
    out.print(f"{closed:,} uncertain numbers of campaign {campaign_id} closed as {as_.value}")
