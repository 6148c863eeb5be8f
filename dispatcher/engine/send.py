"""``send_chunk``: slot, claim, send, decide, apply.  At most once, never outside the
window, never a guessed outcome.  docs/architecture.md lists every function one send calls.

One send reads top-down and never calls back up; every write goes through
``store.sending``, each decision is a value from ``domain.plan``:

1. prepare, before the slot, in one transaction: ``sending.read`` the chunk,
   ``plan.before_send`` (``NotSent``, applied by ``sending.hold``), then
   ``plan.sendable`` over ``sending.pending`` (applied by ``sending.prepare``: opted out
   since intake, Ley 2300's contact limit);
2. slot: an in-flight place and the next start time from the shared limiter (a port);
3. claim: ``sending.claim``, one UPDATE ``queued -> sending``; the window is asked once,
   here (zero rows: ``plan.unclaimed``, applied by ``sending.hold``);
4. send (``provider.client``), decide what the answer means (``plan.decide_answer`` or
   ``plan.decide_failure``), and apply that plan in one transaction (``sending.record``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

from dispatcher.accounts import Account
from dispatcher.domain.backoff import backoff_s
from dispatcher.domain.plan import (
    Block,
    BlockPlan,
    Gate,
    NotSent,
    Verdict,
    before_send,
    decide_answer,
    decide_failure,
    sendable,
    unclaimed,
)
from dispatcher.domain.times import iso
from dispatcher.domain.window import SendWindow
from dispatcher.engine.ports import (
    Clock,
    Guarded,
    Limiter,
    Observer,
    Unobserved,
    on_time,
    slot,
)
from dispatcher.errors import ProviderError
from dispatcher.logs import about
from dispatcher.provider.client import ProviderClient
from dispatcher.settings import Settings
from dispatcher.store import sending
from dispatcher.store.rows import ChunkToSend

log = logging.getLogger(__name__)
# Stop retrying a lost connection this long before the reaper may call the chunk uncertain.
RECORD_SAFETY_S = 5.0
RECORD_RETRY_FIRST_S, RECORD_RETRY_MAX_S = 0.2, 5.0


@dataclass(frozen=True)
class SendResult:
    """What became of one ``send_chunk``: the task's result, as Flower shows it."""

    chunk_id: int
    outcome: Gate | Verdict
    campaign_id: int | None = None
    detail: str = ""
    counts: Mapping[str, int] = field(default_factory=dict)

    def __repr__(self) -> str:
        parts = [f"chunk {self.chunk_id}"]
        if self.campaign_id is not None:
            parts.append(f"campaign {self.campaign_id}")
        parts.append(self.outcome.value)
        if self.detail:
            parts.append(self.detail)
        parts += [f"{k} {v}" for k, v in sorted(self.counts.items())]
        return ", ".join(parts)

    __str__ = __repr__


@dataclass(frozen=True)
class _Job:
    row: ChunkToSend
    account: Account
    window: SendWindow
    numbers: tuple[tuple[int, str], ...]


