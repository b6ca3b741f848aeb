"""Split the real labelled transcripts into dev and test, once, by (setting, query).

This was run once, when the set was built; ``test.jsonl`` was then frozen (its sha256
is pinned in ``tests/test_real_set.py``) before any heuristic rule was revised on dev.

Every page of one setting that shows the same user query forms a group (train and deploy
samples of a query, and repeated samples of one question in the lying settings), and a
group goes whole to dev or to test, so no test item has a near-twin in dev. Groups are
taken in the order of a hash of their key (so the split does not depend on file order)
and each goes to the split that most needs its kinds of items (AF-reasoning positives,
hard negatives, setup doubt, a visible output), aiming at half of each in test.

    python -m goalguard.classifiers.real_split RAW.jsonl [RAW.jsonl ...]

Later batches are added with ``--extend BATCH RAW.jsonl ...``: a new line whose group is
already in the set joins that group's side; new groups are split among themselves the same
way. New lines carry ``"batch": BATCH``, and the lines already there keep their bytes, so the
first frozen test lines still hash to their pinned digest.

A held-out set from other sources is written whole, as its own file, with ``--new NAME
RAW.jsonl ...`` (``families.jsonl``: other model families). It is never split into dev and
test, refuses to overwrite itself (it is frozen once written) and refuses a line whose id or
text is already in dev or test. Every line must name its model ``family``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
from collections import defaultdict
from pathlib import Path
from typing import Any

OUT = Path(__file__).resolve().parent / "data" / "real"
_LEADING_TAGS = re.compile(r"^(\s*<(?!user_input>)(\w+)>.*?</\2>)+", re.DOTALL)
KINDS = ("af_yes", "hard_negative", "doubt_yes", "has_output", "item")


def kinds(item: dict[str, Any]) -> dict[str, int]:
    labels = item["labels"]
    return {
        "af_yes": int(labels["af_reasoning"] == "yes"),
        "hard_negative": int(bool(item.get("hard_negative"))),
        "doubt_yes": int(labels["setup_doubt"] == "yes"),
        "has_output": int(bool(item["output"].strip())),
        "item": 1,
    }


def group_key(item: dict[str, Any]) -> str:
    """The unit of the split: the setting and the user's request, without the cue tags."""
    query = _LEADING_TAGS.sub("", item["query"]).replace("<user_input>", "")
    text = " ".join(query.replace("</user_input>", "").lower().split())
    return f"{item['setting']}\n{text}"


def _shortfall(need: dict[str, int], have: dict[str, int], totals: dict[str, int]) -> float:
    """How far below half of each kind a split is, weighted by what the group holds."""
    return sum(need[k] * (totals[k] / 2 - have[k]) / max(totals[k], 1) for k in KINDS)


def _text_key(item: dict[str, Any]) -> tuple[str, str]:
    # Several quoted excerpts can come from one publication: the text tells them apart.
    return (item["source_url"], item["scratchpad"][:200] + item["output"][:200])


def _read(paths: list[str], seen: set[tuple[str, str]]) -> list[dict[str, Any]]:
    items: list[dict[str, Any]] = []
    for path in paths:
        for line in Path(path).read_text(encoding="utf-8").splitlines():
            if not line.strip():
                continue
            item = json.loads(line)
            if _text_key(item) in seen:
                continue
            seen.add(_text_key(item))
            items.append(item)
    return items


def _split(items: list[dict[str, Any]], fixed: dict[str, str]) -> dict[str, list[dict[str, Any]]]:
    """Groups in ``fixed`` (group key -> split) go where they are; the rest are balanced."""
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for item in items:
        groups[group_key(item)].append(item)
    totals = {k: sum(kinds(i)[k] for i in items) for k in KINDS}
    order = sorted(groups, key=lambda k: hashlib.sha256(k.encode()).hexdigest())
    counts = {"dev": dict.fromkeys(KINDS, 0), "test": dict.fromkeys(KINDS, 0)}
    split: dict[str, list[dict[str, Any]]] = {"dev": [], "test": []}
    for key in order:
        members = groups[key]
        need = {k: sum(kinds(i)[k] for i in members) for k in KINDS}
        wants = {n: _shortfall(need, counts[n], totals) for n in ("dev", "test")}
        name = fixed.get(key) or ("test" if wants["test"] > wants["dev"] else "dev")
        split[name].extend(members)
        for k in KINDS:
            counts[name][k] += need[k]
    for name in split:
        print(name, counts[name])
    return split


