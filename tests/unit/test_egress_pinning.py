"""A delivery connects to the address that passed the check, and IPv6 forms that carry an
IPv4 address are judged by that address."""

from __future__ import annotations

import ipaddress
import socket
from typing import Any

import pytest

from dispatcher import egress


@pytest.mark.parametrize(
    "ip",
    ["::127.0.0.1", "::ffff:127.0.0.1", "::ffff:0:7f00:1", "64:ff9b::7f00:1", "2002:7f00:1::",
     "64:ff9b::a9fe:a9fe", "2001:0:4136:e378:8000:63bf:80ff:fffe"],
)  # fmt: skip
def test_ipv6_forms_that_carry_a_private_ipv4_are_not_public(ip: str) -> None:
    assert not egress.is_public(ipaddress.ip_address(ip))


def test_public_addresses_stay_public() -> None:
    for ip in ("93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946", "64:ff9b::5db8:d822"):
        assert egress.is_public(ipaddress.ip_address(ip)), ip


def answers(*ips: str) -> Any:
    calls = iter([[(socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, 443))] for ip in ips])
    return lambda *_a, **_k: next(calls)


def test_the_connection_goes_to_the_address_checked(monkeypatch: pytest.MonkeyPatch) -> None:
    # A name that answers a public address first and loopback next (DNS rebinding): the
    # delivery resolves once and connects to what it checked.
    monkeypatch.setattr(socket, "getaddrinfo", answers("93.184.216.34", "127.0.0.1"))
    target = egress.pinned("https://hooks.example.org:8443/done?x=1", allow_private=False)
    assert target == egress.Pinned(
        "https://93.184.216.34:8443/done?x=1", "hooks.example.org:8443", "hooks.example.org"
    )


def test_a_name_that_resolves_inside_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(socket, "getaddrinfo", answers("::ffff:10.0.0.1"))
    problem = egress.pinned("https://hooks.example.org/done", allow_private=False)
    assert isinstance(problem, str) and "not a public address" in problem
