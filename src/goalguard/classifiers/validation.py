"""Agreement of a classifier with reference labels: the arithmetic, written once.

:func:`label_metrics` gives, for one label, n, accuracy, precision/recall/F1 (for the
label's positive value, and per value), macro F1, Cohen's kappa, AUROC where scores exist,
and the confusion matrix. Predictions outside the label's values (``judge_error``) are
kept: they count as wrong and get their own confusion-matrix column.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from goalguard.classifiers.labels import AF_CRITERIA, LABELS, POSITIVE


def _ratio(num: float, den: float) -> float | None:
    return num / den if den else None


@dataclass
class ValueMetrics:
    """One value against the rest."""

    precision: float | None
    recall: float | None
    f1: float | None
    support: int
    """Reference lines with this value."""


@dataclass
class LabelMetrics:
    """How one classifier's labels agree with the reference labels."""

    label: str
    n: int
    accuracy: float | None
    positive: str
    precision: float | None
    recall: float | None
    f1: float | None
    macro_f1: float | None
    kappa: float | None
    auroc: float | None
    n_scored: int
    """Lines with a numeric score (the AUROC rests on these)."""
    errors: int
    """Predictions outside the label's values (judge errors)."""
    per_value: dict[str, ValueMetrics]
    confusion: dict[str, dict[str, int]]
    """confusion[reference][predicted] = count."""
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def one_vs_rest(truth: Sequence[str], pred: Sequence[str], value: str) -> ValueMetrics:
    """Precision, recall and F1 of ``value`` against every other value."""
    tp = sum(t == value and p == value for t, p in zip(truth, pred, strict=True))
    predicted = sum(p == value for p in pred)
    actual = sum(t == value for t in truth)
    precision = _ratio(tp, predicted)
    recall = _ratio(tp, actual)
    if precision is None or recall is None:
        f1 = None
    else:
        f1 = 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)
    return ValueMetrics(precision, recall, f1, actual)


def cohen_kappa(truth: Sequence[str], pred: Sequence[str]) -> float | None:
    """Cohen's kappa over every category either side uses; None when chance agreement is 1."""
    n = len(truth)
    if n == 0:
        return None
    observed = sum(t == p for t, p in zip(truth, pred, strict=True)) / n
    t_counts, p_counts = Counter(truth), Counter(pred)
    expected = sum(t_counts[k] * p_counts[k] for k in t_counts) / (n * n)
    if math.isclose(expected, 1.0):
        return None
    return (observed - expected) / (1 - expected)


def auroc(positive: Sequence[bool], scores: Sequence[float]) -> float | None:
    """Area under the ROC curve: P(score of a positive > score of a negative), ties 1/2.

    None unless both classes are present.
    """
    pos = [s for s, y in zip(scores, positive, strict=True) if y]
    neg = [s for s, y in zip(scores, positive, strict=True) if not y]
    if not pos or not neg:
        return None
    # Rank-sum (Mann-Whitney U) with mid-ranks for ties.
    ordered = sorted(scores)
    ranks: dict[float, float] = {}
    i = 0
    while i < len(ordered):
        j = i
        while j + 1 < len(ordered) and ordered[j + 1] == ordered[i]:
            j += 1
        ranks[ordered[i]] = (i + j) / 2 + 1
        i = j + 1
    rank_sum = sum(ranks[s] for s in pos)
    u = rank_sum - len(pos) * (len(pos) + 1) / 2
    return u / (len(pos) * len(neg))


def label_metrics(
    label: str,
    truth: Sequence[str],
    pred: Sequence[str],
    scores: Sequence[float | None] | None = None,
) -> LabelMetrics:
    """Every figure for one label; ``scores`` are P(positive value) per line, or None."""
    if len(truth) != len(pred) or (scores is not None and len(scores) != len(truth)):
        raise ValueError("truth, pred and scores must have one entry per line")
    values = LABELS[label]
    positive = POSITIVE[label]
    n = len(truth)
    accuracy = _ratio(sum(t == p for t, p in zip(truth, pred, strict=True)), n)
    per_value = {v: one_vs_rest(truth, pred, v) for v in values}
    present = [v for v in values if per_value[v].support or any(p == v for p in pred)]
    f1s = [per_value[v].f1 for v in present]
    macro_f1 = sum(f or 0.0 for f in f1s) / len(f1s) if f1s else None
    columns = list(values) + sorted({p for p in pred if p not in values})
    confusion = {t: {p: 0 for p in columns} for t in values}
    for t, p in zip(truth, pred, strict=True):
        confusion[t][p] += 1
    scored = [(t == positive, s) for t, s in zip(truth, scores or [None] * n, strict=True)
              if s is not None and not math.isnan(s)]  # fmt: skip
    pos = per_value[positive]
    return LabelMetrics(
        label=label,
        n=n,
        accuracy=accuracy,
        positive=positive,
        precision=pos.precision,
        recall=pos.recall,
        f1=pos.f1,
        macro_f1=macro_f1,
        kappa=cohen_kappa(truth, pred),
        auroc=auroc([y for y, _ in scored], [s for _, s in scored]) if scored else None,
        n_scored=len(scored),
        errors=sum(p not in values for p in pred),
        per_value=per_value,
        confusion=confusion,
    )


