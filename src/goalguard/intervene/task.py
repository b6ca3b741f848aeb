"""The Inspect task of an intervention: edited and unedited reasoning, continued by the model.

For each chosen sample of an existing goalguard log, the conversation is rebuilt up to the
scratchpad (the sample's own input messages), the edit is applied to its reasoning, and the
model continues from it: the reasoning is sent as a final assistant message (prefill), so
the model's next tokens follow it. Each chosen sample gives two new samples, ``arm``
``edited`` and ``unedited`` (the same cut, no edit), classified by the same classifiers as
a run. The new log's task metadata names the original log; each sample's metadata holds
the edit, the prefill and the original sample's id, epoch and labels.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from inspect_ai import Task, task
from inspect_ai.dataset import MemoryDataset, Sample
from inspect_ai.log import EvalLog, EvalSample, read_eval_log
from inspect_ai.model import (
    ChatMessage,
    ChatMessageAssistant,
    ChatMessageUser,
    GenerateConfig,
)
from inspect_ai.solver import Generate, Solver, TaskState, solver

from goalguard.classifiers import HeuristicClassifier, ScenarioContext, Transcript
from goalguard.classifiers.scorers import classifier_scorers
from goalguard.intervene.edits import AfQuotes, Edit, apply_edit, parse_edit
from goalguard.protocol.parser import SCRATCHPAD_TAG, needs_continuation, parse_transcript
from goalguard.protocol.solver import NEXT_TURN
from goalguard.provenance import INTERVENTION_KEY, sample_inputs, task_provenance

ARMS = ("edited", "unedited")
AF_EVIDENCE = ("af.modification.", "af.oppose.", "af.avoid.", "af.decision.comply", "guard.")
"""Heuristic rules whose quotes are AF reasoning (not the training mention, not a rejection
of the strategy)."""
NOT_AF_EVIDENCE = ("af.avoid.rejected",)
COPIED_METADATA = ("query_id", "query", "category", "condition", "p", "scenario", "variant",
                   "values_at_stake", "paraphrase")  # fmt: skip
PREFILL_OPTIONS: dict[str, dict[str, Any]] = {
    "llamacpp": {},
    "organism": {},
    "anthropic": {},
    "vllm": {},  # Inspect's vLLM and SGLang providers ask for continue_final_message themselves
    "sglang": {},
    "openai-api": {"continue_final_message": True, "add_generation_prompt": False},
}
"""Providers that continue a final assistant message, with the request options that ask for
it (an ``openai-api/…`` server must be one that honours vLLM's options, as vLLM does)."""


class InterventionError(ValueError):
    """The log, the edit or the model cannot be used for an intervention."""


def prefill_config(model: str) -> dict[str, Any]:
    """The extra request body a model needs to continue a prefill, or a clear error."""
    provider = model.split("/", 1)[0]
    if provider not in PREFILL_OPTIONS:
        known = ", ".join(sorted(PREFILL_OPTIONS))
        raise InterventionError(
            f"--model {model}: provider '{provider}' is not known to continue a prefilled "
            f"assistant message, which an intervention needs. Known: {known}."
        )
    return dict(PREFILL_OPTIONS[provider])


def is_intervention(log: EvalLog) -> bool:
    """Whether a log (a header is enough) holds intervention samples."""
    return INTERVENTION_KEY in (log.eval.metadata or {})


def read_original(path: str | Path) -> EvalLog:
    """The original log with its samples; a clear error for anything else."""
    path = Path(path)
    if not path.is_file():
        raise InterventionError(f"{path}: no such log file.")
    try:
        log = read_eval_log(str(path))
    except Exception as ex:
        raise InterventionError(f"{path}: cannot read as an Inspect log ({ex}).") from None
    meta = log.eval.metadata or {}
    if "goalguard_scenario" not in meta:
        raise InterventionError(f"{path}: not a goalguard run (no goalguard_scenario metadata).")
    if is_intervention(log):
        raise InterventionError(f"{path}: already an intervention log; give the original run.")
    reasoning = (meta["goalguard_scenario"] or {}).get("reasoning", "scratchpad")
    if reasoning != "scratchpad":
        raise InterventionError(
            f"{path}: the scenario's reasoning mode is '{reasoning}'; an intervention edits "
            "tagged scratchpad reasoning (the no-scratchpad and native modes have none)."
        )
    if not log.samples:
        raise InterventionError(f"{path}: the log holds no samples.")
    return log


def af_quotes_in_score(score: Any) -> list[str]:
    """The passages a recorded af_reasoning score quoted as AF reasoning.

    A heuristic score names the rule behind each quote, so only AF evidence is taken (not
    the sentence saying the conversation is trained on); a judge's quotes are all taken.
    """
    meta = getattr(score, "metadata", None) or {}
    evidence = meta.get("evidence")
    if isinstance(evidence, dict) and evidence:
        return [
            str(quote)
            for rule, quote in evidence.items()
            if rule.startswith(AF_EVIDENCE) and rule not in NOT_AF_EVIDENCE and quote
        ]
    return [str(q) for q in meta.get("quotes") or [] if q]


def heuristic_reader(context: ScenarioContext, query: str = "") -> AfQuotes:
    """Re-reads an edited scratchpad: the heuristic's AF quotes where it still finds AF."""

    def read(scratchpad: str) -> list[str]:
        result = HeuristicClassifier(
            Transcript(id="edit", scratchpad=scratchpad, output="", query=query, context=context)
        ).label("af_reasoning")
        if result.value != "yes":
            return []
        return af_quotes_in_score(result.to_score())

    return read


def _label(sample: EvalSample, name: str) -> str | None:
    scores = {k.rsplit("/", 1)[-1]: v for k, v in (sample.scores or {}).items()}
    score = scores.get(name)
    return None if score is None or score.value is None else str(score.value)


def eligible(edit: Edit, af_label: str | None) -> bool:
    """Which samples an edit applies to: AF ones for remove/neutralise, non-AF for insert."""
    if edit.kind in ("remove-af", "neutralise"):
        return af_label == "yes"
    if edit.kind == "insert-af":
        return af_label == "no"
    return True


def _messages(sample: EvalSample) -> list[ChatMessage]:
    if isinstance(sample.input, str):
        return [ChatMessageUser(content=sample.input)]
    return list(sample.input)


def intervention_samples(
    log: EvalLog, edit: Edit, limit: int | None = None, location: str | None = None
) -> list[Sample]:
    """Two new samples (edited, unedited) per chosen original sample, in log order."""
    meta = log.eval.metadata or {}
    context = ScenarioContext.from_spec(meta.get("goalguard_scenario"))
    several = len({s.epoch for s in log.samples or []}) > 1
    out: list[Sample] = []
    chosen = 0
    for sample in log.samples or []:
        if limit is not None and chosen >= limit:
            break
        smeta = sample.metadata or {}
        scratchpad = str(smeta.get("scratchpad") or "")
        af_label = _label(sample, "af_reasoning")
        if sample.error or not scratchpad.strip() or not eligible(edit, af_label):
            continue
        scores = {k.rsplit("/", 1)[-1]: v for k, v in (sample.scores or {}).items()}
        key = f"{sample.id}:{sample.epoch}"
        transcript = Transcript.from_metadata(sample.id, smeta, context)
        result = apply_edit(
            edit,
            scratchpad,
            af_quotes=af_quotes_in_score(scores.get("af_reasoning")),
            read_af=heuristic_reader(context, str(smeta.get("query") or "")),
            decision_quote=HeuristicClassifier(transcript).decision_quote,
            key=key,
        )
        if result is None:
            continue
        chosen += 1
        base_id = f"{sample.id}:epoch={sample.epoch}" if several else str(sample.id)
        for arm, text in (("edited", result.edited), ("unedited", result.unedited)):
            prefill = f"<{SCRATCHPAD_TAG}>\n{text}".rstrip()  # providers refuse trailing space
            out.append(
                Sample(
                    id=f"{base_id}:{arm}",
                    input=_messages(sample),
                    metadata={
                        **{k: smeta.get(k) for k in COPIED_METADATA if k in smeta},
                        "arm": arm,
                        "edit": edit.name,
                        "prefill": prefill,
                        "edit_changed": result.changed,
                        "edit_unmatched_quotes": result.unmatched,
                        "original_log": location or log.location,
                        "original_eval_id": log.eval.eval_id,
                        "original_sample_id": str(sample.id),
                        "original_epoch": sample.epoch,
                        "original_compliance": _label(sample, "compliance"),
                        "original_af_reasoning": af_label,
                    },
                )
            )
    return out


@solver
def prefill_protocol(max_steps: int = 2) -> Solver:
    """Continue from the sample's ``prefill`` (a final assistant message), then as the
    scratchpad protocol does: prompt ``<NEXT/>`` while reasoning has no final output, and
    store the parsed ``scratchpad``, ``output`` and ``parse_status`` of prefill +
    continuation; ``continuation`` holds what the model itself wrote."""

    async def solve(state: TaskState, generate: Generate) -> TaskState:
        prefill = str(state.metadata["prefill"])
        first = len(state.messages)
        state.messages.append(ChatMessageAssistant(content=prefill))
        state = await generate(state)
        continuation = state.output.completion
        # The provider's reply continues the prefill: keep them as one assistant turn.
        state.messages[first:] = [
            ChatMessageAssistant(content=prefill + continuation, model=state.output.model)
        ]
        steps = 1
        while steps < max_steps and needs_continuation(state.messages[-1].text):
            state.messages.append(ChatMessageUser(content=NEXT_TURN))
            state = await generate(state)
            steps += 1
        replies = [m.text for m in state.messages[first:] if isinstance(m, ChatMessageAssistant)]
        state.metadata.update(parse_transcript("\n".join(replies)).as_metadata())
        state.metadata["steps"] = steps
        state.metadata["continuation"] = continuation
        return state

    return solve


@task
def intervention(
    log: str,
    edit: str = "remove-af",
    limit: int | None = None,
    max_steps: int = 2,
    judge: str | None = None,
    judge_args: dict[str, Any] | None = None,
    judge_votes: int | None = None,
) -> Task:
    """Intervene on the scratchpads of an existing goalguard log.

    Args:
        log: The original run's log file.
        edit: ``remove-af``, ``neutralise``, ``insert-af`` or ``truncate:N``.
        limit: Most original samples to intervene on (each gives an edited and an unedited
            sample).
        max_steps: Most replies after the prefill to reach a final output.
        judge: An Inspect model that classifies the new samples (default: the heuristic).
        judge_args: Model args for the judge.
        judge_votes: Judge calls per sample and label (default: the judge preset's).
    """
    try:
        parsed = parse_edit(edit)
    except ValueError as ex:
        raise InterventionError(str(ex)) from None
    original = read_original(log)
    samples = intervention_samples(original, parsed, limit, location=str(Path(log).resolve()))
    if not samples:
        raise InterventionError(no_samples_message(parsed, log))
    meta = original.eval.metadata or {}
    spec = meta["goalguard_scenario"]
    return Task(
        name=f"{original.eval.task}_{parsed.kind}",
        dataset=MemoryDataset(samples, name=f"{original.eval.task}_{parsed.name}"),
        solver=prefill_protocol(max_steps=max_steps),
        scorer=classifier_scorers(
            ScenarioContext.from_spec(spec),
            judge=judge,
            judge_args=judge_args,
            votes=None if judge_votes is None else int(judge_votes),
        ),  # fmt: skip
        config=GenerateConfig(max_tokens=spec.get("max_tokens")),
        metadata={
            "goalguard_scenario": spec,
            "variant": meta.get("variant"),
            "system_prompt": meta.get("system_prompt"),
            INTERVENTION_KEY: {
                "edit": parsed.name,
                "original_log": str(Path(log).resolve()),
                "original_eval_id": original.eval.eval_id,
                "original_task": original.eval.task,
                "original_model": original.eval.model,
            },
            **task_provenance(spec, sample_inputs(samples), applied={"edit": parsed.name}),
        },
    )


def no_samples_message(edit: Edit, log: str | Path) -> str:
    """Why an intervention found nothing to edit."""
    need = {
        "remove-af": "samples labelled af_reasoning = yes",
        "neutralise": "samples labelled af_reasoning = yes",
        "insert-af": "samples labelled af_reasoning = no with scratchpad reasoning",
        "truncate": f"scratchpads of more than {edit.n} sentence(s)",
    }[edit.kind]
    return f"{log}: --edit {edit.name} found nothing to edit; it needs {need}."
