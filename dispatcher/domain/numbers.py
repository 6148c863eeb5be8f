"""Phone numbers as backend systems send them, made into what the provider accepts.

The provider wants the country prefix and the number, digits only, exactly 12
characters.  North American numbers (+1 and 10 digits) go as ``01`` + 10 digits.
A bad number never raises: it comes back with a reason a person can act on.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberType, ValidationResult

PROVIDER_DIGITS = 12
_KEEP = re.compile(r"[^\d+]")
_ALLOWED_NOISE = re.compile(r"^[\d\s+().\-/]*$")
# E.164 numbers have at most 15 digits; none with fewer than 8 can be 12 for the provider.
_MIN_DIGITS = 8
_MAX_DIGITS = 15


class InvalidReason(StrEnum):
    EMPTY = "empty"
    NOT_A_NUMBER = "not_a_number"
    WRONG_LENGTH = "wrong_length"
    UNKNOWN_COUNTRY = "unknown_country"
    INVALID_NUMBER = "invalid_number"
    NOT_MOBILE = "not_mobile"
    NOT_12_DIGITS_FOR_PROVIDER = "not_12_digits_for_provider"
    SCIENTIFIC_NOTATION = "scientific_notation"
    # Personalised messages: the number is fine, its text is not.
    MISSING_FIELD = "missing_field"
    TOO_LONG = "too_long"


REASON_TEXT: dict[InvalidReason, str] = {
    InvalidReason.EMPTY: "the number is empty",
    InvalidReason.NOT_A_NUMBER: "not a phone number (letters or symbols in it)",
    InvalidReason.WRONG_LENGTH: "too short or too long for its country",
    InvalidReason.UNKNOWN_COUNTRY: "the country prefix does not exist",
    InvalidReason.INVALID_NUMBER: "no such number range in its country",
    InvalidReason.NOT_MOBILE: "not a mobile number (fixed line, toll-free, ...): it cannot get SMS",
    InvalidReason.NOT_12_DIGITS_FOR_PROVIDER: (
        "the provider only takes numbers of 12 digits with the country prefix"
    ),
    InvalidReason.SCIENTIFIC_NOTATION: (
        "a spreadsheet wrote it in scientific notation (3.00111E+09) and its last digits "
        "are lost: format the column as text and export again"
    ),
    InvalidReason.MISSING_FIELD: "no value for a field the message uses",
    InvalidReason.TOO_LONG: "its text is over the provider's 765 characters",
}


@dataclass(frozen=True, slots=True)
class InvalidSample:
    """A number intake refused: its line in the upload, as written (cut short), why."""

    line: int | None
    value: str
    reason: str
    detail: str


# What spreadsheets and copy-paste add to numbers: invisible marks, odd spaces,
# full-width digits (NFKC folds those), a float's ``.0``, a ``tel:`` URI.
_INVISIBLE = dict.fromkeys(
    [*range(0x200B, 0x2010), *range(0x202A, 0x202F), *range(0x2060, 0x2065), 0xFEFF, 0x00AD]
)
_SPACES = dict.fromkeys([0x00A0, 0x2007, 0x202F, 0x3000], " ")
_FLOAT = re.compile(r"^(\+?\d+)\.0+$")
_SCIENTIFIC = re.compile(r"^(\d+)(?:[.,](\d+))?[eE]\+?(\d+)$")
# Thousands separators in groups of three, one kind per number: 3,001,112,235 and
# 3.001.112.235 (how a Colombian spreadsheet writes it).
_GROUPED = re.compile(r"^\+?\d{1,3}([.,])\d{3}(?:\1\d{3})*$")
_TEL = re.compile(r"^tel:", re.IGNORECASE)


def tidy(raw: str) -> str:
    """The number as written, without what a spreadsheet or a paste added to it."""
    text = unicodedata.normalize("NFKC", raw.translate(_INVISIBLE).translate(_SPACES)).strip()
    if _TEL.match(text):
        text = text[4:].split(";", 1)[0]
    if float_ := _FLOAT.match(text):
        text = float_.group(1)
    elif _GROUPED.match(text):
        text = text.replace(",", "").replace(".", "")
    elif scientific := _SCIENTIFIC.match(text):
        text = _unscientific(scientific) or text  # digits lost: normalise says so
    return text


def _unscientific(match: re.Match[str]) -> str | None:
    """``3.001112236E+09`` is 3001112236: the mantissa holds every digit.  ``3.00111E+09``
    lost the last four: None."""
    whole, fraction, exponent = match.group(1), match.group(2) or "", int(match.group(3))
    if len(fraction) < exponent:
        return None
    if fraction[exponent:].strip("0"):
        return None  # not a whole number
    return (whole + fraction[:exponent]).lstrip("0") or "0"


@dataclass(frozen=True, slots=True)
class Normalised:
    """``msisdn`` (12 digits) when the number is sendable, else ``reason``."""

    raw: str
    msisdn: str | None
    reason: InvalidReason | None = None

    @property
    def ok(self) -> bool:
        return self.msisdn is not None


def to_provider_digits(country_code: int, national_number: str) -> str | None:
    """Apply the provider's 12-digit rule to an already valid number."""
    if country_code == 1 and len(national_number) == 10:
        return "01" + national_number
    digits = f"{country_code}{national_number}"
    return digits if len(digits) == PROVIDER_DIGITS else None


