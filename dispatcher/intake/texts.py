"""A campaign's texts, as intake meets them: each recipient's text rendered from the
template, each distinct text numbered once, and each text's numbers cut into chunks of
their own (a request carries one text).

Memory stays flat however many texts there are (about 40 bytes a text): a text is kept
as its 16-byte digest in an open-addressing table of arrays (and, while they are few, by
the values that made it), and each text's figures and each chunk's span are packed in
arrays.  A million distinct texts cost about 40 MB, not the 250 MB of Python objects.
"""

from __future__ import annotations

import hashlib
import re
import struct
from array import array
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from dispatcher.domain.message import MAX_TEXT_CHARS, Encoding, find_links, measure
from dispatcher.domain.template import Missing, Template, TooLong, not_gsm7, transliterate
from dispatcher.errors import ValidationFailed

# Texts remembered by the values that render them (no rendering, no hashing), up to this
# many; past it, by their digest only.
_BY_VALUES_MAX = 4096
_PAIR = struct.Struct("<QQ")


@dataclass(frozen=True, slots=True)
class TextFigures:
    """What the plan needs of a campaign's texts."""

    texts: int
    requests: int
    numbers: int
    segments: int  # as sent
    segments_as_written: int  # without transliteration
    segments_transliterated: int  # with it
    gsm7_texts: int
    ucs2_texts: int
    ucs2_chars: list[str]
    examples: list[tuple[str, str]]  # (number, text), the first three


class _Digests:
    """16-byte digest -> id (0, 1, ...), in arrays: an open-addressing table of ids and
    each id's digest as two 64-bit halves."""

    def __init__(self) -> None:
        self._slots = array("i", [-1]) * 1024
        self._mask = 1023
        self._lo = array("Q")
        self._hi = array("Q")

    def __len__(self) -> int:
        return len(self._lo)

    def find_or_add(self, digest: bytes) -> tuple[int, bool]:
        """The digest's id, and whether it was just added."""
        lo, hi = _PAIR.unpack(digest)
        slots, mask, los, his = self._slots, self._mask, self._lo, self._hi
        at = lo & mask
        while (known := slots[at]) >= 0:
            if los[known] == lo and his[known] == hi:
                return known, False
            at = (at + 1) & mask
        new = len(los)
        los.append(lo)
        his.append(hi)
        slots[at] = new
        if 2 * len(los) > len(slots):
            self._grow()
        return new, True

    def _grow(self) -> None:
        size = 2 * len(self._slots)
        slots, mask = array("i", [-1]) * size, size - 1
        for known, lo in enumerate(self._lo):
            at = lo & mask
            while slots[at] >= 0:
                at = (at + 1) & mask
            slots[at] = known
        self._slots, self._mask = slots, mask


def _reserved(words: Sequence[str]) -> re.Pattern[str] | None:
    alternatives = "|".join(re.escape(w.strip()) for w in words if w.strip())
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE) if alternatives else None


