"""The keyed hash that stands for an erased number (Ley 1581 de 2012): the same number
always gives the same hash under one key, and without the key a hash cannot be checked
against the few billion possible numbers."""

from __future__ import annotations

import hashlib


def keyed(key: str) -> bytes:
    """The hash key made from PREGONERO_PRIVACY_KEY."""
    return hashlib.sha256(key.encode()).digest()


def digest(key: bytes, msisdn: str) -> str:
    """32 hex digits (a recipient's or a reply's number column holds it)."""
    return hashlib.blake2b(msisdn.encode(), key=key, digest_size=16).hexdigest()