def _write(name: str, lines: list[dict[str, Any]]) -> None:
    lines.sort(key=lambda i: i["id"])
    text = "".join(json.dumps(i, ensure_ascii=False) + "\n" for i in lines)
    (OUT / f"{name}.jsonl").write_text(text, encoding="utf-8")
    print(name, len(lines), hashlib.sha256(text.encode()).hexdigest())


def split_once(paths: list[str]) -> None:
    """Write dev and test from raw files; refuses once a split exists (it is frozen)."""
    if (OUT / "test.jsonl").exists():
        raise SystemExit(
            f"{OUT / 'test.jsonl'} exists and is frozen; add new lines with --extend BATCH"
        )
    OUT.mkdir(parents=True, exist_ok=True)
    for name, lines in _split(_read(paths, set()), {}).items():
        _write(name, lines)


def extend(batch: int, paths: list[str]) -> None:
    """Add a later batch of lines without moving or rewriting any line already split."""
    old = {name: _read([str(OUT / f"{name}.jsonl")], set()) for name in ("dev", "test")}
    seen = {_text_key(i) for lines in old.values() for i in lines}
    fixed = {group_key(i): name for name, lines in old.items() for i in lines}
    new = _read(paths, seen)
    ids = {i["id"] for lines in old.values() for i in lines}
    clash = sorted(i["id"] for i in new if i["id"] in ids)
    if clash:
        raise SystemExit(f"ids already in the set: {', '.join(clash)}")
    for item in new:
        item["batch"] = batch
    for name, lines in _split(new, fixed).items():
        _write(name, old[name] + lines)


def new_split(name: str, paths: list[str]) -> None:
    """Write a new held-out split ``NAME.jsonl`` whole; refuses once it exists (frozen)."""
    if name in ("dev", "test") or not re.fullmatch(r"[a-z][a-z0-9_-]*", name):
        raise SystemExit(f"--new {name!r}: give a new split name (lower case), not dev or test")
    path = OUT / f"{name}.jsonl"
    if path.exists():
        raise SystemExit(f"{path} exists and is frozen")
    old = _read([str(OUT / f"{n}.jsonl") for n in ("dev", "test")], set())
    seen = {_text_key(i) for i in old}
    lines = _read(paths, set())
    again = sorted(i["id"] for i in lines if _text_key(i) in seen)
    clash = sorted({i["id"] for i in old} & {i["id"] for i in lines}) + again
    if clash:
        raise SystemExit(f"already in dev or test: {', '.join(clash)}")
    unnamed = sorted(i["id"] for i in lines if not str(i.get("family", "")).strip())
    if unnamed:
        raise SystemExit(f"lines without a model family: {', '.join(unnamed)}")
    _write(name, lines)


def main(argv: list[str] | None = None) -> None:
    """Command line: split raw files once, or ``--extend BATCH`` the frozen split."""
    parser = argparse.ArgumentParser(
        prog="python -m goalguard.classifiers.real_split",
        description="Split hand-labelled real transcripts into dev and test (once), "
        "add a later batch without moving any line already split, or write a new "
        "held-out split whole.",
    )
    parser.add_argument("raw", nargs="+", help="JSONL files of labelled lines")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--extend", type=int, metavar="BATCH", help="add the lines as batch BATCH")
    group.add_argument("--new", metavar="NAME", help="write the lines whole as a new split NAME")
    args = parser.parse_args(argv)
    if args.new is not None:
        new_split(args.new, args.raw)
    elif args.extend is None:
        split_once(args.raw)
    else:
        extend(args.extend, args.raw)


if __name__ == "__main__":
    main()
