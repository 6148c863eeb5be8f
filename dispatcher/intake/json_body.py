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

from dispatcher.domain.template import field_key
from dispatcher.errors import ValidationFailed

_LOOKAHEAD = 64 * 1024  # a recipient never needs more (MAX_ITEM_CHARS)
MAX_FIELD_CHARS = 64 * 1024  # name, message, URLs...: far above any legal value
MAX_ITEM_CHARS = 1024
_WHITESPACE = " \t\n\r"
_DECODER = json.JSONDecoder()
# Objects in a recipients list keep their numbers as written, like bare items.
_OBJECT_DECODER = json.JSONDecoder(parse_float=str, parse_int=str)
MAX_OBJECT_CHARS = 16 * 1024  # {"number": ..., "fields": {...}}
MAX_VALUE_CHARS = 1024  # one field's value

Item = str | tuple[str, dict[str, str]]  # a number, or a number with its fields


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

    def value(self, limit: int, what: str, objects: bool = False) -> tuple[Any, str]:
        """The next JSON value (decoded, and as written), at most ``limit`` characters;
        with ``objects``, an object too (its numbers kept as written)."""
        self.skip_space()
        opening = self.buf[self.pos : self.pos + 1]
        is_object = objects and opening == "{"
        if opening in ("[", "{") and not is_object:
            raise BadBody(f"{what} must be a string or a number, not a list or an object")
        if is_object:
            limit = MAX_OBJECT_CHARS
        self.fill(limit + 1)
        decoder = _OBJECT_DECODER if is_object else _DECODER
        try:
            value, end = decoder.raw_decode(self.buf, self.pos)
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


def _check_strings(value: Any, what: str) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _check_utf8(key, what)
            _check_strings(item, what)
    elif isinstance(value, list):
        for item in value:
            _check_strings(item, what)
    else:
        _check_utf8(value, what)


def _recipient(value: Any, written: str, where: str) -> Item:
    if isinstance(value, dict):
        return with_fields(value, where)
    if isinstance(value, bool) or value is None or not isinstance(value, str | int | float):
        raise BadBody(f"{where} must be a phone number (a string or a number)")
    return value if isinstance(value, str) else written


def with_fields(value: dict[str, Any], where: str) -> Item:
    """``{"number": "...", "fields": {"nombre": "Ana"}}``, values as text."""
    _check_strings(value, where)
    if unknown := set(value).difference(("number", "fields")):
        raise BadBody(
            f"{where} has {sorted(unknown)[0]!r}: a recipient object has 'number' and 'fields'"
        )
    number = value.get("number")
    if not isinstance(number, str):  # numbers arrive as written, as text
        raise BadBody(f"{where}.number must be a phone number (a string or a number)")
    fields = value.get("fields", {})
    if not isinstance(fields, dict):
        raise BadBody(f"{where}.fields must be an object of field names and values")
    out: dict[str, str] = {}
    for name, item in fields.items():
        if isinstance(item, dict | list):
            raise BadBody(f"{where}.fields.{name} must be text or a number")
        text = "" if item is None else str(item).lower() if isinstance(item, bool) else str(item)
        if len(text) > MAX_VALUE_CHARS:
            raise BadBody(f"{where}.fields.{name} is over {MAX_VALUE_CHARS:,} characters")
        out[name] = text
    return number, out


class JsonCampaign:
    """A JSON object of fields and one list of numbers (``recipients`` for a campaign,
    ``numbers`` for the suppression list)."""

    def __init__(self, handle: IO[bytes], list_key: str = "recipients", objects: bool = False):
        self._handle = handle
        self.list_key = list_key
        self._objects = objects  # recipients may be objects with fields (campaigns)
        self.field_names: dict[str, str] = {}  # field_key -> a name as written, once read

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
                for _index, item in self._items(reader):
                    count += 1
                    if isinstance(item, str):
                        digest.update(item.encode() + b"\x00")
                    else:
                        self._saw_fields(item[1])
                        digest.update(json.dumps(item, sort_keys=True).encode() + b"\x00")
                fields[key] = True
            else:
                fields[key] = reader.value(MAX_FIELD_CHARS, f"the field {key!r}")[0]
        if reader.skip_space():
            raise BadBody("the body is not valid JSON: something follows the object", status=400)
        return fields, count, digest.hexdigest()

    def _saw_fields(self, fields: dict[str, str]) -> None:
        if len(self.field_names) < 1000:
            for name in fields:
                self.field_names.setdefault(field_key(name), name)

    def recipients(self) -> Iterator[tuple[int, str]]:
        """``(index, number as sent)``, one by one, 1-based like a file's lines."""
        for index, item in self.items():
            yield index, item if isinstance(item, str) else item[0]

    def items(self) -> Iterator[tuple[int, Item]]:
        """``(index, number or (number, fields))``, one by one, 1-based."""
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

    def _items(self, reader: _Reader) -> Iterator[tuple[int, Item]]:
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
            value, written = reader.value(MAX_ITEM_CHARS, where, self._objects)
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
