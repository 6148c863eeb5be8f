"""The API's JSON shapes (documented in OpenAPI at /docs)."""

from __future__ import annotations

from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field, field_validator

from dispatcher.domain.contact import parse_limit
from dispatcher.domain.describe import campaign_state
from dispatcher.domain.message import Method
from dispatcher.domain.status import (
    CampaignStatus,
    DeliveryState,
    Purpose,
    RecipientStatus,
    WaitingReason,
)
from dispatcher.domain.window import why_shut
from dispatcher.intake import CampaignSpec
from dispatcher.settings import ACCOUNT_NAME
from dispatcher.store.reads import Clock
from dispatcher.store.rows import CampaignDetailView, CampaignView

Priority = Literal["normal", "high"]


# start_at and expires_at: within this of now (a typo otherwise; and a date near year 1 or
# 9999 with an offset cannot be read back).
WITHIN = timedelta(days=366)


def _aware(value: datetime | None) -> datetime | None:
    if value is None:
        return value
    if value.tzinfo is None:
        raise ValueError("include a UTC offset, for example 2026-11-25T08:00:00-05:00")
    if not 2000 <= value.year <= 2100 or abs(value - datetime.now(UTC)) > WITHIN:
        raise ValueError(f"give a time within a year of now, not {value.isoformat()}")
    return value


class CampaignFields(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=False)

    name: str = Field(min_length=1, max_length=200, description="Your name for the campaign")
    message: str = Field(description="The SMS text, 1 to 765 characters")
    method: Method = Field(Method.ONE_WAY, description="metodo_envio: 1via, 2via or flash")
    purpose: Purpose = Field(
        Purpose.TRANSACTIONAL,
        description="commercial and collection follow Ley 2300 de 2023 (its hours, and the "
        "contact limit CONTACT_LIMITS sets per purpose); exclusion lists apply by purpose",
    )
    priority: Priority = "normal"
    start_at: datetime | None = Field(None, description="Do not send before this time")
    expires_at: datetime | None = Field(
        None, description="Numbers not sent by then are cancelled with reason 'expired'"
    )
    callback_url: AnyHttpUrl | None = Field(None, description="Called when the campaign ends")
    reply_url: AnyHttpUrl | None = Field(
        None,
        description="2via: each reply is POSTed here, signed (default: the tenant's reply URL)",
    )
    account: str | None = Field(
        None,
        pattern=ACCOUNT_NAME,
        description="The provider account to send through (GET /v1/accounts); by default the "
        "first that serves the method",
    )
    transliterate: bool = Field(
        False,
        description="Convert each text to GSM-7 where a character has an equivalent (á→a, "
        "curly quotes→straight, …→...): 160 characters a segment instead of 70",
    )
    test: bool = Field(
        False,
        description="A test of the message to at most 5 numbers, before the real campaign: "
        "sent like any other (window, lists, Ley 2300), and marked as a test in lists",
    )
    number_column: str | None = Field(
        None,
        max_length=200,
        description="CSV: the column with the numbers (default: the first named celular, "
        "numero, movil, telefono, phone, number, msisdn or gsm, else the first)",
    )

    _check_aware = field_validator("start_at", "expires_at")(_aware)

    def to_spec(self) -> CampaignSpec:
        return CampaignSpec(
            name=self.name,
            message=self.message,
            method=self.method,
            purpose=self.purpose,
            priority=self.priority,
            start_at=self.start_at,
            expires_at=self.expires_at,
            callback_url=str(self.callback_url) if self.callback_url else None,
            reply_url=str(self.reply_url) if self.reply_url else None,
            account=self.account,
            transliterate=self.transliterate,
            test=self.test,
        )


class RecipientWithFields(BaseModel):
    number: str | int
    fields: dict[str, str | int | float | None] = Field(
        default_factory=dict, description="Values for the message's {{placeholders}}"
    )


class CampaignIn(CampaignFields):
    recipients: list[str | int | RecipientWithFields] = Field(
        description="Phone numbers as your systems have them (+57 310 211 1111, 3102111111, "
        '...), or {"number": ..., "fields": {"nombre": "Ana"}} for a message with '
        "{{placeholders}}"
    )


class IntakeCounts(BaseModel):
    submitted: int
    sendable: int
    invalid: int
    duplicate: int
    suppressed: int
    reached_today: int | None = Field(
        None,
        description="Purposes with a contact limit (CONTACT_LIMITS; commercial and collection "
        "by default): sendable numbers the tenant's campaigns of that purpose already reached "
        "in the limit's period (today for 1/day, this week for 1/week); they wait for the next "
        "period.  Null for a purpose without a limit and on an idempotent replay.",
    )
    on_exclusion_lists: dict[str, int] = Field(
        default_factory=dict,
        description="Each exclusion list checked for the campaign's purpose, and how many of "
        "its numbers were on it (counted in suppressed, stored with the reason list:NAME).",
    )


