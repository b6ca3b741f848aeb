"""What an intervention would cost, without calling a model (``goalguard intervene --dry-run``).

Every figure is an estimate from the rendered prompts. An intervention resends a sample's
whole prompt (system context, user turn) plus the prefilled reasoning, so most of its input
is a prefix an earlier call already sent: the system context is shared by every sample, and
the two arms of one sample share everything up to the edit. ``cacheable_tokens`` counts the
leading text each sample shares with the sample before it, the most a prefix cache (the
embedded model's, or a provider's prompt cache) can serve when samples run in order.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

from inspect_ai import Task

from goalguard.sweep import MESSAGE_OVERHEAD_TOKENS, judge_calls_per_sample


@dataclass(frozen=True)
class InterventionPlan:
    """The new samples of an intervention and their estimated tokens."""

    edit: str
    originals: int
    samples: int
    input_tokens: int
    """First call of every sample: prompt plus prefill."""
    cacheable_tokens: int
    """Of ``input_tokens``, the prefix each sample shares with the one before it."""
    max_output_tokens: int
    """Every sample taking all its replies at the most tokens each."""
    judge_calls: int
    token_counter: str


def _text(sample: object) -> str:
    messages = getattr(sample, "input", None)
    parts = [m.text for m in messages] if isinstance(messages, list) else [str(messages)]
    metadata = getattr(sample, "metadata", None) or {}
    return "\x00".join([*parts, str(metadata.get("prefill", ""))])


def plan_intervention(
    task: Task,
    count: Callable[[str], int],
    counter_name: str,
    max_tokens: int | None = None,
    max_steps: int = 2,
    judge: str | None = None,
    judge_votes: int = 1,
) -> InterventionPlan:
    """Estimate the cost of an intervention task built by :func:`intervention`."""
    spec = (task.metadata or {}).get("goalguard_scenario") or {}
    intervention = (task.metadata or {}).get("goalguard_intervention") or {}
    reply = int(max_tokens or task.config.max_tokens or spec.get("max_tokens") or 512)
    total = cacheable = 0
    previous = ""
    originals = set()
    for sample in task.dataset:
        text = _text(sample)
        shared = len(os.path.commonprefix([previous, text]))
        pieces = text.count("\x00") + 1
        total += count(text.replace("\x00", "\n")) + pieces * MESSAGE_OVERHEAD_TOKENS
        cacheable += count(text[:shared].replace("\x00", "\n")) if shared else 0
        previous = text
        originals.add((sample.metadata or {}).get("original_sample_id"))
    samples = len(task.dataset)
    return InterventionPlan(
        edit=str(intervention.get("edit", "")),
        originals=len(originals),
        samples=samples,
        input_tokens=total,
        cacheable_tokens=min(cacheable, total),
        max_output_tokens=samples * max_steps * reply,
        judge_calls=samples * judge_calls_per_sample(judge, {"judge_votes": judge_votes}),
        token_counter=counter_name,
    )


def format_plan(plan: InterventionPlan, model: str) -> str:
    """The dry-run's printout."""
    share = plan.cacheable_tokens / plan.input_tokens if plan.input_tokens else 0.0
    return "\n".join(
        [
            f"intervention {plan.edit} on {plan.originals} original sample(s) with {model}: "
            f"{plan.samples} new samples (edited and unedited arms)",
            f"  input tokens (first call of each sample): {plan.input_tokens:,}",
            f"  of which a prefix shared with the sample before: {plan.cacheable_tokens:,} "
            f"({share:.0%}; what a prefix cache can serve)",
            f"  output tokens, at most: {plan.max_output_tokens:,}",
            f"  judge calls, at most: {plan.judge_calls:,}",
            f"  (estimates; tokens counted with {plan.token_counter})",
        ]
    )
