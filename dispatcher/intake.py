"""The producer: validate a campaign, store it with its recipients, cut it into chunks.

Everything happens in one transaction: the campaign row, every recipient (COPY, one
pass, nothing held whole in memory but the set of numbers seen) and the ``ready``
chunks.  A failure at any point rolls everything back: nothing is half-stored.  The
chunk table is the outbox the feeder publishes from; intake never talks to Celery.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from psycopg import Connection as PgConnection
from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError

from dispatcher.accounts import account_for
from dispatcher.domain.message import MessageInfo, Method, inspect, problem_text
from dispatcher.domain.numbers import REASON_TEXT, FastNormaliser, InvalidReason, normalise
from dispatcher.errors import Conflict, ValidationFailed
from dispatcher.settings import Settings

BATCH = 10_000
SAMPLE_SIZE = 20
RAW_KEEP = 64
PRIORITIES = {"normal": 0, "high": 10}
# Suppression lists up to this size are read once per intake; larger ones are asked per batch.
SUPPRESSION_PRELOAD_MAX = 250_000


@dataclass(frozen=True)
class CampaignSpec:
    name: str
    message: str
    method: Method = Method.ONE_WAY
    purpose: str = "transactional"
    priority: str = "normal"
    start_at: datetime | None = None
    expires_at: datetime | None = None
    callback_url: str | None = None

    def canonical(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("start_at", "expires_at"):
            data[key] = data[key].isoformat() if data[key] else None
        data["method"] = self.method.value
        return data


@dataclass
class Counts:
    submitted: int = 0
    sendable: int = 0
    invalid: int = 0
    duplicate: int = 0
    suppressed: int = 0


@dataclass
class IntakeResult:
    campaign_id: int
    counts: Counts
    chunks: int
    message: MessageInfo
    invalid_sample: list[dict[str, Any]] = field(default_factory=list)
    created: bool = True


class RequestHasher:
    """The identity of a submission, for Idempotency-Key: the campaign's fields and the
    numbers' bytes (not the multipart boundary, which differs between retries)."""

    def __init__(self, spec: CampaignSpec, extra: dict[str, Any] | None = None):
        self._hash = hashlib.sha256()
        self._hash.update(json.dumps([spec.canonical(), extra or {}], sort_keys=True).encode())

    def update(self, data: bytes) -> None:
        self._hash.update(data)

    def hexdigest(self) -> str:
        return self._hash.hexdigest()


def check_spec(spec: CampaignSpec, settings: Settings, links_allowed: bool) -> MessageInfo:
    """Refuse what the provider would refuse, before storing anything."""
    problems: list[dict[str, str]] = []
    for name in ("name", "message", "callback_url"):
        if "\x00" in (getattr(spec, name) or ""):
            problems.append({"field": name, "detail": "remove the NUL (\\x00) character"})
    if not spec.name.strip():
        problems.append({"field": "name", "detail": "give the campaign a name"})
    info = inspect(spec.message)
    if info.problem is not None:
        problems.append({"field": "message", "detail": problem_text(info.problem, info.chars)})
    if info.has_link and not links_allowed:
        problems.append(
            {
                "field": "message",
                "detail": f"the message has a link ({info.links[0]}) and the provider account "
                "is not authorised for links (it would answer -10): remove the link, or ask the "
                "provider to enable links and set PREGONERO_PROVIDER_LINKS_ALLOWED=true",
            }
        )
    if spec.start_at and spec.expires_at and spec.expires_at <= spec.start_at:
        problems.append({"field": "expires_at", "detail": "expires_at must be after start_at"})
    if problems:
        raise ValidationFailed("the campaign cannot be sent as it is", problems=problems)
    return info


def _clean_raw(raw: str) -> str:
    raw = raw[:RAW_KEEP].replace("\x00", "")
    return raw.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


