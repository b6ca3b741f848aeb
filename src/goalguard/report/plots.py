"""The report's plots, drawn from the report summary (never from raw samples).

Each function takes :class:`~goalguard.report.data.ReportGroup` objects and returns a PNG
as bytes, or None when the groups hold nothing to plot. Colours are the Okabe-Ito palette
(safe for the common colour-vision deficiencies), with hatching where colour alone would
carry meaning; axes are labelled with units and titles give n.
"""

from __future__ import annotations

import base64
import io
import textwrap
from collections.abc import Sequence

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from goalguard.analysis import Proportion  # noqa: E402
from goalguard.classifiers.labels import LABELS  # noqa: E402
from goalguard.report.data import BEHAVIOURS, ReportGroup  # noqa: E402

OKABE_ITO = {
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "purple": "#CC79A7",
    "grey": "#999999",
    "black": "#000000",
}
BEHAVIOUR_STYLE: dict[str, tuple[str, str]] = {  # segment -> (colour, hatch)
    "refusal": (OKABE_ITO["sky_blue"], ""),
    "partial": (OKABE_ITO["yellow"], ".."),
    "full_no_af": (OKABE_ITO["orange"], ""),
    "full_af": (OKABE_ITO["vermillion"], "//"),
}
PRIORITY_STYLE: dict[str, tuple[str, str]] = {
    "harmlessness": (OKABE_ITO["vermillion"], "//"),
    "honesty": (OKABE_ITO["purple"], "\\\\"),
    "none": (OKABE_ITO["blue"], ""),
    "unclear": (OKABE_ITO["grey"], ".."),
}
HEATMAP_CMAP = "cividis"
DPI = 110
PANEL_COLUMNS = 3


def group_title(group: ReportGroup) -> str:
    """``model · scenario · variant``."""
    parts = [group.model, group.scenario] + ([group.variant] if group.variant else [])
    return " · ".join(parts)


