"""What a block's fate means, decided before anything is written
(docs/architecture.md, "The send path" and "What an answer means").

Pure functions: the facts in (the chunk's state, the provider's answer or the failure to
get one, the window, the time), a small value out.  The store applies a plan in one
transaction; nothing here reads the clock or the database.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import NamedTuple

from dispatcher.domain.answer import BlockAnswer
from dispatcher.domain.backoff import backoff_s
from dispatcher.domain.codes import PAUSE_REASON, Action, Code, Outcome, action_of, describe, known
from dispatcher.domain.contact import ContactLimit
from dispatcher.domain.status import (
    CampaignStatus,
    ChunkStatus,
    PauseReason,
    Reason,
    RecipientStatus,
)
from dispatcher.domain.window import SendWindow
from dispatcher.errors import NeverSent, ProviderError, ProviderRefused

CLOCK_DISAGREE_BACKOFF = timedelta(minutes=5)
RETRY_FIRST_S = 5.0
RETRY_MAX_S = 300.0


class Gate(StrEnum):
    """Whether a queued chunk may be sent now (asked before the slot and at the claim)."""

    GO = "go"
    GONE = "gone"  # not queued any more: another message of it went first, or it finished
    HOLD = "hold"  # its campaign is not running or its account is paused: back to ready
    WINDOW = "window"  # outside the window: the campaign waits for the next opening


def gate(
    chunk: ChunkStatus, campaign: CampaignStatus, account_paused: bool, window_open: bool
) -> Gate:
    if chunk is not ChunkStatus.QUEUED:
        return Gate.GONE
    if campaign is not CampaignStatus.RUNNING or account_paused:
        return Gate.HOLD
    if not window_open:
        return Gate.WINDOW
    return Gate.GO


@dataclass(frozen=True)
class GateFacts:
    """What the gate asks of a queued chunk: its state, its campaign's, its account's."""

    chunk: ChunkStatus
    campaign: CampaignStatus
    account_paused: bool
    account_configured: bool = True  # False: removed from this process's settings


@dataclass(frozen=True)
class NotSent:
    """A queued chunk that does not go out now, and what becomes of it: nothing
    (``GONE``), back to ``ready`` for the feeder (``HOLD``), or its campaign sleeps until
    the window opens at ``opens`` (``WINDOW``).  ``store.sending.hold`` applies it."""

    gate: Gate
    detail: str
    opens: datetime | None = None


def _not_sent(verdict: Gate, facts: GateFacts, window: SendWindow, now: datetime) -> NotSent:
    if verdict is Gate.WINDOW:
        opens = window.next_open(now)
        return NotSent(verdict, f"window closed until {opens}", opens)
    if verdict is Gate.HOLD:
        return NotSent(verdict, "campaign or account not sending")
    return NotSent(verdict, f"chunk is {facts.chunk}")


def before_send(facts: GateFacts, window: SendWindow, now: datetime) -> NotSent | None:
    """Before the slot: None when the chunk may go, else why not."""
    verdict = gate(facts.chunk, facts.campaign, facts.account_paused, window.is_open(now))
    if verdict is not Gate.GO:
        return _not_sent(verdict, facts, window, now)
    if not facts.account_configured:  # no credentials here: the feeder holds it back
        return NotSent(Gate.HOLD, "its account is not configured")
    return None


def unclaimed(facts: GateFacts, window: SendWindow, now: datetime, window_open: bool) -> NotSent:
    """The claim changed no row (or the window had shut): why not.  A chunk the gate
    would still let go (queued, running, unpaused, open) has expired meanwhile."""
    verdict = gate(facts.chunk, facts.campaign, facts.account_paused, window_open)
    return _not_sent(Gate.HOLD if verdict is Gate.GO else verdict, facts, window, now)


@dataclass(frozen=True)
class Sendable:
    """What of a queued chunk goes out, before its slot: the pending numbers not on the
    account's suppression list now, how many are on it (marked ``suppressed``, not
    sent), and under the purpose's contact limit (Ley 2300) the period whose one contact
    each number takes, by its first day (those another campaign of the tenant reached
    in it wait apart until ``next_period_opens``).  ``store.sending.prepare`` applies it."""

    numbers: tuple[tuple[int, str], ...]
    suppressed_since_intake: int = 0
    contact_period: date | None = None
    next_period_opens: datetime | None = None


def sendable(
    pending: Sequence[tuple[int, str, bool]],
    limit: ContactLimit | None,
    window: SendWindow,
    now: datetime,
) -> Sendable:
    """``pending``: each pending ``(n, msisdn, on the suppression list now)`` in order;
    ``limit``: the campaign's purpose's contact limit (None: none)."""
    numbers = tuple((n, m) for n, m, suppressed in pending if not suppressed)
    dropped = len(pending) - len(numbers)
    if not numbers or limit is None:
        return Sendable(numbers, dropped)
    period = limit.period(now.astimezone(window.tz).date())
    return Sendable(numbers, dropped, period, limit.next_permitted(window, now))


class Verdict(StrEnum):
    """What becomes of a block that was handed to the provider."""

    DONE = "done"  # every number has its outcome
    PAUSE = "pause"  # the account pauses; the block goes back to ready, unsent
    DEFER = "defer"  # the block waits until not_before
    RETRY = "retry"  # the request never left: try again after not_before
    FAIL = "fail"  # the provider refuses the content: the campaign fails
    SPLIT = "split"  # too many numbers for one request: two halves, both ready
    UNCERTAIN = "uncertain"  # it may have gone out: never re-sent on our own


class Settle(NamedTuple):
    """One recipient's outcome (a tuple: a block makes a thousand of them)."""

    n: int
    status: RecipientStatus
    reason: str | None = None
    code: int | None = None
    provider_ref: str | None = None


