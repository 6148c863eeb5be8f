from __future__ import annotations

import pytest

from dispatcher.domain.codes import PAUSE_REASON, Action, Code, action_of, describe, outcome_of


def test_every_documented_code_has_a_meaning_and_an_action() -> None:
    assert sorted(int(c) for c in Code) == list(range(-11, 1))
    for code in Code:
        assert code.meaning
        assert isinstance(action_of(int(code)), Action)


@pytest.mark.parametrize(
    ("code", "action"),
    [
        (-1, Action.PAUSE_ACCOUNT),
        (-3, Action.PAUSE_ACCOUNT),
        (-6, Action.PAUSE_ACCOUNT),
        (-2, Action.DEFER),
        (-5, Action.FAIL_CAMPAIGN),
        (-9, Action.FAIL_CAMPAIGN),
        (-10, Action.FAIL_CAMPAIGN),
        (-11, Action.FAIL_CAMPAIGN),
        (-7, Action.SPLIT),
        (-77, Action.UNCERTAIN),
        # per-number codes that come bare for a block of many: which number? uncertain
        (-4, Action.UNCERTAIN),
        (-8, Action.UNCERTAIN),
        (0, Action.UNCERTAIN),
    ],
)
def test_whole_request_actions_follow_the_design(code: int, action: Action) -> None:
    assert action_of(code) is action


def test_pause_reasons() -> None:
    assert PAUSE_REASON == {
        Code.AUTH_FAILED: "auth",
        Code.NO_BALANCE: "balance",
        Code.MAINTENANCE: "maintenance",
    }


def test_describe() -> None:
    assert "12102253" in describe(12102253)
    assert "380" in describe(0)
    assert "not in the provider's table" in describe(-77)
    assert outcome_of(-77).value == "unknown"
