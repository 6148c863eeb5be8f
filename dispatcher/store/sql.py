"""Small SQL helpers the store's modules share."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import ColumnElement, Integer, String, any_, bindparam
from sqlalchemy.dialects.postgresql import ARRAY


def any_of(values: Iterable[int]) -> ColumnElement[Any]:
    """``= ANY(:array)``: one array parameter, not one parameter per value."""
    return any_(bindparam(None, list(values), type_=ARRAY(Integer)))


def any_text(values: Iterable[str]) -> ColumnElement[Any]:
    return any_(bindparam(None, list(values), type_=ARRAY(String)))
