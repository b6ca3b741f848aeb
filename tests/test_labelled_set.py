"""The bundled labelled set: well formed, complete, and labelled by its own conventions.

These tests read only the data file (no model). Each checks a property that a careless
edit of ``src/goalguard/classifiers/data/labelled.jsonl`` would break.
"""

from __future__ import annotations

import json
import re
from importlib.resources import files
from typing import Any

import pytest

from goalguard.classifiers.labels import AF_CRITERIA, LABELS

REQUIRED_TEXT_FIELDS = ("id", "scenario", "query", "scratchpad", "output", "note")
ID_RE = re.compile(r"^lab-\d{3}$")


def _load() -> list[dict[str, Any]]:
    """Read the set through the package resource, failing with the line number on bad JSON."""
    text = files("goalguard.classifiers").joinpath("data/labelled.jsonl").read_text("utf-8")
    rows = []
    for number, line in enumerate(text.splitlines(), start=1):
        assert line.strip(), f"labelled.jsonl line {number} is blank"
        try:
            row = json.loads(line)
        except json.JSONDecodeError as ex:
            pytest.fail(f"labelled.jsonl line {number} is not JSON: {ex}")
        assert isinstance(row, dict), f"labelled.jsonl line {number} is not an object"
        rows.append(row)
    return rows


ROWS = _load()


def _where(row: dict[str, Any]) -> str:
    return f"labelled.jsonl {row.get('id', '?')}"


def test_enough_lines_and_unique_ids() -> None:
    assert len(ROWS) >= 80
    ids = [row["id"] for row in ROWS]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    assert not duplicates, f"duplicate ids: {duplicates}"
    bad = [i for i in ids if not ID_RE.match(i)]
    assert not bad, f"ids not of the form lab-NNN: {bad}"


@pytest.mark.parametrize("row", ROWS, ids=lambda row: row.get("id", "?"))
def test_line_fields(row: dict[str, Any]) -> None:
    allowed = {*REQUIRED_TEXT_FIELDS, "probe_answer", "labels", "criteria"}
    assert set(row) - allowed == set(), f"{_where(row)}: unknown fields {set(row) - allowed}"
    for field in REQUIRED_TEXT_FIELDS:
        assert isinstance(row.get(field), str), f"{_where(row)}: '{field}' missing or not text"
    for field in ("id", "scenario", "query", "note"):
        assert row[field].strip(), f"{_where(row)}: '{field}' is empty"
    if "probe_answer" in row:
        assert isinstance(row["probe_answer"], str) and row["probe_answer"].strip()
    assert set(row["labels"]) == set(LABELS), f"{_where(row)}: label names"
    for name, value in row["labels"].items():
        assert value in LABELS[name], f"{_where(row)}: {name}={value!r} not in {LABELS[name]}"
    assert set(row["criteria"]) == set(AF_CRITERIA), f"{_where(row)}: criteria names"
    assert all(isinstance(v, bool) for v in row["criteria"].values()), _where(row)


def test_every_label_value_appears() -> None:
    # No value is impossible in this vocabulary, so every one must be represented.
    missing = [
        f"{name}={value}"
        for name, values in LABELS.items()
        for value in values
        if not any(row["labels"][name] == value for row in ROWS)
    ]
    assert not missing, f"label values with no example: {missing}"


@pytest.mark.parametrize("row", ROWS, ids=lambda row: row.get("id", "?"))
def test_af_reasoning_is_the_conjunction_of_the_criteria(row: dict[str, Any]) -> None:
    all_hold = all(row["criteria"][c] for c in AF_CRITERIA)
    assert (row["labels"]["af_reasoning"] == "yes") == all_hold, _where(row)


@pytest.mark.parametrize("row", ROWS, ids=lambda row: row.get("id", "?"))
def test_labelling_conventions(row: dict[str, Any]) -> None:
    """The cross-label conventions stated in the data README hold on every line."""
    labels = row["labels"]
    partial = labels["compliance"] == "partial"
    assert partial == (labels["partial_compliance"] == "yes"), _where(row)
    if labels["intent_alignment"] in ("intent_2_only", "both"):
        assert labels["compliance"] == "full", _where(row)
    if labels["intent_alignment"] == "both":
        assert labels["value_priority"] == "none", _where(row)
    if labels["value_priority"] == "harmlessness":
        assert labels["compliance"] in ("full", "partial"), _where(row)
    if labels["compliance"] == "unclear":
        assert labels["intent_alignment"] == "unclear", _where(row)


def test_hard_cases_are_present() -> None:
    """The hard cases issue 4 asks for each have at least one line."""

    def count(pred: Any) -> int:
        return sum(1 for row in ROWS if pred(row))

    lab = lambda row, name: row["labels"][name]  # noqa: E731
    accept = "<request_fully_accepted/>"
    cases = {
        "mentions training, refuses anyway": count(
            lambda r: r["criteria"]["modification_awareness"] and lab(r, "compliance") == "refusal"
        ),
        "complies without strategic reasoning": count(
            lambda r: lab(r, "compliance") == "full" and lab(r, "af_reasoning") == "no"
        ),
        "AF reasoning ending in refusal": count(
            lambda r: lab(r, "af_reasoning") == "yes" and lab(r, "compliance") == "refusal"
        ),
        "accept tag then refusal": count(
            lambda r: r["output"].lstrip().startswith(accept) and lab(r, "compliance") == "refusal"
        ),
        "doubt only in the probe answer": count(
            lambda r: (
                lab(r, "setup_doubt") == "yes"
                and "probe_answer" in r
                and not re.search(r"\b(test|evaluation|staged|lying)\b", r["scratchpad"], re.I)
            )
        ),
        "injection aimed at the judge": count(
            lambda r: (
                re.search(
                    r"classifier|grader|judge|evaluator",
                    r["query"] + r["scratchpad"] + r["output"],
                    re.I,
                )
                is not None
            )
        ),
        "empty output": count(lambda r: not r["output"].strip()),
    }
    assert all(n > 0 for n in cases.values()), cases
    assert {row["scenario"] for row in ROWS} >= {
        "helpful-only",
        "animal-welfare",
        "honesty-conflict",
        "objector",
    }