class _SuppressionCheck:
    def __init__(self, engine: Engine):
        self._engine = engine
        with engine.connect() as conn:
            total = conn.execute(text("SELECT count(*) FROM suppression")).scalar_one()
            self._all: set[str] | None = None
            if total <= SUPPRESSION_PRELOAD_MAX:
                self._all = set(conn.execute(text("SELECT msisdn FROM suppression")).scalars())

    def __call__(self, numbers: list[str]) -> set[str]:
        if not numbers:
            return set()
        if self._all is not None:
            return self._all.intersection(numbers)
        with self._engine.connect() as conn:
            rows = conn.execute(
                text("SELECT msisdn FROM suppression WHERE msisdn = ANY(:m)"), {"m": numbers}
            )
            return set(rows.scalars())


@dataclass
class _Writer:
    """Turns (line, raw) pairs into recipient rows, batch by batch."""

    campaign_id: int
    chunk_size: int
    max_recipients: int
    normaliser: FastNormaliser
    suppressed: Callable[[list[str]], set[str]]
    counts: Counts = field(default_factory=Counts)
    sample: list[dict[str, Any]] = field(default_factory=list)
    # per chunk: [size, first n, last n]
    chunk_spans: list[list[int]] = field(default_factory=list)
    _seen: set[int] = field(default_factory=set)
    _n: int = 0

    def rows(self, numbers: Iterable[tuple[int, str]]) -> Iterator[str]:
        batch: list[tuple[int, str, str | None, InvalidReason | None]] = []
        quick, region = self.normaliser.quick, self.normaliser.region
        for line, raw in numbers:
            self.counts.submitted += 1
            if self.counts.submitted > self.max_recipients:
                raise ValidationFailed(
                    f"the campaign has more than {self.max_recipients:,} numbers "
                    "(PREGONERO_MAX_RECIPIENTS): split it into several campaigns",
                    status=413,
                )
            msisdn = quick(raw)
            if msisdn is None:
                result = normalise(raw, region)
                if result.msisdn is None:
                    batch.append((line, raw, None, result.reason))
                    continue
                msisdn = result.msisdn
            key = int(msisdn)
            if key in self._seen:
                self.counts.duplicate += 1
                continue
            self._seen.add(key)
            batch.append((line, raw, msisdn, None))
            if len(batch) >= BATCH:
                yield self._flush(batch)
                batch = []
        if batch:
            yield self._flush(batch)

    def _flush(self, batch: list[tuple[int, str, str | None, InvalidReason | None]]) -> str:
        blocked = self.suppressed([m for _l, _r, m, _x in batch if m is not None])
        cid, out, counts = self.campaign_id, [], self.counts
        for line, raw, msisdn, reason in batch:
            self._n += 1
            if msisdn is None:
                counts.invalid += 1
                if len(self.sample) < SAMPLE_SIZE and reason is not None:
                    self.sample.append(
                        {
                            "line": line,
                            "value": raw[:RAW_KEEP],
                            "reason": reason.value,
                            "detail": REASON_TEXT[reason],
                        }
                    )
                out.append(f"{cid}\t{self._n}\t{line}\t\\N\t{_clean_raw(raw)}\tinvalid\t{reason}\n")
            elif msisdn in blocked:
                counts.suppressed += 1
                out.append(
                    f"{cid}\t{self._n}\t{line}\t\\N\t{msisdn}\tsuppressed\tsuppression_list\n"
                )
            else:
                seq = counts.sendable // self.chunk_size
                counts.sendable += 1
                if seq == len(self.chunk_spans):
                    self.chunk_spans.append([0, self._n, self._n])
                span = self.chunk_spans[seq]
                span[0] += 1
                span[2] = self._n
                out.append(f"{cid}\t{self._n}\t{line}\t{seq}\t{msisdn}\tpending\t\\N\n")
        return "".join(out)


_INSERT_CAMPAIGN = text(
    """
    INSERT INTO campaign (tenant_id, account, name, message, method, purpose, priority, status,
        start_at, expires_at, idempotency_key, request_hash, callback_url, encoding, segments)
    VALUES (:tenant_id, :account, :name, :message, :method, :purpose, :priority, 'scheduled',
        :start_at, :expires_at, :idempotency_key, :request_hash, :callback_url, :encoding,
        :segments)
    RETURNING id
    """
)

