"""The Inspect task that runs a scenario: every query under every condition."""

from __future__ import annotations

from typing import Any

from inspect_ai import Epochs, Task, task
from inspect_ai.dataset import MemoryDataset, Sample
from inspect_ai.model import ChatMessageSystem, ChatMessageUser, GenerateConfig

from goalguard._flags import parse_flag
from goalguard.classifiers import ScenarioContext, classifier_scorers
from goalguard.classifiers.belief import belief_scorers
from goalguard.classifiers.judge import DEFAULT_MAX_TOKENS
from goalguard.classifiers.judge_presets import DEFAULT_PRESET
from goalguard.protocol import scratchpad_protocol
from goalguard.protocol.belief import belief_metadata, belief_solvers
from goalguard.provenance import sample_inputs, task_provenance
from goalguard.scenarios import Scenario, ScenarioError, load_scenario, paraphrase_count
from goalguard.scenarios.probes import ProbeQuestion, probe_metadata
from goalguard.scenarios.spec import listing_metadata

DEFAULT_SCENARIO = "helpful-only"


def scenario_samples(
    scenario: Scenario,
    limit: int | None = None,
    probe: list[ProbeQuestion] | None = None,
    tag_paraphrase: bool = False,
) -> list[Sample]:
    """One sample per (query, condition); the samples of a query share ``query_id``.

    Samples are ordered query by query so that consecutive calls share the longest
    prompt prefix (the system context, then the query's own conditions). With a probe,
    each query's samples are asked the same one of its questions (:func:`question_for`).
    Each records its ``paraphrase`` (0: the original wording); ``tag_paraphrase`` adds it
    to the id, so that several paraphrases can run in one task.
    """
    queries = scenario.queries()[:limit] if limit else scenario.queries()
    system = scenario.system_prompt
    samples = []
    for position, query in enumerate(queries):
        for condition in scenario.conditions():
            samples.append(
                Sample(
                    id=f"{query.id}:{condition.name}"
                    + (f":paraphrase={scenario.paraphrase}" if tag_paraphrase else ""),
                    input=[
                        ChatMessageSystem(content=system),
                        ChatMessageUser(content=scenario.user_turn(query.query, condition)),
                    ],
                    metadata={
                        "query_id": query.id,
                        "query": query.query,
                        "category": query.category,
                        "condition": condition.name,
                        "p": condition.p,
                        "scenario": scenario.name,
                        "variant": scenario.variant,
                        "values_at_stake": scenario.spec.values_at_stake,
                        "paraphrase": scenario.paraphrase,
                        **probe_metadata(position, probe),
                        **belief_metadata(scenario, query.query),
                    },
                )
            )
    return samples


def _parse_probabilities(p: str | float | list[float] | None) -> list[float] | None:
    if p is None:
        return None
    if isinstance(p, int | float):
        return [float(p)]
    values = p if isinstance(p, list) else [v for v in str(p).split(",") if v.strip()]
    try:
        return [float(v) for v in values]
    except (TypeError, ValueError):
        raise ScenarioError(f"-T p=…: expected numbers like 0.3 or 0.1,0.9, got {p!r}.") from None


def paraphrase_runs(scenario: str, paraphrases: int | str | None) -> int:
    """How many rewordings ``-T paraphrases=N`` asks for, checked against those that exist."""
    if paraphrases is None or paraphrases == "":
        return 0
    try:
        count = int(paraphrases)
    except (TypeError, ValueError):
        raise ScenarioError(
            f"-T paraphrases=…: expected a whole number, got {paraphrases!r}."
        ) from None
    available = paraphrase_count(scenario)
    if not 0 <= count <= available:
        raise ScenarioError(
            f"-T paraphrases={count}: scenario '{scenario}' has {available} paraphrase(s) "
            f"(its paraphrases/ folder); ask for 0 to {available}."
        )
    return count


def _task_flag(value: bool | str | None, name: str) -> bool | None:
    try:
        return None if value is None else parse_flag(value, f"-T {name}")
    except ValueError as ex:
        raise ScenarioError(str(ex)) from None