class InvalidNumber(BaseModel):
    line: int | None
    value: str
    reason: str
    detail: str


class CampaignDryRun(BaseModel):
    """What intake found and planned.  Alone: POST /v1/campaigns?dry_run=true, where
    nothing is stored."""

    status: CampaignStatus
    counts: IntakeCounts
    chunks: int
    encoding: str
    segments: int
    estimated_duration_s: float
    invalid_sample: list[InvalidNumber]
    ignored_columns: list[str] | None = Field(
        None,
        description="Columns of the CSV that are neither the numbers nor used by the "
        "message: not stored.  Null for a JSON body, and when this answer is an idempotent "
        "replay.",
    )
    plan: dict[str, Any] | None = Field(
        None,
        description="What it will take: texts, requests, segments, encoding, cost, ETA, "
        "balance, warnings, examples (see the README).  Null for campaigns stored before "
        "plans were made.",
    )
    plan_words: list[dict[str, str]] = Field(
        default_factory=list,
        description="The plan in words, a {label, text} a line: as the CLI and the page show it",
    )


class CampaignCreated(CampaignDryRun):
    id: int
    links: dict[str, str]


class CampaignSummary(BaseModel):
    id: int
    tenant: str
    account: str
    name: str
    status: CampaignStatus
    waiting_reason: WaitingReason | None
    state: str = Field(
        description="The status and what it waits for, in words: sending, waiting for the "
        "window until 08:00, waiting: its account is paused for balance, paused, ..."
    )
    method: str
    purpose: str
    priority: str
    test: bool = Field(False, description="A test: a few numbers sent to check the message")
    sendable: int
    chunks: int
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    uncertain: int = Field(
        description="Recipients that may have been sent: an operator checks the provider's "
        "report, then requeues or closes them"
    )
    recipients: dict[str, int] = Field(description="Recipients by status, from counters")
    sent: int = Field(description="Numbers handed to the provider")
    progress: float = Field(description="Share of the sendable numbers whose outcome is known")
    rate_per_s: float | None = Field(description="Numbers sent per second since it started")
    elapsed_s: float | None
    eta_s: float | None = Field(
        description="Seconds until done, waits for the window or start time included; null "
        "while it waits for a person (paused) or for its provider account"
    )
    attention: str | None = Field(description="What a person must do about it, if anything")

    @classmethod
    def of(cls, view: CampaignView, clock: Clock) -> CampaignSummary:
        return cls(**summary_fields(view, clock))


def priority_words(priority: int) -> Priority:
    return "high" if priority > 0 else "normal"


def summary_fields(view: CampaignView, clock: Clock) -> dict[str, Any]:
    """A campaign as lists show it, with its state in words."""
    figures = view.figures
    return {
        "id": view.id,
        "tenant": view.tenant,
        "account": view.account,
        "name": view.name,
        "status": view.status,
        "waiting_reason": view.waiting_reason,
        "state": campaign_state(
            status=view.status,
            waiting_reason=view.waiting_reason,
            next_send_at=view.next_send_at,
            failure_reason=view.failure_reason,
            now=clock.at(),
            tz=clock.tz,
            because=_because(view, clock),
            sent=figures.sent,
            sendable=view.sendable,
        ),
        "method": view.method.value,
        "purpose": view.purpose.value,
        "priority": priority_words(view.priority),
        "test": view.test,
        "sendable": view.sendable,
        "chunks": view.chunks,
        "created_at": view.created_at,
        "started_at": view.started_at,
        "finished_at": view.finished_at,
        "uncertain": view.recipients[RecipientStatus.UNCERTAIN],
        "recipients": {s.value: n for s, n in view.recipients.items()},
        "sent": figures.sent,
        "progress": figures.progress,
        "rate_per_s": figures.rate_per_s,
        "elapsed_s": view.elapsed_s,
        "eta_s": figures.eta_s,
        "attention": figures.attention,
    }


