"""Where the numbers of a submission come from: a JSON list or a CSV upload.

Each source yields ``(line, raw)`` pairs lazily, so a million-number upload is never held
whole in memory.  CSV: one number per line, or a header row naming the columns (the
number column, and the fields a template uses); BOM, ``;`` / ``,`` / tab separators,
quotes and blank lines are handled.
"""

from __future__ import annotations

import contextlib
import csv
import io
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import IO, Protocol, runtime_checkable

from dispatcher.domain.template import clean_value, field_key
from dispatcher.errors import ValidationFailed
from dispatcher.intake.json_body import Item, with_fields

# The number column, when ``number_column`` does not name it: the first column named one
# of these (matched ignoring case and accents), else the first column.
NUMBER_COLUMNS = ("celular", "numero", "movil", "telefono", "phone", "number", "msisdn", "gsm")
MAX_FIELD = 1024  # a value (a number, a field) longer than this: not the file meant

Entry = tuple[int, str, tuple[str, ...]]  # line, the number as written, the template's values


class BadUpload(ValidationFailed):
    """The upload itself cannot be read (encoding, CSV structure)."""


class UnknownField(ValidationFailed):
    """The message names a field that the recipients do not have."""


def json_numbers(values: Iterable[object]) -> Iterator[tuple[int, str]]:
    for index, value in enumerate(values, start=1):
        yield index, "" if value is None else str(value)


@runtime_checkable
class Fielded(Protocol):
    """Recipients with fields (a CSV with a header, JSON objects): ``entries(keys)``
    yields each with the values of the fields ``keys``."""

    def entries(self, keys: Sequence[str]) -> Iterator[Entry]: ...


class JsonRecipients:
    """A campaign's JSON recipients: each a number, or ``(number, fields)`` (from
    ``{"number": ..., "fields": {...}}``).  ``field_names``: every field the recipients
    have (``field_key`` -> a name as written), read in a first pass."""

    def __init__(self, items: Iterable[tuple[int, Item]], field_names: Mapping[str, str]):
        self._items = items
        self._names = field_names

    def __iter__(self) -> Iterator[tuple[int, str]]:
        for index, item in self._items:
            yield index, item if isinstance(item, str) else item[0]

    def entries(self, keys: Sequence[str]) -> Iterator[Entry]:
        if missing := [k for k in keys if k not in self._names]:
            raise _unknown(missing, "no recipient has such a field", "fields")
        return self._entries(keys)

    def _entries(self, keys: Sequence[str]) -> Iterator[Entry]:
        for index, item in self._items:
            if isinstance(item, str):
                yield index, item, ("",) * len(keys)
                continue
            number, fields = item
            by_key = {field_key(k): v for k, v in fields.items()}
            yield index, number, tuple(clean_value(by_key.get(k, "")) for k in keys)


def json_recipients(values: Iterable[object]) -> JsonRecipients:
    """Recipients as a JSON body has them, from Python values: numbers (str or int) and
    ``{"number": ..., "fields": {...}}`` dicts, read by the body's own rules.  For tests,
    drills and the CLI."""
    items: list[tuple[int, Item]] = []
    names: dict[str, str] = {}
    for index, value in enumerate(values, start=1):
        if isinstance(value, dict):
            item = with_fields({**value, "number": str(value.get("number"))}, f"[{index - 1}]")
            for name in item[1]:
                names.setdefault(field_key(name), name)
            items.append((index, item))
        else:
            items.append((index, "" if value is None else str(value)))
    return JsonRecipients(items, names)


def _unknown(missing: Sequence[str], why: str, where: str) -> UnknownField:
    return UnknownField(
        f"the message uses {{{{{missing[0]}}}}} and {why}: add it to the recipients' {where}, "
        f"fix the placeholder or give it a default ({{{{{missing[0]}|text}}}})",
        problems=[{"field": "message", "detail": f"{{{{{k}}}}}: {why}"} for k in missing],
    )


def _delimiter(first_line: str) -> str:
    for candidate in (";", "\t", ","):
        if candidate in first_line:
            return candidate
    return ","


@dataclass
class CsvShape:
    """What a CSV's header said, once read."""

    columns: list[str] = field(default_factory=list)  # the header's names; [] without one
    number_column: str | None = None  # the header's name of the numbers' column
    ignored: list[str] = field(default_factory=list)  # columns the campaign does not use
    # The first column's name when no column is named like a number's (the numbers are
    # read from it): said when none of them is a number.
    guessed: list[str] = field(default_factory=list)


class CsvNumbers:
    """A campaign's CSV upload: the header row names the fields, one column holds the
    numbers (``number_column``, else the first named like one, else the first).  Once the
    header is read, ``shape`` says what it named."""

    def __init__(self, binary: IO[bytes], number_column: str | None = None):
        self._binary = binary
        self._number_column = number_column
        self.shape = CsvShape()

    @property
    def ignored_columns(self) -> list[str]:
        return self.shape.ignored

    @property
    def guessed_column(self) -> list[str]:
        return self.shape.guessed

    def __iter__(self) -> Iterator[tuple[int, str]]:
        return ((line, raw) for line, raw, _values in self.entries(()))

    def entries(self, keys: Sequence[str]) -> Iterator[Entry]:
        """``(line, number, values)`` with the values of the fields ``keys`` (matched as
        ``template.field_key``); a key that names no column is refused (422) before the
        first entry."""
        return _decoded(self._binary, self._number_column, keys, self.shape)


