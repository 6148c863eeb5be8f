"""Numbers in, recipient rows out (as COPY text), batch by batch: normalised, duplicates
collapsed (``SeenNumbers``: 8 bytes a number), suppressed and invalid ones kept with
their reason, chunks cut as they come."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from dispatcher.domain.numbers import (
    REASON_TEXT,
    FastNormaliser,
    InvalidReason,
    InvalidSample,
    normalise,
)
from dispatcher.domain.status import Reason, RecipientStatus
from dispatcher.errors import ValidationFailed
from dispatcher.intake.seen import SeenNumbers
from dispatcher.store.intake import Span, Tally

BATCH = 10_000
SAMPLE_SIZE = 20
RAW_KEEP = 64

_INVALID = RecipientStatus.INVALID.value
_SUPPRESSED = f"{RecipientStatus.SUPPRESSED.value}\t{Reason.SUPPRESSION_LIST.value}"
_PENDING = f"{RecipientStatus.PENDING.value}\t\\N"

Entry = tuple[int, str, str | None, InvalidReason | None]  # line, raw, msisdn, why invalid


def _clean_raw(raw: str) -> str:
    raw = raw[:RAW_KEEP].replace("\x00", "")
    return raw.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


@dataclass
class _Counts:
    submitted: int = 0
    sendable: int = 0
    invalid: int = 0
    duplicate: int = 0
    suppressed: int = 0


@dataclass
class RecipientRows:
    """Turns ``(line, raw)`` pairs into recipient rows for one campaign."""

    campaign_id: int
    chunk_size: int
    max_recipients: int
    normaliser: FastNormaliser
    suppressed: Callable[[list[str]], set[str]]
    sample: list[InvalidSample] = field(default_factory=list)
    _spans: list[list[int]] = field(default_factory=list)  # [size, first n, last n]
    _counts: _Counts = field(default_factory=_Counts)
    _seen: SeenNumbers = field(default_factory=SeenNumbers)
    _n: int = 0

    @property
    def spans(self) -> list[Span]:
        return [Span(*span) for span in self._spans]

    @property
    def tally(self) -> Tally:
        c = self._counts
        return Tally(c.submitted, c.sendable, c.invalid, c.duplicate, c.suppressed)

    def rows(self, numbers: Iterable[tuple[int, str]]) -> Iterator[str]:
        batch: list[Entry] = []
        quick, region, counts = self.normaliser.quick, self.normaliser.region, self._counts
        for line, raw in numbers:
            counts.submitted += 1
            if counts.submitted > self.max_recipients:
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
            batch.append((line, raw, msisdn, None))
            if len(batch) >= BATCH:
                yield self._flush(batch)
                batch = []
        if batch:
            yield self._flush(batch)

    def _flush(self, entries: list[Entry]) -> str:
        numbers = [m for _l, _r, m, _x in entries if m is not None]
        first = iter(self._seen.first_time([int(m) for m in numbers]))
        batch = [e for e in entries if e[2] is None or next(first)]  # repeats are dropped
        self._counts.duplicate += len(entries) - len(batch)
        blocked = self.suppressed([m for _l, _r, m, _x in batch if m is not None])
        cid, out, counts = self.campaign_id, [], self._counts
        for line, raw, msisdn, reason in batch:
            self._n += 1
            n = self._n
            if msisdn is None:
                counts.invalid += 1
                self._keep_sample(line, raw, reason)
                out.append(f"{cid}\t{n}\t{line}\t\\N\t{_clean_raw(raw)}\t{_INVALID}\t{reason}\n")
            elif msisdn in blocked:
                counts.suppressed += 1
                out.append(f"{cid}\t{n}\t{line}\t\\N\t{msisdn}\t{_SUPPRESSED}\n")
            else:
                seq = counts.sendable // self.chunk_size
                counts.sendable += 1
                if seq == len(self._spans):
                    self._spans.append([0, n, n])
                span = self._spans[seq]
                span[0] += 1
                span[2] = n
                out.append(f"{cid}\t{n}\t{line}\t{seq}\t{msisdn}\t{_PENDING}\n")
        return "".join(out)

    def _keep_sample(self, line: int, raw: str, reason: InvalidReason | None) -> None:
        if len(self.sample) < SAMPLE_SIZE and reason is not None:
            self.sample.append(
                InvalidSample(line, raw[:RAW_KEEP], reason.value, REASON_TEXT[reason])
            )