class TextBook:
    """Texts by id (0, 1, ...), chunks by seq (0, 1, ...), for one campaign."""

    def __init__(
        self,
        campaign_id: int,
        template: Template,
        chunk_size: int,
        *,
        transliterated: bool = False,
        reserved_words: Sequence[str] = (),
        links_allowed: bool = True,
        account: str = "",
    ):
        self._campaign_id = campaign_id
        self.template = template
        self.chunk_size_limit = chunk_size
        self._transliterated = transliterated
        self._reserved = _reserved(reserved_words)
        self._links_allowed = links_allowed
        self._account = account
        self._by_values: dict[tuple[str, ...], int] = {}
        self._digests = _Digests()
        # per text
        self._numbers = array("i")
        self._segments = array("B")  # at most 12 (765 characters)
        self._segments_other = array("B")  # with transliteration if off, without if on
        self._ucs2 = bytearray()
        self._open_seq = array("i")  # the chunk taking this text's numbers, -1: none yet
        # per chunk
        self.chunk_size = array("H")  # CHUNK_SIZE is at most 5,000
        self.chunk_lo = array("i")
        self.chunk_hi = array("i")
        self.chunk_text = array("i")
        self._ucs2_chars: Counter[str] = Counter()
        self._new: list[str] = []  # COPY rows of texts met since the last take_new()
        self.examples: list[tuple[str, str]] = []
        self._first_texts: dict[int, str] = {}  # ids 0-2: the examples' texts

    # -- texts -----------------------------------------------------------------------

    def text_for(self, values: tuple[str, ...]) -> int | Missing | TooLong:
        """The id of this recipient's text (a new one is numbered and kept), or why the
        recipient cannot be sent."""
        known = self._by_values.get(values)
        if known is not None:
            return known
        rendered = self.template.render(values)
        if isinstance(rendered, Missing):
            return rendered
        text = transliterate(rendered) if self._transliterated else rendered
        if len(text) > MAX_TEXT_CHARS:
            return TooLong(len(text))
        text_id, new = self._digests.find_or_add(
            hashlib.blake2b(text.encode(), digest_size=16).digest()
        )
        if new:
            self._add(text_id, text, rendered, values)
        if len(self._by_values) < _BY_VALUES_MAX:
            self._by_values[values] = text_id
        return text_id

    def only_text(self) -> int:
        """The id of a message without placeholders: every number's text."""
        text_id = self.text_for(())
        if not isinstance(text_id, int):  # checked before intake; said plainly if not
            raise ValidationFailed(f"the message cannot be sent: {text_id.detail}")
        return text_id

    def _add(self, text_id: int, text: str, as_written: str, values: tuple[str, ...]) -> None:
        encoding, _units, segments = measure(text)
        if not text.strip():  # the template is all fields, and this recipient's are empty
            raise ValidationFailed(
                "a recipient's text is empty: the message has nothing but fields, and this "
                "recipient's are empty",
                problems=[{"field": "message", "detail": "write some text around the fields"}],
            )
        if self._reserved is not None and (found := self._reserved.search(text)):
            raise ValidationFailed(
                f"the text {text!r} has {found.group(0)!r}, a word the provider refuses on "
                f"account {self._account} (it would answer -9): change the text",
                problems=[
                    {"field": "message", "detail": f"reserved word {found.group(0)!r} in {text!r}"}
                ],
            )
        # A link can come only from the values (the template's own text was checked).
        maybe_link = any("." in v or ":" in v for v in values)
        if not self._links_allowed and maybe_link and (links := find_links(text)):
            raise ValidationFailed(
                f"the text {text!r} has a link ({links[0]}) and account {self._account} is "
                "not authorised for links (the provider would answer -10): remove it from "
                "the recipients' fields",
                problems=[{"field": "message", "detail": f"link {links[0]!r} in {text!r}"}],
            )
        ucs2 = encoding is Encoding.UCS2
        if self._transliterated:
            other = segments if as_written == text else measure(as_written)[2]
        else:  # transliteration changes only what is not GSM-7 already
            other = measure(transliterate(text))[2] if ucs2 else segments
        self._numbers.append(0)
        self._segments.append(segments)
        self._segments_other.append(other)
        self._ucs2.append(ucs2)
        if ucs2:
            self._ucs2_chars.update(not_gsm7(text))
        self._open_seq.append(-1)
        if text_id < 3:
            self._first_texts[text_id] = text
        self._new.append(
            f"{self._campaign_id}\t{text_id}\t{_copy_text(text)}\t{encoding.value}\t{segments}\n"
        )

    def example(self, number: str, text_id: int) -> None:
        """Keep ``number`` and its text as an example, if there are fewer than three."""
        if len(self.examples) < 3:
            self.examples.append((number, self._first_texts[text_id]))

    def take_new(self) -> str:
        """COPY rows (campaign_id, id, text, encoding, segments) of the texts met since
        last asked."""
        rows, self._new = "".join(self._new), []
        return rows

    def encoding(self) -> str:
        """GSM-7, UCS-2, or mixed: the encodings of the texts."""
        ucs2 = sum(self._ucs2)
        if ucs2 == 0:
            return Encoding.GSM7.value
        return Encoding.UCS2.value if ucs2 == len(self._ucs2) else "mixed"

    def most_segments(self) -> int:
        return max(self._segments, default=0)

    # -- chunks ----------------------------------------------------------------------

    def room(self, text_id: int) -> int:
        """How many more numbers of this text its open chunk takes (a new one: all)."""
        seq = self._open_seq[text_id]
        return self.chunk_size_limit - (self.chunk_size[seq] if seq >= 0 else 0)

    def place_span(self, text_id: int, lo: int, hi: int, count: int) -> int:
        """``count`` numbers of text ``text_id``, the first ``lo`` and the last ``hi``,
        that fit its open chunk (``room``), or a new one: the chunk's seq."""
        seq = self._open_seq[text_id]
        if seq < 0:
            seq = len(self.chunk_size)
            self._open_seq[text_id] = seq
            self.chunk_size.append(0)
            self.chunk_lo.append(lo)
            self.chunk_hi.append(lo)
            self.chunk_text.append(text_id)
        self.chunk_size[seq] += count
        self.chunk_hi[seq] = hi
        self._numbers[text_id] += count
        if self.chunk_size[seq] >= self.chunk_size_limit:
            self._open_seq[text_id] = -1
        return seq

    def place_run(self, text_id: int, ns: Sequence[int]) -> None:
        """Numbers ``ns`` (in order) of one text, chunk after chunk."""
        at = 0
        while at < len(ns):
            take = min(self.room(text_id), len(ns) - at)
            self.place_span(text_id, ns[at], ns[at + take - 1], take)
            at += take

    @property
    def chunks(self) -> int:
        return len(self.chunk_size)

    # -- figures ---------------------------------------------------------------------

    def figures(self) -> TextFigures:
        """Every text has at least one number: it is numbered for a sendable one."""
        sent = other = 0
        for numbers, segments, segments_other in zip(
            self._numbers, self._segments, self._segments_other, strict=True
        ):
            sent += numbers * segments
            other += numbers * segments_other
        ucs2 = sum(self._ucs2)
        texts = len(self._numbers)
        return TextFigures(
            texts=texts,
            requests=self.chunks,
            numbers=sum(self._numbers),
            segments=sent,
            segments_as_written=other if self._transliterated else sent,
            segments_transliterated=sent if self._transliterated else other,
            gsm7_texts=texts - ucs2,
            ucs2_texts=ucs2,
            ucs2_chars=[ch for ch, _ in self._ucs2_chars.most_common(20)],
            examples=list(self.examples),
        )


def _copy_text(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
