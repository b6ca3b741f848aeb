"""Calibration files: a classifier's measured error per label, for corrected rates.

``goalguard validate --calibration-out FILE`` writes one; ``goalguard report --calibration
FILE`` reads one, and :mod:`goalguard.analysis.correction` turns its confusion counts into
sensitivity and specificity. The heuristic ships the one measured on the real test split
(``data/heuristic_calibration.json``; the command that writes it is in
docs/analysis.md).

A file records which classifier was measured (the heuristic's rules hash, or the judge's
model and settings), the labelled set and split, the model families that wrote the
labelled transcripts, the date, and per corrected label the binary confusion counts
(``tp``, ``fp``, ``fn``, ``tn``) over the lines where both the reference and the
classifier gave a definite value.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import re
from collections import Counter
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any, Final

from pydantic import BaseModel, Field, ValidationError

from goalguard.classifiers.splits import SPLITS, data_path

FORMAT: Final = "goalguard-calibration/1"
CORRECTED_LABELS: Final[dict[str, tuple[tuple[str, ...], tuple[str, ...]]]] = {
    "af_reasoning": (("yes",), ("no",)),
    "compliance": (("full", "partial"), ("refusal",)),
    "setup_doubt": (("yes",), ("no",)),
}
"""Each corrected label: (values counted positive, values counted negative), as the
analysis counts them (compliance: full or partial against refusal); other values
(``unclear``, judge errors) are undecided and left out of both the rate and the counts."""
HEURISTIC_CALIBRATION: Final = "heuristic_calibration.json"
RULE_SOURCES: Final = ("rules.py", "rule_base.py", "af_concepts.py", "heuristic.py")
"""The heuristic's code: the rules and how they combine into labels."""

FAMILIES: Final[tuple[tuple[str, str], ...]] = (
    ("smollm", r"smollm"),
    ("llama", r"llama"),  # before the fine-tunes named after other things (Hermes-3-Llama)
    ("claude", r"claude|opus|sonnet|haiku"),
    ("gpt", r"gpt|^o\d(?:-|$)"),
    ("gemini", r"gemini"),
    ("gemma", r"gemma"),
    ("qwen", r"qwen|qwq"),
    ("deepseek", r"deepseek"),
    ("mistral", r"mistral|mixtral|ministral"),
    ("olmo", r"olmo"),
    ("grok", r"grok"),
    ("phi", r"(?:^|[/_-])phi-?\d"),
)
"""Model family by a pattern searched in the model's name (in order, case-insensitive)."""


class CalibrationError(ValueError):
    """A calibration file that cannot be read; the message names the file and the field."""


class ConfusionCounts(BaseModel):
    """One label's binary confusion counts against reference labels."""

    positive: list[str]
    """Values counted positive (reference and prediction alike)."""
    negative: list[str]
    tp: float = Field(ge=0)
    fp: float = Field(ge=0)
    fn: float = Field(ge=0)
    tn: float = Field(ge=0)
    """Whole counts, or, for a stratified draw (``goalguard label``), the lines weighted
    back to the run and scaled to the number of lines (see :func:`confusion_counts`)."""
    undecided: int = Field(default=0, ge=0)
    """Lines left out: the reference or the prediction was neither positive nor negative."""

    @property
    def sensitivity(self) -> float | None:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None

    @property
    def specificity(self) -> float | None:
        return self.tn / (self.tn + self.fp) if self.tn + self.fp else None


class ClassifierId(BaseModel):
    """Which classifier was measured."""

    kind: str
    """``heuristic`` or ``judge``."""
    version: str
    """The heuristic: ``rules-sha256:<hex>``; a judge: its model and settings' hash."""
    model: str | None = None
    """The judge model."""
    preset: dict[str, Any] = Field(default_factory=dict)
    """The judge's settings (votes, threshold, logprobs, ...)."""