def _parse(cleaned: str, region: str) -> tuple[phonenumbers.PhoneNumber, bool]:
    """Parse, and say whether the number is valid (computed once: it is the slow part)."""
    if cleaned.startswith("00"):
        # International dialling prefix.  Colombia's carrier-select prefixes (005, 007,
        # 009) would otherwise eat the first digit of the country code.
        number = phonenumbers.parse("+" + cleaned[2:], None)
        return number, phonenumbers.is_valid_number(number)
    if cleaned.startswith("+"):
        number = phonenumbers.parse(cleaned, None)
        return number, phonenumbers.is_valid_number(number)
    national = phonenumbers.parse(cleaned, region)
    if phonenumbers.is_valid_number(national):
        return national, True
    if len(cleaned) not in (PROVIDER_DIGITS - 1, PROVIDER_DIGITS):
        # Read as international, only 11 (+1 and 10) or 12 digits can suit the provider.
        return national, False
    # Backend systems often send the full international number without the '+'.
    try:
        international = phonenumbers.parse("+" + cleaned, None)
    except NumberParseException:
        return national, False
    if phonenumbers.is_valid_number(international):
        return international, True
    return national, False


def normalise(raw: str, region: str = "CO") -> Normalised:
    """Turn ``+57 310 211 1111``, ``3102111111``, ``(310) 211-1111``, ``0057...`` or
    ``573102111111`` into ``573102111111``; anything else gets a reason."""
    text = tidy(raw)
    if not text:
        return Normalised(raw, None, InvalidReason.EMPTY)
    if _SCIENTIFIC.match(text):
        return Normalised(raw, None, InvalidReason.SCIENTIFIC_NOTATION)
    if not _ALLOWED_NOISE.match(text) or text.count("+") > 1 or "+" in text[1:]:
        return Normalised(raw, None, InvalidReason.NOT_A_NUMBER)
    cleaned = _KEEP.sub("", text)
    digits = cleaned.lstrip("+")
    if not digits:
        return Normalised(raw, None, InvalidReason.NOT_A_NUMBER)
    significant = len(digits) - (2 if cleaned.startswith("00") else 0)
    if not _MIN_DIGITS <= significant <= _MAX_DIGITS:
        # Too short or too long to be a mobile number with its country prefix anywhere.
        return Normalised(raw, None, InvalidReason.WRONG_LENGTH)
    rules = region_rules(region)
    if rules is not None and (known := rules.classify(raw, cleaned)) is not None:
        return known
    try:
        number, valid = _parse(cleaned, region)
    except NumberParseException as exc:
        if exc.error_type == NumberParseException.INVALID_COUNTRY_CODE:
            return Normalised(raw, None, InvalidReason.UNKNOWN_COUNTRY)
        if exc.error_type in (NumberParseException.TOO_SHORT_NSN, NumberParseException.TOO_LONG):
            return Normalised(raw, None, InvalidReason.WRONG_LENGTH)
        return Normalised(raw, None, InvalidReason.NOT_A_NUMBER)
    if not valid:
        possible = phonenumbers.is_possible_number_with_reason(number)
        if possible == ValidationResult.INVALID_COUNTRY_CODE:
            return Normalised(raw, None, InvalidReason.UNKNOWN_COUNTRY)
        if possible not in (ValidationResult.IS_POSSIBLE, ValidationResult.IS_POSSIBLE_LOCAL_ONLY):
            return Normalised(raw, None, InvalidReason.WRONG_LENGTH)
        return Normalised(raw, None, InvalidReason.INVALID_NUMBER)
    if phonenumbers.number_type(number) not in SMS_TYPES:
        return Normalised(raw, None, InvalidReason.NOT_MOBILE)
    national = phonenumbers.national_significant_number(number)
    result = to_provider_digits(number.country_code or 0, national)
    if result is None:
        return Normalised(raw, None, InvalidReason.NOT_12_DIGITS_FOR_PROVIDER)
    return Normalised(raw, result)


