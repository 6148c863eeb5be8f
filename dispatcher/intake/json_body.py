"""A campaign's JSON body read from its spool file without holding it whole: one pass
for its fields (the recipients only counted and hashed), another, lazily, for the
recipients themselves.  Memory stays the same for 10 or 5,000,000 numbers.

It reads exactly this shape: ``{"name": ..., "message": ..., ..., "recipients": [...]}``
with each recipient a string or a number.  Numbers are kept as written (``3.00111E+09``
must reach the number rules as that, not as the float it means).  Anything else is a
``BadBody`` that says what to fix: invalid UTF-8, a lone surrogate, nesting, a number
too long, a field too large.
"""

from __future__ import annotations

import codecs
import hashlib
import json
from collections.abc import Iterator
from typing import IO, Any

from dispatcher.errors import ValidationFailed

_LOOKAHEAD = 64 * 1024  # a recipient never needs more (MAX_ITEM_CHARS)
MAX_FIELD_CHARS = 64 * 1024  # name, message, URLs...: far above any legal value
MAX_ITEM_CHARS = 1024
_WHITESPACE = " \t\n\r"
_DECODER = json.JSONDecoder()


class BadBody(ValidationFailed):
    """The JSON body cannot be read; ``status`` 400 (not JSON) or 422 (not a campaign)."""


class _Reader:
    """A character cursor over a UTF-8 byte stream, with a bounded window."""

    def __init__(self, handle: IO[bytes]):
        self._handle = handle
        self._decode = codecs.getincrementaldecoder("utf-8")("strict").decode
        self.buf, self.pos, self.eof, self.read_chars = "", 0, False, 0

    def fill(self, need: int) -> None:
        while not self.eof and len(self.buf) - self.pos < need:
            chunk = self._handle.read(_LOOKAHEAD)
            try:
                text = self._decode(chunk, final=not chunk)
            except UnicodeDecodeError as exc:
                raise BadBody(
                    f"the body is not UTF-8 (byte 0x{exc.object[exc.start]:02x} near character "
                    f"{self.read_chars + len(self.buf) - self.pos}): send JSON encoded as UTF-8",
                    status=400,
                ) from None
            self.eof = not chunk
            self.read_chars += self.pos
            self.buf, self.pos = self.buf[self.pos :] + text, 0

    def skip_space(self) -> str:
        """The next significant character ('' at the end)."""
        while True:
            self.fill(1)
            while self.pos < len(self.buf) and self.buf[self.pos] in _WHITESPACE:
                self.pos += 1
            if self.pos < len(self.buf) or self.eof:
                return self.buf[self.pos] if self.pos < len(self.buf) else ""

    def expect(self, char: str, what: str) -> None:
        if self.skip_space() != char:
            found = self.skip_space() or "the end of the body"
            raise BadBody(
                f"the body is not valid JSON: expected {what}, found {found!r}", status=400
            )
        self.pos += 1

    def value(self, limit: int, what: str) -> tuple[Any, str]:
        """The next JSON value (decoded, and as written), at most ``limit`` characters."""
        self.skip_space()
        if self.buf[self.pos : self.pos + 1] in ("[", "{"):
            raise BadBody(f"{what} must be a string or a number, not a list or an object")
        self.fill(limit + 1)
        try:
            value, end = _DECODER.raw_decode(self.buf, self.pos)
        except json.JSONDecodeError as exc:
            if len(self.buf) - self.pos > limit:
                raise BadBody(f"{what} is over {limit:,} characters", status=413) from None
            raise BadBody(f"the body is not valid JSON: {exc.msg} in {what}", status=400) from None
        except (ValueError, RecursionError):  # a number of thousands of digits
            raise BadBody(f"{what} is not a number we can read: too long") from None
        if end - self.pos > limit:
            raise BadBody(f"{what} is over {limit:,} characters", status=413)
        written = self.buf[self.pos : end]
        self.pos = end
        _check_utf8(value, what)
        return value, written


def _check_utf8(value: Any, what: str) -> None:
    if isinstance(value, str):
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise BadBody(
                f"{what} has a lone surrogate (an unpaired \\ud800-\\udfff escape): send "
                "characters outside the BMP as a pair, or as UTF-8"
            ) from None


def _recipient(value: Any, written: str, where: str) -> str:
    if isinstance(value, bool) or value is None or not isinstance(value, str | int | float):
        raise BadBody(f"{where} must be a phone number (a string or a number)")
    return value if isinstance(value, str) else written


class JsonCampaign:
    """A JSON object of fields and one list of numbers (``recipients`` for a campaign,
    ``numbers`` for the suppression list)."""

    def __init__(self, handle: IO[bytes], list_key: str = "recipients"):
        self._handle = handle
        self.list_key = list_key

    def _open(self) -> _Reader:
        self._handle.seek(0)
        reader = _Reader(self._handle)
        reader.expect("{", "a JSON object with the campaign's fields")
        return reader

    def fields(self) -> tuple[dict[str, Any], int, str]:
        """The campaign's fields (without the recipients), how many recipients, and a
        digest of them (for Idempotency-Key)."""
        reader, fields = self._open(), {}
        count, digest = 0, hashlib.sha256()
        for key in self._keys(reader):
            if key == self.list_key:
                for _index, raw in self._items(reader):
                    count += 1
                    digest.update(raw.encode() + b"\x00")
                fields[key] = True
            else:
                fields[key] = reader.value(MAX_FIELD_CHARS, f"the field {key!r}")[0]
        if reader.skip_space():
            raise BadBody("the body is not valid JSON: something follows the object", status=400)
        return fields, count, digest.hexdigest()

    def recipients(self) -> Iterator[tuple[int, str]]:
        """``(index, number as sent)``, one by one, 1-based like a file's lines."""
        reader = self._open()
        for key in self._keys(reader):
            if key == self.list_key:
                yield from self._items(reader)
                return
            reader.value(MAX_FIELD_CHARS, f"the field {key!r}")

    def _keys(self, reader: _Reader) -> Iterator[str]:
        if reader.skip_space() == "}":
            reader.pos += 1
            return
        while True:
            if reader.skip_space() != '"':
                raise BadBody("the body is not valid JSON: expected a field name", status=400)
            key, _written = reader.value(256, "a field name")
            reader.expect(":", f"':' after {key!r}")
            yield key
            separator = reader.skip_space()
            reader.pos += 1
            if separator == "}":
                return
            if separator != ",":
                raise BadBody("the body is not valid JSON: expected ',' or '}'", status=400)

    def _items(self, reader: _Reader) -> Iterator[tuple[int, str]]:
        if reader.skip_space() != "[":
            raise BadBody(f"'{self.list_key}' must be a list of phone numbers")
        reader.pos += 1
        if reader.skip_space() == "]":
            reader.pos += 1
            return
        index = 0
        while True:
            index += 1
            where = f"{self.list_key}[{index - 1}]"
            value, written = reader.value(MAX_ITEM_CHARS, where)
            yield index, _recipient(value, written, where)
            separator = reader.skip_space()
            reader.pos += 1
            if separator == "]":
                return
            if separator != ",":
                raise BadBody(
                    f"the body is not valid JSON: expected ',' or ']' in {self.list_key}",
                    status=400,
                )
