"""The message text: the provider's limits, encoding and segment count, links."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

MAX_TEXT_CHARS = 765

# GSM 03.38 basic character set, and the extension table (each costs two septets).
GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà"
)
GSM7_EXTENDED = frozenset("^{}\\[~]|€\f")

_LINK = re.compile(
    r"(?ix)"
    r"(?:\b(?:https?|ftp)://\S+)"  # scheme
    r"|(?:\bwww\.\S+)"  # www.
    r"|(?:\b[a-z0-9][a-z0-9-]*(?:\.[a-z0-9-]+)*\.(?:com|co|net|org|info|io|ly|me|link|app|"
    r"site|online|store|shop|xyz|gl|to|cc|biz|us|gov|edu|la|tv|do|es|mx|ec|pe|ve|pa)"
    r"(?:/\S*)?\b)"
)


class Method(StrEnum):
    """``metodo_envio``: one-way, two-way (replies come back) or flash."""

    ONE_WAY = "1via"
    TWO_WAY = "2via"
    FLASH = "flash"


class Encoding(StrEnum):
    GSM7 = "GSM-7"
    UCS2 = "UCS-2"


class TextProblem(StrEnum):
    EMPTY = "empty"
    TOO_LONG = "too_long"


@dataclass(frozen=True, slots=True)
class MessageInfo:
    chars: int
    encoding: Encoding
    units: int  # septets for GSM-7, UTF-16 code units for UCS-2
    segments: int
    links: tuple[str, ...]
    problem: TextProblem | None

    @property
    def ok(self) -> bool:
        return self.problem is None

    @property
    def has_link(self) -> bool:
        return bool(self.links)


GSM7 = GSM7_BASIC | GSM7_EXTENDED


def encoding_of(text: str) -> Encoding:
    return Encoding.GSM7 if GSM7.issuperset(text) else Encoding.UCS2


def measure(text: str) -> tuple[Encoding, int, int]:
    """Encoding, units (septets or UTF-16 code units) and segments: what a text costs."""
    chars = set(text)
    if GSM7.issuperset(chars):
        units = len(text) + sum(text.count(ch) for ch in chars & GSM7_EXTENDED)
        return Encoding.GSM7, units, segments_for(units, Encoding.GSM7)
    units = len(text.encode("utf-16-le")) // 2
    return Encoding.UCS2, units, segments_for(units, Encoding.UCS2)


def segments_for(units: int, encoding: Encoding) -> int:
    """Concatenated SMS: 160/153 septets for GSM-7, 70/67 code units for UCS-2."""
    single, multi = (160, 153) if encoding is Encoding.GSM7 else (70, 67)
    if units == 0:
        return 0
    if units <= single:
        return 1
    return -(-units // multi)


def find_links(text: str) -> tuple[str, ...]:
    return tuple(m.group(0).rstrip(".,;:!?)") for m in _LINK.finditer(text))


def inspect(text: str) -> MessageInfo:
    """Everything we know about a text before sending it."""
    encoding, units, segments = measure(text)
    problem = None
    if not text.strip():
        problem = TextProblem.EMPTY
    elif len(text) > MAX_TEXT_CHARS:
        problem = TextProblem.TOO_LONG
    return MessageInfo(
        chars=len(text),
        encoding=encoding,
        units=units,
        segments=segments,
        links=find_links(text),
        problem=problem,
    )


def problem_text(problem: TextProblem, chars: int) -> str:
    if problem is TextProblem.EMPTY:
        return "the message is empty; write the text to send"
    return (
        f"the message has {chars} characters; the provider takes at most {MAX_TEXT_CHARS}, "
        f"shorten it by {chars - MAX_TEXT_CHARS}"
    )
