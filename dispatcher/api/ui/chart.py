"""A campaign's blocks per minute against its account's pace, as an SVG drawn here (no
chart library, nothing fetched): one bar a minute, a dashed line at the pace."""

from __future__ import annotations

from collections.abc import Sequence
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

from dispatcher.store.glance import Minute

WIDTH, HEIGHT = 720, 200
LEFT, BOTTOM, TOP = 36, 24, 12


def describe(minutes: Sequence[Minute], pace_per_min: float) -> str:
    """The chart in words, for its alt text."""
    sending = [m for m in minutes if m.blocks]
    if not sending:
        return f"No blocks sent in the last {len(minutes)} minutes; the pace is {pace_per_min:g}."
    last = minutes[-2] if len(minutes) > 1 else minutes[-1]  # the last whole minute
    return (
        f"Blocks sent per minute over the last {len(minutes)} minutes: "
        f"{sum(m.blocks for m in minutes):,} in all, {last.blocks} in the last whole minute, "
        f"against a pace of {pace_per_min:g} a minute."
    )


def blocks_svg(minutes: Sequence[Minute], pace_per_min: float, tz: ZoneInfo) -> str:
    top = max([pace_per_min * 1.25, *(m.blocks for m in minutes), 1.0])
    plot_w, plot_h = WIDTH - LEFT - 8, HEIGHT - BOTTOM - TOP
    step = plot_w / max(len(minutes), 1)

    def y(value: float) -> float:
        return TOP + plot_h * (1 - value / top)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" role="img" font-family="sans-serif" font-size="11">',
        f"<title>{escape(describe(minutes, pace_per_min))}</title>",
        f'<rect x="{LEFT}" y="{TOP}" width="{plot_w}" height="{plot_h}" fill="#fff" '
        'stroke="#8a8f98"/>',
    ]
    for i, m in enumerate(minutes):
        if m.blocks:
            height = plot_h * m.blocks / top
            parts.append(
                f'<rect x="{LEFT + i * step + 1:.1f}" y="{y(m.blocks):.1f}" '
                f'width="{max(step - 2, 1):.1f}" height="{height:.1f}" fill="#1d5fa8">'
                f"<title>{m.at.astimezone(tz):%H:%M}: {m.blocks} blocks</title></rect>"
            )
        if i % 10 == 0:
            parts.append(
                f'<text x="{LEFT + i * step:.1f}" y="{HEIGHT - 6}" fill="#30343b">'
                f"{m.at.astimezone(tz):%H:%M}</text>"
            )
    pace_y = y(pace_per_min)
    parts += [
        f'<line x1="{LEFT}" x2="{LEFT + plot_w}" y1="{pace_y:.1f}" y2="{pace_y:.1f}" '
        'stroke="#b3261e" stroke-width="2" stroke-dasharray="6 4"/>',
        f'<text x="{LEFT + plot_w - 4}" y="{pace_y - 4:.1f}" text-anchor="end" fill="#b3261e">'
        f"pace {pace_per_min:g}/min</text>",
        f'<text x="4" y="{TOP + 10}" fill="#30343b">{top:.0f}</text>',
        f'<text x="4" y="{TOP + plot_h}" fill="#30343b">0</text>',
        "</svg>",
    ]
    return "".join(parts)