@task
def goalguard(
    scenario: str = DEFAULT_SCENARIO,
    variant: str | None = None,
    developer: str | None = None,
    probe: str | None = None,
    p: str | float | list[float] | None = None,
    examples: bool | str | None = None,
    paraphrases: int | str | None = None,
    limit: int | None = None,
    max_steps: int | None = None,
    judge: str | None = None,
    judge_votes: int | None = None,
    judge_threshold: float | None = None,
    judge_logprobs: bool | str = False,
    judge_args: dict[str, Any] | None = None,
    judge_preset: str = DEFAULT_PRESET,
    judge_max_tokens: int = DEFAULT_MAX_TOKENS,
) -> Task:
    """Run a goalguard scenario.

    Args:
        scenario: A built-in scenario name or a scenario folder.
        variant: A named variant of the scenario.
        developer: Override the developer the model is told about.
        probe: A follow-up probe to send after the output (``setup-doubt``, or the question
            set ``realism``: each query is asked one of its questions).
        p: Stated monitoring probabilities for probability-cue scenarios (``0.1,0.9``).
        examples: Show the worked scratchpad examples in the system context (default: the
            scenario's ``reasoning_examples``, true for the built-ins); ``false`` is the
            original paper's "no examples" ablation.
        paraphrases: Also run the first N hand-written rewordings of the system context
            (the scenario's ``paraphrases/`` files) beside the original (paraphrase 0);
            0 or absent runs the original only.
        limit: Number of queries (each runs under every condition).
        max_steps: Most replies the model may take to reach its final output.
        judge: An Inspect model that classifies each sample (default: the offline heuristic
            only). With a judge, its scorers carry the label names and the heuristic's are
            kept as ``heuristic_<label>``.
        judge_votes: Judge votes per sample and label (temperature 1 when above 1; default:
            the preset's for af_reasoning, 1 for the others).
        judge_threshold: Share of all votes for a label's positive value that decides it
            (default: the preset's for af_reasoning, 0.5 for the others).
        judge_logprobs: Score from the token probability where the label is decided (one
            call, no votes).
        judge_args: Model args for the judge.
        judge_preset: How the judge asks af_reasoning: hughes2025 or greenblatt2024.
        judge_max_tokens: Most tokens per judge reply.
    """
    count = paraphrase_runs(scenario, paraphrases)
    wordings = [
        load_scenario(
            scenario,
            variant=variant,
            developer=developer,
            probabilities=_parse_probabilities(p),
            examples=_task_flag(examples, "examples"),
            paraphrase=k,
        )
        for k in range(count + 1)
    ]
    loaded, spec = wordings[0], wordings[0].spec
    questions = loaded.probe_questions(probe) if probe else None
    samples = [
        sample
        for wording in wordings
        for sample in scenario_samples(wording, limit, questions, tag_paraphrase=count > 0)
    ]
    reworded_prompts = [wording.system_prompt for wording in wordings[1:]]
    return Task(
        name=loaded.name if not variant else f"{loaded.name}_{variant}",
        version=spec.version,
        dataset=MemoryDataset(samples, name=loaded.name),
        solver=[
            *belief_solvers(loaded),
            scratchpad_protocol(max_steps=max_steps or spec.max_steps, reasoning=spec.reasoning),
        ],
        scorer=classifier_scorers(
            ScenarioContext.from_spec(spec.model_dump(mode="json")),
            judge=judge,
            judge_args=judge_args,
            votes=None if judge_votes is None else int(judge_votes),
            threshold=None if judge_threshold is None else float(judge_threshold),
            logprobs=bool(_task_flag(judge_logprobs, "judge_logprobs")),
            preset=str(judge_preset),
            max_tokens=int(judge_max_tokens),
        )
        + belief_scorers(loaded, judge=judge, judge_args=judge_args),
        epochs=Epochs(1, "mode"),  # labels are strings: reduce epochs by the most common
        # the system context is most of every prompt: let providers cache it (Anthropic needs
        # the breakpoints Inspect adds with cache_prompt; OpenAI and vLLM cache by themselves)
        config=GenerateConfig(max_tokens=spec.max_tokens, cache_prompt=True),
        metadata={
            "goalguard_scenario": spec.model_dump(mode="json"),
            "variant": variant,
            "system_prompt": loaded.system_prompt,
            "paraphrases": count,
            "paraphrase_system_prompts": reworded_prompts,  # paraphrase k at index k - 1
            "belief_system_prompt": loaded.belief_system_prompt,
            **listing_metadata(spec),
            **task_provenance(
                spec.model_dump(mode="json"),
                sample_inputs(samples),
                applied={
                    "variant": variant,
                    "variant_blocks": dict(spec.variants[variant].blocks) if variant else {},
                    "p": _parse_probabilities(p),
                    "paraphrases": count,
                    "probe": probe,
                },
            ),
        },
    )
