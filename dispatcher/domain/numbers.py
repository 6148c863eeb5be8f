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


def _parse(cleaned: str, region: str) -> phonenumbers.PhoneNumber:
    if cleaned.startswith("00"):
        # International dialling prefix.  Colombia's carrier-select prefixes (005, 007,
        # 009) would otherwise eat the first digit of the country code.
        return phonenumbers.parse("+" + cleaned[2:], None)
    if cleaned.startswith("+"):
        return phonenumbers.parse(cleaned, None)
    national = phonenumbers.parse(cleaned, region)
    if phonenumbers.is_valid_number(national):
        return national
    # Backend systems often send the full international number without the '+'.
    try:
        international = phonenumbers.parse("+" + cleaned, None)
    except NumberParseException:
        return national
    return international if phonenumbers.is_valid_number(international) else national


def normalise(raw: str, region: str = "CO") -> Normalised:
    """Turn ``+57 310 211 1111``, ``3102111111``, ``(310) 211-1111``, ``0057...`` or
    ``573102111111`` into ``573102111111``; anything else gets a reason."""
    text = raw.strip()
    if not text:
        return Normalised(raw, None, InvalidReason.EMPTY)
    if not _ALLOWED_NOISE.match(text) or text.count("+") > 1 or "+" in text[1:]:
        return Normalised(raw, None, InvalidReason.NOT_A_NUMBER)
    cleaned = _KEEP.sub("", text)
    if not cleaned.lstrip("+"):
        return Normalised(raw, None, InvalidReason.NOT_A_NUMBER)
    try:
        number = _parse(cleaned, region)
    except NumberParseException as exc:
        if exc.error_type == NumberParseException.INVALID_COUNTRY_CODE:
            return Normalised(raw, None, InvalidReason.UNKNOWN_COUNTRY)
        if exc.error_type in (NumberParseException.TOO_SHORT_NSN, NumberParseException.TOO_LONG):
            return Normalised(raw, None, InvalidReason.WRONG_LENGTH)
        return Normalised(raw, None, InvalidReason.NOT_A_NUMBER)
    possible = phonenumbers.is_possible_number_with_reason(number)
    if possible not in (ValidationResult.IS_POSSIBLE, ValidationResult.IS_POSSIBLE_LOCAL_ONLY):
        if possible == ValidationResult.INVALID_COUNTRY_CODE:
            return Normalised(raw, None, InvalidReason.UNKNOWN_COUNTRY)
        return Normalised(raw, None, InvalidReason.WRONG_LENGTH)
    if not phonenumbers.is_valid_number(number):
        return Normalised(raw, None, InvalidReason.INVALID_NUMBER)
    if phonenumbers.number_type(number) == PhoneNumberType.FIXED_LINE:
        return Normalised(raw, None, InvalidReason.NOT_MOBILE)
    national = phonenumbers.national_significant_number(number)
    digits = to_provider_digits(number.country_code or 0, national)
    if digits is None:
        return Normalised(raw, None, InvalidReason.NOT_12_DIGITS_FOR_PROVIDER)
    return Normalised(raw, digits)


def is_provider_msisdn(value: str) -> bool:
    """The provider's own format check: exactly 12 digits."""
    return len(value) == PROVIDER_DIGITS and value.isdigit()