def is_provider_msisdn(value: str) -> bool:
    """The provider's own format check: exactly 12 digits."""
    return len(value) == PROVIDER_DIGITS and value.isdigit()


# The types that can receive SMS.  FIXED_LINE_OR_MOBILE is how many countries (the +1
# plan among them) label every number.
SMS_TYPES = frozenset({PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE})

# phonenumbers' own order for deciding a number's type (``_number_type_helper``).
_TYPE_ORDER = (
    ("premium_rate", PhoneNumberType.PREMIUM_RATE),
    ("toll_free", PhoneNumberType.TOLL_FREE),
    ("shared_cost", PhoneNumberType.SHARED_COST),
    ("voip", PhoneNumberType.VOIP),
    ("personal_number", PhoneNumberType.PERSONAL_NUMBER),
    ("pager", PhoneNumberType.PAGER),
    ("uan", PhoneNumberType.UAN),
    ("voicemail", PhoneNumberType.VOICEMAIL),
)

_Desc = tuple[re.Pattern[str], frozenset[int]]


def _desc(desc: phonenumbers.PhoneNumberDesc | None) -> _Desc | None:
    if desc is None or desc.national_number_pattern is None:
        return None
    return re.compile(desc.national_number_pattern), frozenset(desc.possible_length or ())


def _matches(desc: _Desc | None, national: str) -> bool:
    if desc is None:
        return False
    pattern, lengths = desc
    return (not lengths or len(national) in lengths) and pattern.fullmatch(national) is not None


class RegionRules:
    """The default region's numbering plan, applied without a full ``phonenumbers`` parse.

    It decides only the spellings whose meaning is unambiguous — the national number
    alone (``3102111111``), or after the country code (``573102111111``, ``+57...``,
    ``0057...``), with a national number of the region's mobile length that does not
    start with the national prefix — and types them exactly as ``phonenumbers`` does
    (same patterns, same order).  Plain digits one too many or too few for the region
    can never make 12 provider digits: they are ``wrong_length``.  Anything else is
    left to the general path.
    """

    def __init__(self, metadata: phonenumbers.PhoneMetadata, length: int):
        self.cc = str(metadata.country_code)
        self.length = length
        self.general = _desc(metadata.general_desc)
        self.fixed = _desc(metadata.fixed_line)
        self.mobile = _desc(metadata.mobile)
        self.earlier = [d for name, _t in _TYPE_ORDER if (d := _desc(getattr(metadata, name)))]
        general = metadata.general_desc
        general_lengths = set(general.possible_length or ()) if general else set()
        self._short_lengths = {n for n in range(_MIN_DIGITS, length) if n not in general_lengths}

        # national_of() only returns numbers of the mobile length: precompile the patterns
        # that apply to that length (one alternation for the types phonenumbers tries
        # before mobile), so the hot path is three regex calls.
        def applies(desc: _Desc | None) -> re.Pattern[str] | None:
            return desc[0] if desc and (not desc[1] or length in desc[1]) else None

        earlier = [p.pattern for d in self.earlier if (p := applies(d)) is not None]
        self._general = applies(self.general)
        self._earlier = re.compile("|".join(f"(?:{e})" for e in earlier)) if earlier else None
        self._mobile = applies(self.mobile)
        self._fixed = applies(self.fixed)
        # sms_capable() is True exactly when this matches: one regex call for the hot path.
        self.capable_re: re.Pattern[str] | None = None
        if self._general is not None and self._mobile is not None:
            no_earlier = f"(?!(?:{self._earlier.pattern})\\Z)" if self._earlier else ""
            self.capable_re = re.compile(
                f"(?=(?:{self._general.pattern})\\Z){no_earlier}(?:{self._mobile.pattern})"
            )

    def national_of(self, cleaned: str) -> str | None:
        cc, length = self.cc, self.length
        if cleaned.startswith("+"):
            body = cleaned[1:]
        elif cleaned.startswith("00"):
            body = cleaned[2:]
        elif len(cleaned) == length:
            # A national number that begins like the country code might be read either way.
            return None if cleaned.startswith((cc, "0")) else cleaned
        else:
            body = cleaned
        if len(body) != len(cc) + length or not body.startswith(cc) or body[len(cc)] == "0":
            return None
        return body[len(cc) :]

    def sms_capable(self, national: str) -> bool | None:
        """For a national number of the mobile length (what ``national_of`` returns):
        True: mobile.  False: a valid number of another type.  None: not valid."""
        if self._general is None or not self._general.fullmatch(national):
            return None
        if self._earlier is not None and self._earlier.fullmatch(national):
            return False
        if self._mobile is not None and self._mobile.fullmatch(national):
            return True
        return False if self._fixed is not None and self._fixed.fullmatch(national) else None

    def _wrong_length(self, cleaned: str) -> bool:
        if not cleaned.isdigit() or cleaned[0] == "0":
            return False
        size = len(cleaned)
        if size in self._short_lengths:
            return True  # phonenumbers: not a possible length for the region
        # One digit too many: nationally impossible, and read as international it is
        # 11 digits, which only +1 numbers turn into the provider's 12.
        return size == self.length + 1 and cleaned[0] != "1" and not cleaned.startswith(self.cc)

    def classify(self, raw: str, cleaned: str) -> Normalised | None:
        national = self.national_of(cleaned)
        if national is None:
            if self._wrong_length(cleaned):
                return Normalised(raw, None, InvalidReason.WRONG_LENGTH)
            return None
        capable = self.sms_capable(national)
        if capable:
            return Normalised(raw, self.cc + national)
        reason = InvalidReason.INVALID_NUMBER if capable is None else InvalidReason.NOT_MOBILE
        return Normalised(raw, None, reason)


