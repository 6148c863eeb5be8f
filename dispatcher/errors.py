"""One exception tree.  Every error says what happened and what to do about it."""

from __future__ import annotations

from typing import Any


class PregoneroError(Exception):
    """Root of every error Pregonero raises on purpose."""


class ConfigError(PregoneroError):
    """A setting is missing or wrong; the message names the variable and the rule."""


class ValidationFailed(PregoneroError):
    """Input from a user or a backend system was refused; nothing was stored.

    ``problems`` lists ``{"field", "detail"}`` items saying what to fix; ``status`` is the
    HTTP status the API answers with (422 unless the size is the problem)."""

    def __init__(
        self,
        message: str,
        *,
        problems: list[dict[str, str]] | None = None,
        status: int = 422,
        extra: dict[str, Any] | None = None,
    ):
        super().__init__(message)
        self.problems = problems or []
        self.status = status
        self.extra = extra or {}


class NotFound(PregoneroError):
    """No such thing for this tenant (another tenant's things are not found either)."""


class Forbidden(PregoneroError):
    """The caller's role or key may not do this (it is not a matter of input)."""


class Gone(PregoneroError):
    """It existed and was deleted on purpose (retention): the message says when and why."""


class Conflict(PregoneroError):
    """The request contradicts the stored state (idempotency key reused, campaign already
    finished, ...)."""


class ProviderError(PregoneroError):
    """Talking to the SMS provider went wrong.

    ``maybe_sent`` is the one fact the send path needs: when it is true the provider may
    have received the block and sent messages, so the block must never be sent again
    automatically.
    """

    maybe_sent: bool = True

    def __init__(self, message: str, *, raw: str | None = None, http_status: int | None = None):
        super().__init__(message)
        self.raw = raw
        self.http_status = http_status


class NeverSent(ProviderError):
    """The request never reached the provider (connection refused, DNS, connect timeout).

    Safe to retry: nothing can have been sent."""

    maybe_sent = False


class ProviderRefused(ProviderError):
    """The provider answered with an HTTP 4xx: it did not process the request."""

    maybe_sent = False


class MaybeSent(ProviderError):
    """The request left, and we cannot know what the provider did with it.

    Read timeout, dropped connection, HTTP 5xx, or an answer that cannot be parsed."""

    maybe_sent = True


class UnparseableAnswer(MaybeSent):
    """The provider answered something that is neither per-number lines nor a bare code."""


class ProviderAnswerError(PregoneroError):
    """A whole-request error code from the provider (auth, balance, maintenance, ...)."""

    def __init__(self, code: int, message: str):
        super().__init__(message)
        self.code = code
