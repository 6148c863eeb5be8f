"""Where Pregonero may send requests of its own: callbacks go only to https addresses
on the public internet, so a campaign cannot make us call into our own network (a
cloud's metadata service, the simulator's control API, a database port).  Checked when a
campaign is submitted and again before every delivery (a name may resolve differently
later).  ``CALLBACK_ALLOW_PRIVATE`` lifts it for simulators and demos."""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit


def callback_problem(url: str, allow_private: bool) -> str | None:
    """What is wrong with calling ``url``, or None when it may be called."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return "is not a URL we can call"
    if allow_private:
        return None if parts.scheme in ("http", "https") else "must be an http(s) URL"
    if parts.scheme != "https":
        return "must be https:// (set PREGONERO_CALLBACK_ALLOW_PRIVATE=true for a simulator)"
    host = parts.hostname
    if not host:
        return "has no host"
    if parts.username or parts.password:
        return "must not carry a user or password (the callback is signed instead)"
    try:
        found = socket.getaddrinfo(host, port or 443, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError):
        return f"names a host that does not resolve ({host})"
    for *_rest, address in found:
        ip = ipaddress.ip_address(address[0])
        if not ip.is_global or ip.is_multicast:
            return (
                f"resolves to {ip}, which is not a public address: callbacks go to the public "
                "internet only (PREGONERO_CALLBACK_ALLOW_PRIVATE=true lifts this for a simulator)"
            )
    return None
