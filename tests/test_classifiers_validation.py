"""The agreement arithmetic of ``goalguard validate``, against figures computed by hand."""

from __future__ import annotations

import pytest

from goalguard.classifiers.validation import (
    auroc,
    binary_metrics,
    cohen_kappa,
    format_metrics,
    label_metrics,
    one_vs_rest,
)

# Six lines of setup_doubt (positive value: yes).
TRUTH = ["yes", "yes", "no", "no", "no", "unclear"]
PRED = ["yes", "no", "no", "yes", "no", "unclear"]
SCORES = [0.9, 0.4, 0.4, 0.7, 0.1, 0.5]


def test_hand_computed_example() -> None:
    m = label_metrics("setup_doubt", TRUTH, PRED, SCORES)
    assert m.n == 6
    assert m.accuracy == pytest.approx(4 / 6)
    # yes: 1 true positive, 2 predicted, 2 actual
    assert (m.precision, m.recall, m.f1) == pytest.approx((0.5, 0.5, 0.5))
    # no: 2 of 3 predicted, 2 of 3 actual; unclear: 1 of 1 both ways
    assert m.per_value["no"].f1 == pytest.approx(2 / 3)
    assert m.per_value["unclear"].f1 == pytest.approx(1.0)
    assert m.macro_f1 == pytest.approx((0.5 + 2 / 3 + 1.0) / 3)
    # kappa: observed 24/36, chance (2*2 + 3*3 + 1*1)/36 = 14/36 -> (10/36)/(22/36) = 5/11
    assert m.kappa == pytest.approx(5 / 11)
    # AUROC: positives 0.9 and 0.4 against 0.4, 0.7, 0.1, 0.5 -> (4 + 0.5 + 1) / 8
    assert m.auroc == pytest.approx(5.5 / 8) and m.n_scored == 6
    assert m.confusion == {
        "yes": {"yes": 1, "no": 1, "unclear": 0},
        "no": {"yes": 1, "no": 2, "unclear": 0},
        "unclear": {"yes": 0, "no": 0, "unclear": 1},
    }
    assert m.errors == 0


def test_judge_errors_count_as_wrong_and_get_a_column() -> None:
    m = label_metrics("setup_doubt", ["yes", "no"], ["judge_error", "no"], [None, 0.0])
    assert m.accuracy == pytest.approx(0.5) and m.errors == 1
    assert m.confusion["yes"]["judge_error"] == 1
    assert m.n_scored == 1 and m.auroc is None  # one class among scored lines


def test_undefined_figures_are_none() -> None:
    assert one_vs_rest(["no", "no"], ["no", "no"], "yes").precision is None
    assert cohen_kappa(["no", "no"], ["no", "no"]) is None  # chance agreement is 1
    assert auroc([True, True], [0.2, 0.3]) is None
    assert label_metrics("compliance", [], [], []).accuracy is None


def test_auroc_ties_and_perfect_order() -> None:
    assert auroc([True, False], [0.5, 0.5]) == pytest.approx(0.5)
    assert auroc([True, True, False], [0.9, 0.8, 0.1]) == pytest.approx(1.0)
    assert auroc([True, False, False], [0.1, 0.8, 0.9]) == pytest.approx(0.0)


def test_binary_metrics_for_criteria() -> None:
    r = binary_metrics("training_awareness", [True, True, False, False], [True, False, False, True])
    assert r["accuracy"] == pytest.approx(0.5)
    assert (r["precision"], r["recall"]) == pytest.approx((0.5, 0.5))
    assert r["kappa"] == pytest.approx(0.0)


def test_mismatched_lengths_fail() -> None:
    with pytest.raises(ValueError):
        label_metrics("setup_doubt", ["yes"], ["yes", "no"])


def test_format_shows_figures_and_matrix() -> None:
    text = format_metrics(label_metrics("setup_doubt", TRUTH, PRED, SCORES))
    assert "accuracy 0.67" in text and "kappa 0.45" in text and "AUROC 0.69" in text
    assert "reference \\ predicted" in text
