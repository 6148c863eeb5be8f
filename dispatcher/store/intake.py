"""Writing a new campaign: its row, every recipient by COPY, its ``ready`` chunks and its
counts, all in the caller's one transaction."""

from __future__ import annotations

import tempfile
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any, Protocol

from psycopg import Connection as PgConnection
from sqlalchemy import Connection, bindparam, case, exists, func, insert, literal, select, update
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.exc import IntegrityError

from dispatcher.domain.status import CampaignStatus, ChunkStatus, RecipientStatus
from dispatcher.errors import Conflict
from dispatcher.store import feeding
from dispatcher.store.tables import COUNTERS, Campaign, ProviderAccount

COPY_RECIPIENTS = (
    "COPY recipient (campaign_id, n, line, chunk_seq, msisdn, status, reason, text_id, detail) "
    "FROM STDIN"
)
_TEXTS_IN_MEMORY = 4 * 1024 * 1024
COPY_TEXTS = "COPY campaign_text (campaign_id, id, text, encoding, segments) FROM STDIN"
COPY_CHUNKS = (
    "COPY chunk (campaign_id, seq, size, status, not_before, n_lo, n_hi, text_id) FROM STDIN"
)


@dataclass(frozen=True, slots=True)
class Batch:
    """A batch of recipient rows as COPY text (``campaign_id, n, line, chunk_seq, msisdn,
    status, reason, text_id, detail``) and the rows of the texts first met in it
    (``campaign_id, id, text, encoding, segments``)."""

    recipients: str
    texts: str


class ChunkCuts(Protocol):
    """Intake's chunks, one entry per seq: size, first and last n, text."""

    @property
    def chunk_size(self) -> Iterable[int]: ...
    @property
    def chunk_lo(self) -> Iterable[int]: ...
    @property
    def chunk_hi(self) -> Iterable[int]: ...
    @property
    def chunk_text(self) -> Iterable[int]: ...


@dataclass(frozen=True, slots=True)
class Tally:
    submitted: int
    sendable: int
    invalid: int
    duplicate: int
    suppressed: int


# Every campaign is created and counted with these two: built once, not per request.
_CREATE_FIELDS = (
    "tenant_id", "account", "name", "message", "method", "purpose", "priority", "start_at",
    "waiting_reason", "next_send_at", "expires_at", "idempotency_key", "callback_url",
    "reply_url", "encoding", "segments", "transliterate", "test",
)  # fmt: skip


_CREATE = (
    insert(Campaign)
    .from_select(
        ["status", "request_hash", *_CREATE_FIELDS],
        select(
            literal(CampaignStatus.SCHEDULED.value),
            literal("pending"),
            *(
                bindparam(f"v_{name}", type_=Campaign.__table__.c[name].type)
                for name in _CREATE_FIELDS
            ),
        ).where(exists().where(ProviderAccount.name == bindparam("v_account"))),
    )
    .returning(Campaign.id)
)


def create_campaign(conn: Connection, fields: dict[str, Any]) -> int | None:
    """The campaign row, ``scheduled``; None, changing nothing, when its account has no
    row yet (``accounts.sync`` makes it); Conflict when the idempotency key is taken."""
    if unknown := set(fields).difference(_CREATE_FIELDS):
        raise ValueError(f"not a campaign field here: {', '.join(sorted(unknown))}")
    params = {f"v_{name}": fields.get(name) for name in _CREATE_FIELDS}
    params["v_transliterate"] = bool(fields.get("transliterate"))
    params["v_test"] = bool(fields.get("test"))
    try:
        campaign_id = conn.execute(_CREATE, params).scalar()
    except IntegrityError:
        raise Conflict("idempotency_key") from None
    return None if campaign_id is None else int(campaign_id)


def copy_recipients(conn: Connection, batches: Iterable[Batch]) -> None:
    """Recipient rows and the texts they point at, batch by batch: nothing is held whole
    in memory.  The recipients go in one COPY, so Postgres stores a batch while the next
    is made (one COPY a batch would wait for each); the texts wait in a spool file (on
    disk past 4 MB) and follow in a second COPY."""
    raw: PgConnection[Any] = conn.connection.driver_connection  # type: ignore[assignment]
    with (
        tempfile.SpooledTemporaryFile(max_size=_TEXTS_IN_MEMORY, mode="w+") as texts,
        raw.cursor() as cur,
    ):
        with cur.copy(COPY_RECIPIENTS) as copy:
            for batch in batches:
                copy.write(batch.recipients)
                if batch.texts:
                    texts.write(batch.texts)
        texts.seek(0)
        with cur.copy(COPY_TEXTS) as copy:
            while block := texts.read(1 << 20):
                copy.write(block)


