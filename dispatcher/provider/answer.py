"""Parse the provider's answer to a send.  Pure: text and the numbers sent in, data out.

The answer is one ``number,code`` line per number, each followed by ``<br>``; a
whole-request error is a bare code.  In the field it also comes with ``\\n``,
``\\r\\n``, stray whitespace and HTML around it.  Numbers we sent that the answer does
not mention are *uncertain*: we cannot know whether they went out.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence

from dispatcher.domain.answer import BlockAnswer, NumberResult
from dispatcher.domain.codes import PER_NUMBER_CODES, Outcome, known, outcome_of
from dispatcher.errors import UnparseableAnswer

_TAG = re.compile(r"<[^>]*>")
# Over the cleaned lines joined by "\n", one line at a time ("[^\S\n]": a space within it).
_PAIRS = re.compile(r"^\+?(\d{1,20})[^\S\n]*[,;][^\S\n]*(-?\d{1,20})$", re.MULTILINE)
_BARES = re.compile(r"^(-?\d{1,20})$", re.MULTILINE)
_MAX_RAW_IN_ERROR = 200


def _lines(text: str) -> list[str]:
    text = _TAG.sub("\n", text)
    text = html.unescape(text).replace("\ufeff", "")
    return [line.strip() for line in text.splitlines() if line.strip()]


def _result(msisdn: str, code: int) -> NumberResult:
    if code > 0:  # accepted: the code is the provider's reference
        return NumberResult(msisdn, Outcome.ACCEPTED, code, str(code))
    return NumberResult(msisdn, outcome_of(code), code)


def parse_send_answer(text: str, sent: Sequence[str]) -> BlockAnswer:
    """Read the provider's answer to sending ``text`` to the numbers ``sent``.

    Raises ``UnparseableAnswer`` (a maybe-sent error) when nothing in it can be read.
    """
    lines = "\n".join(_lines(text))
    # Lines that are neither are noise (PHP notices, HTML text): they never decide an
    # outcome.  One pass over the whole answer, not a match per line.
    pairs = [(msisdn, int(code)) for msisdn, code in _PAIRS.findall(lines)]
    if not pairs:
        return _bare_answer(text, [int(code) for code in _BARES.findall(lines)], sent)

    sent_set = set(sent)
    first_code: dict[str, int] = {}
    unexpected: list[tuple[str, int]] = []
    for msisdn, code in pairs:
        if msisdn in sent_set:
            first_code.setdefault(msisdn, code)
        else:
            unexpected.append((msisdn, code))
    results = tuple(
        _result(m, first_code[m]) if m in first_code else NumberResult(m, Outcome.UNCERTAIN, None)
        for m in sent
    )
    return BlockAnswer(raw=text, results=results, unexpected=tuple(unexpected))


def _bare_answer(text: str, bare: list[int], sent: Sequence[str]) -> BlockAnswer:
    if len(bare) != 1:
        shown = text if len(text) <= _MAX_RAW_IN_ERROR else text[:_MAX_RAW_IN_ERROR] + "..."
        raise UnparseableAnswer(
            f"the provider's answer has no number,code lines and no single code: {shown!r}; "
            "the block may have been sent, so it is marked uncertain",
            raw=text,
        )
    code = bare[0]
    if len(sent) == 1:
        if code > 0:
            # A one-number send answered only with the acceptance reference.
            return BlockAnswer(raw=text, results=(_result(sent[0], code),))
        found = known(code)
        if found in PER_NUMBER_CODES:
            return BlockAnswer(raw=text, results=(_result(sent[0], code),))
    if code > 0:
        raise UnparseableAnswer(
            f"the provider answered one reference ({code}) for {len(sent)} numbers; "
            "which of them went out cannot be known, so the block is uncertain",
            raw=text,
        )
    return BlockAnswer(raw=text, request_code=code)


def parse_balance_answer(text: str) -> int | str:
    """The balance answer: a number (returned as its text), or a bare negative code."""
    lines = _lines(text)
    if len(lines) != 1:
        raise UnparseableAnswer(
            f"cannot read a balance from {text[:_MAX_RAW_IN_ERROR]!r}", raw=text
        )
    value = lines[0].replace(" ", "")
    if re.fullmatch(r"-\d+", value):
        return int(value)
    if re.fullmatch(r"\d+(?:[.,]\d+)?", value):
        return value.replace(",", ".")
    raise UnparseableAnswer(
        f"cannot read a balance from {lines[0][:_MAX_RAW_IN_ERROR]!r}", raw=text
    )
