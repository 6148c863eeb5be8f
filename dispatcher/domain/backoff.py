"""One backoff for every retry: never-sent requests, callbacks, a lost database
connection while recording an answer."""

from __future__ import annotations

# 2 ** 62 times any first delay is past every cap; a larger exponent would not fit a float.
_MAX_DOUBLINGS = 62


def backoff_s(attempt: int, first_s: float, max_s: float) -> float:
    """``first_s`` after the first attempt, doubling after each one, at most ``max_s``."""
    doublings = min(max(attempt - 1, 0), _MAX_DOUBLINGS)
    return float(min(first_s * 2**doublings, max_s))
