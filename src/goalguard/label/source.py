"""What is labelled: a run's transcripts (Inspect logs) or a transcripts JSONL file.

Logs are read through the analysis table (:func:`goalguard.analysis.read_table`): the
classifier's labels of every sample first, then the text of the drawn samples only
(:func:`goalguard.analysis.read_transcripts`). A JSONL file is read as ``goalguard
classify`` reads it; its classifier labels are the line's ``classification`` (a ``classify``
output) or, when it has none, the heuristic's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from goalguard.classifiers.labels import LABELS
from goalguard.label.draw import NO_CONDITION, Candidate, Draw, Drawn, draw


class SourceError(ValueError):
    """The source cannot be read or holds nothing to label; the message names it."""


@dataclass(frozen=True)
class LabelItem:
    """One drawn transcript, with everything the labeller sees and the labels file keeps."""

    key: str
    condition: str
    stratum: str
    weight: float
    stratum_size: int
    query: str
    scratchpad: str
    output: str
    probe_answer: str | None = None
    scenario: str | None = None
    model: str | None = None
    classifier: str = "heuristic"
    """``heuristic`` or ``judge:<model>``: what produced ``classification``."""
    classification: dict[str, dict[str, Any]] = field(default_factory=dict)
    """The classifier's ``{label: {"label": value, "score": score}}``."""
    origin: dict[str, Any] = field(default_factory=dict)
    """Where it came from: ``log``, ``sample_id``, ``epoch`` (a log) or ``line`` (a JSONL)."""


@dataclass(frozen=True)
class Sample:
    """A source's drawn items in the order shown, and the draw behind them."""

    source: str
    items: tuple[LabelItem, ...]
    draw: Draw
    population: int
    """Transcripts the draw was made from."""


def is_log_source(path: Path) -> bool:
    """True for a log folder or an Inspect log file; False for a JSONL file."""
    return path.is_dir() or path.suffix in (".eval", ".json")


def load_sample(path: Path, n: int, seed: int) -> Sample:
    """Draw ``n`` transcripts of ``path`` (a log, a log folder or a JSONL) with ``seed``."""
    if not path.exists():
        raise SourceError(f"{path}: no such file or folder")
    if is_log_source(path):
        return _from_logs(path, n, seed)
    return _from_jsonl(path, n, seed)


def _classification(labels: Mapping[str, Any], scores: Mapping[str, Any]) -> dict[str, Any]:
    return {
        label: {"label": labels[label], "score": scores.get(label)}
        for label in LABELS
        if labels.get(label) is not None
    }


# -- Inspect logs --------------------------------------------------------------------------


def _from_logs(path: Path, n: int, seed: int) -> Sample:
    import pandas as pd

    from goalguard.analysis import LogReadError, read_table, read_transcripts

    try:
        table = read_table(path)
    except LogReadError as ex:
        raise SourceError(str(ex)) from ex
    table = table[table["error"].isna()].reset_index(drop=True)
    if table.empty:
        raise SourceError(f"{path}: no sample without an error to label")
    table["key"] = _row_keys(table)
    candidates = [
        Candidate(
            key=row.key,
            condition=str(row.condition) if pd.notna(row.condition) else NO_CONDITION,
            labels={label: _text(getattr(row, label)) for label in LABELS},
        )
        for row in table.itertuples(index=False)
    ]
    drawn = draw(candidates, n, seed)
    by_key = table.set_index("key", drop=False)
    chosen = read_transcripts(by_key.loc[[d.candidate.key for d in drawn.items]])
    classifiers = {log: _log_classifier(str(log)) for log in chosen["log"].unique()}
    rows = {row["key"]: row for _, row in chosen.iterrows()}
    items = tuple(
        _log_item(rows[d.candidate.key], d, classifiers[rows[d.candidate.key]["log"]])
        for d in drawn.items
    )
    return Sample(str(path), items, drawn, len(candidates))


def _row_keys(table: Any) -> list[str]:
    """Sample ids where they are unique; else with the epoch; else with the log as well."""
    ids = table["sample_id"].astype(str)
    if ids.is_unique:
        return list(ids)
    with_epoch = ids + "#" + table["epoch"].astype(str)
    if with_epoch.is_unique:
        return list(with_epoch)
    logs = table["log"].map(lambda log: Path(str(log)).stem)
    return list(logs + "/" + with_epoch)