class LabelledSet(BaseModel):
    """The labelled lines the counts were measured on."""

    path: str
    split: str | None = None
    """A bundled split's name (``test``, ``dev``, ``synthetic``), or None for a user file."""
    sha256: str
    n_lines: int


class Calibration(BaseModel):
    """A calibration file's contents."""

    format: str = FORMAT
    classifier: ClassifierId
    labelled_set: LabelledSet
    source_families: dict[str, int]
    """Model family -> labelled lines it wrote (``unknown`` where the source names none)."""
    date: str
    labels: dict[str, ConfusionCounts]
    source: str | None = Field(default=None, exclude=True)
    """Where it was read from (not written)."""

    @property
    def name(self) -> str:
        """A short description for summaries: classifier, version and labelled set."""
        who = self.classifier.kind
        if self.classifier.model:
            who += f" {self.classifier.model}"
        version = self.classifier.version.split(":")[-1][:12]
        where = self.labelled_set.split or Path(self.labelled_set.path).name
        return f"{who} ({version}) on {where}, {self.labelled_set.n_lines} lines, {self.date}"


def rules_hash() -> str:
    """The heuristic's version: sha256 over the source of its rules and their combination."""
    digest = hashlib.sha256()
    for name in RULE_SOURCES:
        digest.update(Path(__file__).with_name(name).read_bytes())
    return "rules-sha256:" + digest.hexdigest()


def model_family(model: str | None) -> str:
    """The family of a model name (``anthropic/claude-3-opus`` -> ``claude``), or ``unknown``."""
    text = (model or "").strip().lower()
    provider, slash, name = text.partition("/")
    if provider == "organism":
        return "organism"
    # An Inspect name starts with its provider (ollama/, llamacpp/, hf/): not the family.
    name = name if slash else text
    for family, pattern in FAMILIES:
        if re.search(pattern, name):
            return family
    return "unknown"


_CELLS = {(True, True): "tp", (False, True): "fp", (True, False): "fn", (False, False): "tn"}
"""(reference positive, prediction positive) -> confusion cell."""


def confusion_counts(
    label: str,
    truth: Sequence[str],
    pred: Sequence[str],
    weights: Sequence[float] | None = None,
) -> ConfusionCounts:
    """A corrected label's binary confusion counts (``CORRECTED_LABELS`` says what counts).

    With ``weights`` (a stratified draw that over-samples the classifier's rare classes),
    each line counts by its weight, and the decided counts are scaled back to the number of
    decided lines: the proportions are the run's, and the counts, which the correction's
    interval reads as the evidence behind them, are no larger than the lines labelled.
    """
    positive, negative = CORRECTED_LABELS[label]
    cells = {"tp": 0.0, "fp": 0.0, "fn": 0.0, "tn": 0.0}
    decided, undecided = 0, 0
    for t, p, w in zip(truth, pred, weights or [1.0] * len(truth), strict=True):
        if not {t, p} <= {*positive, *negative}:
            undecided += 1
            continue
        cells[_CELLS[(t in positive, p in positive)]] += w
        decided += 1
    total = sum(cells.values())
    if weights is not None and total > 0:
        cells = {k: v * decided / total for k, v in cells.items()}
    else:
        cells = {k: float(round(v)) for k, v in cells.items()}
    return ConfusionCounts(
        positive=list(positive), negative=list(negative), undecided=undecided, **cells
    )


