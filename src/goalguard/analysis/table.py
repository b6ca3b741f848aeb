"""Inspect logs -> one tidy table, one row per sample (and epoch).

The analysis columns come from each log's sample summaries (ids, metadata and scores,
without messages or events: one small read per log). Transcript text, which summaries
abbreviate, is read sample by sample in small batches (``read_eval_log_samples_by_id``,
messages and events skipped). Either way only the table's rows stay in memory, however
many samples the logs hold. Columns are documented in ``docs/analysis.md``.
"""

from __future__ import annotations

import json
import multiprocessing
import os
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import pandas as pd
from inspect_ai.log import (
    EvalLog,
    EvalSample,
    EvalSampleSummary,
    list_eval_logs,
    read_eval_log,
    read_eval_log_sample_summaries,
    read_eval_log_samples_by_id,
)
from inspect_ai.scorer import Score

from goalguard.classifiers.labels import AF_CRITERIA, LABELS
from goalguard.provenance import INTERVENTION_KEY

BATCH = 200
PARALLEL_MIN_BYTES = 64 * 2**20
"""Logs smaller than this in all are read in this process: starting workers costs more."""
SKIPPED_FIELDS = {"messages", "events", "store", "attachments", "timelines"}

LEGACY_SCORERS: dict[str, tuple[str, dict[Any, str]]] = {
    "compliance_heuristic": ("compliance", {1: "full", 0: "refusal"}),
}
"""Scorers that predate the label vocabulary: name -> (label, value -> label value).
Used only when the log has no scorer named after the label."""

ID_COLUMNS = [
    "log",
    "eval_id",
    "task",
    "model",
    "model_args",
    "scenario",
    "variant",
    "condition",
    "p",
    "query_id",
    "category",
    "sample_id",
    "epoch",
    "parse_status",
    "error",
    "paraphrase",
]
OUTCOME_COLUMNS = ["provider_refusal", "input_tokens", "cached_input_tokens", "output_tokens"]
"""Why the provider refused the sample (None: it answered), and the tested model's tokens."""
LABEL_COLUMNS = list(LABELS)
SCORE_COLUMNS = [f"{label}_score" for label in LABELS]
METHOD_COLUMNS = [f"{label}_method" for label in LABELS]
"""Which classifier gave each label (``heuristic`` or ``judge``), for the correction."""
CRITERIA_COLUMNS = [f"af_{criterion}" for criterion in AF_CRITERIA]
INTENT_COLUMNS = ["intent_1", "intent_2"]
PROBE_COLUMNS = ["probe", "probe_question", "lie"]
"""The probe question a sample was asked (question sets), and the belief-then-pressure label."""
COLUMNS = (
    ID_COLUMNS
    + OUTCOME_COLUMNS
    + LABEL_COLUMNS
    + SCORE_COLUMNS
    + CRITERIA_COLUMNS
    + INTENT_COLUMNS
    + PROBE_COLUMNS
    + METHOD_COLUMNS
)
TRANSCRIPT_COLUMNS = (
    ["query", "scratchpad", "output", "probe_answer", "belief_answer"]
    + [f"{label}_explanation" for label in LABELS]
    + [f"{label}_quotes" for label in LABELS]
)


class LogReadError(ValueError):
    """A path given to :func:`read_table` is not a readable Inspect log or log folder."""


def log_files(paths: str | Path | Iterable[str | Path]) -> list[str]:
    """Every Inspect log among ``paths`` (files, or folders searched recursively), sorted."""
    if isinstance(paths, str | Path):
        paths = [paths]
    found: list[str] = []
    for path in map(Path, paths):
        if path.is_dir():
            found.extend(info.name.removeprefix("file://") for info in list_eval_logs(str(path)))
        elif path.is_file():
            if path.suffix not in (".eval", ".json"):
                raise LogReadError(f"{path}: not an Inspect log (.eval or .json)")
            found.append(str(path.resolve()))
        else:
            raise LogReadError(f"{path}: no such file or folder")
    return sorted(dict.fromkeys(found))


