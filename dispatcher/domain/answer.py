"""What the provider said about a block, as values: one result per number sent, or a
whole-request code.  ``provider.answer`` parses the text into these."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import NamedTuple

from dispatcher.domain.codes import Outcome


class NumberResult(NamedTuple):
    """One number's line of the answer (a tuple: a block makes a thousand of them)."""

    msisdn: str
    outcome: Outcome
    code: int | None  # None: the answer did not mention this number
    provider_ref: str | None = None


@dataclass(frozen=True, slots=True)
class BlockAnswer:
    """Either ``request_code`` (a whole-request error) or one result per number sent."""

    raw: str
    results: tuple[NumberResult, ...] = ()
    request_code: int | None = None
    unexpected: tuple[tuple[str, int], ...] = field(default=())  # lines for numbers not sent

    @property
    def whole_request_error(self) -> bool:
        return self.request_code is not None

    def by_outcome(self, outcome: Outcome) -> list[NumberResult]:
        return [r for r in self.results if r.outcome is outcome]
