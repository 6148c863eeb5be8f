"""Personalised messages: ``{{field}}`` placeholders filled from each recipient's fields,
and GSM-7 transliteration.  Pure: a template and values in, a text (or why not) out.

- ``{{ nombre }}``: spaces inside the braces are allowed.  Names are letters, digits and
  underscore, matched to fields ignoring case and accents (``{{Número}}`` is ``numero``).
- ``{{ciudad|Bogotá}}``: the text after ``|`` is used when the recipient has no value.
- A message without ``{{`` is sent exactly as written.

Values are text: nothing in them is read as a placeholder, control characters are
stripped, and the rendered text is held to the provider's 765 characters (a value longer
than that can only make a text too long; sources refuse a value over 1,024 characters).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from dispatcher.domain.message import GSM7_BASIC, GSM7_EXTENDED, MAX_TEXT_CHARS

_PLACEHOLDER = re.compile(r"\{\{\s*(\w+)\s*(?:\|([^{}]*))?\}\}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


@lru_cache(maxsize=4096)
def field_key(name: str) -> str:
    """How a field is matched: without accents, case folded, trimmed.  Cached: a JSON
    body names the same few fields in every one of its recipients."""
    decomposed = unicodedata.normalize("NFKD", name.strip())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


def clean_value(value: str) -> str:
    """A field's value as it goes into a text: control characters out, ends trimmed."""
    return _CONTROL.sub("", value).strip()


@dataclass(frozen=True, slots=True)
class Missing:
    """A recipient has no value for ``field`` and the placeholder gives no default."""

    field: str

    @property
    def detail(self) -> str:
        return f"no value for {{{{{self.field}}}}} and the placeholder gives no default"


@dataclass(frozen=True, slots=True)
class TooLong:
    chars: int

    @property
    def detail(self) -> str:
        return (
            f"the text for this number has {self.chars} characters; "
            f"the provider takes at most {MAX_TEXT_CHARS}"
        )


@dataclass(frozen=True)
class Template:
    """A message cut at its placeholders: ``literals[0] field[0] literals[1] ...``."""

    message: str
    literals: tuple[str, ...]
    fields: tuple[str, ...]  # each placeholder's name as written
    keys: tuple[str, ...]  # ... and as matched (field_key)
    defaults: tuple[str | None, ...]

    @classmethod
    def literal(cls, message: str) -> Template:
        """The message as written, with no placeholders."""
        return cls(message, (message,), (), (), ())

    @property
    def personalised(self) -> bool:
        return bool(self.fields)

    @property
    def used_keys(self) -> tuple[str, ...]:
        """The distinct field keys, in the order they first appear."""
        return tuple(dict.fromkeys(self.keys))

    def needs(self) -> dict[str, str]:
        """Keys that have no default anywhere in the template -> the name as written."""
        out: dict[str, str] = {}
        for name, key, default in zip(self.fields, self.keys, self.defaults, strict=True):
            if default is None:
                out.setdefault(key, name)
        return out

    def render(self, values: Sequence[str]) -> str | Missing:
        """The text for one recipient; ``values`` follow ``used_keys`` ('' = no value)."""
        if not self.fields:
            return self.message
        by_key = dict(zip(self.used_keys, values, strict=True))
        parts = [self.literals[0]]
        for name, key, default, literal in zip(
            self.fields, self.keys, self.defaults, self.literals[1:], strict=True
        ):
            value = by_key[key]
            if not value:
                if default is None:
                    return Missing(name)
                value = default
            parts.append(value)
            parts.append(literal)
        return "".join(parts)

    def sample(self) -> str:
        """The template with each placeholder as its default or ``[name]``: for lengths
        and words, before any recipient is read."""
        if not self.fields:
            return self.message
        parts = [self.literals[0]]
        for name, default, literal in zip(
            self.fields, self.defaults, self.literals[1:], strict=True
        ):
            parts.append(default if default is not None else name)
            parts.append(literal)
        return "".join(parts)


class TemplateProblem(ValueError):
    """The message has ``{{`` or ``}}`` that is not a placeholder."""


def parse(message: str) -> Template:
    if "{{" not in message and "}}" not in message:
        return Template.literal(message)
    literals, fields, defaults = [], [], []
    last = 0
    for match in _PLACEHOLDER.finditer(message):
        literals.append(message[last : match.start()])
        fields.append(match.group(1))
        default = match.group(2)
        defaults.append(clean_value(default) if default is not None else None)
        last = match.end()
    literals.append(message[last:])
    for literal in literals:
        if "{{" in literal or "}}" in literal:
            at = literal.find("{{") if "{{" in literal else literal.find("}}")
            raise TemplateProblem(
                f"the message has {literal[at : at + 20]!r}, which is not a placeholder: write "
                "{{field}} with letters, digits or _ in the name (a default: {{field|text}})"
            )
    return Template(
        message,
        tuple(literals),
        tuple(fields),
        tuple(field_key(f) for f in fields),
        tuple(defaults),
    )


# Transliteration to GSM-7: characters with a plain equivalent.  ñ, é, ü, ¿ and ¡ (and the
# rest of GSM 03.38) are GSM-7 already and stay; what has no equivalent (emoji) stays too.
_TRANSLITERATE = str.maketrans(
    {
        "á": "a", "í": "i", "ó": "o", "ú": "u", "Á": "A", "Í": "I", "Ó": "O", "Ú": "U",
        "â": "a", "ê": "e", "î": "i", "ô": "o", "û": "u", "ã": "a", "õ": "o", "ç": "c",
        "ë": "e", "ï": "i", "È": "E", "Ê": "E", "Ë": "E", "À": "A", "Â": "A", "Ã": "A",
        "Ì": "I", "Î": "I", "Ï": "I", "Ò": "O", "Ô": "O", "Õ": "O", "Ù": "U", "Û": "U",
        "‘": "'", "’": "'", "‚": "'", "′": "'", "“": '"', "”": '"', "„": '"', "″": '"',
        "«": '"', "»": '"', "–": "-", "—": "-", "‐": "-", "‑": "-", "−": "-",
        "…": "...", "\u00a0": " ", "\u2009": " ", "\u202f": " ", "\u200b": "",
        "º": "o", "ª": "a", "´": "'", "`": "'",
    }
)  # fmt: skip


def transliterate(text: str) -> str:
    return text.translate(_TRANSLITERATE)


def not_gsm7(text: str) -> list[str]:
    """The characters that make a text UCS-2, each once, in order of appearance."""
    return list(
        dict.fromkeys(ch for ch in text if ch not in GSM7_BASIC and ch not in GSM7_EXTENDED)
    )
