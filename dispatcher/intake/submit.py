"""The producer: validate a campaign, store it with its recipients, cut it into chunks.

Everything happens in one transaction: the campaign row, every recipient (COPY, one
pass, nothing held whole in memory but the numbers seen, 8 bytes each) and the ``ready``
chunks.  A failure at any point rolls everything back: nothing is half-stored.  The
chunk table is the outbox the feeder publishes from; intake never talks to Celery.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from itertools import chain, islice
from typing import Any

from sqlalchemy import Connection, Engine

from dispatcher.accounts import Account, account_for
from dispatcher.domain.contact import ContactLimit
from dispatcher.domain.forecast import PlanFacts, make_plan
from dispatcher.domain.numbers import FastNormaliser, InvalidSample
from dispatcher.domain.privacy import digest
from dispatcher.domain.status import LEY_2300, Reason, WaitingReason
from dispatcher.domain.template import Template
from dispatcher.domain.window import LEY_2300_HOURS, SendWindow, describe_window
from dispatcher.errors import ConfigError, ValidationFailed
from dispatcher.intake.rows import BATCH, RecipientRows
from dispatcher.intake.sources import NUMBER_COLUMNS, CsvNumbers, Entry, Fielded
from dispatcher.intake.spec import PRIORITIES, TEST_MAX, CampaignSpec, Checked, check_spec
from dispatcher.intake.texts import TextBook
from dispatcher.settings import Settings
from dispatcher.store import (
    accounts,
    exclusions,
    partitions,
    privacy,
    recipients,
    suppressions,
)
from dispatcher.store import intake as store
from dispatcher.store.intake import Tally

# Suppression lists up to this size are read once per intake; larger ones are asked per batch.
SUPPRESSION_PRELOAD_MAX = 250_000


@dataclass
class IntakeResult:
    campaign_id: int
    counts: Tally
    chunks: int
    encoding: str  # of the texts sent: GSM-7, UCS-2 or mixed
    segments: int  # the most segments a text takes
    invalid_sample: list[InvalidSample] = field(default_factory=list)
    # Commercial and collection: numbers the tenant's campaigns reached today (Ley 2300),
    # which wait for the next permitted day.  None for transactional campaigns.
    reached_today: int | None = None
    plan: dict[str, Any] = field(default_factory=dict)
    stored: bool = True  # False: a dry run, rolled back (campaign_id names nothing)


class _DryRun(Exception):
    pass


class _Blocked:
    """Which numbers of a batch must not be sent, and why: on the account's suppression
    list for the tenant (``suppression_list``), on an exclusion list of the campaign's
    purpose (``list:NAME``), or erased at a person's request (``erased``).  A campaign of
    one batch asks on intake's connection; a larger one on its own, as intake's is busy
    with the COPY."""

    def __init__(
        self,
        connect: Callable[[], AbstractContextManager[Connection]],
        account: str,
        tenant_id: int,
        lists: list[str],
        erased: set[str],
        privacy_key: bytes | None,
    ):
        self._connect, self._account, self._tenant = connect, account, tenant_id
        self._lists, self._erased, self._key = lists, erased, privacy_key
        self._all: set[str] | None = None
        self._decided = False

    def __call__(self, numbers: list[str]) -> dict[str, str]:
        if not numbers:
            return {}
        with self._connect() as conn:
            if not self._decided:  # a small list is read once, whole
                self._decided = True
                listed = suppressions.count(conn, self._account, self._tenant)
                if listed <= SUPPRESSION_PRELOAD_MAX:
                    self._all = suppressions.all_numbers(conn, self._account, self._tenant)
            if self._all is not None:
                suppressed = self._all.intersection(numbers)
            else:
                suppressed = suppressions.among(conn, self._account, numbers, self._tenant)
            blocked = exclusions.among(conn, self._lists, numbers)
        blocked.update(dict.fromkeys(suppressed, Reason.SUPPRESSION_LIST.value))
        if self._erased and self._key is not None:
            key, erased = self._key, self._erased
            blocked.update((m, Reason.ERASED.value) for m in numbers if digest(key, m) in erased)
        return blocked


def submit(
    engine: Engine,
    settings: Settings,
    tenant_id: int,
    spec: CampaignSpec,
    numbers: Iterable[tuple[int, str]] | Fielded,
    *,
    request_hash: str | Callable[[], str],
    idempotency_key: str | None = None,
    strict: bool = False,
    allowed_accounts: Collection[str] | None = None,
    now: datetime | None = None,
    dry_run: bool = False,
) -> IntakeResult:
    """Store a campaign with all its recipients, texts and chunks, or nothing at all.
    ``now``: the time it is submitted at (the system's clock by default).  ``dry_run``:
    everything is checked and counted as for real, then rolled back."""
    now = now or settings.now()
    account = account_for(settings, spec.method, spec.account, allowed_accounts)
    checked = check_spec(spec, account.links_allowed, settings.callback_allow_private)
    template = checked.template
    # The first moment at or after start_at that the provider's window and, for commercial
    # and collection messages, Ley 2300 allow: the campaign waits for that, and says why.
    starts = first_permitted(settings, spec)
    entries = iter(_entries(numbers, template))
    head = list(islice(entries, BATCH))  # all of a small campaign: read before the COPY
    small = len(head) < BATCH
    outcome: IntakeResult | None = None
    try:
        with engine.connect() as conn, conn.begin():
            outcome = _store(
                conn, engine, settings, tenant_id, spec, checked, account, starts,
                chain(head, entries), numbers, small, idempotency_key, strict, now,
            )  # fmt: skip
            digest = request_hash() if callable(request_hash) else request_hash
            store.record_counts(
                conn,
                outcome.campaign_id,
                account.name,
                outcome.counts,
                outcome.chunks,
                digest,
                outcome.plan,
                outcome.encoding,
                outcome.segments,
            )
            if dry_run:
                raise _DryRun
    except _DryRun:
        assert outcome is not None
        return replace(outcome, stored=False)
    return outcome


def _entries(numbers: Iterable[tuple[int, str]] | Fielded, template: Template) -> Iterable[Entry]:
    if isinstance(numbers, Fielded):
        return numbers.entries(template.used_keys)
    if template.personalised:
        raise ValidationFailed(
            f"the message uses {{{{{template.fields[0]}}}}} and the recipients have no fields: "
            "send a CSV whose header names the columns, or recipients as "
            '{"number": ..., "fields": {...}}',
            problems=[{"field": "message", "detail": "placeholders need recipients' fields"}],
        )
    return ((line, raw, ()) for line, raw in numbers)


def _store(
    conn: Connection,
    engine: Engine,
    settings: Settings,
    tenant_id: int,
    spec: CampaignSpec,
    checked: Checked,
    account: Account,
    starts: datetime | None,
    entries: Iterator[Entry],
    source: object,
    small: bool,
    idempotency_key: str | None,
    strict: bool,
    now: datetime,
) -> IntakeResult:
    info = checked.info
    fields = {
        "tenant_id": tenant_id,
        "account": account.name,
        "name": spec.name,
        "message": spec.message,
        "method": spec.method,
        "purpose": spec.purpose,
        "priority": PRIORITIES[spec.priority],
        "start_at": spec.start_at,
        # until the feeder starts it, it waits for its start time
        "waiting_reason": WaitingReason.START_AT if spec.start_at else None,
        "next_send_at": starts,
        "expires_at": spec.expires_at,
        "idempotency_key": idempotency_key,
        "callback_url": spec.callback_url,
        "reply_url": spec.reply_url,
        "encoding": info.encoding.value,
        "segments": info.segments,
        "transliterate": spec.transliterate,
        "test": spec.test,
    }
    campaign_id = store.create_campaign(conn, fields)
    if campaign_id is None:  # the account's first campaign in this database
        with engine.begin() as other:  # short: the long transaction must not hold it
            accounts.sync(other, [account])
        campaign_id = store.create_campaign(conn, fields)
        assert campaign_id is not None, "the account's row was just made"
    partitions.ensure(conn, campaign_id)
    lists = exclusions.lists(conn, spec.purpose)
    erased = privacy.erased(conn)
    key = privacy.key_of(settings)
    if erased and key is None:  # it could not tell those numbers: nothing is stored
        raise ConfigError(privacy.NO_KEY)
    # one batch: asked on this connection, then one COPY; else on another, batch by
    # batch, while the COPY runs
    connect: Callable[[], AbstractContextManager[Connection]] = (
        (lambda: nullcontext(conn)) if small else engine.connect
    )
    suppressed = _Blocked(connect, account.name, tenant_id, [x.name for x in lists], erased, key)
    texts = TextBook(
        campaign_id,
        checked.template,
        settings.chunk_size,
        transliterated=spec.transliterate,
        reserved_words=account.reserved_words,
        links_allowed=account.links_allowed,
        account=account.name,
    )
    rows = RecipientRows(
        campaign_id,
        TEST_MAX if spec.test else settings.max_recipients,
        FastNormaliser(settings.default_region),
        suppressed,
        texts,
    )
    if spec.test:
        rows.too_many = ": a test goes to the few numbers a person types"
    batches = rows.rows(entries)
    # One batch is made (asking this connection for suppressions) before the COPY starts.
    store.copy_recipients(conn, list(batches) if small else batches)
    tally = rows.tally
    _refuse_if_unsendable(tally, rows.sample, strict, _column_hint(source))
    store.cut_chunks(conn, campaign_id, texts, starts)
    reached = None
    limit = settings.contact_limit(spec.purpose)
    if limit is not None:
        period = limit.period(now.astimezone(settings.window.tz).date())
        reached = recipients.reached_in_period(conn, campaign_id, tenant_id, spec.purpose, period)
    window = settings.window_for(spec.purpose)
    checked_lists = [
        {**x.as_dict(now), "excluded": rows.suppressed_by[exclusions.REASON_PREFIX + x.name]}
        for x in lists
    ]
    store.record_checks(
        conn, campaign_id, _checks(settings, spec.purpose, window, limit, checked_lists)
    )
    figures = texts.figures()
    state = accounts.states(conn, [account.name])
    plan = make_plan(
        PlanFacts(
            **{f: getattr(figures, f) for f in _FIGURES},
            transliterated=spec.transliterate,
            reached_today=reached or 0,
            contact_limit=limit,
            lists=checked_lists,
            list_max_age_days=settings.exclusion_max_age_days
            if spec.purpose == "commercial"
            else None,
            chunk_size=settings.chunk_size,
            account=account.name,
            interval_s=account.block_interval_s,
            window=window,
            starts=starts or now,
            price_per_segment=account.price_per_segment,
            currency=account.currency,
            balance=state[0].last_balance if state else None,
            balance_read_at=state[0].checked_at if state else None,
        ),
        now,
    )
    return IntakeResult(
        campaign_id,
        tally,
        texts.chunks,
        texts.encoding(),
        texts.most_segments(),
        rows.sample,
        reached,
        plan,
    )


_FIGURES = (
    "texts", "requests", "numbers", "segments", "segments_as_written",
    "segments_transliterated", "gsm7_texts", "ucs2_texts", "ucs2_chars", "examples",
)  # fmt: skip


def _checks(
    settings: Settings,
    purpose: str,
    window: SendWindow,
    limit: ContactLimit | None,
    lists: list[dict[str, Any]],
) -> dict[str, Any]:
    """The rules that applied to the campaign, kept for an inspection (the evidence)."""
    ley = purpose in LEY_2300
    return {
        "purpose": purpose,
        "window": f"{settings.send_window} {settings.timezone} (the provider's, CRC)",
        "ley_2300_hours": LEY_2300_HOURS if ley else None,
        "window_applied": describe_window(window),
        "contact_limit": limit.text if limit else "none",
        "contact_limit_words": limit.words if limit else "no limit",
        "lists": [
            {"name": x["name"], "taken_at": x["taken_at"], "excluded": x["excluded"]} for x in lists
        ],
    }


def first_permitted(settings: Settings, spec: CampaignSpec) -> datetime | None:
    """When a campaign with a start time may first send: ``start_at`` itself when the
    window for its purpose is open then, else the next opening.  None without a start
    time (it goes as soon as the window allows)."""
    if spec.start_at is None:
        return None
    return settings.window_for(spec.purpose).next_open(spec.start_at) or spec.start_at


def _column_hint(source: object) -> str:
    guessed = source.guessed_column if isinstance(source, CsvNumbers) else []
    if not guessed:
        return ""
    return (
        f": the numbers were read from the first column, {guessed[0]!r}, as no column is "
        f"named {', '.join(NUMBER_COLUMNS)}; name the column or give number_column"
    )


def _sample_problems(sample: list[InvalidSample]) -> list[dict[str, str]]:
    return [
        {"field": "recipients", "detail": f"line {s.line}: {s.value!r} {s.detail}"} for s in sample
    ]


def _refuse_if_unsendable(
    tally: Tally, sample: list[InvalidSample], strict: bool, hint: str = ""
) -> None:
    extra = {"invalid_sample": [asdict(s) for s in sample], "counts": asdict(tally)}
    if tally.submitted == 0:
        raise ValidationFailed(
            "the campaign has no numbers",
            problems=[{"field": "recipients", "detail": "send at least one number"}],
        )
    if strict and tally.invalid:
        raise ValidationFailed(
            f"{tally.invalid} of {tally.submitted} numbers are invalid and strict=true refuses "
            "the whole campaign: fix them (see invalid_sample) or drop strict",
            problems=_sample_problems(sample),
            extra=extra,
        )
    if tally.sendable == 0:
        raise ValidationFailed(
            f"no number in the campaign can be sent ({tally.invalid} invalid, "
            f"{tally.suppressed} suppressed, {tally.duplicate} duplicate){hint}",
            problems=_sample_problems(sample),
            extra=extra,
        )
