"""Schemathesis hooks for the API's fuzz run (``SCHEMATHESIS_HOOKS=tests.e2e.fuzz_hooks``):
besides what the schema allows, some cases carry a NUL, a control character or a date
at the ends of the calendar in one of their fields.  None may get a 5xx."""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import strategies as st

EXTREMES = [
    "\x00",
    "a\x00b",
    "x\x07y",
    "9999-12-31",
    "0001-01-01",
    "9999-12-31T23:59:59-05:00",
    "0001-01-01T00:00:00+05:00",
    "9999-12-31T23:59:59+14:00",
]


def _spoiled(value: Any, extreme: str, which: int) -> Any:
    """``value`` with one of its fields (the ``which``-th, in order) set to ``extreme``."""
    if not isinstance(value, dict) or not value:
        return value
    keys = sorted(value)
    return {**value, keys[which % len(keys)]: extreme}


def _with_extremes(_context: Any, strategy: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    spoiled = st.builds(_spoiled, strategy, st.sampled_from(EXTREMES), st.integers(0, 20))
    return st.one_of(strategy, spoiled)


for _container in ("query", "body", "path_parameters"):
    schemathesis.hook(f"before_generate_{_container}")(_with_extremes)
