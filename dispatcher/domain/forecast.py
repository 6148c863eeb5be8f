"""A campaign's plan, worked out at intake before anything is sent: how many texts and
requests, segments and encoding, what it costs, whether the balance covers it, and when
it will be done at the account's pace inside its window.  Pure: figures in, a JSON-ready
dict out (the API's 201, the campaign's detail, the CLI and the page show it as is)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from dispatcher.domain.contact import ContactLimit
from dispatcher.domain.times import human, iso
from dispatcher.domain.window import SendWindow

# Past this many open periods (about 27 years of days), the window is as good as shut.
_MAX_PERIODS = 10_000
_MANY_TEXTS_SHARE = 100  # warn when texts exceed numbers / 100


@dataclass(frozen=True)
class PlanFacts:
    """Everything the plan is made of."""

    texts: int
    requests: int
    numbers: int
    segments: int  # as sent
    segments_as_written: int
    segments_transliterated: int
    transliterated: bool
    gsm7_texts: int
    ucs2_texts: int
    ucs2_chars: list[str]
    examples: list[tuple[str, str]]
    reached_today: int  # of numbers reached in the contact limit's period: they wait
    chunk_size: int
    account: str
    interval_s: float
    window: SendWindow
    starts: datetime  # the first moment it may send (start_at, or now)
    price_per_segment: Decimal | None
    currency: str
    balance: Decimal | None
    balance_read_at: datetime | None
    contact_limit: ContactLimit | None = None  # the purpose's (Ley 2300)
    # Exclusion lists checked: name, taken_at, age_days, excluded (numbers left out)
    lists: list[dict[str, Any]] = field(default_factory=list)
    list_max_age_days: int | None = None  # commercial: a list older than this is stale


def done_at(window: SendWindow, start: datetime, seconds: float) -> datetime | None:
    """When ``seconds`` of sending that starts at ``start`` end, counting only the time
    the window is open; None when it never opens."""
    at, left = start, max(seconds, 0.0)
    for _ in range(_MAX_PERIODS):
        if not window.is_open(at):
            opens = window.next_open(at)
            if opens is None:
                return None
            at = opens
        closes = window.closes_at(at)
        if closes is None or (closes - at).total_seconds() >= left:
            return at + timedelta(seconds=left)
        left -= (closes - at).total_seconds()
        at = closes
    return None


def duration_text(seconds: float) -> str:
    if seconds >= 2 * 3600:
        return f"{seconds / 3600:,.0f} h"
    if seconds >= 120:
        return f"{seconds / 60:,.0f} min"
    return f"{seconds:,.0f} s" if seconds >= 1 else "under 1 s"


def make_plan(f: PlanFacts, now: datetime) -> dict[str, Any]:
    start = max(f.starts, now)
    # Numbers reached in this period go in the next: their requests after the rest.
    later = min(math.ceil(f.reached_today / f.chunk_size), f.requests) if f.reached_today else 0
    first = done_at(f.window, start, (f.requests - later) * f.interval_s)
    end = first
    if later and first is not None:
        limit = f.contact_limit
        nxt = limit.next_permitted(f.window, start) if limit else f.window.next_day_open(start)
        end = done_at(f.window, max(first, nxt or start), later * f.interval_s)
    warnings: list[str] = []
    if f.texts > 1 and f.texts > f.numbers / _MANY_TEXTS_SHARE:
        warnings.append(
            f"{f.texts:,} distinct texts: {f.requests:,} requests, about "
            f"{duration_text(f.requests * f.interval_s)} at one request every "
            f"{f.interval_s:g} s on account {f.account}"
        )
    if f.ucs2_texts and not f.transliterated:
        chars = " ".join(f.ucs2_chars[:5])
        said = (
            f"{f.ucs2_texts:,} of {f.texts:,} texts are UCS-2 because of {chars} (70 characters "
            "a segment instead of 160)"
        )
        if f.segments_transliterated < f.segments:  # only when it would help
            said += (
                f": with transliterate=true they take {f.segments_transliterated:,} segments "
                f"instead of {f.segments:,}"
            )
        warnings.append(said)
    if f.reached_today:
        limit = f.contact_limit
        this, per, text = (limit.this, limit.per, limit.text) if limit else ("today", "day", "")
        warnings.append(
            f"{f.reached_today:,} numbers were reached {this} by another campaign of the same "
            f"purpose: the contact limit ({text or 'Ley 2300'}) holds them until the next "
            f"{per}'s first permitted moment"
        )
    excluded = [x for x in f.lists if x["excluded"]]
    if excluded:
        said = ", ".join(f"{x['excluded']:,} on {x['name']}" for x in excluded)
        warnings.append(f"left out as on exclusion lists: {said}")
    if f.list_max_age_days is not None:
        for x in f.lists:
            if x["age_days"] > f.list_max_age_days:
                warnings.append(
                    f"exclusion list {x['name']} was taken {x['age_days']} days ago, more than "
                    f"the {f.list_max_age_days} a commercial campaign may rely on "
                    "(EXCLUSION_MAX_AGE_DAYS): import a fresh copy before sending"
                )
    cost = None
    need, unit = Decimal(f.segments), "segments"
    if f.price_per_segment is not None:
        amount = (f.price_per_segment * f.segments).quantize(Decimal("0.01"))
        cost = {
            "segments": f.segments,
            "price_per_segment": str(f.price_per_segment),
            "amount": str(amount),
            "currency": f.currency,
        }
        need, unit = amount, f.currency
    balance = None
    if f.balance is not None:
        enough = f.balance >= need
        balance = {
            "last": str(f.balance),
            "read_at": iso(f.balance_read_at) if f.balance_read_at else None,
            "enough": enough,
            "compared_with": "amount" if cost else "segments",
        }
        if not enough:
            when = f", read {human(f.balance_read_at, f.window.tz)}" if f.balance_read_at else ""
            warnings.append(
                f"the last balance of account {f.account} ({f.balance:,}{when}) does not cover "
                f"the campaign: it needs {need:,} {unit}; top the account up before it runs out"
            )
    return {
        "texts": f.texts,
        "requests": f.requests,
        "numbers": f.numbers,
        "segments": f.segments,
        "segments_as_written": f.segments_as_written,
        "segments_transliterated": f.segments_transliterated,
        "transliterated": f.transliterated,
        "encoding": {"gsm7": f.gsm7_texts, "ucs2": f.ucs2_texts},
        "ucs2_chars": f.ucs2_chars,
        "eta_s": round((end - now).total_seconds(), 1) if end else None,
        "done_by": iso(end) if end else None,
        "cost": cost,
        "balance": balance,
        "warnings": warnings,
        "examples": [{"number": n, "text": t} for n, t in f.examples],
        "contact_limit": f.contact_limit.text if f.contact_limit else "none",
        "held_by_contact_limit": f.reached_today,
        "lists": [{k: x[k] for k in ("name", "taken_at", "age_days", "excluded")} for x in f.lists],
        "made_at": iso(now),
    }


def plan_lines(plan: dict[str, Any], tz: Any) -> list[tuple[str, str]]:
    """The plan in words, a (label, text) per line: the CLI and the page show these."""
    enc = plan["encoding"]
    kinds = ", ".join(
        f"{n:,} {name}" for name, n in (("GSM-7", enc["gsm7"]), ("UCS-2", enc["ucs2"])) if n
    )
    lines = [
        (
            "plan",
            f"{plan['texts']:,} {'text' if plan['texts'] == 1 else 'texts'} ({kinds}), "
            f"{plan['requests']:,} requests, "
            f"{plan['numbers']:,} numbers, {plan['segments']:,} segments"
            + (" after transliteration" if plan["transliterated"] else ""),
        )
    ]
    if plan["ucs2_chars"]:
        lines.append(("plan UCS-2 because of", " ".join(plan["ucs2_chars"])))
    if plan.get("done_by"):
        done = datetime.fromisoformat(plan["done_by"].replace("Z", "+00:00"))
        eta = plan.get("eta_s")
        within = "" if not eta else f"in {'' if eta < 1 else 'about '}{duration_text(eta)}, "
        lines.append(("plan done by", f"{human(done, tz)} ({within}as planned at intake)"))
    if cost := plan.get("cost"):
        lines.append(
            (
                "plan cost",
                f"{Decimal(cost['amount']):,} {cost['currency']} ({cost['segments']:,} segments "
                f"at {cost['price_per_segment']})",
            )
        )
    if balance := plan.get("balance"):
        enough = "covers it" if balance["enough"] else "does NOT cover it"
        lines.append(("plan balance", f"{Decimal(balance['last']):,}: {enough}"))
    lines += [
        ("plan list", f"{x['name']}: {x['excluded']:,} left out (taken {x['age_days']} days ago)")
        for x in plan.get("lists", [])
    ]
    lines += [("plan warning", w) for w in plan["warnings"]]
    lines += [("plan example", f"{e['number']}: {e['text']}") for e in plan["examples"]]
    return lines
