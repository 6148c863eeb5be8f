from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dispatcher.domain.codes import Code, Outcome
from dispatcher.errors import UnparseableAnswer
from dispatcher.provider.answer import parse_balance_answer, parse_send_answer

SENT = ["584142871901", "573111111111", "573802338546", "573002333333"]


@pytest.mark.parametrize(
    "text",
    [
        "584142871901,12102253<br>573111111111,-4<br>573802338546,0<br>573002333333,-3<br>",
        "584142871901,12102253\n573111111111,-4\n573802338546,0\n573002333333,-3\n",
        "584142871901,12102253\r\n573111111111,-4\r\n573802338546,0\r\n573002333333,-3",
        "  584142871901 , 12102253 <br/>\t573111111111,-4<BR>573802338546,0<br />573002333333,-3  ",
        "<html><body>\n584142871901,12102253<br>\n573111111111,-4<br>\n573802338546,0<br>"
        "\n573002333333,-3<br>\n</body></html>",
        "\ufeff584142871901,12102253<br>573111111111,-4<br>573802338546,0<br>573002333333,-3<br>",
        "Notice: Undefined index in x.php on line 12<br>584142871901,12102253<br>"
        "573111111111,-4<br>573802338546,0<br>573002333333,-3<br>",
    ],
    ids=["br", "lf", "crlf", "spaces-and-br-variants", "html", "bom", "php-notice"],
)
def test_answer_shapes(text: str) -> None:
    answer = parse_send_answer(text, SENT)
    assert not answer.whole_request_error
    got = [(r.msisdn, r.outcome, r.code, r.provider_ref) for r in answer.results]
    assert got == [
        ("584142871901", Outcome.ACCEPTED, 12102253, "12102253"),
        ("573111111111", Outcome.INVALID, -4, None),
        ("573802338546", Outcome.REJECTED, 0, None),
        ("573002333333", Outcome.NO_BALANCE, -3, None),
    ]
    assert answer.raw == text


@pytest.mark.parametrize(
    ("code", "outcome"),
    [
        (12102253, Outcome.ACCEPTED),
        (1, Outcome.ACCEPTED),
        (int(Code.OPERATOR_NOT_FOUND), Outcome.REJECTED),
        (int(Code.NO_BALANCE), Outcome.NO_BALANCE),
        (int(Code.BAD_NUMBER), Outcome.INVALID),
        (int(Code.BLOCKED_NUMBER), Outcome.SUPPRESSED),
        (int(Code.AUTH_FAILED), Outcome.REJECTED),
        (int(Code.OUTSIDE_HOURS), Outcome.REJECTED),
        (int(Code.BAD_TEXT), Outcome.REJECTED),
        (int(Code.MAINTENANCE), Outcome.REJECTED),
        (int(Code.TOO_MANY_NUMBERS), Outcome.REJECTED),
        (int(Code.RESERVED_WORDS), Outcome.REJECTED),
        (int(Code.LINK_NOT_ALLOWED), Outcome.REJECTED),
        (int(Code.BAD_METHOD), Outcome.REJECTED),
        (-42, Outcome.UNKNOWN),
    ],
)
def test_every_code_per_number(code: int, outcome: Outcome) -> None:
    answer = parse_send_answer(
        f"573001112233,{code}<br>573001112234,1<br>", ["573001112233", "573001112234"]
    )
    assert answer.results[0].outcome is outcome
    assert answer.results[0].code == code  # unknown codes are kept raw


@pytest.mark.parametrize("code", [c for c in Code if c not in (Code.OPERATOR_NOT_FOUND,)])
def test_every_code_as_bare_whole_request_error(code: Code) -> None:
    answer = parse_send_answer(f"{int(code)}", SENT)
    assert answer.whole_request_error
    assert answer.request_code == int(code)
    assert answer.results == ()


def test_bare_zero_for_many_numbers_is_a_request_code() -> None:
    assert parse_send_answer("0", SENT).request_code == 0


def test_unknown_bare_code_is_kept_raw() -> None:
    answer = parse_send_answer(" -99 <br>", SENT)
    assert answer.request_code == -99


