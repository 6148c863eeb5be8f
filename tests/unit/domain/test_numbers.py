from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dispatcher.domain.numbers import (
    REASON_TEXT,
    FastNormaliser,
    InvalidReason,
    is_provider_msisdn,
    normalise,
)


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("+57 310 211 1111", "573102111111"),
        ("3102111111", "573102111111"),
        ("573102111111", "573102111111"),
        ("(310) 211-1111", "573102111111"),
        ("0057 310 211 1111", "573102111111"),
        ("00573102111111", "573102111111"),
        ("  310.211.1111  ", "573102111111"),
        ("+58 414 2871901", "584142871901"),
        ("584142871901", "584142871901"),
        ("+593 99 123 4567", "593991234567"),
        ("+1 212 555 0123", "012125550123"),
        ("+44 7911 123456", "447911123456"),
    ],
)
def test_normalises_what_backends_send(raw: str, expected: str) -> None:
    result = normalise(raw)
    assert result.ok, result.reason
    assert result.msisdn == expected


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("", InvalidReason.EMPTY),
        ("   ", InvalidReason.EMPTY),
        ("abc", InvalidReason.NOT_A_NUMBER),
        ("310-ABC-1111", InvalidReason.NOT_A_NUMBER),
        ("31+02111111", InvalidReason.NOT_A_NUMBER),
        ("++573102111111", InvalidReason.NOT_A_NUMBER),
        ("()", InvalidReason.NOT_A_NUMBER),
        ("31021111", InvalidReason.INVALID_NUMBER),
        ("3", InvalidReason.WRONG_LENGTH),
        ("+57 310 211 1111 1111 111", InvalidReason.WRONG_LENGTH),
        ("+999 123456789", InvalidReason.UNKNOWN_COUNTRY),
        ("+57 601 2345678", InvalidReason.NOT_MOBILE),
        # Valid mobile numbers whose international form is not 12 digits.
        ("+33 6 12 34 56 78", InvalidReason.NOT_12_DIGITS_FOR_PROVIDER),
        ("+49 1512 3456789", InvalidReason.NOT_12_DIGITS_FOR_PROVIDER),
    ],
)
def test_bad_numbers_get_a_reason_not_an_exception(raw: str, reason: InvalidReason) -> None:
    result = normalise(raw)
    assert not result.ok
    assert result.msisdn is None
    assert result.reason is reason


def test_region_is_used_for_national_numbers() -> None:
    assert normalise("4142871901", region="VE").msisdn == "584142871901"


@given(st.text(max_size=40))
def test_normalise_never_raises_and_only_returns_provider_numbers(raw: str) -> None:
    result = normalise(raw)
    if result.ok:
        assert result.msisdn is not None and is_provider_msisdn(result.msisdn)
        assert result.reason is None
    else:
        assert result.reason is not None


@given(st.from_regex(r"3[0-2][0-9]{8}", fullmatch=True))
def test_colombian_mobiles_in_any_spelling_agree(national: str) -> None:
    plain = normalise(national)
    if not plain.ok:
        return  # an unallocated range; all spellings must agree it is bad
    spelled = [
        f"+57{national}",
        f"57{national}",
        f"0057{national}",
        f"({national[:3]}) {national[3:]}",
    ]
    assert {normalise(s).msisdn for s in spelled} == {plain.msisdn}


FAST = FastNormaliser("CO")

spellings = st.one_of(
    st.from_regex(r"\+?(57)?3[0-9]{9}", fullmatch=True),
    st.from_regex(r"(00|\+)?57 ?3[0-9]{2}[ -]?[0-9]{3}[ -]?[0-9]{4}", fullmatch=True),
    st.from_regex(r"\(?3[0-9]{2}\)? ?[0-9]{3}[.-]?[0-9]{4}", fullmatch=True),
    st.from_regex(r"\+?[0-9]{6,14}", fullmatch=True),
    st.text(alphabet="0123456789+ -().", max_size=18),
)


@given(spellings)
def test_fast_path_agrees_with_the_general_rules(raw: str) -> None:
    assert FAST(raw) == normalise(raw, "CO")


def test_fast_path_is_off_for_regions_it_cannot_shortcut() -> None:
    fast = FastNormaliser("US")  # +1 numbers become 01 + 10 digits: left to the slow path
    assert fast.quick("2125550123") is None
    assert fast("2125550123").msisdn == "012125550123"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("3001112233.0", "573001112233"),  # a number column saved as floats
        ("573001112233.0", "573001112233"),
        ("\u200e3001112233", "573001112233"),  # a left-to-right mark pasted with it
        ("\ufeff3001112233", "573001112233"),
        ("300\u00a0111\u00a02233", "573001112233"),  # non-breaking spaces
        ("３００１１１２２３３", "573001112233"),  # full-width digits
        ("tel:+57-300-111-2233", "573001112233"),
        ("TEL:+573001112233;ext=1", "573001112233"),
    ],
)
def test_numbers_as_spreadsheets_and_pastes_write_them(raw: str, expected: str) -> None:
    assert normalise(raw).msisdn == expected


@pytest.mark.parametrize("raw", ["3.00111E+09", "5.73001E+11", "3,00111E+09", "3E+09"])
def test_scientific_notation_says_how_to_fix_the_file(raw: str) -> None:
    result = normalise(raw)
    assert result.reason is InvalidReason.SCIENTIFIC_NOTATION
    assert "format the column as text" in REASON_TEXT[InvalidReason.SCIENTIFIC_NOTATION]


@pytest.mark.parametrize(
    ("raw", "msisdn"),
    [
        ("3.001112236E+09", "573001112236"),  # the mantissa holds every digit
        ("3,001112236E+9", "573001112236"),  # a decimal comma
        ("3.0011122360E+09", "573001112236"),  # a trailing zero past the point
        ("3,001,112,235", "573001112235"),  # thousands separators, in threes
        ("3.001.112.235", "573001112235"),  # as a Colombian spreadsheet writes it
        ("+57 3.001.112.235", "573001112235"),
    ],
)
def test_spreadsheet_forms_that_keep_every_digit_are_accepted(raw: str, msisdn: str) -> None:
    assert normalise(raw).msisdn == msisdn
    assert FastNormaliser()(raw).msisdn == msisdn


@pytest.mark.parametrize("raw", ["3.00111E+09", "3.00111223E+09", "3.0011122365E+09"])
def test_scientific_notation_that_lost_digits_is_refused_with_that_reason(raw: str) -> None:
    assert normalise(raw).reason is InvalidReason.SCIENTIFIC_NOTATION


def test_thousands_groups_must_be_of_three() -> None:
    assert normalise("3,001,112,2355").msisdn is None
    assert normalise("3.001,112.235").msisdn is None  # two kinds of separator
