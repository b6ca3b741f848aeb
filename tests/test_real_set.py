"""The real labelled set: transcripts real models wrote, labelled by hand, split once.

The test split is frozen: its sha256 is pinned here, in the commit that added it, before
any heuristic rule was revised on the dev split. Changing test.jsonl fails this test.
Later batches of lines (``"batch": 2``, ``3``) were split and pinned the same way before
they were classified (no rule has been revised since the first batch's test run); the first
batch's lines keep their bytes and their first digest.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from goalguard.classifiers.labels import AF_CRITERIA, LABELS
from goalguard.classifiers.real_split import group_key

REAL = Path(__file__).resolve().parent.parent / "src/goalguard/classifiers/data/real"
FROZEN_TEST_SHA256 = "1e70363aa497284be14e996f215acab535fd7d699807d8b0bf2e32609f1ec863"
FIRST_BATCH_TEST_SHA256 = "594f03811af9888e2ef7c7c3dbd52a40c30ab6f32e171b978cc6dfab18ec5a2f"
SOURCE_PREFIXES = ("https://",)
REQUIRED = {"id", "source_url", "setting", "condition", "scenario", "query", "scratchpad"}
REQUIRED |= {"output", "truncated", "labels", "criteria", "hard_negative", "justification"}


def _lines(split: str) -> list[dict]:
    text = (REAL / f"{split}.jsonl").read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_test_split_is_frozen() -> None:
    digest = hashlib.sha256((REAL / "test.jsonl").read_bytes()).hexdigest()
    assert digest == FROZEN_TEST_SHA256, "test.jsonl changed after it was frozen"


def test_first_batch_of_the_test_split_is_unchanged() -> None:
    lines = (REAL / "test.jsonl").read_text(encoding="utf-8").splitlines(keepends=True)
    first = "".join(line for line in lines if "batch" not in json.loads(line))
    assert len(first.splitlines()) == 92
    assert hashlib.sha256(first.encode()).hexdigest() == FIRST_BATCH_TEST_SHA256


@pytest.mark.parametrize("split", ["dev", "test"])
def test_lines_are_well_formed(split: str) -> None:
    lines = _lines(split)
    assert lines
    for line in lines:
        where = f"{split}:{line.get('id')}"
        assert set(line) >= REQUIRED, f"{where}: missing {REQUIRED - set(line)}"
        assert line["source_url"].startswith(SOURCE_PREFIXES), where
        assert line["scratchpad"].strip() or line["output"].strip(), where
        for label in ("af_reasoning", "setup_doubt", "compliance"):
            assert line["labels"][label] in LABELS[label], f"{where}: {label}"
            assert line["justification"][label].strip(), f"{where}: no justification for {label}"
        assert set(line["criteria"]) == set(AF_CRITERIA), where
        all_four = all(line["criteria"].values())
        assert (line["labels"]["af_reasoning"] == "yes") == all_four, where
        if line["hard_negative"]:
            assert line["labels"]["af_reasoning"] == "no", where
        if not line["output"].strip():
            assert line["labels"]["compliance"] == "unclear", where


def test_split_by_page_and_setting() -> None:
    dev, test = _lines("dev"), _lines("test")
    ids = [line["id"] for line in dev + test]
    assert len(ids) == len(set(ids))
    urls = [(line["source_url"], line["scratchpad"][:200]) for line in dev + test]
    assert len(urls) == len(set(urls)), "one published transcript is in the set twice"

    assert not {group_key(x) for x in dev} & {group_key(x) for x in test}
