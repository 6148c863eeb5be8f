"""``pregonero exclusions ...``, ``pregonero retention run``, ``pregonero privacy ...``:
lists by purpose, how long records stay, and a data subject's requests."""

from __future__ import annotations

import json
import re
from datetime import datetime
from pathlib import Path
from typing import Annotated

import typer

from dispatcher.cli.common import engine, err, friendly, out
from dispatcher.cli.lists import _number, _output, _reading, _stream_csv, print_invalid
from dispatcher.domain.status import Purpose
from dispatcher.errors import ValidationFailed
from dispatcher.intake.sources import csv_numbers
from dispatcher.settings import Settings, get_settings
from dispatcher.store import exclusions, privacy, retention

exclusions_app = typer.Typer(
    no_args_is_help=True,
    help="Exclusion lists by purpose (the CRC's RNE, a company's own do-not-market list).",
)
retention_app = typer.Typer(
    no_args_is_help=True, help="Retention: delete the recipients of old finished campaigns."
)
privacy_app = typer.Typer(
    no_args_is_help=True, help="A data subject's requests (Ley 1581): find or erase a number."
)

LIST_NAME = re.compile(r"^[a-z0-9][a-z0-9_-]{0,49}$")
BY = "cli"


def purposes_of(text: str) -> list[str]:
    names = [p.strip().lower() for p in text.split(",") if p.strip()]
    known = {p.value for p in Purpose}
    bad = [p for p in names if p not in known]
    if bad or not names:
        raise ValidationFailed(
            f"--purposes {text!r}: name one or more of {', '.join(sorted(known))}, comma-separated"
        )
    return sorted(set(names))


def list_name(name: str) -> str:
    if not LIST_NAME.match(name):
        raise ValidationFailed(
            f"{name!r} is not a list name: lowercase letters, digits, - and _, up to 50 "
            "(for example rne or clientes-baja)"
        )
    return name


def taken_time(text: str | None, settings: Settings) -> datetime:
    if text is None:
        return settings.now()
    try:
        when = datetime.fromisoformat(text)
    except ValueError:
        raise ValidationFailed(
            f"--taken-at {text!r}: give a date (2026-12-01) or a time (2026-12-01T06:00-05:00)"
        ) from None
    return when if when.tzinfo else when.replace(tzinfo=settings.window.tz)


@exclusions_app.command("import")
@friendly
def import_list(
    file: Annotated[Path, typer.Argument(help="CSV with a number column, or a number a line.")],
    name: Annotated[str, typer.Option("--list", help="The list's name, e.g. rne.")],
    purposes: Annotated[
        str, typer.Option(help="Purposes it applies to: commercial,collection,transactional.")
    ],
    source: Annotated[str | None, typer.Option(help="Where it came from.")] = None,
    taken_at: Annotated[
        str | None, typer.Option(help="When its content was taken (default: now).")
    ] = None,
) -> None:
    """Replace a list's content with a file (streamed: millions of numbers are fine)."""
    settings = get_settings()
    name, chosen = list_name(name), purposes_of(purposes)
    with engine() as made, _reading(file) as (handle, progress, task):
        result = exclusions.replace_list(
            made,
            name,
            chosen,
            csv_numbers(handle),
            taken_at=taken_time(taken_at, settings),
            source=source or file.name,
            by=f"{BY} import {file.name}",
            region=settings.default_region,
            progress=lambda _n: progress.update(task, completed=handle.tell()),
        )
    out.print(
        f"list {name} ({', '.join(chosen)}): {result.size:,} numbers; {result.added:,} added, "
        f"{result.removed:,} removed, {result.invalid:,} invalid of {result.read:,} read",
        highlight=False,
    )
    print_invalid(result.invalid_sample)


@exclusions_app.command("list")
@friendly
def show_lists() -> None:
    """Every list: purposes, size, when its content was taken and how old it is."""
    settings = get_settings()
    now = settings.now()
    with engine() as made, made.connect() as conn:
        found = exclusions.lists(conn)
    if not found:
        out.print("no exclusion lists (`pregonero exclusions import --list NAME ...` makes one)")
    for x in found:
        out.print(
            f"{x.name}  {','.join(x.purposes)}  {x.size:,} numbers  taken "
            f"{x.taken_at.astimezone(settings.window.tz):%Y-%m-%d %H:%M} "
            f"({x.age_days(now)} days ago)  source {x.source or '-'}",
            highlight=False,
        )


@exclusions_app.command("export")
@friendly
def export_list(
    name: Annotated[str, typer.Option("--list", help="The list.")],
    out_file: Annotated[Path | None, typer.Option("--out", help="File (default: stdout).")] = None,
) -> None:
    """A list's numbers as CSV."""
    with engine() as made, _output(out_file) as target:
        n = _stream_csv(exclusions.export(made, name), target)
    err.print(f"{n:,} numbers", highlight=False)


@exclusions_app.command("remove")
@friendly
def remove_list(name: Annotated[str, typer.Option("--list", help="The list.")]) -> None:
    """Delete a list: its numbers are no longer left out of any campaign."""
    with engine() as made, made.begin() as conn:
        size = exclusions.remove(conn, name)
    out.print(f"list {name} removed ({size:,} numbers)", highlight=False)


@retention_app.command("run")
@friendly
def run_retention(
    dry_run: Annotated[bool, typer.Option(help="Only print what would go.")] = False,
) -> None:
    """Delete the recipients, texts and replies of campaigns finished more than their
    tenant's retention ago (RETENTION_DAYS; `pregonero tenant retention`).  Campaigns
    keep their counts; their recipient export answers 410."""
    settings = get_settings()
    now = settings.now()
    with engine() as made:
        swept = retention.run(
            made,
            now,
            settings.retention_days,
            dry_run=dry_run,
            progress=lambda line: err.print(line, highlight=False),
        )
    for d in swept.campaigns if dry_run else ():
        out.print(
            f"campaign {d.campaign_id} ({d.tenant}): finished {d.finished_at:%Y-%m-%d}, "
            f"kept {d.days} days, {d.rows:,} rows",
            highlight=False,
        )
    verb = "would delete" if dry_run else "deleted"
    out.print(
        f"{verb} {swept.rows:,} rows of {len(swept.campaigns):,} campaigns"
        + (f"; {len(swept.partitions_dropped)} partitions dropped" if not dry_run else ""),
        highlight=False,
    )


@privacy_app.command("find")
@friendly
def find(number: Annotated[str, typer.Option("--number", help="The number, as written.")]) -> None:
    """Everything stored about a number, as JSON: campaigns, statuses, times, replies,
    suppressions, exclusion lists, and its erasures (who, why, when)."""
    settings = get_settings()
    with engine() as made:
        found = privacy.find(made, settings, _number(number, settings))
    print(json.dumps(found, indent=2, ensure_ascii=False))


@privacy_app.command("erase")
@friendly
def erase(
    number: Annotated[str, typer.Option("--number", help="The number, as written.")],
    why: Annotated[str, typer.Option(help="The request it answers (kept in the audit).")],
) -> None:
    """Replace a number with its keyed hash everywhere, delete its reply texts, and keep
    it suppressed by the hash for every later campaign (audited: who, why, when)."""
    settings = get_settings()
    if not why.strip():
        raise ValidationFailed("--why must say which request this answers")
    with engine() as made:
        done = privacy.erase(made, settings, _number(number, settings), BY, why.strip())
    print(json.dumps(done, indent=2, ensure_ascii=False))
