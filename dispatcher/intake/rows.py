"""Numbers in, recipient rows out (as COPY text), batch by batch: normalised, duplicates
collapsed (``SeenNumbers``: 8 bytes a number), suppressed and invalid ones kept with
their reason, each sendable one's text found (``TextBook``) and chunks cut per text as
they come."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from dispatcher.domain.numbers import (
    REASON_TEXT,
    FastNormaliser,
    InvalidReason,
    InvalidSample,
    normalise,
)
from dispatcher.domain.status import RecipientStatus
from dispatcher.domain.template import Missing
from dispatcher.errors import ValidationFailed
from dispatcher.intake.seen import SeenNumbers
from dispatcher.intake.sources import Entry
from dispatcher.intake.texts import TextBook
from dispatcher.store.intake import Batch, Tally

BATCH = 10_000
SAMPLE_SIZE = 20
RAW_KEEP = 64

_INVALID = RecipientStatus.INVALID.value
_SUPPRESSED = RecipientStatus.SUPPRESSED.value
_PENDING = f"{RecipientStatus.PENDING.value}\t\\N"

# line, raw, msisdn, why invalid, the template's values
Read = tuple[int, str, str | None, InvalidReason | None, tuple[str, ...]]


def _clean_raw(raw: str, keep: int = RAW_KEEP) -> str:
    raw = raw[:keep].replace("\x00", "")
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
    max_recipients: int
    normaliser: FastNormaliser
    # number -> why it must not be sent (suppression_list, list:NAME, erased)
    suppressed: Callable[[list[str]], dict[str, str]]
    texts: TextBook
    # What to do when there are more than max_recipients: the setting to raise, or why not.
    too_many: str = "(PREGONERO_MAX_RECIPIENTS): split it into several campaigns"
    sample: list[InvalidSample] = field(default_factory=list)
    _counts: _Counts = field(default_factory=_Counts)
    suppressed_by: Counter[str] = field(default_factory=Counter)  # by reason
    _seen: SeenNumbers = field(default_factory=SeenNumbers)
    _n: int = 0
    # A template's numbers wait here, by text, until their chunk is full (or too many
    # wait): written together, a chunk's rows have adjacent n, so the send reads a short
    # range of the primary key.  ``line`` keeps the upload's order.
    _waiting: dict[int, list[tuple[int, str]]] = field(default_factory=dict)
    _limits: dict[int, int] = field(default_factory=dict)  # how many fill the chunk
    _held: int = 0

    @property
    def tally(self) -> Tally:
        c = self._counts
        return Tally(c.submitted, c.sendable, c.invalid, c.duplicate, c.suppressed)

    def rows(self, entries: Iterable[Entry]) -> Iterator[Batch]:
        """Batches of recipient rows, with the rows of the texts first met in each."""
        batch: list[Read] = []
        quick, region, counts = self.normaliser.quick, self.normaliser.region, self._counts
        for line, raw, values in entries:
            counts.submitted += 1
            if counts.submitted > self.max_recipients:
                raise ValidationFailed(
                    f"the campaign has more than {self.max_recipients:,} numbers " + self.too_many,
                    status=413,
                )
            msisdn = quick(raw)
            if msisdn is None:
                result = normalise(raw, region)
                if result.msisdn is None:
                    batch.append((line, raw, None, result.reason, values))
                    continue
                msisdn = result.msisdn
            batch.append((line, raw, msisdn, None, values))
            if len(batch) >= BATCH:
                yield self._flush(batch)
                batch = []
        if batch:
            yield self._flush(batch)
        if self._waiting:
            yield Batch(self._release_all(), self.texts.take_new())

    def _flush(self, entries: list[Read]) -> Batch:
        numbers = [e[2] for e in entries if e[2] is not None]
        first = iter(self._seen.first_time([int(m) for m in numbers]))
        batch = [e for e in entries if e[2] is None or next(first)]  # repeats are dropped
        self._counts.duplicate += len(entries) - len(batch)
        blocked = self.suppressed([e[2] for e in batch if e[2] is not None])
        cid, out, counts, texts = self.campaign_id, [], self._counts, self.texts
        examples, text_for = texts.examples, texts.text_for
        grouped = texts.template.personalised
        waiting, limits = self._waiting, self._limits
        # Without placeholders every number has the one text, and chunks follow each other.
        plain_id = 0 if grouped else texts.only_text()
        plain: list[int] = []  # the n of this batch's sendable numbers, for their chunks
        limit = texts.chunk_size_limit
        for line, raw, msisdn, reason, values in batch:
            self._n += 1
            n = self._n
            if msisdn is None:
                counts.invalid += 1
                self._keep_sample(line, raw, reason)
                out.append(
                    f"{cid}\t{n}\t{line}\t\\N\t{_clean_raw(raw)}\t{_INVALID}\t{reason}\t\\N\t\\N\n"
                )
            elif msisdn in blocked:
                counts.suppressed += 1
                why = blocked[msisdn]
                self.suppressed_by[why] += 1
                out.append(f"{cid}\t{n}\t{line}\t\\N\t{msisdn}\t{_SUPPRESSED}\t{why}\t\\N\t\\N\n")
            elif not grouped:
                seq = counts.sendable // limit
                counts.sendable += 1
                plain.append(n)
                if len(examples) < 3:
                    texts.example(msisdn, plain_id)
                out.append(f"{cid}\t{n}\t{line}\t{seq}\t{msisdn}\t{_PENDING}\t{plain_id}\t\\N\n")
            else:
                text_id = text_for(values)
                if not isinstance(text_id, int):  # no value for a field, or too long
                    why = (
                        InvalidReason.MISSING_FIELD
                        if isinstance(text_id, Missing)
                        else InvalidReason.TOO_LONG
                    )
                    counts.invalid += 1
                    detail = text_id.detail
                    self._keep_sample(line, raw, why, detail)
                    out.append(
                        f"{cid}\t{n}\t{line}\t\\N\t{msisdn}\t{_INVALID}\t{why}\t\\N\t"
                        f"{_clean_raw(detail, 500)}\n"
                    )
                    continue
                counts.sendable += 1
                if len(examples) < 3:
                    texts.example(msisdn, text_id)
                self._n -= 1  # numbered when written, with the rest of its chunk
                self._held += 1
                held = waiting.get(text_id)
                if held is None:
                    held = waiting[text_id] = []
                    limits[text_id] = texts.room(text_id)
                held.append((line, msisdn))
                if len(held) >= limits[text_id]:
                    out.append(self._release(text_id))
        if plain:
            texts.place_run(plain_id, plain)
        if self._held > BATCH:
            out.append(self._release_all())
        return Batch("".join(out), texts.take_new())

    def _release(self, text_id: int) -> str:
        """The rows of a text's waiting numbers, numbered now, into its chunk (they fit:
        they are released when they fill it)."""
        held = self._waiting.pop(text_id)
        del self._limits[text_id]
        self._held -= len(held)
        first = self._n + 1
        self._n += len(held)
        seq = self.texts.place_span(text_id, first, self._n, len(held))
        head, tail = f"{self.campaign_id}\t", f"\t{_PENDING}\t{text_id}\t\\N\n"
        middle = f"\t{seq}\t"
        return "".join(
            [
                f"{head}{n}\t{line}{middle}{msisdn}{tail}"
                for n, (line, msisdn) in enumerate(held, first)
            ]
        )

    def _release_all(self) -> str:
        return "".join([self._release(text_id) for text_id in sorted(self._waiting)])

    def _keep_sample(
        self, line: int, raw: str, reason: InvalidReason | None, detail: str | None = None
    ) -> None:
        if len(self.sample) < SAMPLE_SIZE and reason is not None:
            self.sample.append(
                InvalidSample(line, raw[:RAW_KEEP], reason.value, detail or REASON_TEXT[reason])
            )
