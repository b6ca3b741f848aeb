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
IN_PROCESS_MODELS = ("llamacpp/", "organism/")
"""goalguard's own models: no provider stands between them and the run to refuse."""


def provider_refusal_reason(output: ModelOutput, model: str = "") -> str | None:
    """Why the provider refused to answer, or None when it answered.

    ``content_filter``, or an empty completion for which the provider reports zero output
    tokens (or no usage at all). A model that writes only whitespace of its own accord
    reports the tokens it wrote and stays a parse failure (``empty``), and so does an empty
    reply of an in-process ``model`` (``llamacpp/…``, ``organism/…``).
    """
    if output.stop_reason == "content_filter":
        text = output.completion.strip()
        return "content_filter" + (f": {text[:200]}" if text else "")
    nothing = output.usage is None or output.usage.output_tokens == 0
    remote = not model.startswith(IN_PROCESS_MODELS)
    if not output.completion.strip() and not output.message.tool_calls and nothing and remote:
        return f"empty completion (stop reason {output.stop_reason})"
    return None


class IncompleteReplyError(RuntimeError):
    """The provider's reply ended before the provider finished it (a dropped stream)."""


def incomplete_reply(output: ModelOutput) -> str | None:
    """Why a reply is a fragment, or None when it is whole.

    Inspect 0.3.285's Anthropic provider turns a stream cut mid-reply into a finished output:
    the text so far, ``stop_reason="unknown"``, zero output tokens, no error and no retry.
    Read as the model's answer, the fragment would be a parse failure the model never made.
    """
    usage = output.usage
    if (
        output.stop_reason == "unknown"
        and output.completion.strip()
        and usage is not None
        and usage.output_tokens == 0
    ):
        return (
            f"the reply stopped after {len(output.completion)} characters with no stop "
            "reason and no output tokens reported (a dropped stream)"
        )
    return None
