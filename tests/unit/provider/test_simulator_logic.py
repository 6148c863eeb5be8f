"""The simulator's provider rules, without a network."""

from __future__ import annotations

import pytest

from dispatcher.domain.codes import Code
from dispatcher.provider.answer import parse_send_answer
from dispatcher.provider.simulator import ProviderSimulator, SimConfig

OK = {"user": "demo", "token": "demo-token", "SMSText": "hola", "metodo_envio": "1via"}


def send(sim: ProviderSimulator, numbers: list[str], **params: str) -> str:
    return sim.handle_send({**OK, "GSM": ",".join(numbers), **params}, "POST").body


def codes(body: str, numbers: list[str]) -> list[int | None]:
    answer = parse_send_answer(body, numbers)
    if answer.request_code is not None:
        return [answer.request_code]
    return [r.code for r in answer.results]


@pytest.fixture
def sim() -> ProviderSimulator:
    return ProviderSimulator(SimConfig(enforce_window=False, balance=10))


def test_per_number_codes_and_balance_runs_down(sim: ProviderSimulator) -> None:
    numbers = ["573001112233", "5730011", "380123456789", "573802338546"]
    body = send(sim, numbers)
    assert body.endswith("<br>")
    got = codes(body, numbers)
    assert got[0] is not None and got[0] > 0
    assert got[1:] == [Code.BAD_NUMBER, Code.OPERATOR_NOT_FOUND, Code.OPERATOR_NOT_FOUND]
    assert sim.balance == 9


def test_per_number_no_balance_mid_block(sim: ProviderSimulator) -> None:
    numbers = [f"5730011122{i:02d}" for i in range(12)]
    got = codes(send(sim, numbers), numbers)
    assert [c for c in got if c is not None and c > 0] and len(
        [c for c in got if c and c > 0]
    ) == 10
    assert got[10:] == [Code.NO_BALANCE, Code.NO_BALANCE]
    assert sim.balance == 0
    # The next block gets the whole-request code.
    assert codes(send(sim, numbers[:2]), numbers[:2]) == [Code.NO_BALANCE]


@pytest.mark.parametrize(
    ("params", "config", "code"),
    [
        ({"token": "wrong"}, {}, Code.AUTH_FAILED),
        ({"user": "other"}, {}, Code.AUTH_FAILED),
        ({}, {"maintenance": True}, Code.MAINTENANCE),
        ({"metodo_envio": "sms"}, {}, Code.BAD_METHOD),
        ({"SMSText": ""}, {}, Code.BAD_TEXT),
        ({"SMSText": "x" * 766}, {}, Code.BAD_TEXT),
        ({"SMSText": "oferta palabraprohibida"}, {}, Code.RESERVED_WORDS),
        ({"SMSText": "pague en https://x.co/a"}, {}, Code.LINK_NOT_ALLOWED),
        (
            {},
            {"enforce_window": True, "fixed_now": "2026-11-25T21:00:00-05:00"},
            Code.OUTSIDE_HOURS,
        ),
        (
            {},
            {"enforce_window": True, "fixed_now": "2026-11-25T07:59:59-05:00"},
            Code.OUTSIDE_HOURS,
        ),
        ({}, {"balance": 0}, Code.NO_BALANCE),
        ({}, {"max_numbers": 1}, Code.TOO_MANY_NUMBERS),
    ],
)
def test_whole_request_errors(
    sim: ProviderSimulator, params: dict[str, str], config: dict[str, object], code: Code
) -> None:
    sim.configure(config)
    numbers = ["573001112233", "573001112234"]
    assert codes(send(sim, numbers, **params), numbers) == [code]
    assert sim.accepted_counts() == {}


def test_window_open_at_eight(sim: ProviderSimulator) -> None:
    sim.configure({"enforce_window": True, "fixed_now": "2026-11-25T08:00:00-05:00"})
    assert codes(send(sim, ["573001112233"]), ["573001112233"])[0] > 0  # type: ignore[operator]


def test_links_allowed_and_quoted_method(sim: ProviderSimulator) -> None:
    sim.configure({"links_allowed": True})
    body = send(sim, ["573001112233"], SMSText="ver www.x.com", metodo_envio="'2via'")
    assert codes(body, ["573001112233"])[0] > 0  # type: ignore[operator]


def test_block_list(sim: ProviderSimulator) -> None:
    sim.configure({"blocklist": ["573001112233"]})
    assert (
        codes(send(sim, ["573001112233", "573001112234"]), ["573001112233", "573001112234"])[0]
        == -8
    )


def test_over_5000_numbers_is_minus_7() -> None:
    sim = ProviderSimulator(SimConfig(enforce_window=False))
    numbers = [f"57300{i:07d}" for i in range(5001)]
    assert codes(send(sim, numbers), numbers) == [Code.TOO_MANY_NUMBERS]


def test_record_and_duplicates(sim: ProviderSimulator) -> None:
    send(sim, ["573001112233"])
    send(sim, ["573001112233"])
    records = sim.record_dicts()
    assert [r["numbers"] for r in records] == [["573001112233"], ["573001112233"]]
    assert records[0]["started_at"] <= records[1]["started_at"]
    assert sim.duplicates() == {"573001112233": 2}
    assert "token" not in str(sim.state())
    sim.reset()
    assert sim.record_dicts() == [] and sim.balance == 10


@pytest.mark.parametrize("style", ["br", "newline", "crlf", "html"])
def test_answer_styles_all_parse(sim: ProviderSimulator, style: str) -> None:
    sim.configure({"answer_style": style})
    numbers = ["573001112233", "5730011"]
    assert codes(send(sim, numbers), numbers)[1] == -4


def test_balance_accepts_token_or_password(sim: ProviderSimulator) -> None:
    assert sim.handle_balance({"user": "demo", "token": "demo-token"}).body == "10"
    assert sim.handle_balance({"user": "demo", "password": "demo-password"}).body == "10"
    assert sim.handle_balance({"user": "demo", "password": "nope"}).body == "-1"


def test_configure_refuses_unknown_settings(sim: ProviderSimulator) -> None:
    with pytest.raises(ValueError, match="unknown simulator settings: colour"):
        sim.configure({"colour": "red"})
    with pytest.raises(ValueError, match="fault kind"):
        sim.add_faults([{"kind": "explode"}])
