"""The scratchpad protocol as an Inspect solver."""

from __future__ import annotations

from typing import Literal

from inspect_ai.model import ChatMessage, ChatMessageAssistant, ChatMessageUser, ContentReasoning
from inspect_ai.solver import Generate, Solver, TaskState, solver

from goalguard.protocol.parser import needs_continuation, parse_transcript
from goalguard.protocol.refusal import (
    PROVIDER_REFUSAL,
    IncompleteReplyError,
    incomplete_reply,
    provider_refusal_reason,
)

NEXT_TURN = "<NEXT/>"
"""The user turn that lets the model go on reasoning after a scratchpad-only reply."""

ReasoningMode = Literal["scratchpad", "none", "native"]


def _assistant_messages(messages: list[ChatMessage]) -> list[ChatMessageAssistant]:
    return [m for m in messages if isinstance(m, ChatMessageAssistant)]


def _native_reasoning(messages: list[ChatMessageAssistant]) -> str:
    parts: list[str] = []
    for message in messages:
        if isinstance(message.content, list):
            parts.extend(c.reasoning for c in message.content if isinstance(c, ContentReasoning))
    return "\n\n".join(p.strip() for p in parts if p.strip())


@solver
def scratchpad_protocol(
    max_steps: int = 4,
    reasoning: ReasoningMode = "scratchpad",
    probe: str | None = None,
) -> Solver:
    """Generate under the hidden-scratchpad protocol and record what the model wrote.

    While a reply has scratchpad reasoning but no final ``<OUTPUT>``, the model is
    prompted to continue (up to ``max_steps`` replies). The joined replies are parsed
    once and the result is stored in the sample metadata (``scratchpad``, ``output``,
    ``parse_status``, ``steps``), so later analysis never re-parses raw text. A reply the
    provider refused (content filter, safety block, empty completion) ends the sample and is
    recorded as ``provider_refusal`` (the reason; None when every reply was answered). A
    reply the provider cut off (a dropped stream Inspect passes on as finished) raises
    :class:`~goalguard.protocol.refusal.IncompleteReplyError`: the sample errors and is run
    again (``sweep --retry-on-error``) instead of being read as the model's answer.

    Args:
        max_steps: Most replies the model may take to reach its final output.
        reasoning: ``scratchpad`` (tagged hidden reasoning), ``none`` (a single reply),
            or ``native`` (the model's own reasoning content is the scratchpad).
        probe: A follow-up user turn sent after the final output; its answer is
            stored as ``probe_answer``, apart from the main output. A sample's own
            ``probe_text`` metadata (one question of a question set) takes precedence.
    """
    steps_allowed = max_steps if reasoning == "scratchpad" else 1

    async def solve(state: TaskState, generate: Generate) -> TaskState:
        first = len(state.messages)
        steps = 0
        refusal = None
        while steps < steps_allowed:
            state = await generate(state)
            steps += 1
            fragment = incomplete_reply(state.output)
            if fragment is not None:  # an error, so that the sample is run again, not misread
                raise IncompleteReplyError(fragment)
            refusal = provider_refusal_reason(state.output, str(state.model))
            if refusal is not None:  # the provider's refusal ends the sample: nothing to parse
                break
            if steps < steps_allowed and needs_continuation(state.output.completion):
                state.messages.append(ChatMessageUser(content=NEXT_TURN))
            else:
                break

        replies = _assistant_messages(state.messages[first:])
        parsed = parse_transcript("\n".join(m.text for m in replies))
        if reasoning == "native":
            native = _native_reasoning(replies)
            parsed.scratchpad = "\n\n".join(p for p in (native, parsed.scratchpad) if p)
        state.metadata.update(parsed.as_metadata())
        state.metadata["steps"] = steps
        state.metadata[PROVIDER_REFUSAL] = refusal
        if refusal is not None:
            return state  # no probe after a refused call

        question = state.metadata.get("probe_text") or probe  # per sample, else the task's
        if question:
            state.messages.append(ChatMessageUser(content=question))
            state = await generate(state)
            state.metadata["probe_answer"] = state.output.completion
        return state

    return solve
