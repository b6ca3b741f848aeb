"""Refusals on the provider's side: not the model refusing in character, not a parse failure.

OpenAI's ``finish_reason: "content_filter"``, Anthropic's ``stop_reason: "refusal"`` and other
providers' safety blocks all reach goalguard as ``ModelOutput.stop_reason ==
"content_filter"`` (Inspect maps them). The solver records the reason per sample as metadata
``provider_refusal``; the analysis (``goalguard.analysis.outcomes``) leaves those samples out
of compliance, the gap and parse failures, and counts them per condition.
"""

from __future__ import annotations

from inspect_ai.model import ModelOutput

PROVIDER_REFUSAL = "provider_refusal"
"""The sample metadata key (and table column) holding why the provider refused, if it did."""


def provider_refusal_reason(output: ModelOutput) -> str | None:
    """Why the provider refused to answer, or None when it answered.

    ``content_filter``, or an empty completion for which the provider reports zero output
    tokens (or no usage at all). A model that writes only whitespace of its own accord
    reports the tokens it wrote and stays a parse failure (``empty``).
    """
    if output.stop_reason == "content_filter":
        text = output.completion.strip()
        return "content_filter" + (f": {text[:200]}" if text else "")
    nothing = output.usage is None or output.usage.output_tokens == 0
    if not output.completion.strip() and not output.message.tool_calls and nothing:
        return f"empty completion (stop reason {output.stop_reason})"
    return None