@dataclass(frozen=True, slots=True)
class Block:
    """The numbers of one request, in the order sent, as ``(n, msisdn)``."""

    numbers: tuple[tuple[int, str], ...]
    attempts: int = 1  # this one included
    text: str = ""  # the text it carried: a refusal of the text names it


@dataclass(frozen=True)
class BlockPlan:
    verdict: Verdict
    settle: tuple[Settle, ...] = ()
    wait_for_balance: tuple[int, ...] = ()  # numbers refused for balance: a chunk of their own
    suppress: tuple[str, ...] = ()  # numbers on the provider's block list
    pause: PauseReason | None = None  # the account pauses for this reason
    not_before: datetime | None = None  # DEFER, RETRY
    whole_campaign: bool = False  # DEFER: the window is closed for all the campaign's chunks
    split_after: int | None = None  # SPLIT: the last n of the first half
    raw: str | None = None
    http_status: int | None = None
    error: str | None = None
    clocks_disagree: bool = False  # -2 while our window says open: raise it loudly

    def counts(self) -> dict[str, int]:
        counts = Counter(s.status.value for s in self.settle)
        if self.wait_for_balance:
            counts["no_balance"] = len(self.wait_for_balance)
        return dict(counts)


_STATUS = {
    Outcome.ACCEPTED: RecipientStatus.ACCEPTED,
    Outcome.REJECTED: RecipientStatus.REJECTED,
    Outcome.INVALID: RecipientStatus.INVALID,
    Outcome.SUPPRESSED: RecipientStatus.SUPPRESSED,
    Outcome.UNCERTAIN: RecipientStatus.UNCERTAIN,
    Outcome.UNKNOWN: RecipientStatus.UNCERTAIN,
}


def code_reason(code: int) -> str:
    """A provider code as a recipient's reason: ``no_balance``, ``code_-42``..."""
    found = known(code)
    return found.name.lower() if found is not None else f"code_{code}"


def _all(
    block: Block, status: RecipientStatus, reason: str, code: int | None
) -> tuple[Settle, ...]:
    return tuple(Settle(n, status, reason, code) for n, _m in block.numbers)