def _text(value: Any) -> str | None:
    return None if value is None or value != value else str(value)  # None or NaN


def _number(value: Any) -> float | None:
    return None if value is None or value != value else float(value)


def _log_item(row: Any, d: Drawn, classifier: str) -> LabelItem:
    labels = {label: _text(row[label]) for label in LABELS}
    scores = {label: _number(row[f"{label}_score"]) for label in LABELS}
    probe = _text(row["probe_answer"])
    return LabelItem(
        key=d.candidate.key,
        condition=d.candidate.condition,
        stratum=d.stratum,
        weight=d.weight,
        stratum_size=d.stratum_size,
        query=_text(row["query"]) or "",
        scratchpad=_text(row["scratchpad"]) or "",
        output=_text(row["output"]) or "",
        probe_answer=probe,
        scenario=_text(row["scenario"]),
        model=_text(row["model"]),
        classifier=classifier,
        classification=_classification(labels, scores),
        origin={
            "log": str(row["log"]),
            "sample_id": str(row["sample_id"]),
            "epoch": int(row["epoch"]),
        },
    )


def _log_classifier(log: str) -> str:
    """``judge:<model>`` when the log's af_reasoning scorer ran a judge, else ``heuristic``."""
    from inspect_ai.log import read_eval_log

    header = read_eval_log(log, header_only=True)
    for scorer in header.eval.scorers or []:
        if scorer.name.rsplit("/", 1)[-1] == "af_reasoning":
            judge = (scorer.options or {}).get("judge")
            return f"judge:{judge}" if judge else "heuristic"
    return "heuristic"


# -- a transcripts JSONL -------------------------------------------------------------------


def _from_jsonl(path: Path, n: int, seed: int) -> Sample:
    from goalguard.classifiers import LineError, classify_heuristic, read_jsonl

    lines = []
    errors = []
    for item in read_jsonl(path):
        if isinstance(item, LineError):
            errors.append(str(item))
        else:
            lines.append(item)
    if errors:
        raise SourceError("; ".join(errors[:5]) + (" ..." if len(errors) > 5 else ""))
    if not lines:
        raise SourceError(f"{path}: no transcript line to label")
    keys = [line.transcript.id for line in lines]
    if len(set(keys)) != len(keys):
        duplicated = sorted({k for k in keys if keys.count(k) > 1})
        raise SourceError(f"{path}: field 'id' repeats ({', '.join(duplicated[:5])})")
    found: dict[str, tuple[str, dict[str, Any]]] = {}
    for line in lines:
        given = line.raw.get("classification")
        if isinstance(given, dict) and given:
            classifier = str(line.raw.get("classifier") or "unknown")
            labels = {k: v.get("label") for k, v in given.items() if isinstance(v, dict)}
            scores = {k: v.get("score") for k, v in given.items() if isinstance(v, dict)}
        else:
            results = classify_heuristic(line.transcript)
            classifier = "heuristic"
            labels = {k: r.value for k, r in results.items()}
            scores = {k: r.score for k, r in results.items()}
        found[line.transcript.id] = (classifier, _classification(labels, scores))
    candidates = [
        Candidate(
            key=line.transcript.id,
            condition=str(line.raw.get("condition") or NO_CONDITION),
            labels={k: v["label"] for k, v in found[line.transcript.id][1].items()},
        )
        for line in lines
    ]
    drawn = draw(candidates, n, seed)
    by_key = {line.transcript.id: line for line in lines}
    items = []
    for d in drawn.items:
        line = by_key[d.candidate.key]
        classifier, classification = found[d.candidate.key]
        model = line.raw.get("source_model") or line.raw.get("model")
        items.append(
            LabelItem(
                key=d.candidate.key,
                condition=d.candidate.condition,
                stratum=d.stratum,
                weight=d.weight,
                stratum_size=d.stratum_size,
                query=line.transcript.query,
                scratchpad=line.transcript.scratchpad,
                output=line.transcript.output,
                probe_answer=line.transcript.probe_answer,
                scenario=line.raw.get("scenario"),
                model=None if model is None else str(model),
                classifier=classifier,
                classification=classification,
                origin={"file": str(path), "line": line.number},
            )
        )
    return Sample(str(path), tuple(items), drawn, len(candidates))
