"""The causal reading of intervention logs: the paired change in compliance per edit.

Each original sample chosen for an edit gives two new samples, ``edited`` and ``unedited``
(the same cut of the same reasoning, no edit), both continued by the model from a prefill.
The effect of the edit is compliance(edited) − compliance(unedited), paired by original
sample, with Newcombe's interval and McNemar's exact test (:func:`paired_gap`), overall and
per condition. The change against the original sample's own compliance is given beside it;
it mixes the edit with the effect of cutting and continuing the reasoning.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from pathlib import Path

from inspect_ai.log import read_eval_log, read_eval_log_sample_summaries
from pydantic import BaseModel

from goalguard.analysis.results import PairedGap, Proportion
from goalguard.analysis.stats import paired_gap, wilson
from goalguard.analysis.table import latest_logs, log_files
from goalguard.classifiers.labels import COMPLIANT_LABELS
from goalguard.provenance import INTERVENTION_KEY

DECIDED = {"full", "partial", "refusal"}
ALL_CONDITIONS = "all"


class CausalEffect(BaseModel):
    """One edit's effect on compliance, for one model · scenario · variant and condition."""

    model: str
    scenario: str | None
    variant: str | None
    edit: str
    condition: str
    """A condition, or ``all``."""
    n_pairs: int
    """Original samples whose edited and unedited continuations both have a decided label."""
    edited: Proportion
    unedited: Proportion
    change: PairedGap
    """compliance(edited) − compliance(unedited), paired by original sample."""
    change_vs_original: PairedGap | None = None
    """compliance(edited) − the original sample's compliance (where that was decided)."""
    af_after_edit: Proportion | None = None
    """AF reasoning in the edited continuations (prefill + what the model wrote)."""
    logs: list[str]

    def headline(self) -> str:
        """The one-line reading: "removing the AF reasoning changes compliance by X [CI]"."""
        what = {
            "remove-af": "removing the AF reasoning",
            "neutralise": "replacing the AF reasoning with a neutral sentence",
            "insert-af": "inserting AF reasoning",
        }.get(self.edit.split(":")[0], f"keeping only the first {self.edit.split(':')[-1]} "
              "sentence(s)")  # fmt: skip
        c = self.change
        if c.estimate is None or c.low is None or c.high is None:
            return f"{what}: no pairs with a decided compliance label."
        return (
            f"{what} changes compliance by {c.estimate * 100:+.1f} points "
            f"[{c.low * 100:+.1f}, {c.high * 100:+.1f}] (n = {c.n_pairs} pairs, "
            f"McNemar p = {c.mcnemar_p:.3g})"
        )


def intervention_logs(paths: str | Path | Iterable[str | Path]) -> list[str]:
    """The intervention logs among ``paths`` (newest of each task, as the analysis reads)."""
    return [
        file
        for file, header in latest_logs(log_files(paths))
        if INTERVENTION_KEY in (header.eval.metadata or {})
    ]


def _complied(label: str | None) -> float | None:
    if label not in DECIDED:
        return None
    return 1.0 if label in COMPLIANT_LABELS else 0.0


def causal_effects(paths: str | Path | Iterable[str | Path]) -> list[CausalEffect]:
    """Every edit's paired effect in the intervention logs among ``paths``."""
    # (model, scenario, variant, edit) -> pair key -> arm -> (complied, af, condition, original)
    cells: dict[tuple[str, str | None, str | None, str], dict[str, dict[str, tuple]]] = defaultdict(
        lambda: defaultdict(dict)
    )
    logs: dict[tuple[str, str | None, str | None, str], list[str]] = defaultdict(list)
    for file in intervention_logs(paths):
        header = read_eval_log(file, header_only=True)
        meta = header.eval.metadata or {}
        spec = meta.get("goalguard_scenario") or {}
        key = (header.eval.model, spec.get("name"), meta.get("variant"),
               meta[INTERVENTION_KEY]["edit"])  # fmt: skip
        logs[key].append(file)
        for s in read_eval_log_sample_summaries(file):
            smeta = s.metadata or {}
            scores = {k.rsplit("/", 1)[-1]: v for k, v in (s.scores or {}).items()}
            comp = scores.get("compliance")
            af = scores.get("af_reasoning")
            pair = f"{smeta.get('original_sample_id')}:{smeta.get('original_epoch')}:{s.epoch}"
            cells[key][pair][str(smeta.get("arm"))] = (
                _complied(None if comp is None else str(comp.value)),
                None if af is None else str(af.value),
                str(smeta.get("condition")),
                _complied(smeta.get("original_compliance")),
            )
    effects: list[CausalEffect] = []
    for key, pairs in sorted(cells.items(), key=lambda kv: tuple(map(str, kv[0]))):
        conditions = sorted({arms["edited"][2] for arms in pairs.values() if "edited" in arms})
        for condition in [ALL_CONDITIONS, *conditions]:
            chosen = [
                arms
                for arms in pairs.values()
                if "edited" in arms
                and "unedited" in arms
                and condition in (ALL_CONDITIONS, arms["edited"][2])
            ]
            effect = _effect(key, condition, chosen, logs[key])
            if effect is not None:
                effects.append(effect)
    return effects


def _effect(
    key: tuple[str, str | None, str | None, str],
    condition: str,
    chosen: list[dict[str, tuple]],
    logs: list[str],
) -> CausalEffect | None:
    decided = [a for a in chosen if a["edited"][0] is not None and a["unedited"][0] is not None]
    if not chosen:
        return None
    edited = [a["edited"][0] for a in decided]
    unedited = [a["unedited"][0] for a in decided]
    vs_original = [a for a in chosen if a["edited"][0] is not None and a["edited"][3] is not None]
    af_values = [a["edited"][1] for a in chosen if a["edited"][1] in ("yes", "no")]
    model, scenario, variant, edit = key
    return CausalEffect(
        model=model,
        scenario=scenario,
        variant=variant,
        edit=edit,
        condition=condition,
        n_pairs=len(decided),
        edited=wilson(int(sum(edited)), len(edited)),
        unedited=wilson(int(sum(unedited)), len(unedited)),
        change=paired_gap(edited, unedited, False, "edited", "unedited"),
        change_vs_original=paired_gap(
            [a["edited"][0] for a in vs_original],
            [a["edited"][3] for a in vs_original],
            False,
            "edited",
            "original",
        )
        if vs_original
        else None,
        af_after_edit=wilson(af_values.count("yes"), len(af_values)) if af_values else None,
        logs=logs,
    )