def decide_answer(
    block: Block, answer: BlockAnswer, window: SendWindow, now: datetime
) -> BlockPlan:
    """The provider answered: per-number lines, or a whole-request code."""
    if answer.request_code is not None:
        return _whole_request(block, answer.request_code, answer.raw, window, now)
    n_of = {m: n for n, m in block.numbers}
    settle: list[Settle] = []
    no_balance: list[int] = []
    blocked: list[str] = []
    for result in answer.results:
        n, outcome, code = n_of[result.msisdn], result.outcome, result.code
        if outcome is Outcome.NO_BALANCE:
            no_balance.append(n)  # the rest of the block went out; these wait for balance
            continue
        if outcome is Outcome.SUPPRESSED:
            blocked.append(result.msisdn)
        if outcome is Outcome.ACCEPTED:
            reason = None
        else:
            reason = Reason.NOT_IN_ANSWER.value if code is None else code_reason(code)
        settle.append(Settle(n, _STATUS[outcome], reason, code, result.provider_ref))
    return BlockPlan(
        Verdict.DONE,
        settle=tuple(settle),
        wait_for_balance=tuple(no_balance),
        suppress=tuple(blocked),
        pause=PauseReason.BALANCE if no_balance else None,
        raw=answer.raw,
        http_status=200,
    )


def _whole_request(
    block: Block, code: int, raw: str, window: SendWindow, now: datetime
) -> BlockPlan:
    action = action_of(code)
    meaning = describe(code)
    if action is Action.PAUSE_ACCOUNT:
        reason = PAUSE_REASON[Code(code)]
        return BlockPlan(Verdict.PAUSE, pause=reason, raw=raw, http_status=200, error=meaning)
    if action is Action.DEFER:
        if not window.is_open(now):
            opens = window.next_open(now)
            return BlockPlan(Verdict.DEFER, not_before=opens, whole_campaign=True, raw=raw)
        return BlockPlan(
            Verdict.DEFER,
            not_before=now + CLOCK_DISAGREE_BACKOFF,
            raw=raw,
            error=meaning,
            clocks_disagree=True,
        )
    if action is Action.FAIL_CAMPAIGN:
        return BlockPlan(
            Verdict.FAIL,
            settle=_all(block, RecipientStatus.FAILED, code_reason(code), code),
            raw=raw,
            http_status=200,
            error=f"provider answered {code}: {meaning}"
            + (f"; the text: {block.text!r}" if block.text else ""),
        )
    if action is Action.SPLIT and len(block.numbers) > 1:
        half = len(block.numbers) // 2
        return BlockPlan(Verdict.SPLIT, split_after=block.numbers[half - 1][0], raw=raw)
    # A code we do not know, or a per-number code alone for a block of many (a one-number
    # block's own code was already made its outcome by the parser): never guess.
    return BlockPlan(
        Verdict.UNCERTAIN,
        settle=_all(block, RecipientStatus.UNCERTAIN, code_reason(code), code),
        raw=raw,
        http_status=200,
        error=f"whole-request code {code}: {meaning}",
    )


def retry_delay_s(attempts: int) -> float:
    """Never-sent requests wait 5 s, 10 s, 20 s... at most 5 minutes."""
    return backoff_s(attempts, RETRY_FIRST_S, RETRY_MAX_S)


def decide_failure(block: Block, error: ProviderError, now: datetime) -> BlockPlan:
    """No usable answer: what is safe depends on whether the request may have left."""
    text = str(error)[:2000]
    if isinstance(error, NeverSent):
        delay_s = retry_delay_s(block.attempts)
        return BlockPlan(Verdict.RETRY, not_before=now + timedelta(seconds=delay_s), error=text)
    if isinstance(error, ProviderRefused):
        # HTTP 4xx: the provider did not process it; a person must look at the set-up.
        return BlockPlan(
            Verdict.PAUSE,
            pause=PauseReason.OPERATOR,
            raw=error.raw,
            http_status=error.http_status,
            error=text,
        )
    return BlockPlan(
        Verdict.UNCERTAIN,
        settle=_all(block, RecipientStatus.UNCERTAIN, Reason.MAYBE_SENT.value, None),
        raw=error.raw,
        http_status=error.http_status,
        error=text,
    )