def cut_chunks(
    conn: Connection, campaign_id: int, cuts: ChunkCuts, not_before: datetime | None
) -> None:
    """The ``ready`` chunks, by COPY: a campaign of a million texts has a million."""
    raw: PgConnection[Any] = conn.connection.driver_connection  # type: ignore[assignment]
    when = "\\N" if not_before is None else not_before.isoformat()
    head = f"{campaign_id}\t"
    ready = ChunkStatus.READY.value
    with raw.cursor() as cur, cur.copy(COPY_CHUNKS) as copy:
        rows: list[str] = []
        for seq, (size, lo, hi, text) in enumerate(
            zip(cuts.chunk_size, cuts.chunk_lo, cuts.chunk_hi, cuts.chunk_text, strict=True)
        ):
            rows.append(f"{head}{seq}\t{size}\t{ready}\t{when}\t{lo}\t{hi}\t{text}\n")
            if len(rows) >= 10_000:
                copy.write("".join(rows))
                rows.clear()
        if rows:
            copy.write("".join(rows))


# Intake's last statement, right before its commit: the counts, and whether the account
# is paused, read FOR SHARE.  A pause committed before this is seen: the campaign waits
# for the account from the start (a pause's reasons are waiting reasons of the same
# name).  A pause that comes after must wait for this transaction's commit to change the
# account's row, and then marks this campaign with the others (``accounts.pause``): no
# campaign is stored "queued to send" on a paused account.  Locked only for the time
# between this statement and the commit, never while the recipients are copied.
_ACCOUNT = (
    select(ProviderAccount.name, ProviderAccount.paused, ProviderAccount.pause_reason)
    .where(ProviderAccount.name == bindparam("its_account"))
    .with_for_update(read=True)
    .cte("account_now")
)
_COUNTS = (
    update(Campaign)
    .where(Campaign.id == bindparam("cid"), Campaign.account == _ACCOUNT.c.name)
    .values(
        {
            # (UPDATE ... FROM account_now: the row is locked whatever the campaign waits for)
            Campaign.waiting_reason: func.coalesce(
                Campaign.waiting_reason, case((_ACCOUNT.c.paused, _ACCOUNT.c.pause_reason))
            ),
            Campaign.submitted: bindparam("submitted"),
            Campaign.sendable: bindparam("sendable"),
            Campaign.invalid: bindparam("invalid"),
            Campaign.duplicate: bindparam("duplicate"),
            Campaign.suppressed: bindparam("suppressed"),
            Campaign.chunks: bindparam("n_chunks"),
            Campaign.request_hash: bindparam("digest"),
            Campaign.plan: bindparam("plan", type_=JSONB),
            Campaign.encoding: bindparam("encoding"),
            Campaign.segments: bindparam("segments"),
            COUNTERS[RecipientStatus.PENDING]: bindparam("sendable"),
            COUNTERS[RecipientStatus.INVALID]: bindparam("invalid"),
            COUNTERS[RecipientStatus.SUPPRESSED]: bindparam("suppressed"),
        }
    )
)


def record_counts(
    conn: Connection,
    campaign_id: int,
    account: str,
    tally: Tally,
    chunks: int,
    request_hash: str,
    plan: dict[str, Any],
    encoding: str,
    segments: int,
) -> None:
    """Intake's counts, the counters the engine moves from here on, and the account's
    pause (see ``_ACCOUNT``).  The last statement before intake commits."""
    params = {
        "cid": campaign_id,
        "its_account": account,
        "n_chunks": chunks,
        "digest": request_hash,
        "plan": plan,
        "encoding": encoding,
        "segments": segments,
    }
    conn.execute(_COUNTS, {**asdict(tally), **params})
    feeding.announce_ready(conn)


def record_checks(conn: Connection, campaign_id: int, checks: dict[str, Any]) -> None:
    """The rules intake applied (window, Ley 2300, exclusion lists), for the evidence."""
    conn.execute(
        update(Campaign)
        .where(Campaign.id == campaign_id)
        .values(checks=bindparam("checks", type_=JSONB)),
        {"checks": checks},
    )