def csv_numbers(binary: IO[bytes]) -> Iterator[tuple[int, str]]:
    """Numbers from a CSV upload, with the file's own line numbers."""
    for line, raw, _values in _decoded(binary, None, (), CsvShape()):
        yield line, raw


def _decoded(
    binary: IO[bytes], number_column: str | None, keys: Sequence[str], shape: CsvShape
) -> Iterator[Entry]:
    text = io.TextIOWrapper(
        binary,
        encoding="utf-8-sig",
        errors="strict",
        newline="",
    )
    try:
        yield from _read_csv(text, number_column, keys, shape)
    except UnicodeDecodeError as exc:
        raise BadUpload(
            f"the upload is not UTF-8 (byte 0x{exc.object[exc.start]:02x} cannot be decoded); "
            "save the file as UTF-8 and send it again"
        ) from None
    except csv.Error as exc:
        raise BadUpload(f"the CSV cannot be read: {exc}; check quotes and separators") from None
    finally:
        # Leave the upload open for its owner (who may have closed it already when
        # intake stopped half-way): the wrapper must not close it.
        with contextlib.suppress(ValueError):
            text.detach()


def _number_column(names: list[str], asked: str | None, line_no: int) -> int | None:
    """Which column holds the numbers; None: no header names one (the first then)."""
    keys = [field_key(n) for n in names]
    if asked is not None:
        if field_key(asked) not in keys:
            raise BadUpload(
                f"number_column={asked!r} is not a column of the file (line {line_no} names "
                f"{', '.join(repr(n) for n in names)})"
            )
        return keys.index(field_key(asked))
    return next((i for i, key in enumerate(keys) if key in NUMBER_COLUMNS), None)


def _columns_for(keys: Sequence[str], header: list[str]) -> list[int]:
    """The column of each template field; a field no column names is refused."""
    by_key: dict[str, int] = {}
    for i, name in enumerate(header):
        by_key.setdefault(field_key(name), i)
    if missing := [k for k in keys if k not in by_key]:
        named = ", ".join(repr(h.strip()) for h in header if h.strip()) or "no header row"
        raise _unknown(missing, f"the file has no such column (it has {named})", "columns")
    return [by_key[k] for k in keys]


def _read_csv(
    text: io.TextIOWrapper, number_column: str | None, keys: Sequence[str], shape: CsvShape
) -> Iterator[Entry]:
    line_no = 0
    first = ""
    for line in text:
        line_no += 1
        if line.strip():
            first = line
            break
    if not first:
        if keys:
            _columns_for(keys, [])
        return
    delimiter = _delimiter(first)
    header = next(csv.reader([first], delimiter=delimiter))
    names = [cell.strip() for cell in header]
    column = _number_column(names, number_column, line_no)
    if column is None and len([n for n in names if n]) <= 1:
        # One column without a number's name: no header, the first line is a number.
        if keys:
            _columns_for(keys, [])
        yield line_no, header[0] if header else "", ()
        yield from _single_column(text, line_no)
        return
    if column is None:
        shape.guessed.append(names[0])
        column = 0
    shape.columns, shape.number_column = names, names[column]
    wanted = _columns_for(keys, names)
    shape.ignored += [n for i, n in enumerate(names) if i != column and n and i not in wanted]
    if len(names) == 1:
        yield from _single_column(text, line_no)
        return
    offset = line_no
    reader = csv.reader(text, delimiter=delimiter)
    for row in reader:
        if not row or (len(row) == 1 and not row[0].strip()):
            continue
        width = len(row)
        value = row[column] if column < width else ""
        if len(value) > MAX_FIELD:
            raise BadUpload(
                f"line {offset + reader.line_num} has a field over {MAX_FIELD} characters; "
                "is this the right file?"
            )
        values = tuple(clean_value(row[i]) if i < width else "" for i in wanted)
        if values and max(map(len, values)) > MAX_FIELD:
            raise BadUpload(
                f"line {offset + reader.line_num} has a field over {MAX_FIELD} characters; "
                "is this the right file?"
            )
        yield offset + reader.line_num, value, values


def _single_column(text: io.TextIOWrapper, line_no: int) -> Iterator[Entry]:
    """One number per line: no CSV machinery needed beyond optional quotes."""
    for line_no, line in enumerate(text, start=line_no + 1):  # noqa: B020 - continues the count
        value = line.strip()
        if not value:
            continue
        if value[0] == '"':
            value = value[1:-1].replace('""', '"') if value.endswith('"') else value
        if len(value) > MAX_FIELD:
            raise BadUpload(
                f"line {line_no} is over {MAX_FIELD} characters; is this the right file?"
            )
        yield line_no, value, ()