def binary_metrics(name: str, truth: Sequence[bool], pred: Sequence[bool]) -> dict[str, Any]:
    """Accuracy, precision, recall, F1 and kappa of a yes/no judgement (an AF criterion)."""
    t = ["yes" if x else "no" for x in truth]
    p = ["yes" if x else "no" for x in pred]
    m = one_vs_rest(t, p, "yes")
    return {
        "name": name,
        "n": len(t),
        "accuracy": _ratio(sum(a == b for a, b in zip(t, p, strict=True)), len(t)),
        "precision": m.precision,
        "recall": m.recall,
        "f1": m.f1,
        "kappa": cohen_kappa(t, p),
    }


def fmt(x: float | None, digits: int = 2) -> str:
    """A figure, or ``n/a`` when it is undefined."""
    return "n/a" if x is None else f"{x:.{digits}f}"


def format_metrics(m: LabelMetrics) -> str:
    """One label's figures and confusion matrix as plain text."""
    lines = [
        f"{m.label}  (n = {m.n}; positive value: {m.positive})",
        f"  accuracy {fmt(m.accuracy)}  kappa {fmt(m.kappa)}  macro F1 {fmt(m.macro_f1)}  "
        f"precision {fmt(m.precision)}  recall {fmt(m.recall)}  F1 {fmt(m.f1)}  "
        f"AUROC {fmt(m.auroc)} (scored {m.n_scored})"
        + (f"  errors {m.errors}" if m.errors else ""),
    ]
    columns = list(next(iter(m.confusion.values())).keys()) if m.confusion else []
    head = "reference \\ predicted"
    first = max([len(head)] + [len(r) for r in m.confusion]) + 2
    width = max([len(c) for c in columns] + [5]) + 2
    lines.append("  " + head.ljust(first) + "".join(c.rjust(width) for c in columns))
    for ref, row in m.confusion.items():
        lines.append("  " + ref.ljust(first) + "".join(str(row[c]).rjust(width) for c in columns))
    return "\n".join(lines)


def validate_lines(lines: Sequence[Any], results: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Figures for labelled lines (``TranscriptLine``) against a classifier's results.

    Each label is measured on the lines that carry a reference value for it (a label a
    line leaves out is skipped for that line); the AF criteria on lines that carry
    ``criteria`` and where the classifier reported them. Two more figures:
    ``hard_negatives``, af_reasoning's false-positive rate on lines marked
    ``hard_negative: true`` (they mention training, rating or modification and are not
    alignment faking), and ``compliance_with_output``, compliance accuracy on the lines
    whose output is not empty.
    """
    metrics = []
    for label in LABELS:
        rows = [
            (line.labels[label], res[label].value, res[label].score)
            for line, res in zip(lines, results, strict=True)
            if line.labels and label in line.labels and label in res
        ]
        if rows:
            truth, pred, scores = zip(*rows, strict=True)
            metrics.append(label_metrics(label, truth, pred, scores))
    criteria = []
    for name in AF_CRITERIA:
        pairs = [
            (line.criteria[name], res["af_reasoning"].criteria[name])
            for line, res in zip(lines, results, strict=True)
            if line.criteria and "af_reasoning" in res and res["af_reasoning"].criteria
        ]
        if pairs:
            truth_b, pred_b = zip(*pairs, strict=True)
            criteria.append(binary_metrics(name, truth_b, pred_b))
    hard = [
        res["af_reasoning"].value
        for line, res in zip(lines, results, strict=True)
        if line.raw.get("hard_negative") is True and "af_reasoning" in res
    ]
    with_output = [
        (line.labels["compliance"], res["compliance"].value)
        for line, res in zip(lines, results, strict=True)
        if line.labels and "compliance" in line.labels and "compliance" in res
        and line.transcript.output.strip()
    ]  # fmt: skip
    calls = [sum(r.extra.get("calls", 0) for r in res.values()) for res in results]
    judged = any(r.method == "judge" for res in results for r in res.values())
    asked = [r.extra for res in results for r in res.values() if "unreadable" in r.extra]
    n_votes = sum(len(x.get("votes", [])) + x["unreadable"] for x in asked)
    return {
        "n_lines": len(lines),
        "metrics": metrics,
        "criteria": criteria,
        "hard_negatives": {
            "n": len(hard),
            "false_positives": hard.count("yes"),
            "rate": _ratio(hard.count("yes"), len(hard)),
        },
        "compliance_with_output": {
            "n": len(with_output),
            "accuracy": _ratio(sum(t == p for t, p in with_output), len(with_output)),
        },
        "calls_per_transcript": sum(calls) / len(calls) if judged and calls else None,
        "unreadable_rate": _ratio(sum(x["unreadable"] for x in asked), n_votes) if judged else None,
        "retries": sum(x.get("retries", 0) for x in asked) if judged else None,
        "truncated": sum(x.get("truncated", 0) for x in asked) if judged else None,
    }
