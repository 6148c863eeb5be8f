"""Writing what happened: set-based updates, one transaction per chunk (DESIGN §5.2d, §5.4).

Every function takes an open connection inside the caller's transaction.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, text

from dispatcher.campaigns import cancel_open_work
from dispatcher.chunks import (
    back_to_ready,
    defer_closed_window,
    move_to_new_chunk,
    pause_account,
)
from dispatcher.domain.codes import PAUSE_REASON, Action, Code, Outcome, action_of, describe, known
from dispatcher.domain.message import Method
from dispatcher.provider.answer import BlockAnswer
from dispatcher.settings import Settings

log = logging.getLogger(__name__)
CLOCK_DISAGREE_BACKOFF = timedelta(minutes=5)


@dataclass(frozen=True)
class Job:
    """One chunk on its way to the provider: what the send needs and what recording its
    outcomes needs."""

    chunk_id: int
    campaign_id: int
    seq: int
    tenant_id: int
    account: str
    message: str
    method: Method
    purpose: str
    numbers: list[tuple[int, str]]  # (n, msisdn)


def _reason(code: int | None) -> str | None:
    if code is None:
        return None
    found = known(code)
    return found.name.lower() if found is not None else f"code_{code}"


_STATUS = {
    Outcome.ACCEPTED: "accepted",
    Outcome.REJECTED: "rejected",
    Outcome.INVALID: "invalid",
    Outcome.SUPPRESSED: "suppressed",
    Outcome.UNCERTAIN: "uncertain",
    Outcome.UNKNOWN: "uncertain",
}


def _csv(values: list[Any]) -> str:
    """A list as one text parameter (``string_to_array`` splits it back): dumping five
    short strings is far cheaper than five Python lists of a thousand items each."""
    return ",".join("" if v is None else str(v) for v in values)


def set_outcomes(
    conn: Connection,
    campaign_id: int,
    rows: list[tuple[int, str, str | None, int | None, str | None]],
) -> None:
    """(n, status, reason, code, provider_ref) for many recipients in one statement.

    Values are identifiers and digits, so they never contain a comma."""
    if not rows:
        return
    ns, statuses, reasons, codes, refs = (list(col) for col in zip(*rows, strict=True))
    conn.execute(
        text(
            "UPDATE recipient r SET status = v.status, reason = NULLIF(v.reason, ''), "
            "code = CAST(NULLIF(v.code, '') AS bigint), provider_ref = NULLIF(v.ref, ''), "
            "updated_at = now() "
            "FROM unnest(CAST(string_to_array(:ns, ',') AS int[]), string_to_array(:st, ','), "
            "string_to_array(:rs, ','), string_to_array(:cs, ','), string_to_array(:refs, ',')) "
            "AS v(n, status, reason, code, ref) "
            # The range keeps the plan on the primary key whatever the campaign's size.
            "WHERE r.campaign_id = :c AND r.n BETWEEN :lo AND :hi AND r.n = v.n"
        ),
        {
            "c": campaign_id,
            "lo": min(ns),
            "hi": max(ns),
            "ns": _csv(ns),
            "st": _csv(statuses),
            "rs": _csv(reasons),
            "cs": _csv(codes),
            "refs": _csv(refs),
        },
    )


def _close_chunk(
    conn: Connection,
    chunk_id: int,
    status: str,
    raw: str | None,
    http: int | None,
    error: str | None = None,
) -> None:
    conn.execute(
        text(
            "UPDATE chunk SET status = :status, raw_answer = :raw, http_status = :http, "
            "error = :error, finished_at = now() WHERE id = :id"
        ),
        {"id": chunk_id, "status": status, "raw": raw, "http": http, "error": error},
    )


def retry_later(conn: Connection, job: Job, error: str, now: datetime) -> float:
    """The request never left: safe to send again after a pause."""
    attempts = conn.execute(
        text("SELECT attempts FROM chunk WHERE id = :id"), {"id": job.chunk_id}
    ).scalar_one()
    delay_s = float(min(5 * 2 ** max(int(attempts) - 1, 0), 300))
    conn.execute(
        text(
            "UPDATE chunk SET status = 'deferred', not_before = :nb, error = :e, "
            "waiting_reason = NULL, published_at = NULL WHERE id = :id AND status = 'sending'"
        ),
        {"id": job.chunk_id, "nb": now + timedelta(seconds=delay_s), "e": error[:2000]},
    )
    return delay_s


def mark_uncertain(
    conn: Connection,
    job: Job,
    error: str,
    raw: str | None,
    http: int | None,
    code: int | None = None,
) -> None:
    """We cannot know whether these went out: never re-sent on our own."""
    _close_chunk(conn, job.chunk_id, "uncertain", raw, http, error[:2000])
    reason = _reason(code) if code is not None else "maybe_sent"
    set_outcomes(
        conn, job.campaign_id, [(n, "uncertain", reason, code, None) for n, _m in job.numbers]
    )


def fail_campaign(conn: Connection, job: Job, code: int, raw: str) -> None:
    _close_chunk(conn, job.chunk_id, "failed", raw, 200, describe(code))
    reason = _reason(code)
    set_outcomes(
        conn, job.campaign_id, [(n, "failed", reason, code, None) for n, _m in job.numbers]
    )
    cancel_open_work(conn, job.campaign_id, "campaign_failed")
    conn.execute(
        text(
            "UPDATE campaign SET status = 'failed', failure_reason = :why, waiting_reason = NULL, "
            "finished_at = now(), updated_at = now() WHERE id = :c"
        ),
        {"c": job.campaign_id, "why": f"provider answered {code}: {describe(code)}"},
    )


def split(conn: Connection, job: Job) -> None:
    """-7: too many numbers for one request; send them in two halves."""
    half = job.numbers[len(job.numbers) // 2 :]
    move_to_new_chunk(conn, job.campaign_id, [n for n, _m in half], "ready", None)
    conn.execute(
        text(
            "UPDATE chunk SET status = 'ready', size = size - :k, published_at = NULL, "
            "n_hi = :hi WHERE id = :id"
        ),
        {"id": job.chunk_id, "k": len(half), "hi": job.numbers[len(job.numbers) // 2 - 1][0]},
    )


def defer_minus_2(conn: Connection, settings: Settings, job: Job, now: datetime) -> dict[str, Any]:
    """-2: the provider says we are outside the authorised hours."""
    window = settings.window_for(job.purpose)
    if not window.is_open(now):
        conn.execute(
            text("UPDATE chunk SET status = 'queued' WHERE id = :id"), {"id": job.chunk_id}
        )
        defer_closed_window(conn, job.campaign_id, window, now)
        return {"deferred": "window"}
    log.error(
        "provider says outside authorised hours (-2) but our window %s is open at %s: the "
        "clocks disagree; chunk %s waits %s",
        settings.send_window,
        now.isoformat(),
        job.chunk_id,
        CLOCK_DISAGREE_BACKOFF,
    )
    conn.execute(
        text(
            "UPDATE chunk SET status = 'deferred', not_before = :nb, waiting_reason = 'window', "
            "published_at = NULL WHERE id = :id"
        ),
        {"id": job.chunk_id, "nb": now + CLOCK_DISAGREE_BACKOFF},
    )
    conn.execute(
        text("UPDATE campaign SET waiting_reason = 'window', next_send_at = :nb WHERE id = :c"),
        {"c": job.campaign_id, "nb": now + CLOCK_DISAGREE_BACKOFF},
    )
    return {"deferred": "provider clock disagrees"}


def whole_request(
    conn: Connection, settings: Settings, job: Job, answer: BlockAnswer, now: datetime
) -> dict[str, Any]:
    code = answer.request_code
    assert code is not None
    action = action_of(code)
    if action is Action.PAUSE_ACCOUNT:
        reason = PAUSE_REASON[Code(code)]
        pause_account(conn, job.account, reason)
        back_to_ready(conn, job.chunk_id, status="sending", error=describe(code))
        conn.execute(
            text("UPDATE chunk SET raw_answer = :raw WHERE id = :id"),
            {"raw": answer.raw, "id": job.chunk_id},
        )
        log.warning("provider answered %s: account %s paused (%s)", code, job.account, reason)
        return {"paused": reason}
    if action is Action.DEFER:
        return defer_minus_2(conn, settings, job, now)
    if action is Action.FAIL_CAMPAIGN:
        fail_campaign(conn, job, code, answer.raw)
        log.error(
            "campaign %s failed: provider answered %s (%s)", job.campaign_id, code, describe(code)
        )
        return {"failed": describe(code)}
    if action is Action.SPLIT and len(job.numbers) > 1:
        split(conn, job)
        return {"split": 2}
    # A code we do not know, or a per-number code alone for a block of many (a one-number
    # block's own code was already made its outcome by the parser): never guess.
    mark_uncertain(conn, job, f"whole-request code {code}: {describe(code)}", answer.raw, 200, code)
    return {"uncertain": len(job.numbers)}


def per_number(conn: Connection, job: Job, answer: BlockAnswer) -> dict[str, Any]:
    results = answer.results
    n_of = {m: n for n, m in job.numbers}
    rows: list[tuple[int, str, str | None, int | None, str | None]] = []
    no_balance: list[int] = []
    blocked: list[str] = []
    counts: dict[str, int] = {}
    for result in results:
        n = n_of[result.msisdn]
        counts[result.outcome.value] = counts.get(result.outcome.value, 0) + 1
        if result.outcome is Outcome.NO_BALANCE:
            no_balance.append(n)
            continue
        if result.outcome is Outcome.SUPPRESSED:
            blocked.append(result.msisdn)
        status = _STATUS[result.outcome]
        reason = (
            None
            if result.outcome is Outcome.ACCEPTED
            else ("not_in_answer" if result.code is None else _reason(result.code))
        )
        rows.append((n, status, reason, result.code, result.provider_ref))
    set_outcomes(conn, job.campaign_id, rows)
    if blocked:
        conn.execute(
            text(
                "INSERT INTO suppression (msisdn, reason, source) SELECT m, 'provider_block_list', "
                "'provider' FROM unnest(CAST(:ms AS text[])) m ON CONFLICT DO NOTHING"
            ),
            {"ms": blocked},
        )
    if no_balance:
        # The rest of the block went out; these wait, in a chunk of their own, for balance.
        move_to_new_chunk(conn, job.campaign_id, no_balance, "ready", None, "balance")
        pause_account(conn, job.account, "balance")
        conn.execute(
            text("UPDATE chunk SET size = size - :k WHERE id = :id"),
            {"k": len(no_balance), "id": job.chunk_id},
        )
    return counts


def record(
    conn: Connection, settings: Settings, job: Job, answer: BlockAnswer, now: datetime
) -> dict[str, Any]:
    """Every recipient's outcome and the chunk's end state, with the raw answer."""
    if answer.whole_request_error:
        return whole_request(conn, settings, job, answer, now)
    counts = per_number(conn, job, answer)
    if answer.unexpected:
        log.warning(
            "chunk %s: the answer names numbers we did not send: %s",
            job.chunk_id,
            answer.unexpected[:5],
        )
    _close_chunk(conn, job.chunk_id, "done", answer.raw, 200)
    return counts