def build_calibration(
    lines: Sequence[Any],
    results: Sequence[dict[str, Any]],
    source: Path,
    classifier: ClassifierId,
    date: str | None = None,
) -> Calibration:
    """A calibration from labelled lines (``TranscriptLine``) and a classifier's results.

    Each corrected label is counted on the lines that carry a reference value for it.
    """
    labels: dict[str, ConfusionCounts] = {}
    for label in CORRECTED_LABELS:
        rows = [
            (line.labels[label], res[label].value, line.raw)
            for line, res in zip(lines, results, strict=True)
            if line.labels and label in line.labels and label in res
        ]
        if rows:
            labels[label] = confusion_counts(
                label, [t for t, _, _ in rows], [p for _, p, _ in rows], _draw_weights(rows)
            )
    families = Counter(model_family(str(line.raw.get("source_model") or "")) for line in lines)
    resolved = source.resolve()
    split = next((name for name, rel in SPLITS.items() if data_path(rel) == resolved), None)
    return Calibration(
        classifier=classifier,
        labelled_set=LabelledSet(
            path=f"goalguard/classifiers/data/{SPLITS[split]}" if split else str(source),
            split=split,
            sha256=hashlib.sha256(source.read_bytes()).hexdigest(),
            n_lines=len(lines),
        ),
        source_families=dict(sorted(families.items())),
        date=date or datetime.date.today().isoformat(),
        labels=labels,
    )


def _draw_weights(rows: Sequence[tuple[str, str, dict[str, Any]]]) -> list[float] | None:
    """Horvitz-Thompson weights when every line comes from a stratified draw, else None."""
    from goalguard.analysis.stats import stratum_weights  # analysis imports this module

    raws = [raw for _, _, raw in rows]
    if not all("stratum" in raw and "stratum_size" in raw for raw in raws):
        return None
    return stratum_weights([(str(raw["stratum"]), int(raw["stratum_size"])) for raw in raws])


def heuristic_id() -> ClassifierId:
    """The heuristic as a calibrated classifier."""
    return ClassifierId(kind="heuristic", version=rules_hash())


def judge_id(config: Any) -> ClassifierId:
    """A judge (:class:`~goalguard.classifiers.JudgeConfig`) as a calibrated classifier."""
    preset = {
        "votes": config.votes,
        "threshold": config.threshold,
        "logprobs": config.logprobs,
        "examples": config.examples,
        "model_args": dict(config.model_args),
    }
    if getattr(config, "preset", None) is not None:
        preset["preset"] = config.preset
    text = json.dumps({"model": config.model, **preset}, sort_keys=True, default=str)
    return ClassifierId(
        kind="judge",
        version="judge-sha256:" + hashlib.sha256(text.encode()).hexdigest(),
        model=config.model,
        preset=preset,
    )


def write_calibration(calibration: Calibration, path: Path) -> None:
    """Write a calibration file (JSON, keys in a stable order)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(calibration.model_dump_json(indent=2) + "\n", encoding="utf-8")


def read_calibration(path: str | Path) -> Calibration:
    """Read a calibration file; :class:`CalibrationError` names the file and the bad field."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise CalibrationError(f"{path}: no such calibration file") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as ex:
        raise CalibrationError(f"{path}: not a JSON calibration file ({ex})") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        found = data.get("format") if isinstance(data, dict) else type(data).__name__
        raise CalibrationError(f"{path}: field 'format' must be '{FORMAT}', got {found!r}")
    try:
        calibration = Calibration.model_validate(data)
    except ValidationError as ex:
        problems = "; ".join(
            f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in ex.errors(include_url=False)
        )
        raise CalibrationError(f"{path}: {problems}") from None
    unknown = set(calibration.labels) - set(CORRECTED_LABELS)
    if unknown:
        raise CalibrationError(
            f"{path}: labels.{sorted(unknown)[0]}: not a corrected label "
            f"(known: {', '.join(CORRECTED_LABELS)})"
        )
    calibration.source = str(path)
    return calibration


@cache
def shipped_heuristic_calibration() -> Calibration | None:
    """The heuristic's calibration on the real test split, as shipped (None if missing)."""
    path = data_path(HEURISTIC_CALIBRATION)
    if not path.is_file():
        return None
    calibration = read_calibration(path)
    calibration.source = f"goalguard/classifiers/data/{HEURISTIC_CALIBRATION} (shipped)"
    return calibration
