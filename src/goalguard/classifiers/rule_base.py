"""What a heuristic rule is: a named, described pattern, and how it quotes its match.

Shared by :mod:`.rules` (the phrasing rules) and :mod:`.af_concepts` (the alignment-faking
criteria by concept).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

FLAGS = re.IGNORECASE | re.MULTILINE
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")
QUOTE_CHARS = 200


@dataclass(frozen=True)
class Rule:
    """A named pattern and what it is evidence of."""

    name: str
    description: str
    pattern: re.Pattern[str]

    def search(self, text: str) -> re.Match[str] | None:
        return self.pattern.search(text)

    def quote(self, text: str) -> str | None:
        """The sentence around the first match, trimmed; None if the rule does not match."""
        match = self.pattern.search(text)
        return None if match is None else sentence_at(text, match.start(), match.end())


def sentence_at(text: str, start: int, end: int) -> str:
    """The sentence of ``text`` that holds ``text[start:end]``, at most QUOTE_CHARS long."""
    left = max((m.end() for m in _SENTENCE_END.finditer(text, 0, start)), default=0)
    right_match = _SENTENCE_END.search(text, end)
    right = right_match.start() if right_match else len(text)
    sentence = text[left:right].strip()
    if len(sentence) > QUOTE_CHARS:
        centre = text[start:end].strip()
        sentence = centre if len(centre) <= QUOTE_CHARS else centre[: QUOTE_CHARS - 1] + "…"
    return sentence


def rule(name: str, description: str, *patterns: str) -> Rule:
    """A rule matching any of ``patterns`` (case-insensitive, multi-line)."""
    return Rule(name, description, re.compile("|".join(f"(?:{p})" for p in patterns), FLAGS))
