"""PREGONERO_LOG_FORMAT=json: one object a line, the fields it concerns, no secrets."""

from __future__ import annotations

import json
import logging

import pytest

from dispatcher.logs import TEXT_FORMAT, JsonFormatter, RedactingFormatter, about
from workers.metrics import code_label


def record(msg: str, *args: object, **extra: object) -> logging.LogRecord:
    made = logging.LogRecord("dispatcher.engine.send", logging.WARNING, "x", 1, msg, args, None)
    for key, value in extra.items():
        setattr(made, key, value)
    return made


def test_one_object_a_line_with_what_it_concerns() -> None:
    line = JsonFormatter().format(
        record(
            "account %s paused (%s)",
            "oneway",
            "balance",
            **about(event="account_paused", campaign_id=7, chunk_id=70, account="oneway"),
        )
    )
    assert "\n" not in line
    data = json.loads(line)
    assert data["event"] == "account_paused"
    assert (data["campaign_id"], data["chunk_id"], data["account"]) == (7, 70, "oneway")
    assert data["message"] == "account oneway paused (balance)"
    assert data["level"] == "warning"
    assert data["logger"] == "dispatcher.engine.send"


def test_no_secret_reaches_a_line_in_either_format() -> None:
    leaky = record("GET https://api.example/q?token=abc123&password=hunter2 via redis://u:pw@h")
    for formatter in (JsonFormatter(), RedactingFormatter(TEXT_FORMAT)):
        line = formatter.format(leaky)
        assert "abc123" not in line and "hunter2" not in line and ":pw@" not in line


def test_errors_are_one_redacted_field() -> None:
    try:
        raise RuntimeError("connect to postgresql://app:s3cret@db/x failed")
    except RuntimeError:
        import sys

        failed = record("could not record")
        failed.exc_info = sys.exc_info()
    data = json.loads(JsonFormatter().format(failed))
    assert data["error"].startswith("RuntimeError: ")
    assert "s3cret" not in data["error"]


def test_an_unknown_field_fails_loudly() -> None:
    with pytest.raises(TypeError, match="campaign"):
        about(campaign=1)


def test_codes_are_bounded_labels() -> None:
    assert code_label(12345678) == "accepted"  # a reference, never a label value
    assert code_label(-8) == "-8"
    assert code_label(-999) == "other"
    assert code_label(None) == "none"


def test_a_failing_observer_never_reaches_a_send() -> None:
    from dispatcher.domain.plan import BlockPlan, Verdict
    from dispatcher.engine.ports import Guarded

    class Broken:
        def waited_for_slot(self, account: str, seconds: float) -> None:
            raise OSError("disk full")

        def provider_answered(self, account: str, seconds: float) -> None:
            raise OSError("disk full")

        def block_recorded(self, account: str, plan: BlockPlan) -> None:
            raise OSError("disk full")

    guarded = Guarded(Broken())
    guarded.waited_for_slot("a", 1.0)
    guarded.provider_answered("a", 1.0)
    guarded.block_recorded("a", BlockPlan(Verdict.DONE))