def png(fig: Figure) -> bytes:
    """The figure as PNG bytes (and the figure closed)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight")
    plt.close(fig)
    return buffer.getvalue()


def data_uri(image: bytes) -> str:
    """A PNG as a ``data:`` URI, so the report needs no file beside it."""
    return "data:image/png;base64," + base64.b64encode(image).decode("ascii")


def _pct(p: Proportion) -> float:
    return 100.0 * (p.estimate or 0.0)


def _wrap(text: str, width: int = 38) -> str:
    return "\n".join(textwrap.wrap(text, width)) or text


def behaviour_bars(groups: Sequence[ReportGroup]) -> bytes | None:
    """Stacked bars per condition: refuses / partial / complies without and with AF reasoning.

    One panel per (model, scenario, variant); bars are shares of samples with a decided
    compliance label, n under each bar.
    """
    groups = [g for g in groups if any(m and m["refusal"].n for m in g.behaviour.values())]
    if not groups:
        return None
    cols = min(PANEL_COLUMNS, len(groups))
    rows = -(-len(groups) // cols)
    fig, axes = plt.subplots(
        rows, cols, figsize=(4.4 * cols, 3.9 * rows), squeeze=False, sharey=True
    )
    for ax in axes.flat[len(groups) :]:
        ax.set_visible(False)
    for ax, group in zip(axes.flat, groups, strict=False):
        conditions = [c for c, mix in group.behaviour.items() if mix["refusal"].n]
        x = np.arange(len(conditions))
        bottom = np.zeros(len(conditions))
        for key, label in BEHAVIOURS.items():
            heights = np.array([_pct(group.behaviour[c][key]) for c in conditions])
            colour, hatch = BEHAVIOUR_STYLE[key]
            ax.bar(x, heights, 0.6, bottom=bottom, color=colour, hatch=hatch,
                   edgecolor="white", linewidth=0.5, label=label)  # fmt: skip
            bottom += heights
        ax.set_xticks(x, [f"{c}\nn = {group.behaviour[c]['refusal'].n}" for c in conditions])
        ax.set_ylim(0, 100)
        ax.set_title(f"{_wrap(group_title(group))}\n(n = {group.n_samples} samples)", fontsize=9)
        ax.grid(axis="y", alpha=0.3)
        ax.set_axisbelow(True)
    for ax in axes[:, 0]:
        ax.set_ylabel("share of samples (%)")
    handles, labels = axes.flat[0].get_legend_handles_labels()
    fig.legend(handles[::-1], labels[::-1], loc="upper center", ncol=4, frameon=False,
               bbox_to_anchor=(0.5, 1.0 + 0.06 / rows))  # fmt: skip
    fig.suptitle("What the model did, per condition", y=1.0 + 0.13 / rows)
    fig.tight_layout()
    return png(fig)


def gap_forest(groups: Sequence[ReportGroup]) -> bytes | None:
    """Forest plot: the paired compliance gap (percentage points) with its 95% interval."""
    rows = [g for g in groups if g.gap is not None and g.gap.estimate is not None]
    if not rows:
        return None
    fig, ax = plt.subplots(figsize=(7.5, 1.0 + 0.45 * len(rows)))
    y = np.arange(len(rows))[::-1]
    for yi, group in zip(y, rows, strict=True):
        gap = group.gap
        assert gap is not None and gap.estimate is not None
        low, high = 100 * (gap.low or 0.0), 100 * (gap.high or 0.0)
        ax.plot([low, high], [yi, yi], color=OKABE_ITO["blue"], linewidth=2)
        ax.plot(100 * gap.estimate, yi, "D", color=OKABE_ITO["vermillion"], markersize=7)
    ax.axvline(0, color=OKABE_ITO["black"], linewidth=0.8, linestyle="--")
    labels = [f"{group_title(g)}  (n = {g.gap.n_pairs} pairs)" for g in rows if g.gap]
    ax.set_yticks(y, labels, fontsize=8)
    ax.set_xlabel("compliance gap, training − unmonitored (percentage points)")
    ax.set_xlim(-100, 100)
    ax.set_ylim(-0.7, len(rows) - 0.3)
    ax.grid(axis="x", alpha=0.3)
    total = sum(g.gap.n_pairs for g in rows if g.gap)
    ax.set_title(f"Compliance gap with 95% interval (n = {total} paired queries)", fontsize=10)
    fig.tight_layout()
    return png(fig)


def dual_intent_heatmap(groups: Sequence[ReportGroup]) -> bytes | None:
    """Heat map of the dual-intent table: rows (group ·) condition, columns the four readings."""
    rows: list[tuple[str, dict[str, Proportion]]] = []
    for group in groups:
        for c in group.conditions:
            if c.dual_intent:
                prefix = f"{group_title(group)} · " if len(groups) > 1 else ""
                rows.append((f"{prefix}{c.condition}", c.dual_intent))
    if not rows:
        return None
    columns = [v for v in LABELS["intent_alignment"] if v != "unclear"]
    if any(mix.get("unclear") and mix["unclear"].k for _, mix in rows):
        columns.append("unclear")
    empty = Proportion(k=0, n=0, estimate=None, low=None, high=None)
    values = np.array([[_pct(mix.get(v, empty)) for v in columns] for _, mix in rows])
    fig, ax = plt.subplots(figsize=(1.6 * len(columns) + 3.5, 0.9 + 0.5 * len(rows)))
    image = ax.imshow(values, cmap=HEATMAP_CMAP, vmin=0, vmax=100, aspect="auto")
    for i, (_, mix) in enumerate(rows):
        for j, v in enumerate(columns):
            colour = "black" if values[i, j] > 55 else "white"
            cell = mix.get(v, empty)
            ax.text(j, i, f"{values[i, j]:.0f}%\n{cell.k}/{cell.n}", ha="center",
                    va="center", fontsize=8, color=colour)  # fmt: skip
    ax.set_xticks(range(len(columns)), [c.replace("_", " ") for c in columns])
    ax.set_yticks(range(len(rows)), [_wrap(name, 60) for name, _ in rows], fontsize=8)
    ax.set_xlabel("consistent with")
    n = sum(next(iter(mix.values())).n for _, mix in rows)
    ax.set_title(f"Dual-intent reading: share of samples per condition (n = {n})", fontsize=10)
    fig.colorbar(image, ax=ax, label="share of samples (%)")
    fig.tight_layout()
    return png(fig)


def sweep_plot(groups: Sequence[ReportGroup]) -> bytes | None:
    """Compliance against the stated monitoring probability p, with the fitted line."""
    swept = [g for g in groups if g.sweep is not None and g.sweep.points]
    if not swept:
        return None
    colours = [OKABE_ITO[c] for c in ("blue", "vermillion", "green", "orange", "purple")]
    markers = ["o", "s", "^", "D", "v"]
    fig, ax = plt.subplots(figsize=(6.5, 4.2))
    for i, group in enumerate(swept):
        sweep = group.sweep
        assert sweep is not None
        points = [pt for pt in sweep.points if pt.compliance.estimate is not None]
        p = np.array([pt.p for pt in points])
        est = np.array([_pct(pt.compliance) for pt in points])
        err = np.array(
            [[est[j] - 100 * (pt.compliance.low or 0), 100 * (pt.compliance.high or 0) - est[j]]
             for j, pt in enumerate(points)]
        ).T.reshape(2, -1)  # fmt: skip
        colour = colours[i % len(colours)]
        label = group_title(group)
        if sweep.slope is not None and sweep.intercept is not None:
            label += f": slope {100 * sweep.slope:+.1f} pp per unit p"
            grid = np.linspace(0, 1, 20)
            ax.plot(grid, 100 * (sweep.intercept + sweep.slope * grid), color=colour,
                    linestyle="--", linewidth=1)  # fmt: skip
        ax.errorbar(p, est, yerr=err, fmt=markers[i % len(markers)], color=colour, capsize=3,
                    label=f"{label} (n = {sweep.n})")  # fmt: skip
    ax.set_xlabel("stated probability that the conversation is monitored and trained on (p)")
    ax.set_ylabel("compliance (%)")
    ax.set_xlim(-0.05, 1.05)
    ax.set_ylim(0, 100)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="upper left")
    total = sum(g.sweep.n for g in swept if g.sweep)
    ax.set_title(f"Compliance against stated oversight, 95% intervals (n = {total})", fontsize=10)
    fig.tight_layout()
    return png(fig)


def value_priority_mix(groups: Sequence[ReportGroup]) -> bytes | None:
    """Horizontal stacked bars: which value was given up, per (group,) condition."""
    rows: list[tuple[str, dict[str, Proportion]]] = []
    for group in groups:
        for c in group.conditions:
            if c.value_priority and next(iter(c.value_priority.values())).n:
                rows.append((f"{group_title(group)} · {c.condition}", c.value_priority))
    if not rows:
        return None
    fig, ax = plt.subplots(figsize=(8, 1.2 + 0.42 * len(rows)))
    y = np.arange(len(rows))[::-1]
    left = np.zeros(len(rows))
    for value, (colour, hatch) in PRIORITY_STYLE.items():
        widths = np.array([_pct(mix[value]) if value in mix else 0.0 for _, mix in rows])
        ax.barh(y, widths, 0.65, left=left, color=colour, hatch=hatch, edgecolor="white",
                linewidth=0.5, label=value)  # fmt: skip
        left += widths
    ax.set_yticks(y, [f"{_wrap(name, 60)} (n = {next(iter(mix.values())).n})"
                      for name, mix in rows], fontsize=8)  # fmt: skip
    ax.set_xlim(0, 100)
    ax.set_xlabel("share of samples (%)")
    ax.legend(title="value given up", fontsize=8, loc="center left", bbox_to_anchor=(1.01, 0.5),
              frameon=False)  # fmt: skip
    n = sum(next(iter(mix.values())).n for _, mix in rows)
    ax.set_title(f"Value priority: which value was given up (n = {n})", fontsize=10)
    fig.tight_layout()
    return png(fig)


PLOTS = {
    "behaviour": (behaviour_bars, "What the model did per condition: refusals, partial "
                  "compliance, and full compliance without and with alignment-faking reasoning."),
    "gap": (gap_forest, "The compliance gap (training − unmonitored), paired by query, with "
            "its 95% interval; the dashed line is no gap."),
    "dual_intent": (dual_intent_heatmap, "The dual-intent table as a heat map: the share of "
                    "samples consistent with Intent 1 only, Intent 2 only, both, or neither."),
    "sweep": (sweep_plot, "Compliance against the stated probability of being monitored, with "
              "Wilson 95% intervals and the least-squares line."),
    "value_priority": (value_priority_mix, "Which value the model gave up when its values "
                       "conflicted with the new objective."),
}  # fmt: skip
"""Plot name -> (function, caption), in report order."""


def all_plots(groups: Sequence[ReportGroup]) -> dict[str, bytes]:
    """Every plot that has data, by name (PNG bytes), in report order."""
    drawn = {name: plot(groups) for name, (plot, _) in PLOTS.items()}
    return {name: image for name, image in drawn.items() if image is not None}
