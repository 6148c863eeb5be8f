"""Secrets never reach a log, an error or a printed URL: passwords in URLs and the
``token=`` / ``password=`` parameters the provider's API takes in query strings."""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

_SECRET_PARAM = re.compile(r"((?:token|password|secret)=)[^&\s'\"]*", re.IGNORECASE)
_URL_PASSWORD = re.compile(r"(\b[a-z][a-z0-9+.-]*://[^:/@\s]*:)[^@/\s]+@", re.IGNORECASE)


def redact(text: str) -> str:
    """Hide ``token=``/``password=`` values and URL passwords anywhere in a text."""
    return _URL_PASSWORD.sub(r"\1***@", _SECRET_PARAM.sub(r"\1***", text))


def redact_url(url: str) -> str:
    """A URL fit for logs: no password, no secret parameter."""
    parts = urlsplit(url)
    if parts.password is not None:
        host = parts.hostname or ""
        if parts.port:
            host = f"{host}:{parts.port}"
        user = f"{parts.username}:***@" if parts.username else "***@"
        url = urlunsplit((parts.scheme, user + host, parts.path, parts.query, parts.fragment))
    return _SECRET_PARAM.sub(r"\1***", url)
