"""A campaign's fields, checked before anything is stored, and the identity of a
submission for Idempotency-Key."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from dispatcher.domain.message import MAX_TEXT_CHARS, MessageInfo, Method, inspect, problem_text
from dispatcher.domain.status import Purpose
from dispatcher.domain.template import Template, TemplateProblem, parse, transliterate
from dispatcher.egress import callback_problem
from dispatcher.errors import ValidationFailed

PRIORITIES = {"normal": 0, "high": 10}
TEST_MAX = 5  # numbers in a test campaign: a person types them


@dataclass(frozen=True)
class CampaignSpec:
    name: str
    message: str
    method: Method = Method.ONE_WAY
    purpose: Purpose = Purpose.TRANSACTIONAL
    priority: str = "normal"
    start_at: datetime | None = None
    expires_at: datetime | None = None
    callback_url: str | None = None
    account: str | None = None  # None: the first configured account serving the method
    reply_url: str | None = None  # 2via: where replies are forwarded
    transliterate: bool = False  # each text to GSM-7 where a character has an equivalent
    test: bool = False  # a few numbers to check the message (at most TEST_MAX)

    def canonical(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("start_at", "expires_at"):
            data[key] = data[key].isoformat() if data[key] else None
        data["method"] = self.method.value
        data["purpose"] = Purpose(self.purpose).value
        for key in ("reply_url", "transliterate", "test"):  # without them, the hash stays as it was
            if not data[key]:
                del data[key]
        return data


class RequestHasher:
    """The identity of a submission, for Idempotency-Key: the campaign's fields and the
    numbers' bytes (not the multipart boundary, which differs between retries)."""

    def __init__(self, spec: CampaignSpec, extra: dict[str, Any] | None = None):
        self._hash = hashlib.sha256()
        self._hash.update(json.dumps([spec.canonical(), extra or {}], sort_keys=True).encode())

    def update(self, data: bytes) -> None:
        self._hash.update(data)

    def hexdigest(self) -> str:
        return self._hash.hexdigest()


@dataclass(frozen=True)
class Checked:
    """A spec that passed: its template, and what is known of its text before any
    recipient is read (exact for a message without placeholders)."""

    template: Template
    info: MessageInfo


def check_spec(spec: CampaignSpec, links_allowed: bool, allow_private: bool) -> Checked:
    """Refuse what the provider would refuse, and a callback we may not call, before
    storing anything."""
    problems: list[dict[str, str]] = []
    for name in ("name", "message", "callback_url", "reply_url"):
        if "\x00" in (getattr(spec, name) or ""):
            problems.append({"field": name, "detail": "remove the NUL (\\x00) character"})
    if not spec.name.strip():
        problems.append({"field": "name", "detail": "give the campaign a name"})
    try:
        template = parse(spec.message)
    except TemplateProblem as exc:
        problems.append({"field": "message", "detail": str(exc)})
        template = parse("")
    # A template is known by its fixed text (placeholders as their defaults or names).
    text = template.sample()
    if spec.transliterate:
        text = transliterate(text)
    info = inspect(text)
    if info.problem is not None and spec.message.strip():
        literals = sum(len(part) for part in template.literals)
        if not template.personalised or literals > MAX_TEXT_CHARS:
            problems.append({"field": "message", "detail": problem_text(info.problem, info.chars)})
    elif info.problem is not None:
        problems.append({"field": "message", "detail": problem_text(info.problem, info.chars)})
    if info.has_link and not links_allowed:
        problems.append(
            {
                "field": "message",
                "detail": f"the message has a link ({info.links[0]}) and the provider account "
                "is not authorised for links (it would answer -10): remove the link, or ask the "
                "provider to enable links and set PREGONERO_PROVIDER_LINKS_ALLOWED=true",
            }
        )
    if spec.callback_url and (why := callback_problem(spec.callback_url, allow_private)):
        problems.append({"field": "callback_url", "detail": f"the callback URL {why}"})
    if spec.reply_url and (why := callback_problem(spec.reply_url, allow_private)):
        problems.append({"field": "reply_url", "detail": f"the reply URL {why}"})
    if spec.reply_url and spec.method is not Method.TWO_WAY:
        problems.append(
            {
                "field": "reply_url",
                "detail": "replies come back only to two-way messages: send with method 2via, "
                "or leave reply_url out",
            }
        )
    if spec.start_at and spec.expires_at and spec.expires_at <= spec.start_at:
        problems.append({"field": "expires_at", "detail": "expires_at must be after start_at"})
    if problems:
        raise ValidationFailed("the campaign cannot be sent as it is", problems=problems)
    return Checked(template, info)
