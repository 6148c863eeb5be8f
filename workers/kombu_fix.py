"""A guard on kombu's Redis transport (kombu 5.7.0; the race of celery/kombu#582).

When Redis restarts, Celery's consumer closes its channels and reconnects.  A channel
whose connection was already closed may still be asked for a client while it closes
(``queue_delete`` on close, ``_connparams``), and reads ``self.connection.client``, which
is None by then: ``AttributeError: 'NoneType' object has no attribute 'hostname'``.
Celery treats an AttributeError as unrecoverable and the worker process exits.

The guard turns that one case into a ``redis.ConnectionError``: a connection error,
which kombu ignores while closing and Celery answers by reconnecting.  Applied when
``workers.app`` is imported."""

from __future__ import annotations

from typing import Any

import redis
from kombu.transport import redis as kombu_redis

_original = kombu_redis.Channel._connparams


def _connparams(self: Any, asynchronous: bool = False) -> Any:
    transport = getattr(self, "connection", None)
    if transport is None or getattr(transport, "client", None) is None:
        raise redis.ConnectionError("the broker connection was closed; reconnecting")
    return _original(self, asynchronous=asynchronous)  # type: ignore[no-untyped-call]


def apply() -> None:
    if getattr(kombu_redis.Channel._connparams, "__name__", "") != "_connparams_guarded":
        _connparams.__name__ = "_connparams_guarded"
        kombu_redis.Channel._connparams = _connparams  # type: ignore[method-assign]
