"""The report's corrected-rates block: each label rate raw and corrected for classifier error.

Drawn from :class:`~goalguard.analysis.results.Correction` (``groups/i/corrected`` in the
JSON); every number carries its JSON path, like the rest of the page.
"""

from __future__ import annotations

from markupsafe import Markup

from goalguard.analysis.correction import LABEL_NAMES, format_count
from goalguard.analysis.results import Correction
from goalguard.report.numbers import gap_num, num, pct, ptr, value_num


def _corrected(estimate: float | None, low: float | None, high: float | None, path: str,
               unit: str = "%", signed: bool = False, empty: bool = False) -> Markup:  # fmt: skip
    """A corrected estimate with its interval, tagged with its JSON path (``n/a`` with no
    samples to correct, ``undefined`` where the calibration cannot correct)."""
    if estimate is None:
        return Markup('<span class="na">{}</span>').format("n/a" if empty else "undefined")
    return Markup(
        '<span class="num" data-json="{}">{}{} <span class="ci">[{}, {}]</span></span>'
    ).format(path, pct(estimate, signed), unit, pct(low, signed), pct(high, signed))


def corrected_af(correction: Correction | None, gi: int) -> Markup:
    """The overview's corrected AF-reasoning rate in training (the condition the AF figure is
    read in): ``31.0% [12.0, 55.0]``; empty without one."""
    if correction is None:
        return Markup("")
    base = ptr("groups", gi, "corrected")
    for i, r in enumerate(correction.rates):
        if r.label == "af_reasoning" and r.condition == "training" and r.raw.n:
            return _corrected(r.estimate, r.low, r.high, ptr(base, "rates", i))
    return Markup("")


def corrected_section(correction: Correction | None, gi: int) -> Markup:
    """The corrected-rates block of one group in the headline numbers (empty without one)."""
    if correction is None:
        return Markup("")
    base = ptr("groups", gi, "corrected")
    errors = Markup("; ").join(
        Markup("{}: sensitivity {} ({}/{}), specificity {} ({}/{})").format(
            LABEL_NAMES.get(label, label),
            value_num(e.sensitivity, ptr(base, "errors", label, "sensitivity"), "{:.3f}"),
            format_count(e.tp),
            format_count(e.tp + e.fn),
            value_num(e.specificity, ptr(base, "errors", label, "specificity"), "{:.3f}"),
            format_count(e.tn),
            format_count(e.tn + e.fp),
        )  # fmt: skip
        for label, e in correction.errors.items()
    )
    head = Markup(
        "<h4>Corrected for classifier error</h4><p>Each label rate as the classifier gave "
        "it (raw) and corrected for its measured sensitivity and specificity (Rogan–Gladen), "
        "with a 95% interval that carries both this run's sampling error and the "
        "calibration counts' uncertainty. Calibration: <code>{}</code> ({}). {}.</p>"
    ).format(correction.calibration, correction.calibration_file or "no file", errors)
    rows = Markup("").join(
        Markup("<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>").format(
            LABEL_NAMES.get(r.label, r.label),
            r.condition,
            num(r.raw, ptr(base, "rates", i, "raw")),
            _corrected(r.estimate, r.low, r.high, ptr(base, "rates", i), empty=not r.raw.n),
        )
        for i, r in enumerate(correction.rates)
    )
    rows += Markup("").join(
        Markup("<tr><td>{} gap</td><td>{} − {}</td><td>{}</td><td>{}</td></tr>").format(
            LABEL_NAMES.get(g.label, g.label),
            g.first,
            g.second,
            gap_num(g.raw, ptr(base, "gaps", i, "raw")),
            _corrected(g.estimate, g.low, g.high, ptr(base, "gaps", i), " pp", signed=True),
        )
        for i, g in enumerate(correction.gaps)
    )
    table = Markup(
        '<table class="corrected"><thead><tr><th>label</th><th>condition</th><th>raw</th>'
        "<th>corrected [95% CI]</th></tr></thead><tbody>{}</tbody></table>"
    ).format(rows)
    warnings = Markup("").join(
        Markup("<li>warning: {}</li>").format(w) for w in correction.warnings
    )
    if warnings:
        warnings = Markup('<ul class="warnings">{}</ul>').format(warnings)
    return head + table + warnings
