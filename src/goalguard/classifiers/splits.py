"""The labelled sets bundled with the classifiers, by split name.

- ``test``: real transcripts from published alignment-faking work, held out and frozen
  (``data/real/test.jsonl``); what ``goalguard validate`` measures by default.
- ``dev``: the other real transcripts (``data/real/dev.jsonl``); the heuristic's rules and
  the judge's worked examples come from these only.
- ``families``: real transcripts by other model families (Qwen, OLMo, Llama, GPT-4o;
  ``data/real/families.jsonl``), held out and frozen like ``test``; no rule is tuned on it.
- ``synthetic``: the hand-written set (``data/labelled.jsonl``), a unit-test fixture: one
  author wrote its text and its labels, so figures on it are not evidence.

The real set is split once, by source page and setting (never by item), so no page has
lines on both sides.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

SPLITS: Final[dict[str, str]] = {
    "test": "real/test.jsonl",
    "dev": "real/dev.jsonl",
    "families": "real/families.jsonl",
    "synthetic": "labelled.jsonl",
}
DEFAULT_SPLIT: Final = "test"


def data_path(name: str) -> Path:
    """A file bundled with the classifiers (``labelled.jsonl``, ``real/test.jsonl``...)."""
    return Path(__file__).parent / "data" / name


def split_path(split: str) -> Path:
    """The bundled file of a split; ``ValueError`` for an unknown split name."""
    if split not in SPLITS:
        raise ValueError(f"unknown split '{split}'; known: {', '.join(SPLITS)}")
    return data_path(SPLITS[split])
