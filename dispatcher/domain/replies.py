"""Replies as the provider delivers them (section 3 of its document:
``GET <url>?mensaje=HolaMundo&celular=573152338956``), and what makes one an opt-out.

Pure: bytes in, values out.  The provider's encoding is not documented, so a field is
read as UTF-8 and, when that fails, as Latin-1 (what older PHP stacks send)."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from urllib.parse import unquote_to_bytes

from dispatcher.domain.fields import BadField
from dispatcher.domain.numbers import is_provider_msisdn, normalise, tidy

MAX_TEXT = 2000  # an SMS reply is at most a few segments; more is not a reply
_WORDS = re.compile(r"[^\w]+")


class BadReply(BadField):
    """A request that is not a reply we can store."""


@dataclass(frozen=True, slots=True)
class Reply:
    msisdn: str  # 12 digits
    text: str


def decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def fields(*encoded: bytes) -> dict[str, list[str]]:
    """``a=1&b=2`` strings (the query, a form body) as decoded fields; ``+`` is a space."""
    found: dict[str, list[str]] = {}
    for part in encoded:
        for pair in part.split(b"&"):
            if not pair:
                continue
            key, _, value = pair.partition(b"=")
            found.setdefault(_unquote(key), []).append(_unquote(value))
    return found


def _unquote(raw: bytes) -> str:
    return decode(unquote_to_bytes(raw.replace(b"+", b" ")))


def parse(found: dict[str, list[str]], region: str) -> Reply:
    """``mensaje`` and ``celular`` (other fields are ignored), checked."""
    celular = _one(found, "celular")
    mensaje = _one(found, "mensaje")
    if len(mensaje) > MAX_TEXT:
        raise BadReply("mensaje", f"{len(mensaje)} characters; a reply has at most {MAX_TEXT}")
    if "\x00" in mensaje:
        raise BadReply("mensaje", "contains a NUL character")
    number = normalise(celular, region)
    digits = re.sub(r"\D", "", tidy(celular))
    if number.msisdn is not None:
        return Reply(number.msisdn, mensaje)
    if is_provider_msisdn(digits) and len(tidy(celular)) <= 16:
        return Reply(digits, mensaje)  # the provider's own 12 digits, whatever the line
    raise BadReply("celular", f"{celular[:40]!r} is not a phone number")


def _one(found: dict[str, list[str]], name: str) -> str:
    values = found.get(name)
    if not values:
        raise BadReply(name, "missing (the provider sends mensaje and celular)")
    if len(values) > 1:
        raise BadReply(name, "given more than once")
    return values[0]


def words(text: str) -> tuple[str, ...]:
    """Lower case, without accents or punctuation: ``"¡Salír, por favor!"`` is
    ``("salir", "por", "favor")``."""
    plain = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in plain if not unicodedata.combining(c)).casefold()
    return tuple(w for w in _WORDS.split(plain.replace("_", " ")) if w)


class OptOutWords:
    """``OPT_OUT_WORDS``: a reply opts out when it is one of them, or begins with one
    (``SALIR``, ``Salir.``, ``salír por favor``, ``no más``) — not when the word comes
    later (``no quiero salir`` is kept as a reply for a person to read)."""

    def __init__(self, configured: tuple[str, ...]):
        self.phrases = tuple(p for p in (words(w) for w in configured) if p)

    def __call__(self, text: str) -> bool:
        said = words(text)
        return any(said[: len(p)] == p for p in self.phrases)
