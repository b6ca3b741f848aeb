"""One classifier's answer for one transcript, and its Inspect ``Score`` (labels.py layout)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from inspect_ai.scorer import Score

Method = Literal["heuristic", "judge"]


@dataclass
class LabelResult:
    """A label with its score, justification and the evidence behind it."""

    label: str
    value: str
    score: float | None = None
    """Confidence in [0, 1] that the label's positive value holds (labels.POSITIVE)."""
    justification: str = ""
    quotes: list[str] = field(default_factory=list)
    rules: list[str] = field(default_factory=list)
    """Names of the heuristic rules that fired (empty for the judge)."""
    method: Method = "heuristic"
    criteria: dict[str, bool] | None = None
    """af_reasoning only: each criterion."""
    intent_1: bool | None = None
    intent_2: bool | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    """Judge details: calls, votes, shares, raw replies."""

    def metadata(self) -> dict[str, Any]:
        """The ``Score.metadata`` of the labels.py layout."""
        meta: dict[str, Any] = {
            "score": self.score,
            "method": self.method,
            "rules": list(self.rules),
            "quotes": list(self.quotes),
        }
        if self.criteria is not None:
            meta["criteria"] = dict(self.criteria)
        if self.label == "intent_alignment":
            meta["intent_1"] = self.intent_1
            meta["intent_2"] = self.intent_2
        meta.update(self.extra)
        return meta

    def to_score(self) -> Score:
        """The Inspect score: value and answer are the label."""
        return Score(
            value=self.value,
            answer=self.value,
            explanation=self.justification,
            metadata=self.metadata(),
        )

    def to_dict(self, rules: bool = True) -> dict[str, Any]:
        """A JSON-ready record for ``goalguard classify`` output."""
        data: dict[str, Any] = {
            "label": self.value,
            "score": self.score,
            "justification": self.justification,
            **{k: v for k, v in self.metadata().items() if k not in ("score", "rules")},
        }
        if rules:
            data["rules"] = list(self.rules)
        return data
