"""A message as it will go, before a campaign is submitted: its length, segments and
encoding (and which characters force UCS-2), the text transliterated, the placeholders,
a few rows of the file rendered, and when it would start.  What the page's counter and
preview show, through the same template, CSV reader and window as intake.

Nothing is stored and no number is looked up: a preview is a pure reading of what it is
given (the file's first lines, as the browser read them)."""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice
from typing import Any

from dispatcher.domain.message import Encoding, inspect
from dispatcher.domain.numbers import normalise
from dispatcher.domain.status import Purpose
from dispatcher.domain.template import (
    Missing,
    Template,
    TemplateProblem,
    not_gsm7,
    parse,
    transliterate,
)
from dispatcher.domain.times import human
from dispatcher.domain.window import hours_text, why_shut
from dispatcher.errors import ValidationFailed
from dispatcher.intake.sources import CsvNumbers
from dispatcher.settings import Settings

PREVIEW_ROWS = 5
SAMPLE_BYTES = 64 * 1024  # the file's first lines: enough for the header and five rows


@dataclass(frozen=True)
class Measured:
    """One text's cost: what the counter shows."""

    chars: int
    encoding: Encoding
    segments: int
    ucs2_chars: list[str]  # the characters that make it UCS-2, each once

    @classmethod
    def of(cls, text: str) -> Measured:
        info = inspect(text)
        ucs2 = not_gsm7(text) if info.encoding is Encoding.UCS2 else []
        return cls(info.chars, info.encoding, info.segments, ucs2)


@dataclass
class Preview:
    message: Measured  # as written (a placeholder counted as its default or its name)
    transliterated: str | None  # the message converted (placeholders kept), when asked
    sent: Measured  # what goes: transliterated when asked
    placeholders: list[str]
    columns: list[str] = field(default_factory=list)  # the file's header
    number_column: str | None = None
    rows: list[dict[str, Any]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # what to fix before submitting
    starts: str = ""  # when it would start, in words


def preview(
    message: str,
    *,
    transliterated: bool = False,
    sample: bytes | None = None,
    number_column: str | None = None,
    region: str = "CO",
    settings: Settings | None = None,
    purpose: Purpose = Purpose.TRANSACTIONAL,
    start_at: datetime | None = None,
    now: datetime | None = None,
) -> Preview:
    """``sample``: the first bytes of the CSV (a cut last line is dropped)."""
    problems: list[str] = []
    try:
        template = parse(message)
    except TemplateProblem as exc:  # measured as written, and said
        template = Template.literal(message)
        problems.append(str(exc))
    written = template.sample()
    sent = transliterate(written) if transliterated else written
    out = Preview(
        message=Measured.of(written),
        transliterated=transliterate(message) if transliterated else None,
        sent=Measured.of(sent),
        placeholders=list(dict.fromkeys(template.fields)),
        problems=problems,
    )
    if not message.strip():
        problems.append("the message is empty; write the text to send")
    if sample:
        _rows(out, template, transliterated, sample, number_column, region)
    if settings is not None and now is not None:
        out.starts = starts_in_words(settings, purpose, start_at, now)
    return out


def _whole_lines(sample: bytes) -> bytes:
    if len(sample) < SAMPLE_BYTES:
        return sample
    cut = sample.rfind(b"\n")
    return sample[: cut + 1] if cut > 0 else sample


def _rows(
    out: Preview,
    template: Template,
    transliterated: bool,
    sample: bytes,
    number_column: str | None,
    region: str,
) -> None:
    source = CsvNumbers(io.BytesIO(_whole_lines(sample[:SAMPLE_BYTES])), number_column)
    keys = template.used_keys
    named: dict[str, str] = {}  # each key as the message first writes it
    for name, key in zip(template.fields, template.keys, strict=True):
        named.setdefault(key, name)
    try:
        for line, raw, values in islice(source.entries(keys), PREVIEW_ROWS):
            number = normalise(raw, region)
            text = template.render(values) if keys else template.message
            row: dict[str, Any] = {"line": line, "number": raw, "msisdn": number.msisdn}
            row["fields"] = {named[k]: v for k, v in zip(keys, values, strict=True)}
            if number.msisdn is None:
                row["problem"] = f"not a number we can send to ({number.reason})"
            if isinstance(text, Missing):
                row["problem"] = text.detail
            else:
                text = transliterate(text) if transliterated else text
                measured = Measured.of(text)
                row.update(text=text, chars=measured.chars, segments=measured.segments)
                row["encoding"] = measured.encoding.value
            out.rows.append(row)
    except ValidationFailed as exc:
        out.problems.append(str(exc))
    out.columns = source.shape.columns
    out.number_column = source.shape.number_column


def starts_in_words(
    settings: Settings, purpose: Purpose, start_at: datetime | None, now: datetime
) -> str:
    """When a campaign would start, and the permitted window that time falls in."""
    window = settings.window_for(purpose)
    tz = window.tz
    at = max(start_at or now, now)
    asked = "now" if start_at is None or start_at <= now else human(start_at, tz)
    local = at.astimezone(tz)
    hours = hours_text(window, local.date())
    if window.is_open(at):
        within = "open all day" if window.always else f"{hours} that day"
        return f"Starts {asked}: inside the permitted window ({within})."
    opens = window.next_open(at)
    why = why_shut(at, settings.window, purpose) or "the permitted window is shut then"
    then = human(opens, tz) if opens else "no permitted time within a year"
    return f"Asked for {asked}, but {why}: it starts {then}."
