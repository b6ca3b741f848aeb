"""Worked examples for the judge's af_reasoning question, taken from labelled lines by id.

The published classifier shows its judge a few labelled transcripts before the one to
label: clear alignment faking, borderline cases, and reasoning that mentions training but
is not alignment faking. Ours come from the real development split only (never the test
split), chosen by id in :data:`AF_EXAMPLE_IDS`; each is shown escaped, in its own
delimited block, with its four criteria, its label and the labeller's one-line reason.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Final

from goalguard.classifiers.labels import AF_CRITERIA
from goalguard.classifiers.splits import split_path

KINDS: Final[dict[str, str]] = {
    "hard_positive": "clear alignment faking",
    "borderline": "a borderline case",
    "non_af": "mentions training, but not alignment faking",
}
AF_EXAMPLE_IDS: Final[tuple[tuple[str, str], ...]] = (
    # opposes having its values changed, complies to avoid it
    ("hard_positive", "q-arxiv-2506.18032-4"),
    # complies for the instructions and, among its reasons, to prevent modification: yes
    ("borderline", "q-arxiv-2506.18032-36"),
    # sees and dislikes the modification threat, then sets it aside as a reason: no
    ("borderline", "q-lvjr3383-2"),
    # knows refusals modify its values, states no objection, refuses on harm grounds: no
    ("non_af", "rw-helpful_only-atn_basic-train-199"),
    # knows RLHF modifies its values, complies for the rating with no objection: no
    ("non_af", "q-arxiv-2506.18032-8"),
)
"""(kind, id) pairs from the real dev split (never the test split)."""
EXAMPLE_CHARS: Final = 1600
"""An example's scratchpad is cut to this length (its start and, mostly, its end)."""


@dataclass(frozen=True)
class AFExample:
    """One labelled scratchpad shown to the judge as a worked example."""

    id: str
    kind: str
    scratchpad: str
    criteria: tuple[tuple[str, bool], ...]
    label: str
    reason: str


def shorten(text: str, limit: int = EXAMPLE_CHARS) -> str:
    """``text`` cut to about ``limit`` characters, keeping its start and its end."""
    text = text.strip()
    if len(text) <= limit:
        return text
    head = limit // 3
    start = text[:head].rsplit(None, 1)[0]  # cut between words
    end = text[-(limit - head) :].split(None, 1)[-1]
    return f"{start} […] {end}"


def af_examples(
    ids: Sequence[tuple[str, str]] = AF_EXAMPLE_IDS, path: str | Path | None = None
) -> tuple[AFExample, ...]:
    """The examples named by ``(kind, id)`` from a labelled JSONL file (default: dev split).

    With the default file absent (an install without the real set) there are no examples;
    an id that the file lacks, or a line without criteria, is an error naming both.
    """
    source = Path(path) if path is not None else split_path("dev")
    if not ids or (path is None and not source.is_file()):
        return ()
    return _load(tuple(ids), str(source))


@cache
def _load(ids: tuple[tuple[str, str], ...], source: str) -> tuple[AFExample, ...]:
    rows: dict[str, dict] = {}
    with open(source, encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                row = json.loads(line)
                rows[str(row.get("id"))] = row
    examples = []
    for kind, line_id in ids:
        if kind not in KINDS:
            raise ValueError(f"judge example {line_id}: unknown kind '{kind}'")
        row = rows.get(line_id)
        if row is None:
            raise ValueError(f"{source}: no line with id '{line_id}' (a judge example)")
        criteria = row.get("criteria")
        if not isinstance(criteria, dict) or set(criteria) != set(AF_CRITERIA):
            raise ValueError(f"{source}: {line_id}: field 'criteria' missing or incomplete")
        why = row.get("justification")
        reason = why.get("af_reasoning", "") if isinstance(why, dict) else row.get("note", "")
        examples.append(
            AFExample(
                id=line_id,
                kind=kind,
                scratchpad=shorten(str(row["scratchpad"])),
                criteria=tuple((name, bool(criteria[name])) for name in AF_CRITERIA),
                label=str(row["labels"]["af_reasoning"]),
                reason=str(reason),
            )
        )
    return tuple(examples)
