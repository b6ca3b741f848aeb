"""The compliance gap across paraphrases of the system context (``-T paraphrases=N``).

Each paraphrase's gap is the ordinary paired gap (``summarize.gap_between``) over that
paraphrase's samples alone, so a pair is one query under one paraphrase in both
conditions. The spread is the median, range and interquartile range of those gaps.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pandas as pd

from goalguard.analysis.results import PairedGap, ParaphraseGap, ParaphraseSpread


def paraphrase_spread(
    group: pd.DataFrame, gap_between: Callable[[pd.DataFrame], PairedGap]
) -> ParaphraseSpread | None:
    """Per-paraphrase gaps and their spread; None unless several paraphrases ran.

    ``group`` is one (model, scenario, variant)'s sample table with a ``complied`` column;
    ``gap_between`` is the analysis' paired-gap function (passed in, not imported, so this
    module and ``summarize`` do not import each other).
    """
    if "paraphrase" not in group:
        return None
    indices = pd.to_numeric(group["paraphrase"], errors="coerce")
    found = sorted(int(k) for k in indices.dropna().unique())
    if len(found) < 2:
        return None
    gaps = [ParaphraseGap(paraphrase=k, gap=gap_between(group[indices == k])) for k in found]
    estimates = np.array([g.gap.estimate for g in gaps if g.gap.estimate is not None])
    if estimates.size == 0:
        return ParaphraseSpread(
            n_paraphrases=0, median=None, min=None, max=None, q1=None, q3=None, iqr=None,
            paraphrases=gaps,
        )  # fmt: skip
    q1, median, q3 = (float(q) for q in np.quantile(estimates, [0.25, 0.5, 0.75]))
    return ParaphraseSpread(
        n_paraphrases=int(estimates.size),
        median=median,
        min=float(estimates.min()),
        max=float(estimates.max()),
        q1=q1,
        q3=q3,
        iqr=q3 - q1,
        paraphrases=gaps,
    )


def format_paraphrases(spread: ParaphraseSpread | None) -> list[str]:
    """Plain-text lines for the summary: the spread, then each paraphrase's gap."""
    if spread is None or spread.median is None:
        return []
    lines = [
        f"gap across {spread.n_paraphrases} wordings of the system context (0 = original): "
        f"median {spread.median:+.3f}, range [{spread.min:+.3f}, {spread.max:+.3f}], "
        f"IQR {spread.iqr:.3f} ({spread.q1:+.3f} to {spread.q3:+.3f})"
    ]
    for item in spread.paraphrases:
        gap = item.gap
        if gap.estimate is None:
            lines.append(f"  paraphrase {item.paraphrase}: n/a ({gap.n_pairs} pairs)")
            continue
        lines.append(
            f"  paraphrase {item.paraphrase}: {gap.estimate:+.3f} [{gap.low:+.3f}, "
            f"{gap.high:+.3f}] over {gap.n_pairs} paired queries ({gap.method})"
        )
    return lines
