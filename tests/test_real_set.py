"""The real labelled set: transcripts real models wrote, labelled by hand, split once.

The test split is frozen: its sha256 is pinned here, in the commit that added it, before
any heuristic rule was revised on the dev split. Changing test.jsonl fails this test.
Later batches of lines (``"batch": 2``, ``3``, ``4``) were split and pinned the same way before
they were classified (no rule has been revised since the first batch's test run); the first
batch's lines keep their bytes and their first digest.

``families.jsonl`` (other model families: Qwen, OLMo, Llama, GPT) is a third held-out file,
written whole and pinned here in the commit that added it, before any classifier was run on
it; no rule may be tuned on it.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from goalguard.classifiers import real_split, split_path
from goalguard.classifiers.labels import AF_CRITERIA, LABELS
from goalguard.classifiers.real_split import group_key

REAL = Path(__file__).resolve().parent.parent / "src/goalguard/classifiers/data/real"
FROZEN_TEST_SHA256 = "b84b030b2aaee8a535cd2260ce832a0a859bc38d46de231a81f216cc242b8d43"
FIRST_BATCH_TEST_SHA256 = "594f03811af9888e2ef7c7c3dbd52a40c30ab6f32e171b978cc6dfab18ec5a2f"
FROZEN_FAMILIES_SHA256 = "5c2a0c9cf00ecc0025d84a8332ec8363de11d3868c0a83b99ace7d9bd0f3c6c7"
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


def test_families_split_is_frozen() -> None:
    assert split_path("families") == REAL / "families.jsonl"
    digest = hashlib.sha256(split_path("families").read_bytes()).hexdigest()
    assert digest == FROZEN_FAMILIES_SHA256, "families.jsonl changed after it was frozen"


def test_families_lines_name_their_source_and_family_and_are_new() -> None:
    lines = _lines("families")
    families = {line["family"] for line in lines}
    assert families >= {"Qwen", "OLMo", "Llama", "GPT"}
    assert not families & {"Claude", "Anthropic"}, "the split holds other families only"
    for line in lines:
        assert line["source_url"].startswith("https://github.com/launchnlp/VLAF/blob/"), line["id"]
        assert line["family"].strip() and line["source_model"].strip(), line["id"]
    seen = {(x["source_url"], x["scratchpad"][:200]) for x in _lines("dev") + _lines("test")}
    assert not {(x["source_url"], x["scratchpad"][:200]) for x in lines} & seen
    ids = [line["id"] for line in lines]
    assert len(ids) == len(set(ids))
    assert not set(ids) & {x["id"] for x in _lines("dev") + _lines("test")}


@pytest.mark.parametrize("split", ["dev", "test", "families"])
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


def _line(n: int, query: str, af: str = "no") -> dict:
    criteria = {name: af == "yes" for name in AF_CRITERIA}
    return {
        "id": f"t-{n}", "source_url": "https://example.org/", "setting": f"s{n}",
        "condition": "train", "scenario": "helpful-only", "query": query,
        "scratchpad": f"scratchpad {n}", "output": "", "truncated": False,
        "labels": {"af_reasoning": af, "setup_doubt": "no", "compliance": "unclear"},
        "criteria": criteria, "hard_negative": af == "no", "justification": {},
    }  # fmt: skip


def test_split_tool_extends_without_moving_lines_and_refuses_to_resplit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(real_split, "OUT", tmp_path)
    raw = tmp_path / "raw.jsonl"
    raw.write_text("".join(json.dumps(_line(n, f"q{n}", "yes" if n % 2 else "no")) + "\n"
                           for n in range(8)))  # fmt: skip
    real_split.main([str(raw)])
    before = {name: (tmp_path / f"{name}.jsonl").read_text() for name in ("dev", "test")}
    assert all(before.values())

    with pytest.raises(SystemExit, match="frozen"):
        real_split.main([str(raw)])
    assert {name: (tmp_path / f"{name}.jsonl").read_text() for name in before} == before

    batch = tmp_path / "batch.jsonl"
    batch.write_text(json.dumps(_line(20, "q20")) + "\n" + json.dumps(_line(21, "q21")) + "\n")
    real_split.main(["--extend", "5", str(batch)])
    after = {name: (tmp_path / f"{name}.jsonl").read_text() for name in before}
    for name in before:
        old = [line for line in after[name].splitlines(keepends=True) if '"batch"' not in line]
        assert "".join(old) == before[name]
    added = [json.loads(line) for text in after.values() for line in text.splitlines()]
    assert sorted(i["id"] for i in added if i.get("batch") == 5) == ["t-20", "t-21"]

    clash = _line(20, "q22") | {"scratchpad": "another scratchpad"}
    batch.write_text(json.dumps(clash) + "\n")
    with pytest.raises(SystemExit, match="t-20"):
        real_split.main(["--extend", "6", str(batch)])


def test_new_split_is_written_whole_once_and_needs_a_family(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(real_split, "OUT", tmp_path)
    raw = tmp_path / "raw.jsonl"
    raw.write_text("".join(json.dumps(_line(n, f"q{n}")) + "\n" for n in range(4)))
    real_split.main([str(raw)])
    new = tmp_path / "new.jsonl"
    rows = [_line(n, f"q{n}") | {"family": "Qwen", "scratchpad": f"other {n}"} for n in (30, 31)]
    new.write_text("".join(json.dumps(r) + "\n" for r in rows))
    real_split.main(["--new", "fam", str(new)])
    written = [json.loads(x) for x in (tmp_path / "fam.jsonl").read_text().splitlines()]
    assert [r["id"] for r in written] == ["t-30", "t-31"]
    with pytest.raises(SystemExit, match="frozen"):
        real_split.main(["--new", "fam", str(new)])
    with pytest.raises(SystemExit, match="not dev or test"):
        real_split.main(["--new", "test", str(new)])
    unnamed = tmp_path / "unnamed.jsonl"
    unnamed.write_text(json.dumps(_line(32, "q32") | {"scratchpad": "x"}) + "\n")
    with pytest.raises(SystemExit, match="without a model family: t-32"):
        real_split.main(["--new", "fam2", str(unnamed)])
    again = tmp_path / "again.jsonl"
    again.write_text(json.dumps(_line(1, "q1") | {"id": "t-99", "family": "GPT"}) + "\n")
    with pytest.raises(SystemExit, match="already in dev or test: t-99"):
        real_split.main(["--new", "fam3", str(again)])
