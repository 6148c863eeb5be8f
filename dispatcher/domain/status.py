"""The status vocabularies (docs/architecture.md, "Records"), and their named groups.

Every status the code writes or compares comes from here: the tables' CHECK
constraints, the store's statements (as bound parameters), the API's schemas and the
CLI.  Renaming a status is a change mypy follows.
"""

from __future__ import annotations

from enum import StrEnum


class CampaignStatus(StrEnum):
    SCHEDULED = "scheduled"  # stored, nothing sent yet
    RUNNING = "running"  # the feeder has started it
    PAUSED = "paused"  # by its tenant or an operator
    COMPLETED = "completed"  # no chunk left to send
    CANCELLED = "cancelled"
    FAILED = "failed"  # the provider refused its content


class ChunkStatus(StrEnum):
    READY = "ready"  # in the outbox, waiting for the feeder
    QUEUED = "queued"  # published to the broker
    SENDING = "sending"  # claimed: the request may be at the provider
    DONE = "done"  # the answer is recorded
    DEFERRED = "deferred"  # waits for not_before (window, retry, Ley 2300's contact limit)
    UNCERTAIN = "uncertain"  # may have been sent: never re-sent on our own
    CANCELLED = "cancelled"
    FAILED = "failed"  # its campaign failed on it


class RecipientStatus(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    REJECTED = "rejected"
    INVALID = "invalid"
    SUPPRESSED = "suppressed"
    UNCERTAIN = "uncertain"
    CANCELLED = "cancelled"
    FAILED = "failed"


class WaitingReason(StrEnum):
    """Why a campaign that should be sending is not."""

    WINDOW = "window"
    BALANCE = "balance"
    MAINTENANCE = "maintenance"
    AUTH = "auth"
    OPERATOR = "operator"
    START_AT = "start_at"
    # Ley 2300: only numbers another campaign of the tenant (same purpose) reached in the
    # contact limit's period (CONTACT_LIMITS: a day, a week) are left; they wait for the
    # next period's first permitted moment (``next_send_at``).
    CONTACT_LIMIT = "contact_limit"
    # No beat here has the campaign's account in PREGONERO_ACCOUNTS: nothing feeds it.
    ACCOUNT_NOT_CONFIGURED = "account_not_configured"


class PauseReason(StrEnum):
    """Why a provider account is paused."""

    AUTH = "auth"  # -1: fix the token, then resume
    BALANCE = "balance"  # -3 or below MIN_BALANCE: resumes by itself when the balance is back
    MAINTENANCE = "maintenance"  # -6: probed again after MAINTENANCE_PROBE_S
    OPERATOR = "operator"  # a person decided (or the provider refused the request itself)

    @property
    def waiting(self) -> WaitingReason:
        return WaitingReason(self.value)


class ChunkWait(StrEnum):
    """Why a chunk is deferred or sits apart (kept with the chunk for operators)."""

    WINDOW = "window"
    BALANCE = "balance"  # the numbers the provider refused for balance in a block
    CONTACT_LIMIT = "contact_limit"  # Ley 2300: reached in this period by another campaign


class Purpose(StrEnum):
    TRANSACTIONAL = "transactional"
    COMMERCIAL = "commercial"  # Ley 2300 de 2023: its hours and contact limit
    COLLECTION = "collection"  # Ley 2300 de 2023 as well


class DeliveryState(StrEnum):
    """A callback to a backend system."""

    PENDING = "pending"  # due at next_at
    DELIVERING = "delivering"  # claimed by one deliverer until claimed_until
    DELIVERED = "delivered"  # the receiver answered 2xx
    FAILED = "failed"  # a day of retries, or an address we may not call


class SuppressionSource(StrEnum):
    """How a number came onto an account's suppression list."""

    REPLY = "reply"  # the person replied with an opt-out word
    PROVIDER = "provider"  # the provider answered -8 (its block list)
    IMPORT = "import"  # an operator imported a list (e.g. the CRC's excluded numbers)
    TENANT = "tenant"  # a tenant added its own customers' requests


class Role(StrEnum):
    """What an API key may do."""

    TENANT = "tenant"  # its own campaigns; sees whether its accounts are paused and why
    OPERATOR = "operator"  # everything: every tenant, the accounts, the suppression list


class Reason(StrEnum):
    """Why a recipient is not accepted, when the engine (not the provider's code or the
    number rules) decided it."""

    SUPPRESSION_LIST = "suppression_list"
    PROVIDER_BLOCK_LIST = "provider_block_list"
    EXPIRED = "expired"
    CANCELLED = "cancelled"
    CAMPAIGN_FAILED = "campaign_failed"
    MAYBE_SENT = "maybe_sent"
    WORKER_LOST = "worker_lost"
    NOT_IN_ANSWER = "not_in_answer"
    CLOSED_BY_OPERATOR = "closed_by_operator"  # was uncertain; a person checked the report
    OPTED_OUT = "opted_out"  # a suppression's reason: the person replied with an opt-out word
    ERASED = "erased"  # the person had the number erased (Ley 1581): never sent to again


# -- groups --------------------------------------------------------------------------------
CAMPAIGN_ACTIVE = (CampaignStatus.SCHEDULED, CampaignStatus.RUNNING)  # the feeder's
CAMPAIGN_OPEN = (*CAMPAIGN_ACTIVE, CampaignStatus.PAUSED)  # not finished
CAMPAIGN_FINAL = (CampaignStatus.COMPLETED, CampaignStatus.CANCELLED, CampaignStatus.FAILED)

CHUNK_UNSENT = (ChunkStatus.READY, ChunkStatus.QUEUED, ChunkStatus.DEFERRED)  # cancellable
CHUNK_OPEN = (*CHUNK_UNSENT, ChunkStatus.SENDING)  # while any is left, the campaign runs
CHUNK_FINAL = (ChunkStatus.DONE, ChunkStatus.UNCERTAIN, ChunkStatus.CANCELLED, ChunkStatus.FAILED)

RECIPIENT_FINAL = tuple(s for s in RecipientStatus if s is not RecipientStatus.PENDING)

LEY_2300 = (Purpose.COMMERCIAL, Purpose.COLLECTION)
# The campaign waits for the account: these clear when the account resumes.
ACCOUNT_WAITS = tuple(r.waiting for r in PauseReason)
