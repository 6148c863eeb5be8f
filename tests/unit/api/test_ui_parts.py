"""The operator page's pure parts: the counts bar, the chart, the words for numbers and
durations (the page's script writes the same)."""

from __future__ import annotations

from datetime import datetime, timedelta
from xml.etree import ElementTree
from zoneinfo import ZoneInfo

import pytest

from dispatcher.api.ui.chart import blocks_svg, describe
from dispatcher.api.ui.pages import OUTCOMES, bar
from dispatcher.api.ui.web import duration, number
from dispatcher.store.glance import Minute

BOGOTA = ZoneInfo("America/Bogota")
START = datetime(2026, 11, 28, 10, 0, tzinfo=BOGOTA)


def test_the_counts_bar_fills_its_width_in_order() -> None:
    parts = bar({"accepted": 600, "rejected": 100, "pending": 300})
    assert [k for k, _, _ in parts] == list(OUTCOMES)
    widths = {k: w for k, _, w in parts}
    assert (widths["accepted"], widths["rejected"], widths["pending"]) == (600, 100, 300)
    xs = [x for _, x, _ in parts]
    assert xs == sorted(xs) and parts[-1][1] + parts[-1][2] == pytest.approx(1000)
    assert all(w == 0 for _, _, w in bar({}))  # an empty campaign draws nothing


def test_the_chart_is_valid_svg_with_the_pace_and_says_what_it_shows() -> None:
    minutes = [Minute(START + timedelta(minutes=i), n) for i, n in enumerate([0, 30, 29, 12])]
    svg = blocks_svg(minutes, 30.0, BOGOTA)
    root = ElementTree.fromstring(svg)  # noqa: S314 (our own drawing)
    assert root.tag.endswith("svg") and root.get("role") == "img"
    assert "pace 30/min" in svg and "10:01: 30 blocks" in svg
    assert describe(minutes, 30.0) == (
        "Blocks sent per minute over the last 4 minutes: 71 in all, 29 in the last whole "
        "minute, against a pace of 30 a minute."
    )
    assert describe(minutes[:1], 30.0).startswith("No blocks sent")


@pytest.mark.parametrize(
    ("seconds", "words"),
    [(None, "—"), (0, "done"), (12, "< 1 min"), (300, "5 min"), (3900, "1 h 05 min")],
)
def test_durations_in_words(seconds: float | None, words: str) -> None:
    assert duration(seconds) == words


def test_numbers_with_thousands() -> None:
    assert (number(None), number(1234567), number(12.6)) == ("—", "1,234,567", "13")
