"""Phone numbers as backend systems send them, made into what the provider accepts.

The provider wants the country prefix and the number, digits only, exactly 12
characters.  North American numbers (+1 and 10 digits) go as ``01`` + 10 digits.
A bad number never raises: it comes back with a reason a person can act on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

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


REASON_TEXT: dict[InvalidReason, str] = {
    InvalidReason.EMPTY: "the number is empty",
    InvalidReason.NOT_A_NUMBER: "not a phone number (letters or symbols in it)",
    InvalidReason.WRONG_LENGTH: "too short or too long for its country",
    InvalidReason.UNKNOWN_COUNTRY: "the country prefix does not exist",
    InvalidReason.INVALID_NUMBER: "no such number range in its country",
    InvalidReason.NOT_MOBILE: "a fixed line, which cannot receive SMS",
    InvalidReason.NOT_12_DIGITS_FOR_PROVIDER: (
        "the provider only takes numbers of 12 digits with the country prefix"
    ),
}


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
    text = raw.strip()
    if not text:
        return Normalised(raw, None, InvalidReason.EMPTY)
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
    if phonenumbers.number_type(number) == PhoneNumberType.FIXED_LINE:
        return Normalised(raw, None, InvalidReason.NOT_MOBILE)
    national = phonenumbers.national_significant_number(number)
    result = to_provider_digits(number.country_code or 0, national)
    if result is None:
        return Normalised(raw, None, InvalidReason.NOT_12_DIGITS_FOR_PROVIDER)
    return Normalised(raw, result)


def is_provider_msisdn(value: str) -> bool:
    """The provider's own format check: exactly 12 digits."""
    return len(value) == PROVIDER_DIGITS and value.isdigit()


class FastNormaliser:
    """``normalise`` for bulk intake.  The common spellings of the default region's
    mobile numbers are checked against the same ``phonenumbers`` metadata pattern
    without a full parse (about ten times faster); everything else goes the general
    way.  Both give the same answer (a property test checks it)."""

    _SEPARATORS = str.maketrans("", "", " -().")

    def __init__(self, region: str = "CO"):
        self.region = region
        metadata = phonenumbers.PhoneMetadata.metadata_for_region(region)
        mobile = metadata.mobile if metadata else None
        pattern = mobile.national_number_pattern if mobile else None
        self._mobile = re.compile(f"(?:{pattern})") if pattern else None
        self._cc = str(metadata.country_code) if metadata else ""
        cc_ok = metadata is not None and to_provider_digits(metadata.country_code or 0, "0" * 10)
        lengths = set(mobile.possible_length or ()) if mobile else set()
        # The shortcut only applies where every mobile number has the provider's length.
        self._enabled = bool(
            self._mobile and cc_ok and lengths == {PROVIDER_DIGITS - len(self._cc)}
        )

    def quick(self, raw: str) -> str | None:
        """The provider's 12 digits for a plain mobile number of the region, else None
        (which means "ask ``normalise``", not "invalid")."""
        if not self._enabled:
            return None
        text = raw.strip()
        if not (text.isascii() and text.isdigit()):
            plus = text.startswith("+")
            text = (text[1:] if plus else text).translate(self._SEPARATORS)
            if not (text.isascii() and text.isdigit()):
                return None
            if plus:
                return self._international(text)
        mobile = self._mobile
        assert mobile is not None
        if len(text) == PROVIDER_DIGITS - len(self._cc) and mobile.fullmatch(text):
            return self._cc + text
        return self._international(text)

    def _international(self, digits: str) -> str | None:
        cc = self._cc
        mobile = self._mobile
        assert mobile is not None
        if (
            len(digits) == PROVIDER_DIGITS
            and digits.startswith(cc)
            and mobile.fullmatch(digits, len(cc))
        ):
            return digits
        return None

    def __call__(self, raw: str) -> Normalised:
        quick = self.quick(raw)
        return Normalised(raw, quick) if quick is not None else normalise(raw, self.region)
