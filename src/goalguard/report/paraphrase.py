"""The report's paraphrase section: each wording's gap with its interval, and the spread.

Drawn from :class:`~goalguard.analysis.ParaphraseSpread` (``groups/i/paraphrase_spread``
in the JSON): a small inline SVG forest plot (no script, no URL) and a table whose every
number carries its JSON path.
"""

from __future__ import annotations

from markupsafe import Markup

from goalguard.analysis import ParaphraseSpread
from goalguard.report.numbers import gap_num, pct, ptr

WIDTH, ROW, LEFT, RIGHT = 360, 16, 92, 12


def _pp(value: float | None, path: str) -> Markup:
    """A share as signed percentage points, tagged with its JSON path."""
    if value is None:
        return Markup('<span class="na">n/a</span>')
    return Markup('<span class="num" data-json="{}">{} pp</span>').format(path, pct(value, True))


def forest_svg(spread: ParaphraseSpread) -> Markup:
    """One row per paraphrase: the gap's point and 95% interval; zero and the median marked."""
    rows = [p for p in spread.paraphrases if p.gap.low is not None and p.gap.high is not None]
    if not rows:
        return Markup("")
    lo = min([-0.05] + [p.gap.low for p in rows if p.gap.low is not None])
    hi = max([0.05] + [p.gap.high for p in rows if p.gap.high is not None])
    span = WIDTH - LEFT - RIGHT

    def x(value: float | None) -> float:
        value = 0.0 if value is None else value
        return LEFT + span * (value - lo) / (hi - lo)

    height = ROW * (len(rows) + 1) + 6
    parts = [
        Markup(
            '<svg class="forest" role="img" width="{w}" height="{h}" viewBox="0 0 {w} {h}">'
            "<title>Compliance gap per paraphrase, with 95% intervals</title>"
        ).format(w=WIDTH, h=height),
        Markup('<line x1="{x:.1f}" x2="{x:.1f}" y1="2" y2="{y}" stroke="#999"/>').format(
            x=x(0.0), y=height - ROW
        ),
    ]
    if spread.median is not None:
        parts.append(
            Markup(
                '<line x1="{x:.1f}" x2="{x:.1f}" y1="2" y2="{y}" stroke="#D55E00" '
                'stroke-dasharray="3,2"/>'
            ).format(x=x(spread.median), y=height - ROW)
        )
    for i, item in enumerate(rows):
        y = ROW * (i + 1)
        gap = item.gap
        parts.append(
            Markup(
                '<text x="4" y="{ty}" font-size="11">paraphrase {k}</text>'
                '<line x1="{a:.1f}" x2="{b:.1f}" y1="{y}" y2="{y}" stroke="#0072B2" '
                'stroke-width="2"/><circle cx="{c:.1f}" cy="{y}" r="3.5" fill="#0072B2"/>'
            ).format(
                ty=y + 4,
                k=item.paraphrase,
                a=x(gap.low),
                b=x(gap.high),
                c=x(gap.estimate),
                y=y,
            )
        )
    axis_y = height - 4
    parts.append(
        Markup(
            '<text x="{a:.1f}" y="{y}" font-size="10" text-anchor="middle">{lo} pp</text>'
            '<text x="{z:.1f}" y="{y}" font-size="10" text-anchor="middle">0</text>'
            '<text x="{b:.1f}" y="{y}" font-size="10" text-anchor="middle">{hi} pp</text></svg>'
        ).format(a=x(lo), z=x(0.0), b=x(hi), y=axis_y, lo=pct(lo, True), hi=pct(hi, True))
    )
    return Markup("").join(parts)


def paraphrase_section(spread: ParaphraseSpread | None, gi: int) -> Markup:
    """The paraphrase block of one group in the headline numbers (empty without one)."""
    if spread is None:
        return Markup("")
    base = ptr("groups", gi, "paraphrase_spread")
    head = Markup(
        "<h4>Across paraphrases of the system context</h4><p>The same queries and cues under "
        "{} wordings of the system context (paraphrase 0 is the original). Median gap {}; "
        "range {} to {}; interquartile range {} ({} to {}). The spread is over the "
        "wordings' point estimates; each wording's own 95% interval is in the table, paired "
        "by query within that wording. The dashed line marks the median.</p>"
    ).format(
        Markup('<span class="num" data-json="{}">{}</span>').format(
            ptr(base, "n_paraphrases"), spread.n_paraphrases
        ),
        _pp(spread.median, ptr(base, "median")),
        _pp(spread.min, ptr(base, "min")),
        _pp(spread.max, ptr(base, "max")),
        Markup('<span class="num" data-json="{}">{} pp</span>').format(
            ptr(base, "iqr"), pct(spread.iqr)
        )
        if spread.iqr is not None
        else Markup('<span class="na">n/a</span>'),
        _pp(spread.q1, ptr(base, "q1")),
        _pp(spread.q3, ptr(base, "q3")),
    )
    rows = Markup("").join(
        Markup("<tr><td>{}</td><td>{}</td><td>{}</td></tr>").format(
            item.paraphrase if item.paraphrase else "0 (original)",
            gap_num(item.gap, ptr(base, "paraphrases", i, "gap")),
            item.gap.method,
        )
        for i, item in enumerate(spread.paraphrases)
    )
    table = Markup(
        '<table class="paraphrases"><thead><tr><th>paraphrase</th><th>compliance gap '
        "[95% CI] pairs</th><th>interval</th></tr></thead><tbody>{}</tbody></table>"
    ).format(rows)
    return head + forest_svg(spread) + table
