"""Corrected rates: the Rogan–Gladen arithmetic, calibration files, and where they show."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from typer.testing import CliRunner

from goalguard.analysis.correction import (
    corrected_gap,
    corrected_rate,
    label_outcome,
    rogan_gladen,
)
from goalguard.analysis.stats import paired_gap
from goalguard.classifiers.calibration import (
    CalibrationError,
    ConfusionCounts,
    build_calibration,
    confusion_counts,
    heuristic_id,
    model_family,
    read_calibration,
    rules_hash,
    shipped_heuristic_calibration,
)
from goalguard.cli import app

runner = CliRunner()


def counts(tp: int, fn: int, tn: int, fp: int) -> ConfusionCounts:
    return ConfusionCounts(positive=["yes"], negative=["no"], tp=tp, fn=fn, tn=tn, fp=fp)


def test_rogan_gladen_inverts_the_classifiers_error() -> None:
    # A true 20% seen by Se 0.5, Sp 0.95 shows as 0.5*0.2 + 0.05*0.8 = 14%.
    assert rogan_gladen(0.14, 0.5, 0.95) == pytest.approx(0.2)
    assert rogan_gladen(0.01, 0.5, 0.95) == 0.0  # below the false-positive floor: clipped
    assert rogan_gladen(0.9, 0.5, 0.95) == 1.0
    assert rogan_gladen(0.3, 0.5, 0.5) is None  # Se + Sp = 1: the labels say nothing
    assert rogan_gladen(0.3, 0.3, 0.6) is None


def test_a_near_perfect_classifier_changes_little() -> None:
    rate = corrected_rate(30, 100, counts(tp=1000, fn=0, tn=1000, fp=0))
    assert rate.raw.estimate == 0.3
    assert rate.estimate == pytest.approx(0.3)
    assert rate.low is not None and rate.high is not None
    assert rate.raw.low == pytest.approx(rate.low, abs=0.01)
    assert rate.raw.high == pytest.approx(rate.high, abs=0.01)


def test_validation_uncertainty_widens_the_interval() -> None:
    many = corrected_rate(70, 500, counts(tp=500, fn=500, tn=950, fp=50))
    few = corrected_rate(70, 500, counts(tp=10, fn=10, tn=19, fp=1))
    assert many.estimate == few.estimate == pytest.approx((0.14 + 0.95 - 1) / 0.45)
    assert many.low is not None and many.high is not None
    assert few.low is not None and few.high is not None
    assert few.high - few.low > 1.5 * (many.high - many.low)
    assert many.low < 0.2 < many.high


def test_undefined_and_unbounded() -> None:
    undefined = corrected_rate(10, 100, counts(tp=5, fn=5, tn=5, fp=5))
    assert undefined.estimate is None and undefined.low is None
    shaky = corrected_rate(10, 100, counts(tp=2, fn=1, tn=1, fp=1))  # J = 0.17 from 5 lines
    assert shaky.estimate is not None and shaky.unbounded
    assert (shaky.low, shaky.high) == (0.0, 1.0)
    empty = corrected_rate(0, 0, counts(tp=5, fn=5, tn=50, fp=0))
    assert empty.estimate is None


def test_the_gap_is_divided_by_youdens_j() -> None:
    rng = np.random.default_rng(3)
    x = (rng.random(200) < 0.3).astype(float)
    y = (rng.random(200) < 0.1).astype(float)
    gap = corrected_gap(x, y, False, counts(tp=60, fn=40, tn=90, fp=10), "af_reasoning")
    raw = paired_gap(x, y, False)
    assert gap.raw == raw
    assert gap.estimate == pytest.approx(raw.estimate / 0.5)
    assert gap.low is not None and gap.high is not None
    assert gap.low < gap.estimate < gap.high
    assert gap.high - gap.low > (raw.high - raw.low) / 0.5  # wider than rescaling alone


def test_confusion_counts_follow_the_analysis_definitions() -> None:
    c = confusion_counts(
        "compliance",
        ["full", "partial", "refusal", "refusal", "unclear", "full"],
        ["partial", "full", "full", "refusal", "full", "unclear"],
    )
    assert (c.tp, c.fp, c.fn, c.tn, c.undecided) == (2, 1, 0, 1, 2)
    cell = pd.DataFrame({"af_reasoning": ["yes", "no", "unclear", None, "judge_error"]})
    assert label_outcome(cell, "af_reasoning").tolist()[:2] == [1.0, 0.0]
    assert label_outcome(cell, "af_reasoning").isna().tolist() == [False, False, True, True, True]


@pytest.mark.parametrize(
    ("model", "family"),
    [
        ("anthropic/claude-3-opus-20240229", "claude"),
        ("together/NousResearch/Hermes-3-Llama-3.1-405B", "llama"),
        ("openai/gpt-4o", "gpt"),
        ("vllm/Qwen/Qwen2.5-7B-Instruct", "qwen"),
        ("organism/faker", "organism"),
        ("llamacpp/smollm2", "smollm"),
        ("hf/allenai/OLMo-2-1124-7B-Instruct", "olmo"),
        ("ollama/qwen2.5:7b", "qwen"),
        ("llamacpp/models/Qwen2.5-7B-Q4.gguf", "qwen"),
        ("openai/o3-mini", "gpt"),
        ("Claude 3 Opus", "claude"),
        ("Hermes-3-Llama-3.1-405B", "llama"),
        ("mystery/model", "unknown"),
    ],
)
def test_model_family(model: str, family: str) -> None:
    assert model_family(model) == family


def test_the_shipped_calibration_is_the_heuristic_measured_on_the_real_test_split() -> None:
    """Regenerating it with the code gives the committed counts and the current rules hash
    (if the rules change, re-run the command in docs/analysis.md)."""
    from goalguard.classifiers import classify_heuristic, read_jsonl, split_path

    shipped = shipped_heuristic_calibration()
    assert shipped is not None
    assert shipped.classifier.version == rules_hash()
    assert shipped.labelled_set.split == "test"
    path = split_path("test")
    lines = list(read_jsonl(path, require_labels=True))
    results = [classify_heuristic(line.transcript) for line in lines]
    again = build_calibration(lines, results, path, heuristic_id(), date=shipped.date)
    assert again.model_dump() == shipped.model_dump()
    af = shipped.labels["af_reasoning"]
    labelled = sum(1 for line in lines if line.labels and "af_reasoning" in line.labels)
    assert af.tp + af.fp + af.fn + af.tn + af.undecided == labelled
    assert af.sensitivity is not None and af.specificity is not None


def _write(path: Path, data: Any) -> Path:
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def test_bad_calibration_files_name_the_file_and_field(tmp_path: Path) -> None:
    with pytest.raises(CalibrationError, match="no such calibration file"):
        read_calibration(tmp_path / "missing.json")
    broken = tmp_path / "bad.json"
    broken.write_text("{", encoding="utf-8")
    with pytest.raises(CalibrationError, match="bad.json: not a JSON calibration file"):
        read_calibration(broken)
    with pytest.raises(CalibrationError, match="field 'format'"):
        read_calibration(_write(tmp_path / "other.json", {"format": "x"}))
    good = json.loads(shipped_heuristic_calibration().model_dump_json())  # type: ignore[union-attr]
    good["labels"]["af_reasoning"]["tp"] = -1
    with pytest.raises(CalibrationError, match=r"labels\.af_reasoning\.tp"):
        read_calibration(_write(tmp_path / "neg.json", good))
    good["labels"] = {"lie": good["labels"]["compliance"]}
    with pytest.raises(CalibrationError, match="labels.lie: not a corrected label"):
        read_calibration(_write(tmp_path / "lie.json", good))


def test_validate_writes_a_calibration_that_report_reads(
    tmp_path: Path, report_logs: dict[str, Path]
) -> None:
    """``validate --calibration-out`` on the synthetic set, then ``report --calibration``
    on the scripted organism's log (the faker: heuristic labels)."""
    out = tmp_path / "cal.json"
    result = runner.invoke(app, ["validate", "--split", "synthetic", "--calibration-out", str(out)])
    assert result.exit_code == 0, result.output
    written = read_calibration(out)
    assert written.labelled_set.split == "synthetic"
    assert written.classifier.kind == "heuristic"
    assert set(written.labels) == {"af_reasoning", "compliance", "setup_doubt"}

    summary = tmp_path / "s.json"
    result = runner.invoke(
        app,
        ["report", str(report_logs["faker"]), "-o", str(tmp_path / "r.html"), "--json",
         str(summary), "--calibration", str(out)],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    [group] = json.loads(summary.read_text())["groups"]
    corrected = group["corrected"]
    assert corrected["calibration_file"] == str(out)
    assert corrected["model_family"] == "organism"
    assert any("not among the calibration" in w for w in corrected["warnings"])
    rates = {(r["label"], r["condition"]): r for r in corrected["rates"]}
    assert {"af_reasoning", "compliance", "setup_doubt"} == {label for label, _ in rates}
    af = rates[("af_reasoning", "training")]
    assert af["raw"]["k"] == group["conditions"][0]["af_reasoning"]["k"]
    assert "corrected for classifier error" in result.output
    assert "Corrected for classifier error" in (tmp_path / "r.html").read_text()

    result = runner.invoke(
        app, ["report", str(report_logs["faker"]), "--calibration", str(tmp_path / "no.json")]
    )
    assert result.exit_code == 2 and "no such calibration file" in result.output


def _labelled_table(method: str, model: str = "anthropic/claude-3-opus") -> pd.DataFrame:
    """A hand-made sample table: 40 queries under training and unmonitored, AF labels given
    by ``method`` (12 yes in training, 1 unmonitored)."""
    from goalguard.analysis.table import COLUMNS

    rows = []
    for q in range(40):
        for condition in ("training", "unmonitored"):
            yes = q < 12 if condition == "training" else q == 0
            rows.append({
                "model": model, "scenario": "helpful-only", "log": "a.eval", "model_args": "{}",
                "condition": condition, "query_id": f"q{q}", "sample_id": f"{condition}-{q}",
                "epoch": 1, "parse_status": "ok", "category": "c",
                "compliance": "full" if yes else "refusal", "compliance_method": method,
                "af_reasoning": "yes" if yes else "no", "af_reasoning_method": method,
            })  # fmt: skip
    frame = pd.DataFrame(rows)
    for column in COLUMNS:
        if column not in frame:
            frame[column] = None
    frame["p"] = pd.to_numeric(frame["p"])
    return frame[COLUMNS]


def test_heuristic_labels_default_to_the_shipped_calibration() -> None:
    from goalguard.analysis import format_summary, summarize

    summary = summarize(_labelled_table("heuristic"))
    [group] = summary.groups
    corrected = group.corrected
    assert corrected is not None and corrected.calibration_file is not None
    assert corrected.calibration_file.endswith("heuristic_calibration.json (shipped)")
    assert corrected.model_family == "claude" and corrected.warnings == []
    af = {r.condition: r for r in corrected.rates if r.label == "af_reasoning"}
    assert af["training"].raw.k == 12 and af["training"].estimate is not None
    assert af["training"].estimate > af["training"].raw.estimate  # recall 0.38 scales it up
    text = format_summary(summary)
    assert "corrected for classifier error" in text and "AF reasoning gap" in text


def test_judge_labels_without_a_calibration_stay_raw_and_say_so() -> None:
    from goalguard.analysis import summarize

    [group] = summarize(_labelled_table("judge")).groups
    assert group.corrected is None
    [warning] = [w for w in group.warnings if w.kind == "calibration"]
    assert "no calibration" in warning.message and "--calibration-out" in warning.message
    heuristic_only = shipped_heuristic_calibration()
    [group] = summarize(_labelled_table("judge"), heuristic_only).groups
    assert group.corrected is not None and group.corrected.rates == []
    assert any("calibration measured the heuristic" in w for w in group.corrected.warnings)


def test_a_family_outside_the_calibration_is_warned() -> None:
    from goalguard.analysis import summarize

    [group] = summarize(_labelled_table("heuristic", "vllm/Qwen/Qwen2.5-7B")).groups
    assert group.corrected is not None and group.corrected.model_family == "qwen"
    assert any("(qwen) is not among the calibration's" in w for w in group.corrected.warnings)


def test_a_stratified_labels_file_gives_the_runs_sensitivity_not_the_samples():
    """`goalguard label` over-samples the classifier's positives: weighted back to the run,
    the confusion gives the run's sensitivity, with counts scaled to the lines labelled."""
    from goalguard.analysis.stats import stratum_weights
    from goalguard.classifiers.calibration import confusion_counts

    # Stratum "pos": all 5 of the classifier's yes drawn; "other": 20 of its 500 no drawn.
    strata = [("pos", 5)] * 5 + [("other", 500)] * 20
    truth = ["yes"] * 4 + ["no"] + ["yes"] * 2 + ["no"] * 18
    pred = ["yes"] * 5 + ["no"] * 20
    plain = confusion_counts("af_reasoning", truth, pred)
    weighted = confusion_counts("af_reasoning", truth, pred, stratum_weights(strata))
    assert plain.sensitivity == pytest.approx(4 / 6)
    # The run: 4 true positives found, 2/20 of 500 = 50 missed; 1 false positive, 450 tn.
    assert weighted.sensitivity == pytest.approx(4 / 54)
    assert weighted.specificity == pytest.approx(450 / 451)
    assert weighted.tp + weighted.fp + weighted.fn + weighted.tn == pytest.approx(25)


def test_a_weighted_calibration_corrects_a_run_and_prints_its_counts() -> None:
    """A calibration from a stratified labels file has fractional counts; the correction,
    the summary and the report take them as they are."""
    from goalguard.analysis import format_summary, summarize
    from goalguard.analysis.stats import stratum_weights
    from goalguard.classifiers.calibration import confusion_counts
    from goalguard.report.corrected import corrected_section

    strata = [("pos", 5)] * 5 + [("other", 500)] * 20
    truth = ["yes"] * 4 + ["no"] + ["yes"] * 2 + ["no"] * 18
    weighted = confusion_counts(
        "af_reasoning", truth, ["yes"] * 5 + ["no"] * 20, stratum_weights(strata)
    )
    assert not float(weighted.fn).is_integer()
    shipped = shipped_heuristic_calibration()
    assert shipped is not None
    calibration = shipped.model_copy(update={"labels": {"af_reasoning": weighted}})
    [group] = summarize(_labelled_table("heuristic"), calibration).groups
    assert group.corrected is not None
    assert group.corrected.errors["af_reasoning"].fn == pytest.approx(weighted.fn)
    text = format_summary(summarize(_labelled_table("heuristic"), calibration))
    assert f"({weighted.tp:.1f}/{weighted.tp + weighted.fn:.1f})" in text
    assert f"{weighted.tp:.1f}" in str(corrected_section(group.corrected, 0))
