"""Each API, worker and beat process says, every minute, that it runs and which provider
accounts it is configured with (``store.processes``): a host whose PREGONERO_ACCOUNTS
differs from the others' shows in /v1/accounts, /metrics and ``sms status``."""

from __future__ import annotations

import logging
import threading

from dispatcher.accounts import configured_accounts
from dispatcher.settings import Settings
from dispatcher.store import processes
from dispatcher.store.db import unpooled_engine
from dispatcher.store.processes import Role

log = logging.getLogger(__name__)

EVERY_S = 60.0


def start(settings: Settings, role: Role, every_s: float = EVERY_S) -> threading.Event:
    """A thread that announces this process until the returned event is set.  Each
    announcement opens and closes its own connection: nothing is shared across a fork."""
    stop = threading.Event()
    names = [a.name for a in configured_accounts(settings)]

    def run() -> None:
        engine = unpooled_engine(settings.database_url)
        while True:
            try:
                with engine.begin() as conn:
                    if stop.is_set():
                        processes.gone(conn, role)
                        return
                    processes.announce(conn, role, names)
            except Exception as exc:
                first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
                log.warning("could not say this %s runs (%s); trying again", role, first)
                if stop.is_set():
                    return
            stop.wait(every_s)

    threading.Thread(target=run, name=f"pregonero-presence-{role}", daemon=True).start()
    return stop
