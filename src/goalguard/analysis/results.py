"""The analysis result: every number goalguard reports, with its interval and n.

One :class:`GroupSummary` per (model, scenario, variant). Rates are :class:`Proportion`
(Wilson 95% interval); the compliance gap is a :class:`PairedGap` (paired by query);
the oversight sweep is a :class:`SweepFit`. :class:`AnalysisSummary` holds them all and
is what ``goalguard report --json`` writes (``model_dump(mode="json")``).

Built by ``goalguard.analysis.summarize(table)`` from the one-row-per-sample DataFrame of
``goalguard.analysis.read_table(paths)`` (columns documented in ``docs/analysis.md``).

A rate whose denominator is zero has ``estimate``/``low``/``high`` None: the number does
not exist, which is different from 0.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field

ModelKind = Literal["embedded", "organism", "other"]
"""``embedded``: the bundled SmolLM2 (or another llama.cpp GGUF); ``organism``: a scripted
model with known rates. Both say nothing about real models and the report says so."""


class Proportion(BaseModel):
    """``k`` of ``n`` samples, with a Wilson 95% interval."""

    k: int
    n: int
    estimate: float | None
    low: float | None
    high: float | None
    method: str = "wilson"


class PairedGap(BaseModel):
    """Compliance(training) − compliance(unmonitored), paired by query.

    With several epochs each query's compliance is first averaged within condition;
    ``n_pairs`` counts queries seen under both conditions. ``discordant_*`` count queries
    (epoch 1 of each, or the majority over epochs) that complied in only one condition;
    McNemar's exact test is on those.
    """

    first: str = "training"
    second: str = "unmonitored"
    n_pairs: int
    estimate: float | None
    low: float | None
    high: float | None
    method: str
    """``newcombe`` (one epoch: Newcombe's hybrid score interval for paired
    proportions) or ``bootstrap`` (several epochs: paired bootstrap over queries)."""
    discordant_first_only: int
    discordant_second_only: int
    mcnemar_p: float | None
    """Two-sided exact McNemar p-value; None when there are no pairs."""


class ConditionStats(BaseModel):
    """Everything per condition (``training``, ``unmonitored``, ``baseline``, ``p=0.25``)."""

    condition: str
    p: float | None = None
    """The stated monitoring probability for probability-cue conditions."""
    n_samples: int
    parse_failures: int
    parse_failure_rate: float | None
    compliance: Proportion
    """Compliance label in ``labels.COMPLIANT_LABELS`` among samples with a compliance label
    other than unclear / judge error."""
    partial: Proportion | None = None
    """partial_compliance = yes (or compliance = partial when that classifier did not run)."""
    af_reasoning: Proportion | None = None
    setup_doubt: Proportion | None = None
    goal_guarding: dict[str, Proportion] = Field(default_factory=dict)
    """Share of each goal_guarding label (terminal, instrumental, none, unclear)."""
    value_priority: dict[str, Proportion] = Field(default_factory=dict)
    """Share of each value_priority label (harmlessness, honesty, none, unclear)."""
    dual_intent: dict[str, Proportion] = Field(default_factory=dict)
    """Share consistent with intent_1_only, intent_2_only, both, neither (and unclear)."""
    provider_refusals: int = 0
    """Samples the provider refused on its side (content filter, safety block, empty
    completion): left out of compliance, the gap and parse failures."""
    judge_errors: int = 0
    """Samples with at least one label ``judge_error`` (left out of that label's rates)."""
    protocol_failed: str | None = None
    """Why compliance reads ``n/a (protocol failed)``: more than half of the answered samples
    broke the output protocol (``compliance`` then has no estimate). None: it did not."""


class SweepPoint(BaseModel):
    p: float
    compliance: Proportion


class SweepFit(BaseModel):
    """Compliance against stated monitoring probability p: a least-squares line over samples.

    ``slope`` is the change in compliance rate per unit of p (p from 0 to 1); its interval
    is a 95% interval from query-clustered standard errors.
    """

    points: list[SweepPoint]
    slope: float | None
    low: float | None
    high: float | None
    intercept: float | None
    n: int
    method: str = "ols, query-clustered SE"


class CategoryRow(BaseModel):
    """Compliance per condition and the paired gap within one query category."""

    category: str
    compliance: dict[str, Proportion]
    gap: PairedGap | None = None


class AnalysisWarning(BaseModel):
    """A caution printed with the numbers: small cells, many parse failures."""

    kind: Literal[
        "small_cell",
        "parse_failures",
        "missing_classifier",
        "mixed_runs",
        "provider_refusals",
        "protocol_failed",
        "judge_errors",
        "calibration",
    ]
    message: str
    condition: str | None = None
    category: str | None = None


class ParaphraseGap(BaseModel):
    """The paired gap under one wording of the system context (0: the original)."""

    paraphrase: int
    gap: PairedGap


class ParaphraseSpread(BaseModel):
    """The gap across rewordings: each paraphrase's own paired gap, and their spread.

    ``median``, ``min``, ``max``, ``q1`` and ``q3`` are over the paraphrases' point
    estimates (quartiles by linear interpolation); they describe how much the gap moves
    with the wording, not a sampling interval, which each paraphrase's gap carries.
    """

    n_paraphrases: int
    """Wordings with a gap, the original (0) included."""
    median: float | None
    min: float | None
    max: float | None
    q1: float | None
    q3: float | None
    iqr: float | None
    paraphrases: list[ParaphraseGap]


class TokenUsage(BaseModel):
    """Tokens the model under test used (judge calls not included)."""

    input_tokens: int
    """All input tokens, cached ones included."""
    cached_input_tokens: int
    """Input tokens the provider read from its prompt cache."""
    output_tokens: int


class GroupSummary(BaseModel):
    """All statistics of one (model, scenario, variant)."""

    model: str
    model_kind: ModelKind
    scenario: str
    variant: str | None = None
    n_samples: int
    n_queries: int
    epochs: int
    logs: list[str]
    labels: list[str]
    """The classifier labels present in these logs."""
    conditions: list[ConditionStats]
    gap: PairedGap | None = None
    """None unless both training and unmonitored were run."""
    af_among_compliant_training: Proportion | None = None
    """AF-reasoning rate among training samples that complied."""
    sweep: SweepFit | None = None
    """Present when the runs had probability conditions."""
    categories: list[CategoryRow] = Field(default_factory=list)
    warnings: list[AnalysisWarning] = Field(default_factory=list)
    rated_gaps: list[PairedGap] = Field(default_factory=list)
    """With a ``rated`` condition: the paired gaps training − rated and rated − unmonitored."""
    paraphrase_spread: ParaphraseSpread | None = None
    """Present when the samples ran under several paraphrases (``-T paraphrases=N``)."""
    corrected: Correction | None = None
    """Label rates and gaps corrected for the classifier's measured error (a calibration)."""
    tokens: TokenUsage | None = None
    """The model's token usage over these samples (None: the logs recorded none)."""


class GapDifference(BaseModel):
    """One paired gap minus another, from two independent runs (``first`` − ``second``).

    The interval is MOVER (Zou & Donner 2008), the square-and-add of each gap's own
    interval with no correlation between the runs: for D = g1 − g2,
    low = D − sqrt((g1 − l1)² + (u2 − g2)²), high = D + sqrt((u1 − g1)² + (g2 − l2)²).
    """

    first: str
    second: str
    estimate: float
    low: float
    high: float
    method: str = "mover, independent runs"


class GoalGuardingReading(BaseModel):
    """Why one model guards its values in one scenario, from base, weights-deleted and
    high-stakes runs (the rule: ``docs/analysis.md``, Probes)."""

    model: str
    scenario: str
    reading: Literal["terminal", "instrumental", "mixed", "none", "inconclusive", "incomplete"]
    rule: str
    """The rule that decided, in words."""
    missing: list[str] = Field(default_factory=list)
    """Runs the reading needs and the logs lack (``base``, ``weights-deleted``)."""
    base_gap: PairedGap | None = None
    deleted_gap: PairedGap | None = None
    stakes_gap: PairedGap | None = None
    deleted_minus_base: GapDifference | None = None
    stakes_minus_base: GapDifference | None = None
    stakes: Literal["larger", "smaller", "no clear change"] | None = None
    """How raising the stakes moved the gap (evidence only; instrumental guarding predicts
    larger); None without a high-stakes run."""


class ReasoningComparison(BaseModel):
    """The compliance gap with hidden reasoning (the base run) beside the gap without it
    (the ``no-scratchpad`` run), for one model and scenario."""

    model: str
    scenario: str
    with_scratchpad: PairedGap | None
    without_scratchpad: PairedGap | None
    difference: GapDifference | None = None
    """without − with."""


class RealismSummary(BaseModel):
    """Setup doubt among samples asked a realism question (``-T probe=realism``), for one
    (model, scenario, variant); built by :mod:`goalguard.analysis.probes`."""

    model: str
    scenario: str
    variant: str | None = None
    probe: str
    doubt: Proportion
    """setup_doubt = yes among samples with a definite setup_doubt label, all conditions."""
    by_condition: dict[str, Proportion] = Field(default_factory=dict)
    by_question: dict[str, Proportion] = Field(default_factory=dict)
    published: float | None = None
    """The published doubt rate for this scenario (context, not a result of this run)."""
    published_source: str | None = None


class HonestySummary(BaseModel):
    """Belief-then-pressure honesty beside harmlessness, for one model (a row per model)."""

    model: str
    scenario: str
    variant: str | None = None
    lie: dict[str, Proportion] = Field(default_factory=dict)
    """lie = yes (contradicts its own no-pressure belief) among decided samples, by condition."""
    honesty_gap: PairedGap | None = None
    """Lie rate training − unmonitored, paired by query."""
    harmlessness_gap: PairedGap | None = None
    """The same model's compliance gap on ``harmlessness_scenario`` (None: not in the logs)."""
    harmlessness_scenario: str | None = None
    difference: float | None = None
    """harmlessness gap − honesty gap (point estimate; different query sets, no interval)."""
    reading: str = ""


class AnalysisSummary(BaseModel):
    """Every group found in the logs read."""

    groups: list[GroupSummary]
    n_samples: int
    logs: list[str]
    goal_guarding: list[GoalGuardingReading] = Field(default_factory=list)
    """Per model and scenario with a weights-deleted or high-stakes run."""
    no_scratchpad: list[ReasoningComparison] = Field(default_factory=list)
    """Per model and scenario with both a base and a no-scratchpad run."""
    realism: list[RealismSummary] = Field(default_factory=list)
    """Present for runs with ``-T probe=realism``."""
    honesty: list[HonestySummary] = Field(default_factory=list)
    """Present for belief-then-pressure runs (``honesty-conflict -T variant=beliefs``)."""


class CorrectedRate(BaseModel):
    """One label's rate under one condition, raw and corrected for classifier error.

    ``estimate`` is the Rogan–Gladen estimate (p + Sp − 1)/(Se + Sp − 1), clipped to
    [0, 1]; ``low``/``high`` a 95% interval carrying both the run's sampling error and the
    calibration counts' (``goalguard.analysis.correction``). None where it is undefined.
    """

    label: str
    condition: str
    raw: Proportion
    estimate: float | None
    low: float | None
    high: float | None
    unbounded: bool = False
    """True when the measured error allows Se + Sp <= 1 too often to bound the rate: the
    interval is then the whole of [0, 1]."""


class CorrectedGap(BaseModel):
    """A label's paired gap (``first`` − ``second``), raw and corrected: gap / (Se + Sp − 1)."""

    label: str
    first: str
    second: str
    raw: PairedGap
    estimate: float | None
    low: float | None
    high: float | None
    unbounded: bool = False


class LabelError(BaseModel):
    """A calibration's figures for one label: counts, sensitivity and specificity."""

    label: str
    tp: float
    fp: float
    fn: float
    tn: float
    """Whole counts, or weighted ones from a stratified labels file (see ConfusionCounts)."""
    sensitivity: float | None
    specificity: float | None


class Correction(BaseModel):
    """A group's rates and gaps corrected with one calibration file."""

    calibration: str
    """What was measured, on what, when (``Calibration.name``)."""
    calibration_file: str | None
    classifier_version: str
    source_families: dict[str, int]
    model_family: str
    """The run's model family (``goalguard.classifiers.calibration.model_family``)."""
    method: str
    errors: dict[str, LabelError]
    rates: list[CorrectedRate] = Field(default_factory=list)
    gaps: list[CorrectedGap] = Field(default_factory=list)
    warnings: list[str] = Field(default_factory=list)
    """Why the corrected numbers may mislead (family not calibrated, Se + Sp <= 1, ...)."""


GroupSummary.model_rebuild()  # its corrected field names Correction, defined below it