@pytest.mark.parametrize(
    ("text", "outcome", "ref"),
    [
        ("12102253", Outcome.ACCEPTED, "12102253"),
        ("12102253<br>", Outcome.ACCEPTED, "12102253"),
        ("-4", Outcome.INVALID, None),
        ("-8", Outcome.SUPPRESSED, None),
        ("0", Outcome.REJECTED, None),
        ("573102111111,12102253<br>", Outcome.ACCEPTED, "12102253"),
    ],
)
def test_single_number_bare_answers(text: str, outcome: Outcome, ref: str | None) -> None:
    answer = parse_send_answer(text, ["573102111111"])
    assert not answer.whole_request_error
    assert [(r.outcome, r.provider_ref) for r in answer.results] == [(outcome, ref)]


@pytest.mark.parametrize("code", [-1, -2, -3, -5, -6, -9, -10, -11])
def test_single_number_bare_request_codes_stay_request_errors(code: int) -> None:
    assert parse_send_answer(str(code), ["573102111111"]).request_code == code


def test_numbers_missing_from_the_answer_are_uncertain() -> None:
    answer = parse_send_answer("584142871901,12102253<br>573802338546,0<br>", SENT)
    outcomes = {r.msisdn: r.outcome for r in answer.results}
    assert outcomes == {
        "584142871901": Outcome.ACCEPTED,
        "573111111111": Outcome.UNCERTAIN,
        "573802338546": Outcome.REJECTED,
        "573002333333": Outcome.UNCERTAIN,
    }
    assert [r.code for r in answer.by_outcome(Outcome.UNCERTAIN)] == [None, None]


def test_numbers_we_did_not_send_are_reported_not_invented() -> None:
    answer = parse_send_answer("584142871901,5<br>579999999999,6<br>", SENT[:1])
    assert [r.msisdn for r in answer.results] == ["584142871901"]
    assert answer.unexpected == (("579999999999", 6),)


def test_duplicate_lines_keep_the_first() -> None:
    answer = parse_send_answer("584142871901,5<br>584142871901,-3<br>", SENT[:1])
    assert answer.results[0].code == 5


@pytest.mark.parametrize(
    "text",
    ["", "   ", "<html><body>Error de base de datos</body></html>", "OK", "-1<br>-3<br>", "12,ab"],
)
def test_unreadable_answers_raise_maybe_sent(text: str) -> None:
    with pytest.raises(UnparseableAnswer) as info:
        parse_send_answer(text, SENT)
    assert info.value.maybe_sent
    assert info.value.raw == text


def test_one_reference_for_many_numbers_is_uncertain() -> None:
    with pytest.raises(UnparseableAnswer, match="uncertain"):
        parse_send_answer("12102253", SENT)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1500", "1500"),
        (" 1500 <br>", "1500"),
        ("12.5", "12.5"),
        ("12,5", "12.5"),
        ("-1", -1),
        ("0", "0"),
    ],
)
def test_balance_answers(text: str, value: int | str) -> None:
    assert parse_balance_answer(text) == value


@pytest.mark.parametrize("text", ["", "saldo: mucho", "1<br>2"])
def test_bad_balance_answers(text: str) -> None:
    with pytest.raises(UnparseableAnswer):
        parse_balance_answer(text)


# -- properties ---------------------------------------------------------------------
msisdns = st.lists(
    st.from_regex(r"57[0-9]{10}", fullmatch=True), min_size=1, max_size=30, unique=True
)
codes = st.one_of(st.integers(min_value=1, max_value=10**9), st.sampled_from([0, -3, -4, -8, -42]))
separators = st.sampled_from(["<br>", "\n", "\r\n", "<br>\n", " <BR/> "])


@given(st.data(), msisdns, separators)
def test_roundtrip_any_separator(data: st.DataObject, sent: list[str], sep: str) -> None:
    answered = data.draw(st.lists(st.sampled_from(sent), unique=True))
    code_of = {m: data.draw(codes) for m in answered}
    text = sep.join(f"{m},{code_of[m]}" for m in answered) + sep
    if not answered:
        text = "<html></html>"
    try:
        answer = parse_send_answer(text, sent)
    except UnparseableAnswer:
        assert not answered
        return
    assert [r.msisdn for r in answer.results] == sent
    for result in answer.results:
        if result.msisdn in code_of:
            assert result.code == code_of[result.msisdn]
            assert (result.outcome is Outcome.ACCEPTED) == (code_of[result.msisdn] > 0)
        else:
            assert result.outcome is Outcome.UNCERTAIN and result.code is None


@given(st.text(max_size=300), msisdns)
def test_parser_never_crashes_on_noise(text: str, sent: list[str]) -> None:
    try:
        answer = parse_send_answer(text, sent)
    except UnparseableAnswer:
        return
    if not answer.whole_request_error:
        assert [r.msisdn for r in answer.results] == sent
