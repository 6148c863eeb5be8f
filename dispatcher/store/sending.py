"""The send path's reads and its only writer (docs/architecture.md, "The send path").

``engine/send`` reads a chunk here, decides in ``domain.plan``, and applies the decision
here, each step in one transaction:

- ``hold``: a queued chunk that may not go now (``NotSent``) goes back to ``ready``, or
  its campaign sleeps until the window opens;
- ``prepare``: what of it goes out (``Sendable``): numbers that opted out since intake
  are marked ``suppressed``, Ley 2300's contact is reserved (numbers reached in the
  limit's period move to a chunk of their own), an empty chunk closes;
- ``claim``: ``queued -> sending`` in one UPDATE carrying every guard;
- ``record``: a block's ``BlockPlan``: every recipient's outcome and the chunk's end
  state.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, bindparam, func, or_, select, update

from dispatcher.domain.message import Method
from dispatcher.domain.plan import BlockPlan, Gate, GateFacts, NotSent, Sendable, Verdict
from dispatcher.domain.status import (
    CampaignStatus,
    ChunkStatus,
    ChunkWait,
    Purpose,
    WaitingReason,
)
from dispatcher.store import (
    accounts,
    campaigns,
    chunks,
    recipients,
    replies,
    steering,
    suppressions,
)
from dispatcher.store.rows import ChunkRef, ChunkToSend
from dispatcher.store.tables import Campaign, CampaignText, Chunk, ProviderAccount

_READ = (
    select(
        Chunk.id,
        Chunk.campaign_id,
        Chunk.seq,
        Chunk.n_lo,
        Chunk.n_hi,
        Chunk.status,
        Chunk.attempts,
        Campaign.status.label("campaign_status"),
        Campaign.tenant_id,
        Campaign.account,
        ProviderAccount.paused,
        # The chunk's one text; a campaign stored before texts has only its message.
        func.coalesce(CampaignText.text, Campaign.message).label("message"),
        Campaign.method,
        Campaign.purpose,
        Campaign.expires_at,
    )
    .join(Campaign, Campaign.id == Chunk.campaign_id)
    .join(ProviderAccount, ProviderAccount.name == Campaign.account)
    .outerjoin(
        CampaignText,
        (CampaignText.campaign_id == Chunk.campaign_id) & (CampaignText.id == Chunk.text_id),
    )
    .where(Chunk.id == bindparam("chunk_id"))
)


def read(conn: Connection, chunk_id: int) -> ChunkToSend | None:
    row = conn.execute(_READ, {"chunk_id": chunk_id}).first()
    if row is None:
        return None
    return ChunkToSend(
        chunk=ChunkRef(row.id, row.campaign_id, row.seq, row.n_lo, row.n_hi),
        status=ChunkStatus(row.status),
        attempts=row.attempts,
        campaign_status=CampaignStatus(row.campaign_status),
        tenant_id=row.tenant_id,
        account=row.account,
        account_paused=row.paused,
        message=row.message,
        method=Method(row.method),
        purpose=Purpose(row.purpose),
        expires_at=row.expires_at,
    )


# Between the slot and the request: one indexed UPDATE, built once.
_CLAIM = (
    update(Chunk)
    .where(
        Chunk.id == bindparam("chunk_id"),
        Chunk.status == ChunkStatus.QUEUED,
        Campaign.id == Chunk.campaign_id,
        Campaign.status == CampaignStatus.RUNNING,
        or_(Campaign.expires_at.is_(None), Campaign.expires_at > bindparam("now")),
        ProviderAccount.name == Campaign.account,
        ProviderAccount.paused.is_(False),
    )
    .values(
        status=ChunkStatus.SENDING,
        claimed_by=bindparam("worker"),
        claimed_at=func.now(),
        attempts=Chunk.attempts + 1,
    )
    .returning(Chunk.attempts)
)


def claim(conn: Connection, chunk_id: int, worker: str, now: datetime) -> int | None:
    """``queued -> sending`` only if its campaign is running and not expired and its
    account is not paused; the attempts so far, or None when zero rows changed."""
    params = {"chunk_id": chunk_id, "worker": worker, "now": now}
    return conn.execute(_CLAIM, params).scalar()


_OURS = (
    select(Chunk.id)
    .where(
        Chunk.id == bindparam("chunk_id"),
        Chunk.status == ChunkStatus.SENDING,
        Chunk.claimed_by == bindparam("worker"),
    )
    .with_for_update()
)


def facts(job: ChunkToSend, configured: bool = True) -> GateFacts:
    """What the gate asks of the chunk ``read`` found."""
    return GateFacts(job.status, job.campaign_status, job.account_paused, configured)


def hold(conn: Connection, job: ChunkToSend, stop: NotSent) -> None:
    """The chunk does not go now: back to ``ready`` (the feeder publishes it again when
    its campaign and account may send), or its campaign's waiting chunks sleep until the
    window opens (beat releases them; nothing waits in the broker with an ETA)."""
    match stop.gate:
        case Gate.WINDOW:
            chunks.wait_for_window(conn, job.chunk.campaign_id, stop.opens)
        case Gate.HOLD:
            chunks.back_to_ready(conn, job.chunk.id, ChunkStatus.QUEUED)
        case _:  # GONE: another message of it went first, or it finished
            pass


def still_queued(conn: Connection, chunk_id: int) -> bool:
    """Whether the chunk still waits for a send (a duplicate message's went first?)."""
    return chunks.status_of(conn, chunk_id) is ChunkStatus.QUEUED


def pending(conn: Connection, job: ChunkToSend) -> list[tuple[int, str, bool]]:
    """The chunk's pending numbers, each with whether it opted out since intake."""
    return recipients.pending_checked(conn, job.chunk, job.account, job.tenant_id)


def prepare(
    conn: Connection, job: ChunkToSend, plan: Sendable, now: datetime
) -> tuple[tuple[tuple[int, str], ...], int]:
    """Apply what goes out of the chunk; return the numbers to send, in order (none:
    the chunk is closed), and how many wait for another day (Ley 2300).  A campaign left
    with only numbers for another day says so (``contact_limit``, until when)."""
    chunk, numbers = job.chunk, plan.numbers
    if plan.suppressed_since_intake:
        recipients.drop_suppressed(conn, chunk, job.account, job.tenant_id)
    waiting = 0
    if numbers and plan.contact_period is not None:
        taken = recipients.reserve_contacts(
            conn, chunk, job.tenant_id, job.purpose, plan.contact_period
        )
        if taken:
            chunks.keep_for_another_period(conn, chunk, taken, plan.next_period_opens)
            numbers = tuple(recipients.pending_numbers(conn, chunk))
            waiting = len(taken)
    if not numbers:
        chunks.close_empty(conn, chunk)
    if waiting:
        campaigns.settle_waiting(conn, chunk.campaign_id, now)
    return numbers, waiting


def record(conn: Connection, job: ChunkToSend, plan: BlockPlan, worker: str) -> bool:
    """Every recipient's outcome and the chunk's end state, in the caller's transaction;
    False, changing nothing, when the chunk is no longer ``sending`` by ``worker`` (an
    earlier attempt recorded it, or the reaper gave up on it)."""
    if conn.execute(_OURS, {"chunk_id": job.chunk.id, "worker": worker}).first() is None:
        return False
    chunk = job.chunk
    if plan.suppress:
        suppressions.add_from_provider(conn, job.account, plan.suppress)
    if job.method is Method.TWO_WAY:  # replies from these numbers belong to this campaign
        replies.remember_targets(conn, job.account, chunk, plan.settle)
    if plan.wait_for_balance:  # before the close: the campaign is not done while they wait
        chunks.wait_for_balance(conn, chunk, plan.wait_for_balance)
    if plan.pause is not None:
        accounts.pause(conn, job.account, plan.pause)
    sending = ChunkStatus.SENDING
    match plan.verdict:
        case Verdict.DONE | Verdict.UNCERTAIN:
            chunks.close(
                conn,
                chunk,
                _CLOSED_AS[plan.verdict],
                plan.settle,
                raw=plan.raw,
                http_status=plan.http_status,
                error=plan.error,
            )
        case Verdict.FAIL:
            steering.fail(conn, chunk.campaign_id, plan.error or "the provider refused it")
            chunks.close(
                conn,
                chunk,
                ChunkStatus.FAILED,
                plan.settle,
                raw=plan.raw,
                http_status=plan.http_status,
                error=plan.error,
            )
        case Verdict.PAUSE:
            chunks.back_to_ready(conn, chunk.id, sending, error=plan.error, raw=plan.raw)
        case Verdict.RETRY:
            chunks.defer(conn, chunk.id, sending, plan.not_before, None, error=plan.error)
        case Verdict.DEFER:
            wait = ChunkWait.WINDOW
            chunks.defer(conn, chunk.id, sending, plan.not_before, wait, raw=plan.raw)
            if plan.whole_campaign:
                chunks.wait_for_window(conn, chunk.campaign_id, plan.not_before)
            else:
                campaigns.wait_for(conn, chunk.campaign_id, WaitingReason.WINDOW, plan.not_before)
        case Verdict.SPLIT:
            assert plan.split_after is not None
            chunks.split(conn, chunk, plan.split_after)
    return True


_CLOSED_AS = {Verdict.DONE: ChunkStatus.DONE, Verdict.UNCERTAIN: ChunkStatus.UNCERTAIN}
