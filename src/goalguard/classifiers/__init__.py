"""Classifiers of what a model did and why: one definition per label, two implementations.

- :func:`classify_heuristic`: the offline rules (:mod:`.rules`), every label at once.
- :class:`Judge`: any Inspect model answers each label's question (votes or logprobs).
- Inspect scorers named after the labels (:mod:`.scorers`), and :func:`classifier_scorers`.
- :mod:`.validation`: agreement with reference labels (accuracy, F1, kappa, AUROC).
"""

from goalguard.classifiers.definitions import (
    CRITERIA,
    DEFINITIONS,
    LabelDefinition,
    derive_intent_alignment,
)
from goalguard.classifiers.heuristic import HeuristicClassifier, classify_heuristic
from goalguard.classifiers.judge import Judge, JudgeConfig, get_judge, judge_prompt
from goalguard.classifiers.labels import AF_CRITERIA, JUDGE_ERROR, LABELS, POSITIVE
from goalguard.classifiers.result import LabelResult
from goalguard.classifiers.rules import looks_like_refusal
from goalguard.classifiers.scorers import HEURISTIC_SCORERS, SCORERS, classifier_scorers
from goalguard.classifiers.splits import DEFAULT_SPLIT, SPLITS, data_path, split_path
from goalguard.classifiers.transcript import (
    LineError,
    ScenarioContext,
    Transcript,
    TranscriptLine,
    read_jsonl,
    scenario_context,
)

__all__ = [
    "AF_CRITERIA",
    "DEFAULT_SPLIT",
    "CRITERIA",
    "DEFINITIONS",
    "HEURISTIC_SCORERS",
    "JUDGE_ERROR",
    "LABELS",
    "POSITIVE",
    "SCORERS",
    "SPLITS",
    "HeuristicClassifier",
    "Judge",
    "JudgeConfig",
    "LabelDefinition",
    "LabelResult",
    "LineError",
    "ScenarioContext",
    "Transcript",
    "TranscriptLine",
    "classifier_scorers",
    "classify_heuristic",
    "data_path",
    "derive_intent_alignment",
    "get_judge",
    "judge_prompt",
    "looks_like_refusal",
    "read_jsonl",
    "scenario_context",
    "split_path",
]
