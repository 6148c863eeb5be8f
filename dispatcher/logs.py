"""Log lines for people (text) or for a log pipeline (``PREGONERO_LOG_FORMAT=json``: one
JSON object a line), from the API, the workers and beat alike.

A call site names what happened and what it is about with ``extra``::

    log.warning("account %s paused (%s)", name, reason,
                extra=about(event="account_paused", account=name))

and the JSON line carries ``event``, ``campaign_id``, ``chunk_id`` and ``account`` as
fields.  Every message goes through ``redact`` first: no token, password or URL
password reaches a line in either format."""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any

from dispatcher.redact import redact

# The fields a record may carry about what it concerns (set with ``about``).
FIELDS = ("event", "campaign_id", "chunk_id", "account")


def about(**fields: Any) -> dict[str, Any]:
    """``extra`` for a log call: only the known fields, so a typo fails loudly."""
    if unknown := set(fields).difference(FIELDS):
        raise TypeError(f"not a log field: {', '.join(sorted(unknown))}")
    return fields


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time (UTC, ISO 8601), level, logger, event, message,
    the fields it concerns, and the exception's type and redacted text if any."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "event": getattr(record, "event", None) or record.name,  # its logger by default
            "message": redact(record.getMessage()),
        }
        for name in FIELDS[1:]:
            value = getattr(record, name, None)
            if value is not None:
                line[name] = value
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            line["error"] = f"{type(exc).__name__}: {redact(str(exc))}"
        return json.dumps(line, ensure_ascii=False, default=str)


class RedactingFormatter(logging.Formatter):
    """The text format, with secrets hidden as in the JSON one."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def formatter(log_format: str) -> logging.Formatter:
    return JsonFormatter() if log_format == "json" else RedactingFormatter(TEXT_FORMAT)


def use_json_logs(level: int = logging.INFO) -> None:
    """The root logger writes JSON to stderr, and Python's warnings go through it."""
    root = logging.getLogger()
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root.handlers = [handler]
    root.setLevel(level)
    logging.captureWarnings(True)


def uvicorn_config(log_format: str, level: str = "INFO") -> dict[str, Any]:
    """uvicorn's ``log_config`` writing our format to stderr (access lines included)."""
    fmt: dict[str, Any] = (
        {"()": JsonFormatter}
        if log_format == "json"
        else {"()": RedactingFormatter, "format": TEXT_FORMAT}
    )
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "formatters": {"default": fmt},
        "handlers": {
            "default": {
                "class": "logging.StreamHandler",
                "formatter": "default",
                "stream": "ext://sys.stderr",
            }
        },
        "root": {"handlers": ["default"], "level": level},
        "loggers": {
            "uvicorn": {"handlers": [], "level": level, "propagate": True},
            "uvicorn.error": {"handlers": [], "level": level, "propagate": True},
            "uvicorn.access": {"handlers": [], "level": level, "propagate": True},
        },
    }
