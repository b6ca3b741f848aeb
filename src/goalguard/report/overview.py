"""The report's first screen: one row per run, and the setup reduced to what differs.

The overview puts every group's headline numbers in one table (compliance per condition,
the paired gap, AF reasoning, and the goal-guarding and causal readings where the logs
hold those runs), so a reader sees the answer before the setup. The setup section then
shows once what all groups share, and per group only what differs; each group's full
setup stays a click away.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from markupsafe import Markup

from goalguard.report.data import ReportGroup, ReportSummary

if TYPE_CHECKING:
    from goalguard.intervene.effects import CausalEffect

CAUSAL_ORDER = ("remove-af", "neutralise", "insert-af", "truncate")
"""Which edit's effect the overview shows first (removing the reasoning answers the issue's
question most directly)."""


def goal_guarding_for(summary: ReportSummary, group: ReportGroup) -> tuple[int, Any] | None:
    """(index, reading) of the goal-guarding reading for a group's model and scenario."""
    for i, reading in enumerate(summary.goal_guarding):
        if reading.model == group.model and reading.scenario == group.scenario:
            return i, reading
    return None


def causal_for(summary: ReportSummary, group: ReportGroup) -> list[tuple[int, CausalEffect]]:
    """(index, effect) of each edit's overall effect for a group, in :data:`CAUSAL_ORDER`."""
    found = [
        (i, e)
        for i, e in enumerate(summary.causal)
        if e.condition == "all"
        and e.model == group.model
        and e.scenario == group.scenario
        and e.variant == group.variant
    ]
    return sorted(found, key=lambda item: _edit_rank(item[1].edit))


def _edit_rank(edit: str) -> int:
    kind = edit.split(":")[0]
    return CAUSAL_ORDER.index(kind) if kind in CAUSAL_ORDER else len(CAUSAL_ORDER)


def _setup_facts(group: ReportGroup) -> dict[str, str]:
    """A group's setup as label -> text, for comparing groups."""
    s = group.setup
    facts = {
        "model": group.model,
        "model args": "; ".join(a for a in s.model_args if a != "{}") or "none",
        "scenario": group.scenario,
        "variant": group.variant or "(base scenario)",
        "developer (as told)": s.developer or "",
        "Intent 1": s.intent_1 or "",
        "Intent 2": s.intent_2 or "",
        "values at stake": ", ".join(s.values_at_stake),
        "training cue": f"{s.cue}; reasoning: {s.reasoning}" if s.cue else "",
        "samples": f"{group.n_samples} samples, {group.n_queries} queries, {group.epochs} "
        f"epoch(s); conditions: {', '.join(c.condition for c in group.conditions)}",
        "classifier labels": ", ".join(group.labels) or "none",
        "system context": _context_note(s.system_prompts),
    }
    from goalguard.provenance import PROVENANCE_FIELDS

    for key, values in s.provenance.items():
        facts[PROVENANCE_FIELDS[key]] = ", ".join(values)
    return {k: v for k, v in facts.items() if v}


def _context_note(prompts: list[str]) -> str:
    if not prompts:
        return ""
    from goalguard.provenance import stable_hash

    return "; ".join(f"{len(p):,} characters, sha256 {stable_hash(p)[:12]}" for p in prompts)


def setup_differences(
    groups: list[ReportGroup],
) -> tuple[list[tuple[str, str]], list[tuple[str, list[str]]]]:
    """(facts every group shares, facts that differ with each group's value)."""
    facts = [_setup_facts(g) for g in groups]
    labels = list(dict.fromkeys(label for f in facts for label in f))
    shared, differ = [], []
    for label in labels:
        values = [f.get(label, "") for f in facts]
        if len(set(values)) == 1:
            shared.append((label, values[0]))
        else:
            differ.append((label, values))
    return shared, differ


def causal_text(effect: CausalEffect, path: str) -> Markup:
    """``remove-af: −60.0 pp [−75, −40], 27 pairs``, tagged with its JSON path."""
    c = effect.change
    if c.estimate is None:
        return Markup('<span class="na">{}: no decided pairs</span>').format(effect.edit)
    return Markup(
        '{}: <span class="num" data-json="{}">{:+.1f} pp <span class="ci">[{:+.1f}, {:+.1f}]'
        '</span> <span class="n">{} pairs</span></span>'
    ).format(effect.edit, path, 100 * c.estimate, 100 * (c.low or 0), 100 * (c.high or 0),
             c.n_pairs)  # fmt: skip