def _because(view: CampaignView, clock: Clock) -> str | None:
    """Why a campaign's start was moved, or why its window is shut now."""
    if clock.window is None:
        return None
    if view.waiting_reason is WaitingReason.START_AT:
        asked, first = view.start_at, view.next_send_at
        moved = asked is not None and first is not None and first > asked
        return why_shut(asked, clock.window, view.purpose) if asked and moved else None
    if view.waiting_reason is WaitingReason.CONTACT_LIMIT:
        limit = parse_limit(clock.limits.get(view.purpose, "none"))
        if limit is None:  # the setting changed since: no limit now
            return None
        return (
            f"Ley 2300, as CONTACT_LIMITS reads it for {view.purpose} messages: {limit.words} "
            f"({limit.text}) per number"
        )
    if view.waiting_reason is WaitingReason.WINDOW:
        return why_shut(clock.at(), clock.window, view.purpose)
    return None


class CampaignPage(BaseModel):
    items: list[CampaignSummary]
    next_before: int | None = Field(description="Pass as ?before= for the next page")


class CallbackState(BaseModel):
    state: DeliveryState
    attempts: int
    last_error: str | None
    delivered_at: datetime | None
    next_at: datetime = Field(description="When it is tried again, while pending")


class CampaignDetail(CampaignSummary):
    message: str = Field(description="The text sent to every recipient, as submitted")
    failure_reason: str | None
    start_at: datetime | None
    expires_at: datetime | None
    next_send_at: datetime | None
    callback_url: str | None
    reply_url: str | None
    replies: dict[str, int] = Field(
        description="Replies attributed to the campaign (received) and opt-outs among them"
    )
    encoding: str
    segments: int
    plan: dict[str, Any] | None = Field(
        description="What intake worked out before sending: texts, requests, segments, "
        "cost, ETA, balance, warnings, examples"
    )
    idempotency_key: str | None
    counts: dict[str, Any]
    callback: CallbackState | None = Field(
        description="The callback_url's delivery, once the campaign has finished"
    )
    recipients_deleted: dict[str, Any] | None = Field(
        None,
        description="Retention deleted its recipients, texts and replies: when and why "
        "(its counts stay; its exports answer 410).  Null while they are kept.",
    )

    @classmethod
    def of(cls, detail: CampaignDetailView, clock: Clock) -> CampaignDetail:  # type: ignore[override]
        c = detail.campaign
        return cls(
            **summary_fields(c, clock),
            message=detail.message,
            failure_reason=c.failure_reason,
            start_at=detail.start_at,
            expires_at=detail.expires_at,
            next_send_at=c.next_send_at,
            callback_url=detail.callback_url,
            reply_url=detail.reply_url,
            replies={"received": detail.replies_received, "opt_outs": detail.opt_outs},
            encoding=detail.encoding,
            segments=detail.segments,
            plan=detail.plan,
            idempotency_key=detail.idempotency_key,
            counts={
                "submitted": detail.submitted,
                "sendable": c.sendable,
                "invalid": detail.invalid,
                "duplicate": detail.duplicate,
                "suppressed": detail.suppressed,
                "by_status": {s.value: n for s, n in c.recipients.items()},
            },
            callback=CallbackState(**asdict(detail.callback)) if detail.callback else None,
            recipients_deleted=(
                {"at": detail.recipients_deleted_at, "why": detail.recipients_deleted_because}
                if detail.recipients_deleted_at
                else None
            ),
        )


class RecipientOut(BaseModel):
    n: int
    msisdn: str
    status: RecipientStatus
    reason: str | None
    code: int | None
    provider_ref: str | None
    updated_at: datetime
    detail: str | None = Field(None, description="Why it is invalid, when the reason needs words")
    text_id: int | None = Field(None, description="Its text: GET /v1/campaigns/{id}/texts")


class RecipientPage(BaseModel):
    items: list[RecipientOut]
    next_after: int | None = Field(description="Pass as ?after= for the next page")


class TextOut(BaseModel):
    id: int
    text: str
    encoding: str
    segments: int
    numbers: int = Field(description="How many numbers it was for")


class TextPage(BaseModel):
    items: list[TextOut]
    next_after: int | None = Field(description="Pass as ?after= for the next page")


class ReplyOut(BaseModel):
    id: int
    received_at: datetime
    msisdn: str
    text: str
    opt_out: bool
    recipient_n: int | None = Field(description="The recipient it answers (n in recipients)")


class ReplyPage(BaseModel):
    items: list[ReplyOut]
    next_after: int | None = Field(description="Pass as ?after= for the next page")


class ActionResult(BaseModel):
    id: int
    status: CampaignStatus
    cancelled_recipients: int | None = None


class UncertainResolved(BaseModel):
    id: int
    recipients: int = Field(description="How many uncertain recipients this changed")
    now: RecipientStatus = Field(description="pending (to be sent again), accepted or rejected")


class Problem(BaseModel):
    type: str
    title: str
    status: int
    detail: str
    errors: list[dict[str, str]] | None = None