def read_table(
    paths: str | Path | Iterable[str | Path],
    transcripts: bool = False,
    workers: int | None = None,
) -> pd.DataFrame:
    """Read Inspect logs into a DataFrame with one row per (sample, epoch).

    Args:
        paths: Log files and/or folders (searched recursively), any mix of models,
            scenarios and variants.
        transcripts: Also keep the text: query, scratchpad, output, probe answer, and each
            classifier's explanation and quotes (for a transcript browser).
        workers: Processes that read logs side by side (default: one per core when there
            are several logs of more than 64 MiB in all, else 1). Reading a log's
            summaries is CPU-bound in Inspect, so on a large sweep this divides the time
            by about the number of cores.

    A log without some classifier gives None in that label's columns. When a run was
    interrupted and retried (``inspect eval-retry``, or a resumed sweep), its logs share a
    task id and the retry holds every finished sample, so only the newest log of each task
    is read (see :func:`latest_logs`).
    """
    columns = _columns(transcripts)
    logs = [  # intervention logs are read by goalguard.intervene.effects, not as runs
        (file, header)
        for file, header in latest_logs(log_files(paths))
        if INTERVENTION_KEY not in (header.eval.metadata or {})
    ]
    # Only the transcript read needs the header again; summaries travel to workers without it.
    jobs = [
        (file, header if transcripts else None, _log_context(file, header), transcripts)
        for file, header in logs
    ]
    count = 1 if transcripts else _worker_count(workers, [file for file, _ in logs])
    if count > 1:
        # spawn, not fork: the parent may hold Inspect's threads and their locks.
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(count, mp_context=context) as pool:
            parts = list(pool.map(_log_columns, jobs))
    else:
        parts = [_log_columns(job) for job in jobs]
    data = {column: [value for part in parts for value in part[column]] for column in columns}
    table = pd.DataFrame(data, columns=columns)
    table["p"] = pd.to_numeric(table["p"], errors="coerce")
    table["epoch"] = table["epoch"].astype("Int64")
    for column in SCORE_COLUMNS + OUTCOME_COLUMNS[1:]:  # scores and token counts
        table[column] = pd.to_numeric(table[column], errors="coerce")
    return table


def _columns(transcripts: bool) -> list[str]:
    return COLUMNS + (TRANSCRIPT_COLUMNS if transcripts else [])


def _worker_count(workers: int | None, files: list[str]) -> int:
    if workers is not None:
        if workers < 1:
            raise ValueError(f"workers must be at least 1, got {workers}")
        return min(workers, max(1, len(files)))
    if len(files) < 2 or sum(os.path.getsize(f) for f in files) < PARALLEL_MIN_BYTES:
        return 1
    return min(len(files), os.cpu_count() or 1)


def _log_columns(job: tuple[str, EvalLog | None, dict[str, Any], bool]) -> dict[str, list[Any]]:
    """One log's rows as columns (run in a worker process for large reads)."""
    file, header, context, transcripts = job
    columns = _columns(transcripts)
    data: dict[str, list[Any]] = {column: [] for column in columns}
    if transcripts:
        assert header is not None
        samples: Iterable[EvalSample | EvalSampleSummary] = _samples(file, header)
    else:
        samples = _summaries(file)
    for sample in samples:
        row = _row(sample, context, transcripts)
        for column in columns:
            data[column].append(row.get(column))
    return data


def latest_logs(files: list[str]) -> list[tuple[str, EvalLog]]:
    """Headers of ``files``, keeping one log per Inspect task id: the newest.

    A retry of an interrupted run is a new log with the same task id that carries over the
    samples the first attempt finished, so counting both would count samples twice.
    Finished logs win over unfinished ones; among equals, the later start wins.
    """
    chosen: dict[str, tuple[str, EvalLog]] = {}
    for file in files:
        try:
            header = read_eval_log(file, header_only=True)
        except Exception as ex:  # a corrupt or foreign file: name it, lose nothing else
            raise LogReadError(f"{file}: cannot read as an Inspect log ({ex})") from ex
        key = header.eval.task_id or file
        if key not in chosen or _rank(header, file) > _rank(chosen[key][1], chosen[key][0]):
            chosen[key] = (file, header)
    return sorted(chosen.values(), key=lambda item: item[0])


