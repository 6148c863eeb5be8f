"""Where the numbers of a submission come from: a JSON list or a CSV upload.

Each source yields ``(line, raw)`` pairs lazily, so a million-number upload is never held
whole in memory.  CSV: one number per line, or a column named ``msisdn``, ``phone``,
``telefono`` or ``celular``; BOM, ``;`` / ``,`` / tab separators, quotes and blank lines
are handled.
"""

from __future__ import annotations

import contextlib
import csv
import io
from collections.abc import Iterable, Iterator
from typing import IO

from dispatcher.errors import ValidationFailed

NUMBER_COLUMNS = ("msisdn", "phone", "telefono", "teléfono", "celular", "movil", "móvil", "numero")
_MAX_FIELD = 1024


class BadUpload(ValidationFailed):
    """The upload itself cannot be read (encoding, CSV structure)."""


def json_numbers(values: Iterable[object]) -> Iterator[tuple[int, str]]:
    for index, value in enumerate(values, start=1):
        yield index, "" if value is None else str(value)


def _delimiter(first_line: str) -> str:
    for candidate in (";", "\t", ","):
        if candidate in first_line:
            return candidate
    return ","


class CsvNumbers:
    """Numbers from a CSV upload, with the file's own line numbers; once the header is
    read, ``ignored_columns`` names the columns that are not the numbers."""

    def __init__(self, binary: IO[bytes]):
        self._binary = binary
        self.ignored_columns: list[str] = []

    def __iter__(self) -> Iterator[tuple[int, str]]:
        return csv_numbers(self._binary, self.ignored_columns)


def csv_numbers(binary: IO[bytes], ignored: list[str] | None = None) -> Iterator[tuple[int, str]]:
    """Numbers from a CSV upload, with the file's own line numbers.  The names of the
    other columns are appended to ``ignored``."""
    text = io.TextIOWrapper(
        binary,
        encoding="utf-8-sig",
        errors="strict",
        newline="",
    )
    try:
        yield from _read_csv(text, ignored if ignored is not None else [])
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


def _read_csv(text: io.TextIOWrapper, ignored: list[str]) -> Iterator[tuple[int, str]]:
    line_no = 0
    first = ""
    for line in text:
        line_no += 1
        if line.strip():
            first = line
            break
    if not first:
        return
    delimiter = _delimiter(first)
    header = next(csv.reader([first], delimiter=delimiter))
    names = [cell.strip().lower() for cell in header]
    column = next((i for i, name in enumerate(names) if name in NUMBER_COLUMNS), None)
    if column is None:
        if len([n for n in names if n]) > 1:
            raise BadUpload(
                f"line {line_no} has {len(names)} columns and none is named "
                f"{', '.join(NUMBER_COLUMNS[:4])}: name the column with the numbers, or send "
                "one number per line"
            )
        column = 0
        yield line_no, header[0] if header else ""
    else:
        ignored += [cell.strip() for i, cell in enumerate(header) if i != column and cell.strip()]
    if len(names) == 1:
        yield from _single_column(text, line_no)
        return
    offset = line_no
    reader = csv.reader(text, delimiter=delimiter)
    for row in reader:
        if not row or (len(row) == 1 and not row[0].strip()):
            continue
        value = row[column] if column < len(row) else ""
        if len(value) > _MAX_FIELD:
            raise BadUpload(
                f"line {offset + reader.line_num} has a field over {_MAX_FIELD} characters; "
                "is this the right file?"
            )
        yield offset + reader.line_num, value


def _single_column(text: io.TextIOWrapper, line_no: int) -> Iterator[tuple[int, str]]:
    """One number per line: no CSV machinery needed beyond optional quotes."""
    for line_no, line in enumerate(text, start=line_no + 1):  # noqa: B020 - continues the count
        value = line.strip()
        if not value:
            continue
        if value[0] == '"':
            value = value[1:-1].replace('""', '"') if value.endswith('"') else value
        if len(value) > _MAX_FIELD:
            raise BadUpload(
                f"line {line_no} is over {_MAX_FIELD} characters; is this the right file?"
            )
        yield line_no, value
