"""What the report shows: the analysis summary, extended, and a bounded set of transcripts.

:class:`ReportSummary` is :class:`~goalguard.analysis.AnalysisSummary` (every field kept,
so tools that read the analysis summary read this too) with, per group, the behaviour mix
of the stacked bars and the setup read from the logs, and the browser's counts. It is what
``goalguard report --json`` writes and the only source of the numbers in the HTML.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
from inspect_ai.log import read_eval_log
from pydantic import BaseModel, Field

from goalguard.analysis import (
    AnalysisSummary,
    GroupSummary,
    Proportion,
    read_table,
    read_transcripts,
    summarize,
)
from goalguard.analysis.stats import wilson
from goalguard.analysis.summarize import DECIDED_COMPLIANCE, GROUP_KEYS
from goalguard.classifiers.belief import LIE_LABEL
from goalguard.classifiers.calibration import Calibration
from goalguard.classifiers.labels import LABELS
from goalguard.intervene.effects import CausalEffect, causal_effects
from goalguard.provenance import group_provenance

BEHAVIOURS: dict[str, str] = {
    "refusal": "refuses",
    "partial": "complies partially",
    "full_no_af": "complies, no AF reasoning",
    "full_af": "complies with AF reasoning",
}
"""The stacked bars' segments (key -> legend text), among samples with a decided compliance
label: ``refusal`` and ``partial`` by the compliance label; ``full`` split by
``af_reasoning = yes``."""

TEXT_FIELDS = ("query", "scratchpad", "output", "probe_answer", "belief_answer")
BROWSER_LABELS = (*LABELS, LIE_LABEL)
"""Labels the transcript browser shows and filters by: every classifier's, and ``lie`` in
belief-then-pressure runs."""
DEFAULT_MAX_TRANSCRIPTS = 500
SAMPLE_SEED = 0


class GroupSetup(BaseModel):
    """The experiment as the logs record it (task metadata of each log of the group)."""

    description: str | None = None
    developer: str | None = None
    intent_1: str | None = None
    intent_2: str | None = None
    values_at_stake: list[str] = Field(default_factory=list)
    cue: str | None = None
    reasoning: str | None = None
    model_args: list[str] = Field(default_factory=list)
    """Each distinct model-args JSON among the group's runs."""
    system_prompts: list[str] = Field(default_factory=list)
    """Each distinct rendered system context among the group's logs (usually one)."""
    paraphrase_system_prompts: list[str] = Field(default_factory=list)
    """Each distinct reworded system context the runs also used (``-T paraphrases``)."""
    belief_system_prompts: list[str] = Field(default_factory=list)
    """The neutral system context of a belief step (``belief_system``), where runs had one."""
    provenance: dict[str, list[str]] = Field(default_factory=dict)
    """What reproduces the runs (``goalguard.provenance``): fact -> distinct values."""


class ReportGroup(GroupSummary):
    """A :class:`GroupSummary` with the stacked bars' mix and the setup."""

    behaviour: dict[str, dict[str, Proportion]] = Field(default_factory=dict)
    """condition -> segment (``BEHAVIOURS``) -> share among decided compliance labels."""
    setup: GroupSetup = Field(default_factory=GroupSetup)


class ReportSummary(AnalysisSummary):
    """The analysis summary plus what the report adds; ``--json`` dumps this."""

    groups: list[ReportGroup]  # type: ignore[assignment]
    transcripts_shown: int = 0
    """Transcripts in the HTML browser (a bounded, stratified sample)."""
    transcripts_total: int = 0
    causal: list[CausalEffect] = Field(default_factory=list)
    """Each scratchpad edit's paired effect on compliance (``goalguard intervene`` logs)."""


@dataclass
class TranscriptRow:
    """One sample for the transcript browser (text as the model wrote it, unescaped)."""

    sample_id: str
    group: int
    condition: str
    epoch: int | None
    parse_status: str | None
    texts: dict[str, str]
    labels: dict[str, str] = field(default_factory=dict)
    explanations: dict[str, str] = field(default_factory=dict)
    quotes: dict[str, list[str]] = field(default_factory=dict)


@dataclass
class ReportData:
    """Everything :func:`goalguard.report.html.render_html` needs."""

    summary: ReportSummary
    transcripts: list[TranscriptRow]


def behaviour_mix(cell: pd.DataFrame) -> dict[str, Proportion]:
    """Share of each stacked-bar segment among samples with a decided compliance label."""
    decided = cell[cell["compliance"].isin(list(DECIDED_COMPLIANCE))]
    full = decided["compliance"] == "full"
    af = decided["af_reasoning"] == "yes"
    counts = {
        "refusal": int((decided["compliance"] == "refusal").sum()),
        "partial": int((decided["compliance"] == "partial").sum()),
        "full_no_af": int((full & ~af).sum()),
        "full_af": int((full & af).sum()),
    }
    return {key: wilson(k, len(decided)) for key, k in counts.items()}


