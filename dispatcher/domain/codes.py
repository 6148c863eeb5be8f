"""The provider's answer codes, what each means, and what the engine does about it."""

from __future__ import annotations

from enum import IntEnum, StrEnum

from dispatcher.domain.status import PauseReason


class Code(IntEnum):
    OPERATOR_NOT_FOUND = 0
    AUTH_FAILED = -1
    OUTSIDE_HOURS = -2
    NO_BALANCE = -3
    BAD_NUMBER = -4
    BAD_TEXT = -5
    MAINTENANCE = -6
    TOO_MANY_NUMBERS = -7
    BLOCKED_NUMBER = -8
    RESERVED_WORDS = -9
    LINK_NOT_ALLOWED = -10
    BAD_METHOD = -11

    @property
    def meaning(self) -> str:
        return MEANING[self]


MEANING: dict[Code, str] = {
    Code.OPERATOR_NOT_FOUND: "the operator does not exist (numbers starting 380)",
    Code.AUTH_FAILED: "authentication failed: check PREGONERO_PROVIDER_USER and _TOKEN",
    Code.OUTSIDE_HOURS: "outside the authorised hours (CRC: 8am-9pm Colombia)",
    Code.NO_BALANCE: "no balance left in the provider account",
    Code.BAD_NUMBER: "the number is not 12 digits (not charged)",
    Code.BAD_TEXT: "the text is empty or over 765 characters (not charged)",
    Code.MAINTENANCE: "the provider is in maintenance (not charged; an e-mail announces the end)",
    Code.TOO_MANY_NUMBERS: "more than 5,000 numbers in one request",
    Code.BLOCKED_NUMBER: "the number is on the block list (the person opted out)",
    Code.RESERVED_WORDS: "the text has reserved words; talk to the provider's sales contact",
    Code.LINK_NOT_ALLOWED: "the text has a link and the account is not authorised for links",
    Code.BAD_METHOD: "metodo_envio must be 1via, 2via or flash",
}


class Outcome(StrEnum):
    """What happened to one number, as an operator reads it."""

    ACCEPTED = "accepted"  # the provider took it; code is its reference
    REJECTED = "rejected"  # refused for this number (operator missing, or another code)
    INVALID = "invalid"  # not 12 digits for the provider
    SUPPRESSED = "suppressed"  # on the provider's block list
    NO_BALANCE = "no_balance"  # not sent: the balance ran out during the block
    UNCERTAIN = "uncertain"  # we cannot know whether it was sent
    UNKNOWN = "unknown"  # a code the document does not list; kept raw, never guessed


class Action(StrEnum):
    """What the engine does with a whole-request code (docs/architecture.md, "What an
    answer means")."""

    PAUSE_ACCOUNT = "pause_account"  # and put the chunk back to ready
    DEFER = "defer"  # to the next window opening
    FAIL_CAMPAIGN = "fail_campaign"  # content errors: nothing else of it can go out
    SPLIT = "split"  # too many numbers: split the chunk and retry
    # An unknown code, or a per-number code that came bare for a block of many (for a
    # one-number block the parser already made it that number's outcome): keep it raw,
    # mark the block uncertain, send nothing more of it.
    UNCERTAIN = "uncertain"


PAUSE_REASON: dict[Code, PauseReason] = {
    Code.AUTH_FAILED: PauseReason.AUTH,
    Code.NO_BALANCE: PauseReason.BALANCE,
    Code.MAINTENANCE: PauseReason.MAINTENANCE,
}

WHOLE_REQUEST_ACTION: dict[Code, Action] = {
    Code.AUTH_FAILED: Action.PAUSE_ACCOUNT,
    Code.NO_BALANCE: Action.PAUSE_ACCOUNT,
    Code.MAINTENANCE: Action.PAUSE_ACCOUNT,
    Code.OUTSIDE_HOURS: Action.DEFER,
    Code.BAD_TEXT: Action.FAIL_CAMPAIGN,
    Code.RESERVED_WORDS: Action.FAIL_CAMPAIGN,
    Code.LINK_NOT_ALLOWED: Action.FAIL_CAMPAIGN,
    Code.BAD_METHOD: Action.FAIL_CAMPAIGN,
    Code.TOO_MANY_NUMBERS: Action.SPLIT,
    Code.BAD_NUMBER: Action.UNCERTAIN,
    Code.BLOCKED_NUMBER: Action.UNCERTAIN,
    Code.OPERATOR_NOT_FOUND: Action.UNCERTAIN,
}

# Codes that describe one number.  When a one-number block gets one of these bare,
# it is that number's outcome, not a whole-request error.
PER_NUMBER_CODES = frozenset({Code.OPERATOR_NOT_FOUND, Code.BAD_NUMBER, Code.BLOCKED_NUMBER})


def known(code: int) -> Code | None:
    try:
        return Code(code)
    except ValueError:
        return None


def outcome_of(code: int) -> Outcome:
    """The outcome of one number from its code in a per-number answer line."""
    if code > 0:
        return Outcome.ACCEPTED
    match known(code):
        case Code.OPERATOR_NOT_FOUND:
            return Outcome.REJECTED
        case Code.BAD_NUMBER:
            return Outcome.INVALID
        case Code.BLOCKED_NUMBER:
            return Outcome.SUPPRESSED
        case Code.NO_BALANCE:
            return Outcome.NO_BALANCE
        case None:
            return Outcome.UNKNOWN
        case _:
            # A documented whole-request code reported for one number: it was refused.
            return Outcome.REJECTED


def action_of(code: int) -> Action:
    """The engine's action for a bare whole-request code."""
    found = known(code)
    if found is None:
        return Action.UNCERTAIN
    return WHOLE_REQUEST_ACTION[found]


def describe(code: int) -> str:
    if code > 0:
        return f"accepted (provider reference {code})"
    found = known(code)
    return found.meaning if found is not None else f"code {code} is not in the provider's table"
