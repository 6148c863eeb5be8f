"""Where Pregonero may send requests of its own: callbacks go only to https addresses
on the public internet, so a campaign cannot make us call into our own network (a
cloud's metadata service, the simulator's control API, a database port).  Checked when a
campaign is submitted and again before every delivery (a name may resolve differently
later).  ``CALLBACK_ALLOW_PRIVATE`` lifts it for simulators and demos.

A delivery resolves the name once (``pinned``) and connects to that address, with the
name kept for TLS and the Host header: a name that answers a public address to the
check and 127.0.0.1 to the connection (DNS rebinding) cannot get in between.  IPv6
forms that carry an IPv4 address (``::ffff:127.0.0.1``, ``::127.0.0.1``, 6to4, NAT64,
Teredo) are judged by that address."""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
_TRANSLATED = ipaddress.ip_network("::ffff:0:0:0/96")  # RFC 2765: ::ffff:0:a.b.c.d


@dataclass(frozen=True)
class Pinned:
    """Where a delivery connects: ``url`` with the checked address in place of the name,
    ``host`` for the Host header, ``sni`` for TLS (None over http)."""

    url: str
    host: str
    sni: str | None


def embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one carries, if it is one of the forms that do."""
    if ip.ipv4_mapped is not None:
        return ip.ipv4_mapped
    if ip.sixtofour is not None:
        return ip.sixtofour
    if ip.teredo is not None:
        return ip.teredo[1]
    if any(ip in net for net in _NAT64) or ip in _TRANSLATED or int(ip) >> 32 == 0:
        return ipaddress.IPv4Address(int(ip) & 0xFFFF_FFFF)
    return None


def is_public(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if not ip.is_global or ip.is_multicast:
        return False
    inner = embedded_ipv4(ip) if isinstance(ip, ipaddress.IPv6Address) else None
    return inner is None or (inner.is_global and not inner.is_multicast)


def pinned(url: str, allow_private: bool) -> Pinned | str:
    """The address to connect to for ``url`` (resolved once, every answer checked), or
    what is wrong with calling it."""
    if problem := callback_problem(url, allow_private, resolve=False):
        return problem
    parts = urlsplit(url)
    host = parts.hostname or ""
    if allow_private:
        return Pinned(url, parts.netloc, host if parts.scheme == "https" else None)
    addresses = _public_addresses(host, parts.port)
    if isinstance(addresses, str):
        return addresses
    if not addresses:
        return f"names a host that does not resolve ({host})"
    ip = addresses[0]
    at = f"[{ip}]" if ip.version == 6 else str(ip)
    netloc = f"{at}:{parts.port}" if parts.port else at
    target = urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))
    host_header = host if not parts.port else f"{host}:{parts.port}"
    return Pinned(target, host_header, host)


def _public_addresses(
    host: str, port: int | None
) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address] | str:
    """Every address the name resolves to, each public; else what is wrong."""
    try:
        found = socket.getaddrinfo(host, port or 443, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError):
        return f"names a host that does not resolve ({host})"
    addresses = [ipaddress.ip_address(address[0]) for *_rest, address in found]
    if bad := next((ip for ip in addresses if not is_public(ip)), None):
        return (
            f"resolves to {bad}, which is not a public address: callbacks go to the public "
            "internet only (PREGONERO_CALLBACK_ALLOW_PRIVATE=true lifts this for a simulator)"
        )
    return addresses


def callback_problem(url: str, allow_private: bool, resolve: bool = True) -> str | None:
    """What is wrong with calling ``url``, or None when it may be called.  ``resolve``:
    look the name up and check every address (else the URL's form only)."""
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
    if not resolve:
        return None
    addresses = _public_addresses(host, port)
    return addresses if isinstance(addresses, str) else None