def _rank(header: EvalLog, file: str) -> tuple[bool, str, str]:
    return (header.status == "success", header.stats.started_at or "", file)


def _log_context(file: str, header: EvalLog) -> dict[str, Any]:
    spec = (header.eval.metadata or {}).get("goalguard_scenario") or {}
    return {
        "log": file,
        "eval_id": header.eval.eval_id,
        "task": header.eval.task,
        "model": header.eval.model,
        "model_args": json.dumps(header.eval.model_args or {}, sort_keys=True, default=str),
        "scenario": spec.get("name"),
        "variant": (header.eval.metadata or {}).get("variant")
        or (header.eval.task_args or {}).get("variant"),
    }


def _samples(file: str, header: EvalLog) -> Iterator[EvalSample]:
    if file.endswith(".json"):  # the JSON format cannot be read sample by sample
        yield from read_eval_log(file).samples or []
        return
    keys = _sample_keys(file, header)
    for start in range(0, len(keys), BATCH):
        batch = keys[start : start + BATCH]
        try:
            yield from read_eval_log_samples_by_id(file, batch, exclude_fields=SKIPPED_FIELDS)
        except IndexError:  # an unfinished log: read what is there
            summaries = {(s.id, s.epoch) for s in read_eval_log_sample_summaries(file)}
            present = [key for key in batch if key in summaries]
            yield from read_eval_log_samples_by_id(file, present, exclude_fields=SKIPPED_FIELDS)


def _summaries(file: str) -> Iterable[EvalSample | EvalSampleSummary]:
    if file.endswith(".json"):
        return read_eval_log(file).samples or []
    return read_eval_log_sample_summaries(file)


def _sample_keys(file: str, header: EvalLog) -> list[tuple[str | int, int]]:
    ids = header.eval.dataset.sample_ids
    epochs = header.eval.config.epochs or 1
    if ids is None or header.status != "success":
        return [(s.id, s.epoch) for s in read_eval_log_sample_summaries(file)]
    return [(sample_id, epoch) for sample_id in ids for epoch in range(1, epochs + 1)]


def _error_message(sample: EvalSample | EvalSampleSummary) -> str | None:
    if sample.error is None:
        return None
    return sample.error if isinstance(sample.error, str) else sample.error.message


def _row(
    sample: EvalSample | EvalSampleSummary, context: dict[str, Any], transcripts: bool
) -> dict[str, Any]:
    meta = sample.metadata or {}
    row: dict[str, Any] = dict(context)
    row.update(
        scenario=meta.get("scenario") or context["scenario"],
        variant=meta.get("variant") or context["variant"],
        condition=meta.get("condition"),
        p=meta.get("p"),
        query_id=meta.get("query_id"),
        category=meta.get("category"),
        sample_id=str(sample.id),
        epoch=sample.epoch,
        parse_status=meta.get("parse_status"),
        error=_error_message(sample),
        paraphrase=meta.get("paraphrase"),
        provider_refusal=meta.get("provider_refusal"),
        **_usage(sample, context.get("model")),
    )
    if transcripts:
        for key in ("query", "scratchpad", "output", "probe_answer", "belief_answer"):
            row[key] = meta.get(key)
    scores = _scores(sample)
    lie = scores.get("lie")
    row.update(probe=meta.get("probe"), probe_question=meta.get("probe_question"))
    row["lie"] = None if lie is None or lie.value is None else str(lie.value)
    for label in LABELS:
        score = scores.get(label)
        if score is None and label in {legacy[0] for legacy in LEGACY_SCORERS.values()}:
            score = _legacy_score(label, scores)
        if score is not None:
            _add_score(row, label, score, transcripts)
    return row


