"""Numbers in the report: each a span tagged with its JSON Pointer into the ``--json`` summary.

One home for how the HTML writes a rate, a gap or a single figure, so every section
(:mod:`.html`, :mod:`.paraphrase`, :mod:`.corrected`) formats and tags numbers alike.
"""

from __future__ import annotations

from markupsafe import Markup

from goalguard.analysis import PairedGap, Proportion
from goalguard.analysis.outcomes import PROTOCOL_FAILED


def ptr(*parts: str | int) -> str:
    """A JSON Pointer (RFC 6901) into the summary; a first part starting with ``/`` is one."""
    out = ""
    for i, part in enumerate(parts):
        text = str(part)
        if i == 0 and text.startswith("/"):
            out = text
        else:
            out += "/" + text.replace("~", "~0").replace("/", "~1")
    return out


def pct(value: float | None, signed: bool = False) -> str:
    """A share as a percentage with one decimal (``n/a`` when it does not exist)."""
    if value is None:
        return "n/a"
    return f"{100 * value:+.1f}" if signed else f"{100 * value:.1f}"


def num(rate: Proportion | None, path: str) -> Markup:
    """A rate as ``40.0% [25.9, 55.4] 16/40``, tagged with its JSON path."""
    if rate is None:
        return Markup('<span class="na">not classified</span>')
    if rate.method == PROTOCOL_FAILED:
        return Markup('<span class="na" data-json="{}">{}</span>').format(path, PROTOCOL_FAILED)
    if rate.estimate is None:
        return Markup('<span class="num" data-json="{}">n/a <span class="n">0/0</span></span>'
                      ).format(path)  # fmt: skip
    return Markup(
        '<span class="num" data-json="{}">{}% <span class="ci">[{}, {}]</span>'
        ' <span class="n">{}/{}</span></span>'
    ).format(path, pct(rate.estimate), pct(rate.low), pct(rate.high), rate.k, rate.n)


def gap_num(gap: PairedGap | None, path: str) -> Markup:
    """A gap in percentage points with its interval and pairs, tagged with its JSON path."""
    if gap is not None and gap.method == PROTOCOL_FAILED:
        return Markup('<span class="na" data-json="{}">{}</span>').format(path, PROTOCOL_FAILED)
    if gap is None or gap.estimate is None:
        return Markup('<span class="na">n/a</span>')
    return Markup(
        '<span class="num" data-json="{}">{} pp <span class="ci">[{}, {}]</span>'
        ' <span class="n">{} pairs</span></span>'
    ).format(path, pct(gap.estimate, True), pct(gap.low, True), pct(gap.high, True), gap.n_pairs)


def value_num(value: float | None, path: str, fmt: str = "{:.3g}") -> Markup:
    """A single number (a p-value, a slope), tagged with its JSON path."""
    if value is None:
        return Markup('<span class="na">n/a</span>')
    return Markup('<span class="num" data-json="{}">{}</span>').format(path, fmt.format(value))
