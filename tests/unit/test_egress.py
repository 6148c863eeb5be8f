"""Callbacks go to https on the public internet only."""

from __future__ import annotations

import pytest

from dispatcher.egress import callback_problem


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("http://93.184.216.34/hook", "must be https"),
        ("https://127.0.0.1:8080/_sim/reset", "not a public address"),
        ("https://169.254.169.254/latest/meta-data", "not a public address"),
        ("https://10.0.0.1/hook", "not a public address"),
        ("https://[::1]/hook", "not a public address"),
        ("https://0x7f000001/hook", "not a public address"),  # 127.0.0.1, written in hex
        ("https://2130706433/hook", "not a public address"),  # 127.0.0.1, as one number
        ("https://localhost/hook", "not a public address"),
        ("https://user:pw@93.184.216.34/hook", "must not carry a user"),
        ("https://no-such-host.invalid/hook", "does not resolve"),
        ("ftp://93.184.216.34/hook", "must be https"),
    ],
)
def test_callbacks_into_our_network_are_refused(url: str, says: str) -> None:
    problem = callback_problem(url, allow_private=False)
    assert problem is not None and says in problem


def test_a_public_https_address_may_be_called() -> None:
    assert callback_problem("https://93.184.216.34/hooks/done", allow_private=False) is None


def test_a_simulator_or_demo_may_allow_private_addresses() -> None:
    assert callback_problem("http://127.0.0.1:8080/done", allow_private=True) is None
    assert callback_problem("file:///etc/passwd", allow_private=True) is not None