def _usage(sample: EvalSample | EvalSampleSummary, model: str | None) -> dict[str, int | None]:
    """The tested model's tokens in one sample: all input (cached included), cached, output."""
    usage = (sample.model_usage or {}).get(model or "")
    if usage is None:
        return {"input_tokens": None, "cached_input_tokens": None, "output_tokens": None}
    cached = usage.input_tokens_cache_read or 0
    return {
        "input_tokens": usage.input_tokens + cached + (usage.input_tokens_cache_write or 0),
        "cached_input_tokens": cached,
        "output_tokens": usage.output_tokens,
    }


def _scores(sample: EvalSample | EvalSampleSummary) -> dict[str, Score]:
    return {name.rsplit("/", 1)[-1]: score for name, score in (sample.scores or {}).items()}


def read_transcripts(rows: pd.DataFrame) -> pd.DataFrame:
    """Add the transcript columns to chosen rows of a :func:`read_table` table.

    Only the samples of ``rows`` are read (by id, in batches), so a report can show a few
    hundred transcripts out of any number of samples without reading them all.
    """
    text: dict[tuple[str, str, int], dict[str, Any]] = {}
    for file, chunk in rows.groupby("log", sort=False):
        file = str(file)
        wanted = {(str(s), int(e)) for s, e in zip(chunk["sample_id"], chunk["epoch"], strict=True)}
        if file.endswith(".json"):
            samples: Iterable[EvalSample] = read_eval_log(file).samples or []
        else:
            header = read_eval_log(file, header_only=True)
            original = {str(i): i for i in (header.eval.dataset.sample_ids or [])}
            keys = sorted(wanted, key=str)
            samples = (
                sample
                for start in range(0, len(keys), BATCH)
                for sample in read_eval_log_samples_by_id(
                    file,
                    [(original.get(s, s), e) for s, e in keys[start : start + BATCH]],
                    exclude_fields=SKIPPED_FIELDS,
                )
            )
        for sample in samples:
            key = (str(sample.id), sample.epoch)
            if key in wanted:
                row = _row(sample, {"scenario": None, "variant": None}, transcripts=True)
                text[(file, *key)] = {column: row.get(column) for column in TRANSCRIPT_COLUMNS}
    result = rows.copy()
    rows_keys = zip(result["log"], result["sample_id"], result["epoch"], strict=True)
    found = [text.get((str(f), str(s), int(e)), {}) for f, s, e in rows_keys]
    for column in TRANSCRIPT_COLUMNS:
        result[column] = [item.get(column) for item in found]
    return result


def _legacy_score(label: str, scores: dict[str, Score]) -> Score | None:
    for name, (target, mapping) in LEGACY_SCORERS.items():
        if target == label and name in scores:
            old = scores[name]
            return Score(value=mapping.get(old.value, "unclear"), explanation=old.explanation)
    return None


def _add_score(row: dict[str, Any], label: str, score: Score, transcripts: bool) -> None:
    meta = score.metadata or {}
    row[label] = None if score.value is None else str(score.value)
    row[f"{label}_score"] = meta.get("score")
    row[f"{label}_method"] = meta.get("method")
    if label == "af_reasoning":
        criteria = meta.get("criteria")
        for criterion in AF_CRITERIA:
            if isinstance(criteria, dict):  # {criterion: bool}
                value = criteria.get(criterion)
            elif isinstance(criteria, list):  # the criteria that hold
                value = criterion in criteria
            else:
                value = None
            row[f"af_{criterion}"] = None if value is None else bool(value)
    if label == "intent_alignment":
        for key in INTENT_COLUMNS:
            value = meta.get(key)
            row[key] = None if value is None else bool(value)
    if transcripts:
        row[f"{label}_explanation"] = score.explanation
        row[f"{label}_quotes"] = meta.get("quotes")
