"""Beat's lease: of several beats (one on standby on another host), only the one holding
a Postgres session advisory lock schedules.  The lock lives as long as its connection:
a beat that dies (or loses its host) drops it, and a standby that asks every few seconds
takes it over."""

from __future__ import annotations

from sqlalchemy import Connection, Engine, func, select

BEAT_LEASE = 0x5052_4542  # "PREB"


class BeatLease:
    """Held through one dedicated connection; ``held()`` says whether this process holds
    it, taking it when it is free."""

    def __init__(self, engine: Engine):
        self._engine = engine
        self._conn: Connection | None = None
        self._holding = False

    def held(self) -> bool:
        try:
            if self._conn is None:
                self._conn = self._engine.connect()
            conn = self._conn
            if self._holding:
                conn.execute(select(1))  # still connected: the lock is still ours
            else:
                self._holding = bool(
                    conn.execute(select(func.pg_try_advisory_lock(BEAT_LEASE))).scalar()
                )
            conn.commit()
            return self._holding
        except Exception:  # the connection (and with it the lock) is gone: ask again later
            self.release()
            return False

    def release(self) -> None:
        self._holding = False
        if self._conn is not None:
            try:  # closed for real, not back to the pool: the lock goes with it
                self._conn.invalidate()
                self._conn.close()
            except Exception:  # noqa: S110 - a dead connection closes as it can
                pass
            finally:
                self._conn = None