@lru_cache(maxsize=32)
def region_rules(region: str) -> RegionRules | None:
    """Rules for regions where they are exact: one region for the country code, and every
    mobile number has the national length that makes 12 digits for the provider."""
    metadata = phonenumbers.PhoneMetadata.metadata_for_region(region)
    if metadata is None or metadata.mobile is None or metadata.country_code is None:
        return None
    length = PROVIDER_DIGITS - len(str(metadata.country_code))
    if phonenumbers.region_codes_for_country_code(metadata.country_code) != (region,):
        return None
    if tuple(metadata.mobile.possible_length or ()) != (length,):
        return None
    if not (metadata.national_prefix_for_parsing or "0").startswith("0"):
        return None  # a national prefix that may begin with 1-9 makes plain digits ambiguous
    return RegionRules(metadata, length)


_SEPARATORS = str.maketrans("", "", " -().")


class FastNormaliser:
    """``normalise`` for bulk intake: plain digits go straight to the region rules
    (no regex for noise, no parse); everything else takes the general path."""

    def __init__(self, region: str = "CO"):
        self.region = region
        self.rules = region_rules(region)

    def quick(self, raw: str) -> str | None:
        """The provider's 12 digits for a plain mobile number of the region, else None
        (which means "ask ``normalise``", not "invalid")."""
        rules = self.rules
        if rules is None or rules.capable_re is None:
            return None
        if raw.isascii() and raw.isdigit():
            # Nearly every line of a CRM export: ten plain digits, a national number.
            if len(raw) == rules.length and not raw.startswith((rules.cc, "0")):
                return rules.cc + raw if rules.capable_re.fullmatch(raw) else None
            text = raw
        else:
            text = raw.strip()
        if not (text.isascii() and text.isdigit()):
            # "+57 310 211 1111", "(310) 211-1111": drop the usual separators.
            plus = text.startswith("+")
            text = text[1:].translate(_SEPARATORS) if plus else text.translate(_SEPARATORS)
            if not (text.isascii() and text.isdigit()):
                return None
            if plus:
                text = "+" + text
        national = rules.national_of(text)
        if national is None or rules.capable_re.fullmatch(national) is None:
            return None
        return rules.cc + national

    def __call__(self, raw: str) -> Normalised:
        quick = self.quick(raw)
        return Normalised(raw, quick) if quick is not None else normalise(raw, self.region)