class Sender:
    def __init__(
        self,
        engine: Engine,
        settings: Settings,
        accounts: Mapping[str, Account],
        client_for: Callable[[str], ProviderClient],
        limiter: Limiter,
        clock: Clock,
        worker: str,
        sleep: Callable[[float], None] = time.sleep,
        observer: Observer | None = None,
    ):
        self.engine, self.settings, self.client_for = engine, settings, client_for
        self.accounts = accounts
        self.limiter, self.clock, self.worker, self.sleep = limiter, clock, worker, sleep
        self.observer: Observer = Guarded(observer) if observer else Unobserved()

    def send_chunk(self, chunk_id: int) -> SendResult:
        # One connection for the whole send, a transaction per step: one checkout (and
        # its liveness ping) per block instead of four.  It idles during the request.
        with self.engine.connect() as conn:
            return self._send(conn, chunk_id)

    def _send(self, conn: Connection, chunk_id: int) -> SendResult:
        job = self._prepare(conn, chunk_id)
        if isinstance(job, SendResult):
            return job
        s, account = self.settings, job.row.account
        spacing_s = job.account.block_interval_s + s.slot_margin_s
        waiting_since = time.monotonic()
        with slot(
            self.limiter,
            account,
            f"{self.worker}:{chunk_id}",
            spacing_s=spacing_s,
            max_in_flight=s.max_in_flight,
            sleep=self.sleep,
            still_wanted=lambda: self._still_queued(conn, chunk_id),
        ) as wanted:
            if not wanted:
                return SendResult(chunk_id, Gate.GONE, detail="claimed elsewhere")
            self.observer.waited_for_slot(account, time.monotonic() - waiting_since)
            attempts = self._claim(conn, job)
            if isinstance(attempts, SendResult):
                return attempts
            claimed_at = time.monotonic()
            block = Block(job.numbers, attempts, job.row.message)
            try:
                answer = self.client_for(account).send_block(
                    [m for _n, m in job.numbers],
                    job.row.message,
                    job.row.method,
                    # once connected, right before the first byte: the provider's view
                    before_send=lambda: on_time(self.limiter, account, spacing_s, self.sleep),
                )
            except ProviderError as exc:
                self.observer.provider_answered(account, time.monotonic() - claimed_at)
                plan = decide_failure(block, exc, self.clock())
            else:
                self.observer.provider_answered(account, time.monotonic() - claimed_at)
                if answer.unexpected:
                    log.warning(
                        "chunk %s: the answer names numbers we did not send: %s",
                        chunk_id,
                        answer.unexpected[:5],
                    )
                plan = decide_answer(block, answer, job.window, self.clock())
        self._record(conn, job.row, plan, claimed_at)
        self.observer.block_recorded(account, plan)
        self._log(job.row, plan)
        return SendResult(
            chunk_id, plan.verdict, job.row.chunk.campaign_id, _detail(plan), plan.counts()
        )

    def _record(
        self, conn: Connection, row: ChunkToSend, plan: BlockPlan, claimed_at: float
    ) -> None:
        """The answer is in hand: write it.  A lost database connection is retried on a
        new one while the chunk is still ours (before the request lease runs out and the
        reaper would call it uncertain); a known answer is never dropped for less."""
        deadline = claimed_at + self.settings.request_lease_s - RECORD_SAFETY_S
        attempt = 0
        while True:
            attempt += 1
            try:
                if conn.invalidated or conn.closed:
                    with self.engine.begin() as fresh:
                        recorded = sending.record(fresh, row, plan, self.worker)
                else:
                    with conn.begin():
                        recorded = sending.record(conn, row, plan, self.worker)
                if not recorded:
                    log.error("chunk %s was no longer ours to record", row.chunk.id)
                return
            except DBAPIError as exc:
                delay_s = backoff_s(attempt, RECORD_RETRY_FIRST_S, RECORD_RETRY_MAX_S)
                if not _lost_connection(exc) or time.monotonic() + delay_s > deadline:
                    raise
                log.warning(
                    "recording chunk %s: the database connection was lost (%s); again in %.1f s",
                    row.chunk.id,
                    type(exc.orig).__name__,
                    delay_s,
                )
                self.sleep(delay_s)

    # -- before the slot ----------------------------------------------------------------
    def _prepare(self, conn: Connection, chunk_id: int) -> _Job | SendResult:
        """Read the chunk, ask the gate, and take out what must not go (opted out since
        intake; Ley 2300's numbers already reached in the contact limit's period): each decided in
        ``domain.plan``, applied by ``store.sending``, in one transaction."""
        now = self.clock()
        with conn.begin():
            row = sending.read(conn, chunk_id)
            if row is None:
                return SendResult(chunk_id, Gate.GONE, detail="no such chunk")
            window = self.settings.window_for(row.purpose)
            account = self.accounts.get(row.account)
            stop = before_send(sending.facts(row, account is not None), window, now)
            if stop is not None:
                sending.hold(conn, row, stop)
                if account is None and stop.gate is Gate.HOLD:
                    log.error("chunk %s: account %r is not configured here", chunk_id, row.account)
                return self._not_sent(row, stop)
            limit = self.settings.contact_limit(row.purpose)
            plan = sendable(sending.pending(conn, row), limit, window, now)
            numbers, waiting = sending.prepare(conn, row, plan, now)
        assert account is not None  # before_send holds a chunk whose account is unknown
        campaign_id = row.chunk.campaign_id
        if waiting:
            log.info(
                "campaign %s: %d numbers already reached in the contact period wait until %s",
                campaign_id,
                waiting,
                plan.next_period_opens,
            )
        if not numbers:
            return SendResult(chunk_id, Gate.GONE, campaign_id, "no pending numbers left")
        return _Job(row, account, window, numbers)

    def _still_queued(self, conn: Connection, chunk_id: int) -> bool:
        with conn.begin():
            return sending.still_queued(conn, chunk_id)

    # -- the claim ------------------------------------------------------------------------
    def _claim(self, conn: Connection, job: _Job) -> int | SendResult:
        """The chunk's attempts (this one included) once it is ours, or why not."""
        now = self.clock()
        window_open = job.window.is_open(now)
        chunk_id = job.row.chunk.id
        with conn.begin():
            if window_open and (attempts := sending.claim(conn, chunk_id, self.worker, now)):
                return attempts
            row = sending.read(conn, chunk_id)  # zero rows: someone has it, or it must wait
            if row is None:
                return SendResult(chunk_id, Gate.GONE, detail="no such chunk")
            stop = unclaimed(sending.facts(row), job.window, now, window_open)
            sending.hold(conn, row, stop)
            return self._not_sent(row, stop)

    def _not_sent(self, row: ChunkToSend, stop: NotSent) -> SendResult:
        return SendResult(row.chunk.id, stop.gate, row.chunk.campaign_id, stop.detail)

    def _log(self, row: ChunkToSend, plan: BlockPlan) -> None:
        chunk = row.chunk
        fields = {"campaign_id": chunk.campaign_id, "chunk_id": chunk.id, "account": row.account}
        if plan.pause is not None:
            log.warning(
                "account %s paused (%s): %s",
                row.account,
                plan.pause,
                plan.error or "",
                extra=about(event="account_paused", **fields),
            )
        match plan.verdict:
            case Verdict.UNCERTAIN:
                log.error(
                    "chunk %s is uncertain: %s",
                    chunk.id,
                    plan.error,
                    extra=about(event="chunk_uncertain", **fields),
                )
            case Verdict.FAIL:
                log.error(
                    "campaign %s failed: %s",
                    chunk.campaign_id,
                    plan.error,
                    extra=about(event="campaign_failed", **fields),
                )
            case Verdict.RETRY:
                log.warning(
                    "chunk %s never left (%s); retry at %s",
                    chunk.id,
                    plan.error,
                    plan.not_before,
                    extra=about(event="chunk_retry", **fields),
                )
            case Verdict.DEFER if plan.clocks_disagree:
                log.error(
                    "provider says outside authorised hours (-2) but our window %s is open: "
                    "the clocks disagree; chunk %s waits until %s",
                    self.settings.send_window,
                    chunk.id,
                    plan.not_before,
                    extra=about(event="clocks_disagree", **fields),
                )
            case _:
                log.info(
                    "chunk %s: %s",
                    chunk.id,
                    plan.verdict.value,
                    extra=about(event="block_recorded", **fields),
                )


def _lost_connection(exc: DBAPIError) -> bool:
    return bool(exc.connection_invalidated) or isinstance(exc, OperationalError | InterfaceError)


def _detail(plan: BlockPlan) -> str:
    if plan.pause is not None:
        return f"account paused ({plan.pause})"
    if plan.verdict in (Verdict.DEFER, Verdict.RETRY) and plan.not_before is not None:
        return f"until {iso(plan.not_before)}"
    if plan.verdict is Verdict.FAIL:
        return plan.error or ""
    return ""