def read_setup(logs: Iterable[str], table: pd.DataFrame) -> GroupSetup:
    """The scenario spec and rendered system context recorded in the logs' task metadata."""
    setup = GroupSetup()
    prompts: list[str] = []
    reworded: list[str] = []
    belief: list[str] = []
    for log in logs:
        meta = read_eval_log(log, header_only=True).eval.metadata or {}
        spec = meta.get("goalguard_scenario") or {}
        if setup.intent_1 is None and spec:
            setup = GroupSetup(
                description=spec.get("description"),
                developer=spec.get("developer"),
                intent_1=spec.get("intent_1"),
                intent_2=spec.get("intent_2"),
                values_at_stake=list(spec.get("values_at_stake") or []),
                cue=spec.get("cue"),
                reasoning=spec.get("reasoning"),
            )
        if meta.get("system_prompt"):
            prompts.append(str(meta["system_prompt"]))
        reworded.extend(str(p) for p in meta.get("paraphrase_system_prompts") or [])
        if meta.get("belief_system_prompt"):
            belief.append(str(meta["belief_system_prompt"]))
    setup.system_prompts = list(dict.fromkeys(prompts))
    setup.paraphrase_system_prompts = list(dict.fromkeys(reworded))
    setup.belief_system_prompts = list(dict.fromkeys(belief))
    setup.model_args = sorted(table["model_args"].dropna().unique())
    setup.provenance = group_provenance(logs)  # logs: a list (GroupSummary.logs)
    return setup


def sample_rows(table: pd.DataFrame, limit: int, seed: int = SAMPLE_SEED) -> pd.DataFrame:
    """At most ``limit`` rows, spread evenly over group, condition, compliance and AF label.

    Rows are shuffled (seeded), then taken round-robin across strata, so rare labels are
    shown even when one label dominates.
    """
    if len(table) <= limit:
        return table
    shuffled = table.sample(frac=1.0, random_state=seed)
    strata = [*GROUP_KEYS, "condition", "compliance", "af_reasoning"]
    rank = shuffled.fillna({k: "" for k in strata}).groupby(strata, dropna=False).cumcount()
    return shuffled.assign(_rank=rank).sort_values("_rank", kind="stable").head(limit)


def _transcript(row: Any, group: int) -> TranscriptRow:
    def text(value: Any) -> str:
        return "" if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)

    labels, explanations, quotes = {}, {}, {}
    for label in BROWSER_LABELS:
        value = getattr(row, label, None)
        if value is None or (isinstance(value, float) and pd.isna(value)):
            continue
        labels[label] = str(value)
        explanations[label] = text(getattr(row, f"{label}_explanation", None))
        found = getattr(row, f"{label}_quotes", None)
        quotes[label] = [str(q) for q in found if q] if isinstance(found, list) else []
    return TranscriptRow(
        sample_id=str(row.sample_id),
        group=group,
        condition=text(row.condition),
        epoch=None if pd.isna(row.epoch) else int(row.epoch),
        parse_status=None if row.parse_status is None else str(row.parse_status),
        texts={name: text(getattr(row, name)) for name in TEXT_FIELDS},
        labels=labels,
        explanations=explanations,
        quotes=quotes,
    )


def build_report_data(
    paths: str | Path | Iterable[str | Path],
    max_transcripts: int = DEFAULT_MAX_TRANSCRIPTS,
    workers: int | None = None,
    calibration: Calibration | None = None,
) -> ReportData:
    """Read logs (files or folders) into the report's summary and transcript sample.

    Every number uses all samples; the browser gets at most ``max_transcripts``.
    ``workers`` is passed to :func:`goalguard.analysis.read_table`; ``calibration`` to
    :func:`goalguard.analysis.summarize` (None: the shipped one for heuristic labels).
    Raises :class:`goalguard.analysis.LogReadError` for a path that is not a log.
    """
    paths = [paths] if isinstance(paths, str | Path) else list(paths)  # read twice below
    table = read_table(paths, workers=workers)
    summary = summarize(table, calibration)
    # The same grouping, in the same order, as summarize(): one cell per GroupSummary.
    grouped = table.groupby(GROUP_KEYS, dropna=False, sort=True)
    table["group_index"] = grouped.ngroup()
    cells = [cell for _, cell in grouped]
    groups = []
    for group, cell in zip(summary.groups, cells, strict=True):
        behaviour = {
            c.condition: behaviour_mix(cell[cell["condition"] == c.condition])
            for c in group.conditions
        }
        groups.append(
            ReportGroup(
                **group.model_dump(), behaviour=behaviour, setup=read_setup(group.logs, cell)
            )
        )
    chosen = read_transcripts(sample_rows(table, max_transcripts))
    transcripts = [_transcript(row, int(row.group_index)) for row in chosen.itertuples(index=False)]
    report = ReportSummary(
        groups=groups,
        n_samples=summary.n_samples,
        logs=summary.logs,
        goal_guarding=summary.goal_guarding,
        no_scratchpad=summary.no_scratchpad,
        realism=summary.realism,
        honesty=summary.honesty,
        transcripts_shown=len(transcripts),
        transcripts_total=len(table),
        causal=causal_effects(paths),
    )
    return ReportData(summary=report, transcripts=transcripts)
