"""From a stratified labels file to the classifier's confusion over the whole run.

``goalguard label`` over-samples the classifier's rare classes (see
:mod:`goalguard.label.draw`), so a labels file's plain counts describe the sample: there,
the classifier's positives are far more common than in the run, which inflates its
sensitivity and deflates its specificity as ``goalguard validate`` counts them. Weighted,
each labelled line stands for ``stratum_size / m`` transcripts of the run, where ``m`` is
the number of lines of its stratum that carry the label (the Horvitz-Thompson estimator of
a stratified sample; items skipped or not yet labelled are taken to be missing at random
within their stratum). A stratum with no labelled line is left out, and said to be.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from goalguard.analysis.stats import stratum_weights
from goalguard.classifiers.labels import POSITIVE


@dataclass(frozen=True)
class WeightedConfusion:
    """Estimated counts of the run: ``counts[reference][predicted]``, and what they cover."""

    label: str
    counts: dict[str, dict[str, float]]
    lines: int
    """Labelled lines behind the estimate."""
    covered: int
    """Transcripts of the run in strata with at least one labelled line."""
    population: int
    """Transcripts of the run the draw was made from."""
    uncovered: dict[str, int]
    """Strata without a labelled line, and their sizes."""

    def _share(self, reference_positive: bool, predicted_positive: bool) -> float | None:
        positive = POSITIVE[self.label]
        rows = [row for ref, row in self.counts.items() if (ref == positive) == reference_positive]
        total = sum(sum(row.values()) for row in rows)
        hits = sum(
            k for row in rows for p, k in row.items() if (p == positive) == predicted_positive
        )
        return hits / total if total else None

    @property
    def sensitivity(self) -> float | None:
        """P(classifier says the positive value | the person does), over the run."""
        return self._share(True, True)

    @property
    def specificity(self) -> float | None:
        """P(classifier says another value | the person says another value), over the run."""
        return self._share(False, False)


def weighted_confusion(records: Iterable[Mapping[str, Any]], label: str) -> WeightedConfusion:
    """The run's confusion for ``label`` estimated from labels-file lines (``store`` layout).

    Lines without the label (from the person or the classifier) are left out.
    """
    records = list(records)
    rows = [
        (
            str(r["stratum"]),
            int(r["stratum_size"]),
            r["labels"][label],
            r["classification"][label]["label"],
        )
        for r in records
        if label in (r.get("labels") or {}) and label in (r.get("classification") or {})
    ]
    labelled = Counter(stratum for stratum, _, _, _ in rows)
    weights = stratum_weights([(stratum, size) for stratum, size, _, _ in rows])
    counts: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    for (_, _, reference, predicted), weight in zip(rows, weights, strict=True):
        counts[reference][predicted] += weight
    strata: dict[str, int] = {}
    for r in records:
        strata.update((r.get("draw") or {}).get("strata") or {})
        strata.setdefault(str(r["stratum"]), int(r["stratum_size"]))
    return WeightedConfusion(
        label=label,
        counts={ref: dict(row) for ref, row in counts.items()},
        lines=len(rows),
        covered=sum(size for stratum, size in strata.items() if stratum in labelled),
        population=sum(strata.values()),
        uncovered={s: n for s, n in sorted(strata.items()) if s not in labelled},
    )
