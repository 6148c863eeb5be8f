"""``send_chunk``: DESIGN §5.2 — slot, claim, send, record.  At most once, never outside
the window, never a guessed outcome.

1. prepare (before the slot): re-read the chunk, settle what needs no request (window
   closed, campaign paused, Ley 2300 numbers already reached today), load the numbers;
2. slot: an in-flight place and the next start time from the shared limiter;
3. claim: one UPDATE ``queued -> sending`` that checks campaign running, account not
   paused and window open *now*; zero rows means someone else has it or it must wait;
4. send, then record every outcome and the chunk's end state in one transaction.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import Engine, text

from dispatcher import chunks, outcomes
from dispatcher.domain.message import Method
from dispatcher.errors import MaybeSent, NeverSent, ProviderError, ProviderRefused
from dispatcher.outcomes import Job
from dispatcher.ports import Clock, Limiter, slot
from dispatcher.provider.client import ProviderClient
from dispatcher.settings import Settings

log = logging.getLogger(__name__)


_READ = text(
    """
    SELECT c.id, c.campaign_id, c.seq, c.status, c.n_lo, c.n_hi, k.status AS campaign_status,
           k.tenant_id, k.account, k.message, k.method, k.purpose, k.expires_at, a.paused
    FROM chunk c JOIN campaign k ON k.id = c.campaign_id
    JOIN provider_account a ON a.name = k.account
    WHERE c.id = :id
    """
)

_CLAIM = text(
    """
    UPDATE chunk c SET status = 'sending', claimed_by = :worker, claimed_at = now(),
           attempts = c.attempts + 1
    FROM campaign k JOIN provider_account a ON a.name = k.account
    WHERE c.id = :id AND c.status = 'queued' AND k.id = c.campaign_id AND k.status = 'running'
      AND NOT a.paused AND (k.expires_at IS NULL OR k.expires_at > :now) AND :window_open
    RETURNING c.id
    """
)


class Dispatcher:
    def __init__(
        self,
        engine: Engine,
        settings: Settings,
        client_for: Callable[[str], ProviderClient],
        limiter: Limiter,
        clock: Clock,
        worker: str,
        sleep: Callable[[float], None] = time.sleep,
    ):
        self.engine, self.settings, self.client_for = engine, settings, client_for
        self.limiter, self.clock, self.worker, self.sleep = limiter, clock, worker, sleep

    # -- the task's one call ------------------------------------------------------------
    def send_chunk(self, chunk_id: int) -> dict[str, Any]:
        job = self._prepare(chunk_id)
        if isinstance(job, dict):
            return job
        s = self.settings
        with slot(
            self.limiter,
            job.account,
            f"{self.worker}:{chunk_id}",
            spacing_s=s.block_interval_s + s.slot_margin_s,
            max_in_flight=s.max_in_flight,
            lease_s=s.request_lease_s,
            sleep=self.sleep,
            still_wanted=lambda: self._still_queued(chunk_id),
        ) as wanted:
            if not wanted:
                return {"chunk": chunk_id, "skipped": "claimed elsewhere"}
            now = self.clock()
            if not self._claim(job, now):
                return self._not_claimed(chunk_id, now)
            try:
                answer = self.client_for(job.account).send_block(
                    [m for _n, m in job.numbers], job.message, job.method
                )
            except ProviderError as exc:
                return self._failed(job, exc)
        with self.engine.begin() as conn:
            summary = outcomes.record(conn, self.settings, job, answer, self.clock())
            chunks.finish_campaign(conn, job.campaign_id)
        return {"chunk": chunk_id, "campaign": job.campaign_id, **summary}

    # -- before the slot ----------------------------------------------------------------
    def _prepare(self, chunk_id: int) -> Job | dict[str, Any]:
        now = self.clock()
        with self.engine.begin() as conn:
            row = conn.execute(_READ, {"id": chunk_id}).mappings().first()
            if row is None:
                return {"chunk": chunk_id, "skipped": "no such chunk"}
            if row["status"] != "queued":
                return {"chunk": chunk_id, "skipped": f"chunk is {row['status']}"}
            if row["campaign_status"] != "running" or row["paused"]:
                chunks.back_to_ready(conn, chunk_id)
                return {"chunk": chunk_id, "skipped": "campaign or account paused"}
            window = self.settings.window_for(row["purpose"])
            if not window.is_open(now):
                chunks.defer_closed_window(conn, row["campaign_id"], window, now)
                return {"chunk": chunk_id, "deferred": "window closed"}
            chunks.drop_suppressed(conn, dict(row))
            if row["purpose"] in ("commercial", "collection"):
                chunks.keep_one_a_day(conn, dict(row), window, now)
            numbers = conn.execute(
                text(
                    f"SELECT n, msisdn FROM recipient WHERE {chunks.in_chunk()} "
                    "AND status = 'pending' ORDER BY n"
                ),
                {"c": row["campaign_id"], "lo": row["n_lo"], "hi": row["n_hi"], "seq": row["seq"]},
            ).all()
            if not numbers:
                conn.execute(
                    text(
                        "UPDATE chunk SET status = 'done', size = 0, finished_at = now() "
                        "WHERE id = :id AND status = 'queued'"
                    ),
                    {"id": chunk_id},
                )
                chunks.finish_campaign(conn, row["campaign_id"])
                return {"chunk": chunk_id, "skipped": "no pending numbers left"}
        return Job(
            chunk_id,
            row["campaign_id"],
            row["seq"],
            row["tenant_id"],
            row["account"],
            row["message"],
            Method(row["method"]),
            row["purpose"],
            [(int(n), str(m)) for n, m in numbers],
        )

    def _still_queued(self, chunk_id: int) -> bool:
        with self.engine.connect() as conn:
            status = conn.execute(
                text("SELECT status FROM chunk WHERE id = :id"), {"id": chunk_id}
            ).scalar()
        return status == "queued"

    # -- the claim ------------------------------------------------------------------------
    def _claim(self, job: Job, now: datetime) -> bool:
        window_open = self.settings.window_for(job.purpose).is_open(now)
        with self.engine.begin() as conn:
            claimed = conn.execute(
                _CLAIM,
                {"id": job.chunk_id, "worker": self.worker, "now": now, "window_open": window_open},
            ).first()
        return claimed is not None

    def _not_claimed(self, chunk_id: int, now: datetime) -> dict[str, Any]:
        """Zero rows: someone else has it (a duplicate message), or it must wait."""
        with self.engine.begin() as conn:
            row = conn.execute(_READ, {"id": chunk_id}).mappings().first()
            if row is None or row["status"] != "queued":
                return {"chunk": chunk_id, "skipped": "claimed elsewhere"}
            window = self.settings.window_for(row["purpose"])
            if not window.is_open(now):
                chunks.defer_closed_window(conn, row["campaign_id"], window, now)
                return {"chunk": chunk_id, "deferred": "window closed"}
            chunks.back_to_ready(conn, chunk_id)
        return {"chunk": chunk_id, "skipped": "campaign or account not sending"}

    # -- a request that did not give an answer --------------------------------------------
    def _failed(self, job: Job, exc: ProviderError) -> dict[str, Any]:
        with self.engine.begin() as conn:
            if isinstance(exc, NeverSent):
                delay_s = outcomes.retry_later(conn, job, str(exc), self.clock())
                log.warning("chunk %s never left (%s); retry in %.0f s", job.chunk_id, exc, delay_s)
                return {"chunk": job.chunk_id, "retry_in_s": delay_s}
            if isinstance(exc, ProviderRefused):
                chunks.pause_account(conn, job.account, "operator")
                chunks.back_to_ready(conn, job.chunk_id, status="sending", error=str(exc))
                log.error("provider refused the request: %s; account %s paused", exc, job.account)
                return {"chunk": job.chunk_id, "paused": "operator"}
            assert isinstance(exc, MaybeSent) or exc.maybe_sent
            outcomes.mark_uncertain(conn, job, str(exc), exc.raw, exc.http_status)
            chunks.finish_campaign(conn, job.campaign_id)
        log.error("chunk %s is uncertain: %s", job.chunk_id, exc)
        return {"chunk": job.chunk_id, "uncertain": len(job.numbers)}