_INSERT_CHUNKS = text(
    """
    INSERT INTO chunk (campaign_id, seq, size, status, not_before, n_lo, n_hi)
    SELECT :cid, c.seq, c.size, 'ready', :not_before, c.n_lo, c.n_hi
    FROM unnest(CAST(:seqs AS int[]), CAST(:sizes AS int[]), CAST(:n_lo AS int[]),
                CAST(:n_hi AS int[])) AS c(seq, size, n_lo, n_hi)
    """
)


def submit(
    engine: Engine,
    settings: Settings,
    tenant_id: int,
    spec: CampaignSpec,
    numbers: Iterable[tuple[int, str]],
    *,
    request_hash: str | Callable[[], str],
    idempotency_key: str | None = None,
    strict: bool = False,
) -> IntakeResult:
    """Store a campaign with all its recipients and chunks, or nothing at all."""
    account = account_for(engine, settings, spec.method)
    info = check_spec(spec, settings, account.links_allowed)
    suppressed = _SuppressionCheck(engine)
    with engine.connect() as conn, conn.begin():
        params = {
            **spec.canonical(),
            "start_at": spec.start_at,
            "expires_at": spec.expires_at,
            "priority": PRIORITIES[spec.priority],
            "tenant_id": tenant_id,
            "account": account.name,
            "idempotency_key": idempotency_key,
            "request_hash": "pending",
            "encoding": info.encoding.value,
            "segments": info.segments,
        }
        try:
            campaign_id = conn.execute(_INSERT_CAMPAIGN, params).scalar_one()
        except IntegrityError:
            raise Conflict("idempotency_key") from None
        writer = _Writer(
            campaign_id,
            settings.chunk_size,
            settings.max_recipients,
            FastNormaliser(settings.default_region),
            suppressed,
        )
        raw: PgConnection[Any] = conn.connection.driver_connection  # type: ignore[assignment]
        copy_sql = (
            "COPY recipient (campaign_id, n, line, chunk_seq, msisdn, status, reason) FROM STDIN"
        )
        with raw.cursor() as cur, cur.copy(copy_sql) as copy:
            for block in writer.rows(numbers):
                copy.write(block)
        counts = writer.counts
        _refuse_if_unsendable(counts, writer.sample, strict)
        spans = writer.chunk_spans
        conn.execute(
            _INSERT_CHUNKS,
            {
                "cid": campaign_id,
                "not_before": spec.start_at,
                "seqs": list(range(len(spans))),
                "sizes": [s[0] for s in spans],
                "n_lo": [s[1] for s in spans],
                "n_hi": [s[2] for s in spans],
            },
        )
        chunks = len(spans)
        digest = request_hash() if callable(request_hash) else request_hash
        conn.execute(
            text(
                "UPDATE campaign SET submitted = :submitted, sendable = :sendable, "
                "invalid = :invalid, duplicate = :duplicate, suppressed = :suppressed, "
                "chunks = :chunks, request_hash = :hash WHERE id = :cid"
            ),
            {**asdict(counts), "chunks": chunks, "hash": digest, "cid": campaign_id},
        )
    return IntakeResult(campaign_id, counts, chunks, info, writer.sample)


def _sample_problems(sample: list[dict[str, Any]]) -> list[dict[str, str]]:
    return [
        {"field": "recipients", "detail": f"line {s['line']}: {s['value']!r} {s['detail']}"}
        for s in sample
    ]


def _refuse_if_unsendable(counts: Counts, sample: list[dict[str, Any]], strict: bool) -> None:
    extra = {"invalid_sample": sample, "counts": asdict(counts)}
    if counts.submitted == 0:
        raise ValidationFailed(
            "the campaign has no numbers",
            problems=[{"field": "recipients", "detail": "send at least one number"}],
        )
    if strict and counts.invalid:
        raise ValidationFailed(
            f"{counts.invalid} of {counts.submitted} numbers are invalid and strict=true refuses "
            "the whole campaign: fix them (see invalid_sample) or drop strict",
            problems=_sample_problems(sample),
            extra=extra,
        )
    if counts.sendable == 0:
        raise ValidationFailed(
            f"no number in the campaign can be sent ({counts.invalid} invalid, "
            f"{counts.suppressed} suppressed, {counts.duplicate} duplicate)",
            problems=_sample_problems(sample),
            extra=extra,
        )
