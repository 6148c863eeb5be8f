"""``pregonero suppress ...`` and ``pregonero report ...``: the suppression list and the
reports by date range, from the operator's command line (every tenant, or one)."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Annotated, Any

import typer
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn

from dispatcher.accounts import accounts_for
from dispatcher.cli.common import engine, err, friendly, literal, out
from dispatcher.domain.numbers import InvalidSample, normalise
from dispatcher.domain.period import BadPeriod, Period, period
from dispatcher.domain.status import SuppressionSource
from dispatcher.errors import ValidationFailed
from dispatcher.intake.sources import csv_numbers
from dispatcher.settings import Settings, get_settings
from dispatcher.store import reads, reports, suppressions

suppress_app = typer.Typer(no_args_is_help=True, help="The suppression list, per account.")
report_app = typer.Typer(no_args_is_help=True, help="Reports by date range (Bogota dates).")

AccountOpt = Annotated[
    str | None, typer.Option(help="One provider account (default: every account).")
]
BY = "cli"


def _number(raw: str, settings: Settings) -> str:
    number = normalise(raw, settings.default_region)
    if number.msisdn is None:
        raise ValidationFailed(f"{raw!r} is not a phone number we can send to ({number.reason})")
    return number.msisdn


@suppress_app.command("add")
@friendly
def add(
    numbers: Annotated[list[str], typer.Argument(help="Numbers, as written.")],
    account: AccountOpt = None,
    reason: Annotated[str, typer.Option(help="Why (kept with the number).")] = "operator",
) -> None:
    """Put a few numbers on the list."""
    settings = get_settings()
    names = accounts_for(settings, account)
    msisdns = [_number(n, settings) for n in numbers]
    with engine() as made, made.begin() as conn:
        added = suppressions.add(
            conn, names, msisdns, reason=reason, source=SuppressionSource.IMPORT, by=BY
        )
    out.print(
        f"{added} added ({len(msisdns) * len(names) - added} already there) on {', '.join(names)}"
    )


@suppress_app.command("remove")
@friendly
def remove(
    number: Annotated[str, typer.Argument(help="The number.")],
    why: Annotated[str, typer.Option(help="Why it may be sent to again (audited).")],
    account: AccountOpt = None,
) -> None:
    """Take a number off the list (audited with who and why)."""
    settings = get_settings()
    msisdn = _number(number, settings)
    names = accounts_for(settings, account)
    removed: list[str] = []
    with engine() as made, made.begin() as conn:
        listed, _ = suppressions.page(conn, names, msisdn, None, 100)
        for row in listed:
            suppressions.remove(conn, row.account, msisdn, BY, why)
            removed.append(row.account)
    if not removed:
        raise ValidationFailed(f"{msisdn} is not on the list of {', '.join(names)}")
    out.print(f"{msisdn} removed from {', '.join(removed)}")


@contextmanager
def _reading(path: Path) -> Iterator[tuple[IO[bytes], Progress, Any]]:
    size = path.stat().st_size
    with (
        path.open("rb") as handle,
        Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            DownloadColumn(),
            TimeRemainingColumn(),
            console=err,
        ) as progress,
    ):
        task = progress.add_task("reading", total=size)
        yield handle, progress, task


@suppress_app.command("import")
@friendly
def import_(
    file: Annotated[Path, typer.Argument(help="CSV: one number per line, or a msisdn column.")],
    account: AccountOpt = None,
    reason: Annotated[
        str, typer.Option(help="Why, e.g. rne (Registro de Números Excluidos).")
    ] = "import",
) -> None:
    """Import a list (a million numbers is fine: streamed), with a progress bar."""
    settings = get_settings()
    names = accounts_for(settings, account)
    with engine() as made, _reading(file) as (handle, progress, task):
        result = suppressions.import_numbers(
            made,
            names,
            csv_numbers(handle),
            reason=reason,
            source=SuppressionSource.IMPORT,
            by=f"{BY} import {file.name}",
            region=settings.default_region,
            progress=lambda _n: progress.update(task, completed=handle.tell()),
        )
    out.print(
        f"{result.read:,} read: {result.added:,} added, {result.already:,} already there, "
        f"{result.invalid:,} invalid, {result.repeated:,} repeated; accounts {', '.join(names)}",
        highlight=False,
    )
    print_invalid(result.invalid_sample)


def print_invalid(samples: list[InvalidSample]) -> None:
    """The first few invalid lines of an import, each with why."""
    for sample in samples[:5]:
        out.print(f"  line {sample.line}: {literal(repr(sample.value))} {sample.reason}")


@suppress_app.command("export")
@friendly
def export(
    account: AccountOpt = None,
    out_file: Annotated[Path | None, typer.Option("--out", help="File (default: stdout).")] = None,
) -> None:
    """The list as CSV."""
    settings = get_settings()
    names = accounts_for(settings, account)
    with engine() as made, _output(out_file) as target:
        n = _stream_csv(suppressions.export(made, names), target)
    err.print(f"{n:,} numbers", highlight=False)


@contextmanager
def _output(path: Path | None) -> Iterator[IO[str]]:
    if path is None:
        yield sys.stdout
        return
    with path.open("w", newline="", encoding="utf-8") as handle:
        yield handle


# -- reports ------------------------------------------------------------------------------
From = Annotated[str, typer.Option("--from", help="YYYY-MM-DD (Bogota) or a timestamp.")]
To = Annotated[str, typer.Option("--to", help="YYYY-MM-DD, included, or a timestamp.")]
TenantOpt = Annotated[str | None, typer.Option(help="One tenant (default: every tenant).")]
OutOpt = Annotated[Path | None, typer.Option("--out", help="CSV file (default: stdout).")]


def _span(start: str, end: str, settings: Settings) -> Period:
    try:
        return period(start, end, settings.window.tz)
    except BadPeriod as exc:
        raise ValidationFailed(str(exc)) from None


def _tenant(made: Any, tenant: str | None) -> int | None:
    return None if tenant is None else reads.tenant_id(made, tenant)


def _stream_csv(chunks: Iterator[str], target: IO[str]) -> int:
    """Write a CSV stream, counting its lines, with a spinner of rows written."""
    lines = -1  # the header
    with Progress(
        TextColumn("[bold]{task.description}"), TextColumn("{task.completed:,} rows"), console=err
    ) as progress:
        task = progress.add_task("writing", total=None)
        for chunk in chunks:
            target.write(chunk)
            lines += chunk.count("\n")
            progress.update(task, completed=max(lines, 0))
    return max(lines, 0)


@report_app.command("outcomes")
@friendly
def outcomes(start: From, to: To, tenant: TenantOpt = None, out_file: OutOpt = None) -> None:
    """Every recipient whose outcome changed in the range, as CSV."""
    settings = get_settings()
    span = _span(start, to, settings)
    with engine() as made, _output(out_file) as target:
        n = _stream_csv(reports.outcomes_csv(made, span, _tenant(made, tenant)), target)
    err.print(f"{n:,} recipients", highlight=False)


@report_app.command("inbound")
@friendly
def inbound(start: From, to: To, tenant: TenantOpt = None, out_file: OutOpt = None) -> None:
    """Replies received in the range, as CSV."""
    settings = get_settings()
    span = _span(start, to, settings)
    with engine() as made, _output(out_file) as target:
        n = _stream_csv(reports.inbound_csv(made, span, _tenant(made, tenant), None), target)
    err.print(f"{n:,} replies", highlight=False)


@report_app.command("summary")
@friendly
def summary(
    start: From,
    to: To,
    tenant: TenantOpt = None,
    group: Annotated[str, typer.Option(help="day or campaign.")] = "day",
    out_file: OutOpt = None,
) -> None:
    """Recipients by status and the segments charged, per day or per campaign."""
    if group not in ("day", "campaign"):
        raise ValidationFailed("--group is day or campaign")
    settings = get_settings()
    span = _span(start, to, settings)
    with engine() as made:
        rows = reports.summary(made, span, _tenant(made, tenant), group, settings.timezone)  # type: ignore[arg-type]
    keys = ["day"] if group == "day" else ["campaign_id", "campaign_name"]
    header = [*keys, *reports.SUMMARY_COUNTS]
    lines = (
        [
            *([r.day] if group == "day" else [r.campaign_id, r.campaign_name]),
            *(r.counts[k] for k in reports.SUMMARY_COUNTS),
        ]
        for r in rows
    )
    with _output(out_file) as target:
        for piece in reads.csv_lines(header, lines):
            target.write(piece)
